import BookijiCore
import Postgres

/// SQL for calendar sources and their busy intervals.
public struct CalendarStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// The store on a ``Session``'s connection.

    public func sources(vendorID: String) throws -> [CalendarSource] {
        try connection.query("SELECT \(Self.columns) FROM calendar_sources WHERE vendor_id = $1::uuid ORDER BY name", [vendorID])
            .map(Self.source)
    }

    public func source(vendorID: String, name: String) throws -> CalendarSource? {
        try connection.query(
            "SELECT \(Self.columns) FROM calendar_sources WHERE vendor_id = $1::uuid AND name = $2", [vendorID, name]
        ).first.map(Self.source)
    }

    /// The source named `name`, created with `kind` if the vendor has none by that name.
    /// An existing source of another kind is an error rather than a silent change of meaning.
    public func findOrCreateSource(vendorID: String, name: String, kind: CalendarSource.Kind) throws -> CalendarSource {
        if let existing = try source(vendorID: vendorID, name: name) {
            guard existing.kind == kind else {
                throw BookijiError(.invalidParameter, "calendar source '\(name)' is a \(existing.kind.rawValue) source, not \(kind.rawValue)")
            }
            return existing
        }
        return try Self.source(connection.query("""
            INSERT INTO calendar_sources (vendor_id, name, kind) VALUES ($1::uuid, $2, $3)
            ON CONFLICT (vendor_id, name) DO UPDATE SET name = EXCLUDED.name
            RETURNING \(Self.columns)
            """, [vendorID, name, kind.rawValue]).first!)
    }

    /// Replaces the source's intervals inside `covered` with `intervals`, records the sync, and
    /// bumps the vendor's revision. Call inside a transaction so a failure changes nothing.
    /// Intervals are clipped to `covered`: outside it the new content says nothing.
    public func replaceIntervals(
        source: CalendarSource, covered: UTCInterval, intervals: [BusyInterval], contentDigest: String?
    ) throws {
        // Remove the source's time inside the window; intervals straddling its edges keep the
        // parts outside it (the new content says nothing about those).
        try connection.query("""
            WITH gone AS (
                DELETE FROM calendar_intervals
                WHERE source_id = $1::uuid AND period && tstzrange(to_timestamp($2), to_timestamp($3), '[)')
                RETURNING source_id, vendor_id, period, status, uid
            )
            INSERT INTO calendar_intervals (source_id, vendor_id, period, status, uid)
            SELECT source_id, vendor_id, part, status, uid
            FROM gone, LATERAL (VALUES
                (period * tstzrange(NULL, to_timestamp($2), '[)')),
                (period * tstzrange(to_timestamp($3), NULL, '[)'))) AS p(part)
            WHERE NOT isempty(part)
            """, [source.id, covered.start, covered.end])
        let clipped = intervals.compactMap { interval -> BusyInterval? in
            var copy = interval
            copy.interval.start = max(interval.interval.start, covered.start)
            copy.interval.end = min(interval.interval.end, covered.end)
            return copy.interval.isEmpty ? nil : copy
        }
        // One statement per batch of rows: unnest of parallel arrays keeps values as parameters.
        for batch in stride(from: 0, to: clipped.count, by: 5_000) {
            let slice = clipped[batch..<min(batch + 5_000, clipped.count)]
            try connection.query("""
                INSERT INTO calendar_intervals (source_id, vendor_id, period, status, uid)
                SELECT $1::uuid, $2::uuid, tstzrange(to_timestamp(s), to_timestamp(e), '[)'), st, nullif(u, '')
                FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS t(s, e, st, u)
                """, [
                    source.id, source.vendorID,
                    PGArray(slice.map { String($0.interval.start) }),
                    PGArray(slice.map { String($0.interval.end) }),
                    PGArray(slice.map { $0.status.rawValue }),
                    PGArray(slice.map { $0.uid ?? "" }),
                ])
        }
        let newCovered = source.covered.map {
            UTCInterval(start: min($0.start, covered.start), end: max($0.end, covered.end))
        } ?? covered
        try connection.query("""
            UPDATE calendar_sources
            SET covered = tstzrange(to_timestamp($2), to_timestamp($3), '[)'), content_digest = $4,
                status = 'ok', last_synced_at = now(), last_error = NULL
            WHERE id = $1::uuid
            """, [source.id, newCovered.start, newCovered.end, contentDigest])
        try VendorStore(connection: connection).bumpRevision(id: source.vendorID)
    }

    /// Records a failed sync without touching the intervals.
    public func recordFailure(source: CalendarSource, error: String) throws {
        try connection.query(
            "UPDATE calendar_sources SET status = 'error', last_error = $2, last_synced_at = now() WHERE id = $1::uuid",
            [source.id, error])
    }

    /// Records a sync that found the content unchanged.
    public func recordUnchanged(source: CalendarSource) throws {
        try connection.query(
            "UPDATE calendar_sources SET status = 'ok', last_error = NULL, last_synced_at = now() WHERE id = $1::uuid",
            [source.id])
    }

    /// Replaces the source's whole config document (a connector source's settings and sealed tokens).
    public func setConfig(sourceID: String, json: String) throws {
        try connection.query("UPDATE calendar_sources SET config = $2::jsonb WHERE id = $1::uuid", [sourceID, json])
    }

    /// Every `google`/`outlook` source, optionally of one vendor, as (vendor id, name), in a stable order.
    public func connectorSources(vendorID: String? = nil) throws -> [(vendorID: String, name: String)] {
        let rows = try connection.query("""
            SELECT vendor_id::text, name FROM calendar_sources
            WHERE kind IN ('google', 'outlook') AND ($1::uuid IS NULL OR vendor_id = $1::uuid)
            ORDER BY vendor_id, name
            """, [vendorID])
        return try rows.map { (try $0.string(0), try $0.string(1)) }
    }

    /// Sources a scheduled sync should visit at `now` (epoch seconds): `google`/`outlook` sources
    /// and `ics_url` sources with a stored feed URL, never synced or last synced (successfully or
    /// not) at least their `sync_interval_seconds` ago; the longest-waiting first.
    public func dueSources(now: Int64) throws -> [CalendarSource] {
        try connection.query("""
            SELECT \(Self.columns) FROM calendar_sources
            WHERE (kind IN ('google', 'outlook') OR (kind = 'ics_url' AND config ? 'url'))
              AND (last_synced_at IS NULL
                   OR last_synced_at + make_interval(secs => sync_interval_seconds) <= to_timestamp($1))
            ORDER BY last_synced_at NULLS FIRST, vendor_id, name
            """, [now]).map(Self.source)
    }

    /// Sets how often a scheduled sync visits the source.
    public func setSyncInterval(sourceID: String, seconds: Int) throws {
        try connection.query(
            "UPDATE calendar_sources SET sync_interval_seconds = $2 WHERE id = $1::uuid", [sourceID, seconds])
    }

    static let columns = """
        id::text, vendor_id::text, name, kind, config::text,
        extract(epoch FROM lower(covered))::bigint, extract(epoch FROM upper(covered))::bigint,
        content_digest, status, \(SQLTime.rfc3339("last_synced_at")), last_error
        """

    static func source(_ row: PGRow) throws -> CalendarSource {
        let start = try row.optional(Int64.self, 5), end = try row.optional(Int64.self, 6)
        return CalendarSource(
            id: try row.string(0), vendorID: try row.string(1), name: try row.string(2),
            kind: CalendarSource.Kind(rawValue: try row.string(3)) ?? .icsFile, configJSON: try row.string(4),
            covered: start.flatMap { s in end.map { UTCInterval(start: s, end: $0) } },
            contentDigest: try row.optional(String.self, 7), status: try row.string(8),
            lastSyncedAt: try SQLTime.optionalText(row, 9), lastError: try row.optional(String.self, 10))
    }
}
