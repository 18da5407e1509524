import BookijiCore

/// A reservation waiting for its vendor, with what a vendor needs to decide: the slot in the
/// vendor's zone, the requester, the partner that asks, and the price. What the notifications and
/// the confirmation page show.
public struct ConfirmationRequest: Sendable, Hashable {
    public var reservation: ReservationRecord
    public var vendorName: String
    public var vendorTimeZone: String
    public var partnerName: String

    public init(reservation: ReservationRecord, vendorName: String, vendorTimeZone: String, partnerName: String) {
        self.reservation = reservation
        self.vendorName = vendorName
        self.vendorTimeZone = vendorTimeZone
        self.partnerName = partnerName
    }

    /// "Tuesday, 15 December 2026, 09:00–10:00 (Europe/Berlin, UTC+01:00)".
    public var slotText: String { LocalWording.slot(reservation.slot, zone: vendorTimeZone) }

    /// The price the requester pays, e.g. "50.00 EUR"; nil for a reservation held without one.
    public var priceText: String? { reservation.price.map { LocalWording.amount($0.amount, currency: $0.currency) } }

    /// The deposit the vendor authorizes after confirming.
    public var depositText: String? { reservation.price.map { LocalWording.amount($0.deposit, currency: $0.currency) } }

    /// When the request lapses, in the vendor's zone; nil once it has no deadline.
    public var deadlineText: String? { reservation.deadline.map { LocalWording.deadline($0, zone: vendorTimeZone) } }
}

/// A confirmation request on its way out: the request, the vendor's channels, and those the
/// request already reached.
public struct PendingNotification: Sendable {
    public var request: ConfirmationRequest
    public var channels: VendorNotificationChannels
    public var delivered: Set<VendorNotificationChannel>

    /// The channels still to send to.
    public var remaining: [VendorNotificationChannel] { channels.channels.filter { !delivered.contains($0) } }
}
