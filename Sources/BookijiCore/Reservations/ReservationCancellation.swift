/// Why a reservation ended `CANCELLED`. Every path to that state names one, so a partner tells a
/// vendor's decline from its own cancel without parsing text.
public enum CancellationReason: String, Sendable, CaseIterable, Codable {
    /// The partner cancelled it (`POST /v1/reservations/{id}/cancel`).
    case partner
    /// The vendor declined it (the vendor API's `…/decline` or the confirmation page).
    case vendorDeclined = "vendor_declined"
    /// The vendor confirmed, but the slot had been taken meanwhile (a calendar event, a booking).
    case slotUnavailable = "slot_unavailable"
}

/// The cause of a cancellation and the free text its author gave (`reason` in the request).
public struct ReservationCancellation: Sendable, Hashable {
    public var reason: CancellationReason
    public var note: String?

    public init(_ reason: CancellationReason, note: String? = nil) {
        self.reason = reason
        self.note = note
    }

    /// The `reason` text a partner or vendor may give, as `reservations.cancellation_note`'s
    /// CHECK counts it (migration 0018).
    public static let noteLimit = TextLimit(1...500)
}
