import BookijiCore
import Postgres

extension ReservationStore {
    /// The compensation of a vendor notification that could not be delivered (spec: compensation
    /// matrix row 2-3, "retry notification, extend TTL"): moves the confirmation deadline of a
    /// reservation still `AWAITING_VENDOR_CONFIRMATION` later by `seconds`, once per reservation
    /// (`confirmation_extended_at`), and only while the deadline has not passed. The extension is
    /// logged in the transition log as a move from the state to itself (`triggeredBy: system`,
    /// metadata `previousDeadline`, `deadline`, `extendedBySeconds`), so partners see it in
    /// `stateHistory`; the vendor's revision is bumped, since the hold now blocks its slot for
    /// longer. One statement: the row is locked by the update, and a concurrent sweep skips it.
    ///
    /// ``move(_:to:trigger:reason:now:failureReason:signalPayments:)`` refuses same-state moves
    /// and recomputes deadlines from the timeline, so this is a function of its own.
    /// - Returns: the new deadline, or nil when nothing was extended (already extended, answered,
    ///   ended, or past its deadline).
    public func extendConfirmationDeadline(id: String, by seconds: Int64, reason: String, now: Int64) throws -> Int64? {
        guard UUIDText.isValid(id) else { return nil }
        let state = ReservationState.awaitingVendorConfirmation.rawValue
        return try connection.query("""
            WITH extended AS (
                UPDATE reservations
                SET deadline = deadline + make_interval(secs => $2::bigint), confirmation_extended_at = to_timestamp($3),
                    updated_at = to_timestamp($3)
                WHERE id = $1::uuid AND state = $4 AND confirmation_extended_at IS NULL AND deadline > to_timestamp($3)
                RETURNING id, vendor_id, deadline
            ), logged AS (
                INSERT INTO reservation_transitions (reservation_id, vendor_id, from_state, to_state, triggered_by, reason, metadata)
                SELECT id, vendor_id, $4, $4, $5, $6, jsonb_build_object(
                    'previousDeadline', \(Self.utcText("deadline - make_interval(secs => $2::bigint)")),
                    'deadline', \(Self.utcText("deadline")), 'extendedBySeconds', $2::bigint)
                FROM extended
            ), bumped AS (
                UPDATE vendors SET revision = revision + 1, updated_at = now() WHERE id = (SELECT vendor_id FROM extended)
            )
            SELECT extract(epoch FROM deadline)::bigint FROM extended
            """, [id, seconds, now, state, TransitionTrigger.system.rawValue, reason]).first?.int64(0)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` of a timestamptz expression.
    static func utcText(_ expression: String) -> String {
        "to_char((\(expression)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    /// Whether the reservation's confirmation deadline was extended already.
    public func confirmationExtended(id: String) throws -> Bool {
        guard UUIDText.isValid(id) else { return false }
        return try connection.query(
            "SELECT confirmation_extended_at IS NOT NULL FROM reservations WHERE id = $1::uuid", [id]
        ).first?.bool(0) ?? false
    }
}
