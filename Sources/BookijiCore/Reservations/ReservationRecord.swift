/// A reservation as the system of record holds it: its slot, state, deadline and the instants
/// that set its deadlines.
public struct ReservationRecord: Sendable, Hashable {
    public var id: String
    public var partnerID: String
    public var vendorID: String
    public var requesterID: String
    public var slot: UTCInterval
    public var state: ReservationState
    public var deadline: Int64?
    public var metadataJSON: String
    public var idempotencyKey: String?
    public var failureReason: String?
    public var bookingID: String?
    public var createdAt: Int64
    /// `created_at` to the microsecond (`…T10:00:00.123456Z`): the list cursor's position.
    public var createdAtText: String
    public var updatedAtText: String
    public var vendorConfirmedAt: Int64?
    public var vendorAuthorizedAt: Int64?
    public var requesterAuthorizedAt: Int64?
    /// The amounts it was held at; nil only for reservations held before vendors had payment settings.
    public var price: ReservationPrice?
    /// Why it was cancelled, for a `CANCELLED` reservation.
    public var cancellation: ReservationCancellation?

    public init(
        id: String, partnerID: String, vendorID: String, requesterID: String, slot: UTCInterval, state: ReservationState,
        deadline: Int64?, metadataJSON: String, idempotencyKey: String?, failureReason: String?, bookingID: String?,
        createdAt: Int64, createdAtText: String, updatedAtText: String, vendorConfirmedAt: Int64?,
        vendorAuthorizedAt: Int64?, requesterAuthorizedAt: Int64?, price: ReservationPrice? = nil,
        cancellation: ReservationCancellation? = nil
    ) {
        self.id = id
        self.partnerID = partnerID
        self.vendorID = vendorID
        self.requesterID = requesterID
        self.slot = slot
        self.state = state
        self.deadline = deadline
        self.metadataJSON = metadataJSON
        self.idempotencyKey = idempotencyKey
        self.failureReason = failureReason
        self.bookingID = bookingID
        self.createdAt = createdAt
        self.createdAtText = createdAtText
        self.updatedAtText = updatedAtText
        self.vendorConfirmedAt = vendorConfirmedAt
        self.vendorAuthorizedAt = vendorAuthorizedAt
        self.requesterAuthorizedAt = requesterAuthorizedAt
        self.price = price
        self.cancellation = cancellation
    }

    public var timeline: ReservationTimeline {
        ReservationTimeline(
            createdAt: createdAt, vendorConfirmedAt: vendorConfirmedAt,
            vendorAuthorizedAt: vendorAuthorizedAt, requesterAuthorizedAt: requesterAuthorizedAt)
    }
}

/// One row of the append-only transition log (the spec's StateTransitionLog).
public struct TransitionRecord: Sendable, Hashable {
    public var id: Int64
    public var reservationID: String
    public var from: String
    public var to: String
    public var triggeredBy: String
    public var reason: String?
    public var metadataJSON: String?
    public var idempotencyKey: String?
    public var occurredAt: String

    public init(
        id: Int64, reservationID: String, from: String, to: String, triggeredBy: String, reason: String?,
        metadataJSON: String?, idempotencyKey: String?, occurredAt: String
    ) {
        self.id = id
        self.reservationID = reservationID
        self.from = from
        self.to = to
        self.triggeredBy = triggeredBy
        self.reason = reason
        self.metadataJSON = metadataJSON
        self.idempotencyKey = idempotencyKey
        self.occurredAt = occurredAt
    }
}
