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
        // Eight columns per row: the kind, then the vendor's columns on its row (kind 3 when its
        // rules were left out, 0 when they were sent). An interval or a reservation reuses them:
        // its text in the vendor's first column, its start, end and deadline in the vendor's
        // three numbers. (With a column of its own for each, every row had 13 columns, and
        // pgbench ran the statement 10-15% slower: more to project and to send.)
        let rows = try connection.query("""
            SELECT CASE WHEN revision = $4::bigint THEN 3 ELSE 0 END, \(Self.columnsBeforeRules),
                   CASE WHEN revision = $4::bigint THEN NULL ELSE rules::text END
            FROM vendors WHERE id = $1::uuid
            UNION ALL
            SELECT 1, status, NULL, NULL,
                   extract(epoch FROM lower(period))::bigint, extract(epoch FROM upper(period))::bigint, NULL, NULL
            FROM calendar_intervals
            WHERE vendor_id = $1::uuid AND period && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
            UNION ALL
            SELECT 2, id::text, NULL, NULL,
                   extract(epoch FROM lower(slot))::bigint, extract(epoch FROM upper(slot))::bigint,
                   extract(epoch FROM deadline)::bigint, NULL
            FROM reservations
            WHERE vendor_id = $1::uuid AND reservation_blocks_slot(state)
              AND slot && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
            """, [id, span.start, span.end, knownRulesRevision])
        var vendor: Vendor?
        var rulesOmitted = false
        var busy: [BusyInterval] = [], holds: [BlockingReservation] = [], stale: [BlockingReservation] = []
        busy.reserveCapacity(rows.count)
        let (text, start, end, deadline) = (1, 4, 5, 6)
        for row in rows {
            let kind = try row.int(0)
            switch kind {
            case 1:
                busy.append(BusyInterval(
                    start: try row.int64(start), end: try row.int64(end),
                    status: try row.string(text) == "tentative" ? .tentative : .busy))
            case 2:
                let reservation = BlockingReservation(
                    id: try row.string(text),
                    interval: UTCInterval(start: try row.int64(start), end: try row.int64(end)),
                    deadline: try row.optional(Int64.self, deadline))
                // A hold stops blocking at its deadline, before any sweeper has run.
                if let deadline = reservation.deadline, deadline <= now {
                    stale.append(reservation)
                } else {
                    holds.append(reservation)
                }
            case 0, 3:
                vendor = try Self.vendor(row, from: 1)
                rulesOmitted = kind == 3
            default:
                throw StoreError(.invalidData, "availability read returned a row of unknown kind \(kind)")
            }
        }
        return vendor.map { VendorOccupancy(vendor: $0, busy: busy, holds: holds, stale: stale, rulesOmitted: rulesOmitted) }
    }
}
