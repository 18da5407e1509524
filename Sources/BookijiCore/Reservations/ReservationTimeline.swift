/// The workflow instants that a reservation's deadlines are counted from, in epoch seconds (UTC).
///
/// A stage's timestamp is set when the reservation enters that stage and never changes after.
public struct ReservationTimeline: Sendable, Hashable, Codable {
    /// When the reservation was created (the initial hold starts here).
    public var createdAt: Int64
    /// When it entered `CONFIRMED_BY_VENDOR`.
    public var vendorConfirmedAt: Int64?
    /// When it entered `VENDOR_AUTHORIZED`.
    public var vendorAuthorizedAt: Int64?
    /// When it entered `AUTHORIZED_BOTH`; this is also the spec's `authorized_both_at`.
    public var requesterAuthorizedAt: Int64?

    public init(
        createdAt: Int64,
        vendorConfirmedAt: Int64? = nil,
        vendorAuthorizedAt: Int64? = nil,
        requesterAuthorizedAt: Int64? = nil
    ) {
        self.createdAt = createdAt
        self.vendorConfirmedAt = vendorConfirmedAt
        self.vendorAuthorizedAt = vendorAuthorizedAt
        self.requesterAuthorizedAt = requesterAuthorizedAt
    }
}
