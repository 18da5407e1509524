import BookijiCore
import Postgres

extension PartnerStore {
    public func limits(id: String) throws -> PartnerLimits? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query(
            "SELECT reservations_per_hour, max_active_holds FROM partners WHERE id = $1::uuid", [id]
        ).first.map { PartnerLimits(reservationsPerHour: try $0.int(0), maxActiveHolds: try $0.int(1)) }
    }

    public func setLimits(id: String, reservationsPerHour: Int?, maxActiveHolds: Int?) throws -> PartnerLimits? {
        guard UUIDText.isValid(id) else { return nil }
        if let r = reservationsPerHour, r <= 0 { throw BookijiError(.invalidParameter, "reservations per hour must be positive") }
        if let m = maxActiveHolds, m <= 0 { throw BookijiError(.invalidParameter, "maximum active holds must be positive") }
        return try connection.query("""
            UPDATE partners SET reservations_per_hour = coalesce($2, reservations_per_hour),
                                max_active_holds = coalesce($3, max_active_holds)
            WHERE id = $1::uuid RETURNING reservations_per_hour, max_active_holds
            """, [id, reservationsPerHour, maxActiveHolds]).first.map {
            PartnerLimits(reservationsPerHour: try $0.int(0), maxActiveHolds: try $0.int(1))
        }
    }

    /// The partner's limits and its usage from the counters that migration 0004's triggers keep
    /// (a handful of small rows whatever the partner's volume), or nil for an unknown partner.
    /// Creations are counted in whole minutes (the last 60, this one included); active holds are
    /// those not yet recorded as terminal, so a hold past its deadline counts until it is expired
    /// (``ReservationStore/expireStale``). Not serialised per partner: concurrent holds may
    /// overshoot a limit by the number in flight, which keeps one partner's holds from queueing
    /// behind each other. When the partner exists, the statement then takes the transaction-level
    /// advisory locks `lockKeys` (sorted; see `lock_slot_granules`), so a hold pays one round
    /// trip for both. The usage is read before any wait for the locks.
    public func limitsAndUsage(id: String, now: Int64, thenLocking lockKeys: [Int64]) throws -> (PartnerLimits, PartnerUsage)? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("""
            SELECT p.reservations_per_hour, p.max_active_holds,
              (SELECT coalesce(sum(created), 0) FROM partner_usage_minutes
                 WHERE partner_id = p.id AND minute > $2::bigint - 60),
              (SELECT coalesce(sum(holds), 0) FROM partner_active_holds WHERE partner_id = p.id),
              lock_slot_granules($3::bigint[]) IS NULL
            FROM partners p WHERE p.id = $1::uuid
            """, [id, Self.minute(of: now), PGArray(lockKeys.map(String.init))]).first.map { row in
            (PartnerLimits(reservationsPerHour: try row.int(0), maxActiveHolds: try row.int(1)),
             PartnerUsage(createdLastHour: try row.int(2), activeHolds: try row.int(3)))
        }
    }

    /// When the oldest creation still inside the hourly window leaves it (epoch s): the end of
    /// the oldest counted minute plus an hour.
    public func countedWindowFrees(id: String, now: Int64) throws -> Int64? {
        try connection.query("""
            SELECT min(minute) FROM partner_usage_minutes
            WHERE partner_id = $1::uuid AND minute > $2::bigint - 60 AND created > 0
            """, [id, Self.minute(of: now)]).first?.optional(Int64.self, 0).map { ($0 + 60) * 60 }
    }

    /// Deletes counter rows that no hourly window can reach any more; the sweep calls it.
    @discardableResult
    public func pruneUsageCounters(now: Int64) throws -> Int {
        try connection.query(
            "DELETE FROM partner_usage_minutes WHERE minute <= $1::bigint - 120 RETURNING 1", [Self.minute(of: now)]).count
    }

    static func minute(of epochSeconds: Int64) -> Int64 {
        epochSeconds >= 0 ? epochSeconds / 60 : (epochSeconds - 59) / 60
    }

    /// Usage counted from the reservations themselves (no counters to drift).
    public func usage(id: String, now: Int64) throws -> PartnerUsage {
        let row = try connection.query("""
            SELECT
              (SELECT count(*) FROM reservations WHERE partner_id = $1::uuid AND created_at > to_timestamp($2) - interval '1 hour'),
              (SELECT count(*) FROM reservations
                 WHERE partner_id = $1::uuid AND deadline IS NOT NULL AND deadline > to_timestamp($2))
            """, [id, now]).first!
        return PartnerUsage(createdLastHour: try row.int(0), activeHolds: try row.int(1))
    }

    /// Outcomes of the reservations a partner created in the last `days` days.
    public func reputation(id: String, days: Int = 7, now: Int64) throws -> PartnerReputation {
        let row = try connection.query("""
            SELECT count(*),
                   count(*) FILTER (WHERE state = 'COMMITTED'),
                   count(*) FILTER (WHERE state = 'EXPIRED' OR (deadline IS NOT NULL AND deadline <= to_timestamp($3))),
                   count(*) FILTER (WHERE state = 'CANCELLED'),
                   count(*) FILTER (WHERE state LIKE 'FAILED\\_%'),
                   count(*) FILTER (WHERE deadline IS NOT NULL AND deadline > to_timestamp($3))
            FROM reservations
            WHERE partner_id = $1::uuid AND created_at > to_timestamp($3) - make_interval(days => $2)
            """, [id, days, now]).first!
        return PartnerReputation(
            days: days, holds: try row.int(0), committed: try row.int(1), expired: try row.int(2),
            cancelled: try row.int(3), failed: try row.int(4), active: try row.int(5))
    }
}
