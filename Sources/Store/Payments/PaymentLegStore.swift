import BookijiCore
import Postgres

/// SQL for the two payment legs of a reservation (`payment_legs`). Each change touches only the
/// columns its step owns, so the routes (the payment method asked for), the event applier (the
/// intent's status) and the payment driver never overwrite one another's writes.
public struct PaymentLegStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// One step's change to a leg.
    public enum Change: Sendable, Hashable {
        /// A route asks to authorize with this payment method.
        case paymentMethodRequested(String)
        /// The creation's recovery point is committed (the call comes next).
        case createStarted
        /// Stripe refused the creation definitely.
        case createFailed(String)
        /// The worker is about to confirm with this payment method.
        case confirmStarted(String)
        /// A capture is about to be tried (counted before the call).
        case captureStarted
        /// A capture attempt failed; `final` when it will not be tried again.
        case captureFailed(String, final: Bool)
        /// What Stripe said the intent is now (an answer, an error's intent, a retrieve).
        case intent(PaymentIntentSnapshot)
        /// A refund of the captured payment went through.
        case refunded(String)
        /// The last call's outcome is unknown: fetch the intent before acting.
        case uncertain
        /// Stripe's answer told nothing new (an event had already said more): the leg no longer
        /// needs fetching.
        case seen
    }

    /// Both legs of a reservation (absent sides nil).
    public func legs(reservationID: String, forUpdate: Bool = false) throws -> PaymentLegs {
        guard UUIDText.isValid(reservationID) else { return PaymentLegs() }
        var legs = PaymentLegs()
        for row in try connection.query(
            "SELECT \(Self.columns) FROM payment_legs WHERE reservation_id = $1::uuid\(forUpdate ? " FOR UPDATE" : "")",
            [reservationID])
        {
            let leg = try Self.leg(row)
            legs[leg.side] = leg
        }
        return legs
    }

    /// The reservation and side an intent belongs to, or nil for an intent that is not ours.
    public func owner(intentID: String) throws -> (reservationID: String, side: PaymentSide)? {
        guard let row = try connection.query(
            "SELECT reservation_id::text, side FROM payment_legs WHERE intent_id = $1", [intentID]).first,
            let side = PaymentSide(rawValue: try row.string(1))
        else { return nil }
        return (try row.string(0), side)
    }

    /// Applies `change` to the leg, creating it (with the side's amount of `price`) when it does
    /// not exist.
    /// - Returns: the leg as stored afterwards.
    @discardableResult
    public func apply(
        _ change: Change, reservationID: String, side: PaymentSide, price: ReservationPrice, now: Int64
    ) throws -> PaymentLeg {
        try connection.query("""
            INSERT INTO payment_legs (reservation_id, side, amount_minor, currency, created_at, updated_at)
            VALUES ($1::uuid, $2, $3, $4, to_timestamp($5), to_timestamp($5))
            ON CONFLICT (reservation_id, side, vendor_id) DO NOTHING
            """, [reservationID, side.rawValue, price.amount(for: side), price.currency, now])
        let (assignments, values) = Self.assignments(change)
        let rows = try connection.query("""
            UPDATE payment_legs SET \(assignments.isEmpty ? "" : assignments + ", ")updated_at = to_timestamp($3)
            WHERE reservation_id = $1::uuid AND side = $2
            RETURNING \(Self.columns)
            """, [reservationID, side.rawValue, now] + values)
        return try Self.leg(rows.first!)
    }

    /// The SET list of a change; its parameters are numbered from $4.
    private static func assignments(_ change: Change) -> (String, [(any PGEncodable)?]) {
        switch change {
        case .paymentMethodRequested(let method):
            return ("payment_method = $4", [method])
        case .createStarted:
            return ("create_started_at = coalesce(create_started_at, to_timestamp($3))", [])
        case .createFailed(let message):
            return ("create_error = left($4, 500), needs_refresh = false", [message])
        case .confirmStarted(let method):
            return ("confirmed_with = $4", [method])
        case .captureStarted:
            return ("capture_attempts = capture_attempts + 1", [])
        case .captureFailed(let message, let final):
            return ("last_capture_error = left($4, 500), capture_failed = capture_failed OR $5::bool, needs_refresh = true",
                    [message, final])
        case .refunded(let refund):
            return ("refund_id = coalesce(refund_id, $4), refunded_at = coalesce(refunded_at, to_timestamp($3))", [refund])
        case .uncertain:
            return ("needs_refresh = true", [])
        case .seen:
            return ("needs_refresh = false", [])
        case .intent(let intent):
            // A capture's charge, a decline and the instants of authorization, capture and
            // cancellation are written once and kept (the partner reads why it failed).
            return ("""
                intent_id = $4, status = $5, client_secret = coalesce($6, client_secret), needs_refresh = false,
                decline_code = coalesce($8, decline_code), decline_message = coalesce($9, decline_message),
                authorized_at = CASE WHEN $5 IN ('requires_capture', 'succeeded')
                                     THEN coalesce(authorized_at, to_timestamp($3)) ELSE authorized_at END,
                capture_id = CASE WHEN $5 = 'succeeded' THEN coalesce(capture_id, $7) ELSE capture_id END,
                captured_at = CASE WHEN $5 = 'succeeded' THEN coalesce(captured_at, to_timestamp($3)) ELSE captured_at END,
                canceled_at = CASE WHEN $5 = 'canceled' THEN coalesce(canceled_at, to_timestamp($3)) ELSE canceled_at END
                """,
                [intent.id, intent.status.rawValue, intent.clientSecret, intent.latestCharge, intent.declineCode,
                 intent.declineMessage])
        }
    }

    /// Reservations whose legs still hold money after the reservation ended (not COMMITTED) or
    /// whose calls' outcome is unknown: what reconciliation looks at.
    /// A leg still `processing` (neither cancellable nor refundable yet) is marked to be fetched
    /// again, so a lost event cannot leave it so.
    public func unsettled(limit: Int) throws -> [String] {
        try connection.query("""
            WITH open AS (
                SELECT l.reservation_id, l.side, l.status FROM payment_legs l JOIN reservations r ON r.id = l.reservation_id
                WHERE (l.status IS DISTINCT FROM 'canceled' AND l.refund_id IS NULL)
                  AND r.state <> 'COMMITTED' AND r.deadline IS NULL
                  AND (l.intent_id IS NOT NULL OR (l.create_started_at IS NOT NULL AND l.create_error IS NULL))
                LIMIT $1
            ), refreshed AS (
                UPDATE payment_legs l SET needs_refresh = true
                FROM open WHERE l.reservation_id = open.reservation_id AND l.side = open.side AND open.status = 'processing'
            )
            SELECT DISTINCT reservation_id::text FROM open
            """, [limit]).map { try $0.string(0) }
    }

    /// Active reservations in their payment phase that nothing is driving (no pending
    /// `payment.advance`) and that have not moved for `quietSeconds`: a lost event, a lost signal,
    /// a commit left by a crash. Their waiting legs are marked to be fetched from Stripe again.
    /// - Returns: the reservation ids.
    public func stalled(now: Int64, quietSeconds: Int64, limit: Int) throws -> [String] {
        try connection.query("""
            WITH quiet AS (
                SELECT r.id FROM reservations r
                WHERE r.state = ANY ($1::text[]) AND r.updated_at < to_timestamp($2::bigint - $3::bigint)
                  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.reservation_id = r.id AND o.topic = $5
                                  AND o.delivered_at IS NULL AND o.dead_at IS NULL)
                LIMIT $4
            ), refreshed AS (
                UPDATE payment_legs l SET needs_refresh = true
                FROM quiet WHERE l.reservation_id = quiet.id AND l.intent_id IS NOT NULL
                  AND l.status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing')
            )
            SELECT id::text FROM quiet
            """, [PGArray(Self.drivenStates.map(\.rawValue)), now, quietSeconds, limit, ReservationStore.paymentAdvanceTopic])
            .map { try $0.string(0) }
    }

    /// Legs authorized more than `ageSeconds` ago and still uncaptured (spec: "Stale Authorization
    /// Cleanup"): Stripe lapses them after 7 days.
    public func staleAuthorizations(now: Int64, ageSeconds: Int64, limit: Int) throws -> [String] {
        try connection.query("""
            SELECT DISTINCT reservation_id::text FROM payment_legs
            WHERE status = 'requires_capture' AND authorized_at < to_timestamp($1::bigint - $2::bigint) LIMIT $3
            """, [now, ageSeconds, limit]).map { try $0.string(0) }
    }

    static let drivenStates: [ReservationState] = [
        .confirmedByVendor, .awaitingVendorAuth, .vendorAuthorized, .awaitingRequesterAuth, .authorizedBoth, .commitInProgress,
    ]

    static let columns = """
        side, amount_minor, currency, create_started_at IS NOT NULL, create_error, intent_id, status, client_secret,
        payment_method, confirmed_with, decline_code, decline_message, floor(extract(epoch FROM authorized_at))::bigint,
        capture_id, floor(extract(epoch FROM captured_at))::bigint, capture_attempts, last_capture_error, capture_failed,
        refund_id, floor(extract(epoch FROM refunded_at))::bigint, floor(extract(epoch FROM canceled_at))::bigint, needs_refresh
        """

    static func leg(_ row: PGRow) throws -> PaymentLeg {
        guard let side = PaymentSide(rawValue: try row.string(0)) else {
            throw StoreError(.invalidData, "unknown payment side '\(try row.string(0))'")
        }
        let status = try row.optional(String.self, 6)
        return PaymentLeg(
            side: side, amount: try row.int64(1), currency: try row.string(2), createStarted: try row.bool(3),
            createError: try row.optional(String.self, 4), intentID: try row.optional(String.self, 5),
            status: status.flatMap(PaymentIntentStatus.init(rawValue:)), clientSecret: try row.optional(String.self, 7),
            paymentMethod: try row.optional(String.self, 8), confirmedWith: try row.optional(String.self, 9),
            declineCode: try row.optional(String.self, 10), declineMessage: try row.optional(String.self, 11),
            authorizedAt: try row.optional(Int64.self, 12), captureID: try row.optional(String.self, 13),
            capturedAt: try row.optional(Int64.self, 14), captureAttempts: try row.int(15),
            lastCaptureError: try row.optional(String.self, 16), captureFailed: try row.bool(17),
            refundID: try row.optional(String.self, 18), refundedAt: try row.optional(Int64.self, 19),
            canceledAt: try row.optional(Int64.self, 20), needsRefresh: try row.bool(21))
    }
}
