import BookijiCore
import Postgres

/// A partner's abuse limits and current usage (spec: "Abuse Prevention").
public struct PartnerLimits: Sendable, Hashable {
    public var reservationsPerHour: Int
    public var maxActiveHolds: Int
}

public struct PartnerUsage: Sendable, Hashable {
    /// Reservations created in the last hour.
    public var createdLastHour: Int
    /// Creation time (epoch s) of the oldest of those, to say when the window frees up.
    public var oldestInHour: Int64?
    /// Active reservations before their deadline.
    public var activeHolds: Int
}

/// A partner's hold-to-commit reputation over a period.
public struct PartnerReputation: Sendable, Hashable {
    public var days: Int
    public var holds: Int
    public var committed: Int
    public var expired: Int
    public var cancelled: Int
    public var failed: Int
    public var active: Int
    /// committed / holds, or nil with no holds.
    public var holdToCommitRatio: Double? { holds > 0 ? Double(committed) / Double(holds) : nil }
}

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

    /// Usage counted only as far as the limits: each count stops at its limit, so checking a
    /// partner costs at most `limit` index entries however many reservations it has made.
    /// (The check is not serialised per partner: concurrent holds may overshoot a limit by the
    /// number in flight, which keeps one partner's holds from queueing behind each other.)
    public func usage(id: String, now: Int64, countingUpTo limits: PartnerLimits) throws -> PartnerUsage {
        let row = try connection.query("""
            SELECT
              (SELECT count(*) FROM (SELECT 1 FROM reservations
                 WHERE partner_id = $1::uuid AND created_at > to_timestamp($2) - interval '1 hour' LIMIT $3) recent),
              (SELECT count(*) FROM (SELECT 1 FROM reservations
                 WHERE partner_id = $1::uuid AND deadline IS NOT NULL AND deadline > to_timestamp($2) LIMIT $4) active)
            """, [id, now, limits.reservationsPerHour, limits.maxActiveHolds]).first!
        var usage = PartnerUsage(createdLastHour: try row.int(0), oldestInHour: nil, activeHolds: try row.int(1))
        if usage.createdLastHour >= limits.reservationsPerHour {
            // Only a refused partner needs to know when the window frees up.
            usage.oldestInHour = try connection.query("""
                SELECT extract(epoch FROM created_at)::bigint FROM reservations
                WHERE partner_id = $1::uuid AND created_at > to_timestamp($2) - interval '1 hour'
                ORDER BY created_at LIMIT 1
                """, [id, now]).first?.int64(0)
        }
        return usage
    }

    /// Usage counted from the reservations themselves (no counters to drift).
    public func usage(id: String, now: Int64) throws -> PartnerUsage {
        let row = try connection.query("""
            SELECT
              (SELECT count(*) FROM reservations WHERE partner_id = $1::uuid AND created_at > to_timestamp($2) - interval '1 hour'),
              (SELECT extract(epoch FROM min(created_at))::bigint FROM reservations
                 WHERE partner_id = $1::uuid AND created_at > to_timestamp($2) - interval '1 hour'),
              (SELECT count(*) FROM reservations
                 WHERE partner_id = $1::uuid AND deadline IS NOT NULL AND deadline > to_timestamp($2))
            """, [id, now]).first!
        return PartnerUsage(createdLastHour: try row.int(0), oldestInHour: try row.optional(Int64.self, 1), activeHolds: try row.int(2))
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
