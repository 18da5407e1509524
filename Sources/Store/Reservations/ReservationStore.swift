import BookijiCore
import Postgres
import Telemetry

/// SQL for reservations and their transition log. Every state change goes through
/// ``move(_:to:trigger:reason:now:)`` or the bulk expiry, which write the log row in the same
/// statement or transaction as the change.
public struct ReservationStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    public struct NewReservation: Sendable {
        public var partnerID: String
        public var vendorID: String
        public var requesterID: String
        public var slot: UTCInterval
        public var metadataJSON: String
        public var idempotencyKey: String?

        public init(partnerID: String, vendorID: String, requesterID: String, slot: UTCInterval, metadataJSON: String, idempotencyKey: String?) {
            self.partnerID = partnerID
            self.vendorID = vendorID
            self.requesterID = requesterID
            self.slot = slot
            self.metadataJSON = metadataJSON
            self.idempotencyKey = idempotencyKey
        }
    }

    /// Inserts a new hold whose vendor notification is already queued: the row is written in
    /// `AWAITING_VENDOR_CONFIRMATION` with the initial-hold deadline, and both transitions of
    /// that step are logged (INTENT_CREATED → HELD by the partner, HELD →
    /// AWAITING_VENDOR_CONFIRMATION by the system). Writing the final state at once, rather than
    /// inserting HELD and updating it, keeps the exclusion constraint to one check per hold: an
    /// update would check the new row version again and could deadlock against a racing insert.
    /// An overlap with a slot-blocking reservation violates the constraint (SQLSTATE 23P01).
    ///
    /// The same statement queues the vendor notification in the outbox (`notificationTopic`,
    /// payload `{"reservationId","vendorId"}`) and bumps the vendor's revision, so a hold costs
    /// one round trip for all its writes.
    public func insertAwaitingConfirmation(
        _ new: NewReservation, now: Int64, notificationReason: String, notificationTopic: String
    ) throws -> ReservationRecord {
        let state = ReservationState.awaitingVendorConfirmation
        precondition(ReservationState.intentCreated.canTransition(to: .held) && ReservationState.held.canTransition(to: state))
        let deadline = ReservationTTL.deadline(for: state, timeline: ReservationTimeline(createdAt: now))
        let rows: PGRows
        do {
            rows = try connection.query("""
            WITH inserted AS (
                INSERT INTO reservations (partner_id, vendor_id, requester_id, slot, state, deadline, metadata, idempotency_key,
                                          created_at, updated_at, vendor_stripe_account, currency, price_minor, deposit_minor,
                                          platform_fee_minor, event_sequence)
                SELECT $1::uuid, v.id, $3, tstzrange(to_timestamp($4), to_timestamp($5), '[)'), $6,
                       to_timestamp($7), $8::jsonb, $9, to_timestamp($10), to_timestamp($10), v.stripe_account, v.currency,
                       v.price_minor, v.deposit_minor, v.platform_fee_minor, 1
                FROM vendors v WHERE v.id = $2::uuid AND v.price_minor IS NOT NULL
                RETURNING *
            ), logged AS (
                INSERT INTO reservation_transitions (reservation_id, vendor_id, from_state, to_state, triggered_by, reason, idempotency_key)
                SELECT id, vendor_id, $11, $12, $13, $14, $9 FROM inserted
                UNION ALL
                SELECT id, vendor_id, $12, $6, $15, $16, NULL FROM inserted
            ), queued AS (
                INSERT INTO outbox (topic, reservation_id, vendor_id, payload)
                SELECT $17, id, vendor_id, jsonb_build_object('reservationId', id::text, 'vendorId', vendor_id::text) FROM inserted
                UNION ALL
                SELECT $18, id, vendor_id, \(Self.eventPayload(
                    id: "id", from: "$12::text", to: "$6::text", trigger: "$13::text", sequence: "1", failureReason: "NULL::text",
                    bookingID: "NULL::uuid"))
                FROM inserted
            ), bumped AS (
                UPDATE vendors SET revision = revision + 1, updated_at = now() WHERE id = (SELECT vendor_id FROM inserted)
            )
            SELECT \(Self.columns) FROM inserted
            """, [new.partnerID, new.vendorID, new.requesterID, new.slot.start, new.slot.end, state.rawValue, deadline,
                  new.metadataJSON, new.idempotencyKey, now,
                  ReservationState.intentCreated.rawValue, ReservationState.held.rawValue, TransitionTrigger.partner.rawValue,
                  "hold placed", TransitionTrigger.system.rawValue, notificationReason, notificationTopic,
                  state.eventTopic])
        } catch {
            guard error.isExclusionViolation else { throw error }
            throw StoreError(.exclusionViolation, "the slot overlaps a reservation that occupies it", underlying: error)
        }
        guard let row = rows.first else {
            throw StoreError(.notBookable, "the vendor has no payment settings")
        }
        BookijiMetrics.reservationCreated()
        return try Self.record(row)
    }

    /// Moves a reservation (locked by the caller with ``lock(id:)``) to `state`, setting the
    /// new deadline and stage timestamps, and logs the transition. Refuses moves the state
    /// machine does not allow.
    @discardableResult
    public func move(
        _ record: ReservationRecord, to state: ReservationState, trigger: TransitionTrigger, reason: String?,
        now: Int64, failureReason: String? = nil, cancellation: ReservationCancellation? = nil, signalPayments: Bool = true
    ) throws -> ReservationRecord {
        do {
            try record.state.transition(to: state)
        } catch {
            throw BookijiError(
                .invalidTransition, error.message,
                details: ["currentState": record.state.rawValue, "requestedState": state.rawValue])
        }
        var timeline = record.timeline
        switch state {
        case .confirmedByVendor: timeline.vendorConfirmedAt = now
        case .vendorAuthorized: timeline.vendorAuthorizedAt = now
        case .authorizedBoth: timeline.requesterAuthorizedAt = now
        default: break
        }
        let deadline = ReservationTTL.deadline(for: state, timeline: timeline)
        let result = try connection.query("""
            UPDATE reservations SET state = $2, deadline = to_timestamp($3), updated_at = to_timestamp($4),
                vendor_confirmed_at = coalesce(to_timestamp($5), vendor_confirmed_at),
                vendor_authorized_at = coalesce(to_timestamp($6), vendor_authorized_at),
                requester_authorized_at = coalesce(to_timestamp($7), requester_authorized_at),
                failure_reason = coalesce($8, failure_reason),
                cancellation_reason = coalesce($10, cancellation_reason), cancellation_note = coalesce($11, cancellation_note)
            WHERE id = $1::uuid AND state = $9
            RETURNING \(Self.columns)
            """, [record.id, state.rawValue, deadline, now, timeline.vendorConfirmedAt, timeline.vendorAuthorizedAt,
                  timeline.requesterAuthorizedAt, failureReason, record.state.rawValue, cancellation?.reason.rawValue,
                  cancellation?.note])
        guard let row = result.first else {
            throw BookijiError(.internalError, "reservation \(record.id) changed state concurrently; retry", retryAfter: 1)
        }
        let updated = try Self.record(row)
        try log(updated, from: record.state, trigger: trigger, reason: reason, idempotencyKey: nil, signalPayments: signalPayments)
        BookijiMetrics.transition(from: record.state, to: state)
        return updated
    }

    /// The reservation, locked for update until the transaction ends.
    ///
    /// `FOR NO KEY UPDATE`, not `FOR UPDATE`: the holder changes the row but never its id, and
    /// the weaker lock lets other transactions insert rows that reference the reservation
    /// meanwhile (their foreign key checks take `FOR KEY SHARE`): a transition, an outbox row, a
    /// payment leg. With `FOR UPDATE` the webhook fan-out's batch insert waited 4-8 ms on average
    /// for API transactions holding the reservation, while deliveries still had a foreign key to
    /// it (dropped by migration 0022).
    public func lock(id: String) throws -> ReservationRecord? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT \(Self.columns) FROM reservations WHERE id = $1::uuid FOR NO KEY UPDATE", [id])
            .first.map(Self.record)
    }

    public func find(id: String) throws -> ReservationRecord? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT \(Self.columns) FROM reservations WHERE id = $1::uuid", [id]).first.map(Self.record)
    }

    public func history(id: String) throws -> [TransitionRecord] {
        try connection.query("""
            SELECT id, reservation_id::text, from_state, to_state, triggered_by, reason, metadata::text, idempotency_key,
                   \(SQLTime.rfc3339("occurred_at"))
            FROM reservation_transitions WHERE reservation_id = $1::uuid ORDER BY id
            """, [id]).map { row in
            TransitionRecord(
                id: try row.int64(0), reservationID: try row.string(1), from: try row.string(2), to: try row.string(3),
                triggeredBy: try row.string(4), reason: try row.optional(String.self, 5),
                metadataJSON: try row.optional(String.self, 6), idempotencyKey: try row.optional(String.self, 7),
                occurredAt: try SQLTime.text(row, 8))
        }
    }

    /// A page of a partner's reservations, newest first, after the cursor `(createdAt, id)`.
    public func list(
        partnerID: String, vendorID: String?, state: ReservationState?, after cursor: (createdAt: String, id: String)?, limit: Int
    ) throws -> [ReservationRecord] {
        try connection.query("""
            SELECT \(Self.columns) FROM reservations
            WHERE partner_id = $1::uuid
              AND ($2::uuid IS NULL OR vendor_id = $2::uuid)
              AND ($3::text IS NULL OR state = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT $6
            """, [partnerID, vendorID, state?.rawValue, cursor?.createdAt, cursor?.id, limit]).map(Self.record)
    }

    /// Records the timeout of active reservations whose deadline has passed — all of them, or
    /// those of one vendor overlapping a slot, or those of one partner: each moves where its
    /// deadline takes it (``ReservationState/timeoutState``: `FAILED_VENDOR_TIMEOUT` for a
    /// vendor that never answered, `EXPIRED` otherwise), logged as a `timeout` transition and
    /// announced in the outbox, all in one statement. Rows another transaction holds are skipped
    /// (it will decide them), so two sweepers on two machines never move the same row twice.
    /// - Returns: the ids moved.
    @discardableResult
    public func expireStale(now: Int64, vendorID: String? = nil, overlapping slot: UTCInterval? = nil, partnerID: String? = nil, limit: Int = 1000) throws -> [String] {
        try connection.query("""
            WITH stale AS (
                SELECT id, state FROM reservations
                WHERE deadline IS NOT NULL AND deadline <= to_timestamp($1)
                  AND ($2::uuid IS NULL OR vendor_id = $2::uuid)
                  AND ($3::bigint IS NULL OR slot && tstzrange(to_timestamp($3), to_timestamp($4), '[)'))
                  AND ($5::uuid IS NULL OR partner_id = $5::uuid)
                ORDER BY deadline
                LIMIT $6
                FOR UPDATE SKIP LOCKED
            ), moved AS (
                UPDATE reservations r
                SET state = CASE WHEN stale.state = $7 THEN $8 ELSE $9 END, deadline = NULL, updated_at = to_timestamp($1),
                    failure_reason = coalesce(r.failure_reason, 'deadline of ' || stale.state || ' passed'),
                    event_sequence = r.event_sequence + 1
                FROM stale WHERE r.id = stale.id
                RETURNING r.id, r.vendor_id, stale.state AS from_state, r.state AS to_state, r.event_sequence, r.failure_reason
            ), logged AS (
                INSERT INTO reservation_transitions (reservation_id, vendor_id, from_state, to_state, triggered_by, reason)
                SELECT id, vendor_id, from_state, to_state, $10, 'deadline passed' FROM moved
            ), announced AS (
                INSERT INTO outbox (topic, reservation_id, vendor_id, payload)
                SELECT CASE WHEN to_state = $9 THEN $11 ELSE $12 END, id, vendor_id,
                       \(Self.eventPayload(
                           id: "id", from: "from_state", to: "to_state", trigger: "$10::text", sequence: "event_sequence",
                           failureReason: "failure_reason", bookingID: "NULL::uuid"))
                FROM moved
            ), signalled AS (
                \(Self.paymentSignal(select: "SELECT id, vendor_id FROM moved WHERE EXISTS (SELECT 1 FROM payment_legs l WHERE l.reservation_id = moved.id)"))
            )
            SELECT id::text, from_state, to_state FROM moved
            """, [now, vendorID, slot?.start, slot?.end, partnerID, limit,
                  ReservationState.awaitingVendorConfirmation.rawValue, ReservationState.failedVendorTimeout.rawValue,
                  ReservationState.expired.rawValue, TransitionTrigger.timeout.rawValue,
                  ReservationState.expired.eventTopic, ReservationState.failedVendorTimeout.eventTopic]).map { row in
            try BookijiMetrics.transitions([(from: row.string(1), to: row.string(2))])
            return try row.string(0)
        }
    }

    /// The earliest deadline of any active reservation, or nil when none has one.
    public func nextDeadline() throws -> Int64? {
        try connection.query(
            "SELECT extract(epoch FROM min(deadline))::bigint FROM reservations WHERE deadline IS NOT NULL"
        ).first?.optional(Int64.self, 0)
    }

    /// Queues a message unless one of `topic` was ever queued for the reservation; true when queued.
    public func enqueueOnce(topic: String, reservationID: String, payloadJSON: String) throws -> Bool {
        try connection.query("""
            INSERT INTO outbox (topic, reservation_id, payload)
            SELECT $1, $2::uuid, $3::jsonb
            WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE reservation_id = $2::uuid AND topic = $1)
            RETURNING 1
            """, [topic, reservationID, payloadJSON]).count == 1
    }

    /// Queues a message for the worker in the same transaction as the change that caused it.
    public func enqueue(topic: String, reservationID: String, payloadJSON: String) throws {
        try connection.query(
            "INSERT INTO outbox (topic, reservation_id, payload) VALUES ($1, $2::uuid, $3::jsonb)",
            [topic, reservationID, payloadJSON])
    }

    /// Logs the move of `record` (already in its new state) and, when the new state announces an
    /// event (``ReservationState/eventTopic``), queues it in the outbox: one statement, so no
    /// transition is logged without its event or announced without its log row.
    ///
    /// With `signalPayments`, a move into the payment phase, or any move of a reservation that has
    /// payment legs, also signals the payment driver (``signalPaymentDriver(reservationID:)``); the
    /// driver's own moves pass false, since it goes on deciding after them anyway.
    private func log(
        _ record: ReservationRecord, from: ReservationState, trigger: TransitionTrigger, reason: String?,
        idempotencyKey: String?, signalPayments: Bool
    ) throws {
        try connection.query("""
            WITH logged AS (
                INSERT INTO reservation_transitions (reservation_id, vendor_id, from_state, to_state, triggered_by, reason, idempotency_key)
                VALUES ($1::uuid, $10::uuid, $2, $3, $4, $5, $6)
            ), signalled AS (
                \(Self.paymentSignal(select: "SELECT $1::uuid, $10::uuid WHERE $8::bool AND ($3 = ANY ($9::text[]) OR EXISTS (SELECT 1 FROM payment_legs WHERE reservation_id = $1::uuid))"))
            ), numbered AS (
                UPDATE reservations SET event_sequence = event_sequence + 1
                WHERE id = $1::uuid AND $7::text IS NOT NULL
                RETURNING event_sequence, failure_reason, CASE WHEN state = 'COMMITTED' THEN booking_id END AS booking_id,
                          cancellation_reason, cancellation_note
            )
            INSERT INTO outbox (topic, reservation_id, vendor_id, payload)
            SELECT $7, $1::uuid, $10::uuid, \(Self.eventPayload(
                id: "$1::uuid", from: "$2", to: "$3", trigger: "$4", sequence: "event_sequence", failureReason: "failure_reason",
                bookingID: "booking_id", cancellationReason: "cancellation_reason", cancellationNote: "cancellation_note"))
            FROM numbered
            """, [record.id, from.rawValue, record.state.rawValue, trigger.rawValue, reason, idempotencyKey,
                  record.state.eventTopic, signalPayments, PGArray(Self.paymentPhase.map(\.rawValue)), record.vendorID])
    }

    /// The states in which the worker has payment work to do.
    static let paymentPhase: [ReservationState] = [
        .confirmedByVendor, .awaitingVendorAuth, .vendorAuthorized, .awaitingRequesterAuth, .authorizedBoth,
        .commitInProgress,
    ]

    /// The outbox topic the payment driver consumes: one pending row per reservation.
    public static let paymentAdvanceTopic = "payment.advance"

    /// Tells the payment driver to look at the reservation again: a new `payment.advance` row, or,
    /// when one is already pending (perhaps being handled right now), a wake-up folded into it, so
    /// the driver runs it once more when it finishes.
    public func signalPaymentDriver(reservationID: String) throws {
        try connection.query(Self.paymentSignal(select: "SELECT id, vendor_id FROM reservations WHERE id = $1::uuid"), [reservationID])
    }

    /// The upsert of `payment.advance` rows for the reservations `select` yields, as (id, vendor id).
    static func paymentSignal(select: String) -> String {
        """
        INSERT INTO outbox (topic, reservation_id, vendor_id, payload)
        SELECT '\(paymentAdvanceTopic)', id, vendor_id, jsonb_build_object('reservationId', id::text)
        FROM (\(select)) AS signalled (id, vendor_id)
        ON CONFLICT (reservation_id, vendor_id) WHERE topic = '\(paymentAdvanceTopic)' AND delivered_at IS NULL AND dead_at IS NULL
        DO UPDATE SET wakeups = outbox.wakeups + 1, available_at = least(outbox.available_at, clock_timestamp())
        """
    }

    /// Chooses the booking's id as the commit begins (the captures carry it in their metadata);
    /// answers show it once the reservation is COMMITTED.
    public func assignBookingID(reservationID: String) throws -> String {
        try connection.query("""
            UPDATE reservations SET booking_id = coalesce(booking_id, gen_random_uuid()) WHERE id = $1::uuid
            RETURNING booking_id::text
            """, [reservationID]).first!.string(0)
    }

    /// The outbox payload of a transition's event, from SQL expressions for its parts: what the
    /// partner's webhook carries (the reservation, its states, who moved it, why it failed, its
    /// booking), its place in the reservation's events (`sequence`) and when it happened.
    static func eventPayload(
        id: String, from: String, to: String, trigger: String, sequence: String, failureReason: String, bookingID: String,
        cancellationReason: String = "NULL::text", cancellationNote: String = "NULL::text"
    ) -> String {
        """
        jsonb_strip_nulls(jsonb_build_object('reservationId', (\(id))::text, 'fromState', \(from), 'toState', \(to),
                           'triggeredBy', \(trigger), 'sequence', \(sequence), 'failureReason', \(failureReason),
                           'bookingId', (\(bookingID))::text,
                           'cancellationReason', \(cancellationReason), 'cancellationNote', \(cancellationNote),
                           'occurredAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
        """
    }

    static let columns = """
        id::text, partner_id::text, vendor_id::text, requester_id,
        extract(epoch FROM lower(slot))::bigint, extract(epoch FROM upper(slot))::bigint, state,
        extract(epoch FROM deadline)::bigint, metadata::text, idempotency_key, failure_reason, booking_id::text,
        extract(epoch FROM created_at)::bigint, \(SQLTime.micros("created_at")), \(SQLTime.rfc3339("updated_at")),
        extract(epoch FROM vendor_confirmed_at)::bigint, extract(epoch FROM vendor_authorized_at)::bigint,
        extract(epoch FROM requester_authorized_at)::bigint,
        currency, price_minor, deposit_minor, platform_fee_minor, vendor_stripe_account, cancellation_reason, cancellation_note
        """

    static func record(_ row: PGRow) throws -> ReservationRecord {
        guard let state = ReservationState(rawValue: try row.string(6)) else {
            throw StoreError(.invalidData, "unknown reservation state '\(try row.string(6))'")
        }
        return ReservationRecord(
            id: try row.string(0), partnerID: try row.string(1), vendorID: try row.string(2), requesterID: try row.string(3),
            slot: UTCInterval(start: try row.int64(4), end: try row.int64(5)), state: state,
            deadline: try row.optional(Int64.self, 7), metadataJSON: try row.string(8),
            idempotencyKey: try row.optional(String.self, 9), failureReason: try row.optional(String.self, 10),
            bookingID: try row.optional(String.self, 11), createdAt: try row.int64(12), createdAtText: try SQLTime.microsText(row, 13),
            updatedAtText: try SQLTime.text(row, 14), vendorConfirmedAt: try row.optional(Int64.self, 15),
            vendorAuthorizedAt: try row.optional(Int64.self, 16), requesterAuthorizedAt: try row.optional(Int64.self, 17),
            price: try row.optional(String.self, 18).map { currency in
                ReservationPrice(
                    currency: currency, amount: try row.int64(19), deposit: try row.int64(20), platformFee: try row.int64(21),
                    vendorStripeAccount: try row.string(22))
            },
            cancellation: try row.optional(String.self, 23).map { text in
                guard let reason = CancellationReason(rawValue: text) else {
                    throw StoreError(.invalidData, "unknown cancellation reason '\(text)'")
                }
                return ReservationCancellation(reason, note: try row.optional(String.self, 24))
            })
    }
}
