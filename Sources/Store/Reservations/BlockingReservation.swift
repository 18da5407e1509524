import BookijiCore
import Postgres

/// A reservation that occupies its slot now: active and before its deadline, or committed.
public struct BlockingReservation: Sendable, Hashable {
    public var id: String
    public var interval: UTCInterval
    /// When it stops blocking by itself; nil for a committed booking.
    public var deadline: Int64?
}

extension ReservationStore {
    /// Reservations of `vendorID` overlapping `window` that block their slot at `now`. A hold
    /// past its deadline is not returned even before the sweeper has marked it EXPIRED.
    public func blockingIntervals(vendorID: String, overlapping window: UTCInterval, now: Int64) throws -> [BlockingReservation] {
        guard UUIDText.isValid(vendorID) else { return [] }
        return try connection.query("""
            SELECT id::text, extract(epoch FROM lower(slot))::bigint, extract(epoch FROM upper(slot))::bigint,
                   extract(epoch FROM deadline)::bigint
            FROM reservations
            WHERE vendor_id = $1::uuid AND reservation_blocks_slot(state)
              AND slot && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
              AND (deadline IS NULL OR deadline > to_timestamp($4))
            """, [vendorID, window.start, window.end, now]).map { row in
            BlockingReservation(
                id: try row.string(0), interval: UTCInterval(start: try row.int64(1), end: try row.int64(2)),
                deadline: try row.optional(Int64.self, 3))
        }
    }
}
