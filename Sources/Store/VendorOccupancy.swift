import BookijiCore
import Postgres

/// A vendor and everything that occupies its time near a span, read by one statement and so
/// from one snapshot: the revision it carries matches the intervals and reservations with it.
public struct VendorOccupancy: Sendable {
    public var vendor: Vendor
    /// Calendar intervals overlapping the span, without their UIDs (availability does not
    /// depend on them, and each would be one more string to send and read).
    public var busy: [BusyInterval]
    /// Reservations overlapping the span that block their slot at `now`.
    public var holds: [BlockingReservation]
    /// Active reservations overlapping the span whose deadline has passed but that nobody has
    /// recorded as EXPIRED yet. They no longer block, but the exclusion constraint still sees
    /// them until they are expired.
    public var stale: [BlockingReservation]
    /// The rules were left out because the caller holds them for this revision already
    /// (`vendor.rulesJSON` is nil then, which otherwise means the default rules).
    public var rulesOmitted: Bool
}

extension VendorStore {
    /// The vendor with its calendar intervals and slot-blocking reservations overlapping
    /// `span`, or nil for an unknown vendor. One statement, one round trip, one snapshot.
    ///
    /// When the vendor's revision is `knownRulesRevision`, its rules document (about 700 bytes of
    /// JSON for PostgreSQL to print and for the caller to read and hash) is not sent; see
    /// ``VendorOccupancy/rulesOmitted``.
    public func occupancy(
        id: String, overlapping span: UTCInterval, now: Int64, knownRulesRevision: Int64? = nil
    ) throws -> VendorOccupancy? {
        guard UUIDText.isValid(id) else { return nil }
        // Every row has the same columns: the kind, the vendor's columns (filled on its one
        // row), then three numbers and a text for an interval or a reservation. On the vendor's
        // row the middle number is 1 when its rules were left out.
        let rows = try connection.query("""
            SELECT 0, \(Self.columnsBeforeRules), CASE WHEN revision = $4::bigint THEN NULL ELSE rules::text END,
                   NULL::bigint, NULL::bigint, CASE WHEN revision = $4::bigint THEN 1 END, NULL::text
            FROM vendors WHERE id = $1::uuid
            UNION ALL
            SELECT 1, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text,
                   extract(epoch FROM lower(period))::bigint, extract(epoch FROM upper(period))::bigint, NULL::bigint,
                   status
            FROM calendar_intervals
            WHERE vendor_id = $1::uuid AND period && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
            UNION ALL
            SELECT 2, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text,
                   extract(epoch FROM lower(slot))::bigint, extract(epoch FROM upper(slot))::bigint,
                   extract(epoch FROM deadline)::bigint, id::text
            FROM reservations
            WHERE vendor_id = $1::uuid AND reservation_blocks_slot(state)
              AND slot && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
            """, [id, span.start, span.end, knownRulesRevision])
        var vendor: Vendor?
        var rulesOmitted = false
        var busy: [BusyInterval] = [], holds: [BlockingReservation] = [], stale: [BlockingReservation] = []
        busy.reserveCapacity(rows.count)
        let values = 8
        for row in rows {
            switch try row.int(0) {
            case 0:
                vendor = try Self.vendor(row, from: 1)
                rulesOmitted = try row.optional(Int64.self, values + 2) == 1
            case 1:
                busy.append(BusyInterval(
                    start: try row.int64(values), end: try row.int64(values + 1),
                    status: try row.string(values + 3) == "tentative" ? .tentative : .busy))
            default:
                let reservation = BlockingReservation(
                    id: try row.string(values + 3),
                    interval: UTCInterval(start: try row.int64(values), end: try row.int64(values + 1)),
                    deadline: try row.optional(Int64.self, values + 2))
                // A hold stops blocking at its deadline, before any sweeper has run.
                if let deadline = reservation.deadline, deadline <= now {
                    stale.append(reservation)
                } else {
                    holds.append(reservation)
                }
            }
        }
        return vendor.map { VendorOccupancy(vendor: $0, busy: busy, holds: holds, stale: stale, rulesOmitted: rulesOmitted) }
    }
}
