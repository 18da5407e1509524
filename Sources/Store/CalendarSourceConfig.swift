import BookijiCore
import Postgres

/// What an `ics_url` source remembers about its feed between syncs, kept in
/// `calendar_sources.config`: the URL, the HTTP validators of the last response, and the SHA-256
/// of the last body, so a `304 Not Modified` can be checked against the stored content digest.
public struct ICSFeedState: Sendable, Hashable {
    public var url: String?
    public var etag: String?
    public var lastModified: String?
    /// Lowercase hex SHA-256 of the last body that was imported.
    public var bodyDigest: String?

    public init(url: String? = nil, etag: String? = nil, lastModified: String? = nil, bodyDigest: String? = nil) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.bodyDigest = bodyDigest
    }
}

extension CalendarStore {
    /// The feed state kept in the source's config (all nil for a source never fetched).
    public func feedState(sourceID: String) throws -> ICSFeedState {
        guard let row = try connection.query("""
            SELECT config->>'url', config->>'etag', config->>'lastModified', config->>'bodyDigest'
            FROM calendar_sources WHERE id = $1::uuid
            """, [sourceID]).first
        else { return ICSFeedState() }
        return ICSFeedState(
            url: try row.optional(String.self, 0), etag: try row.optional(String.self, 1),
            lastModified: try row.optional(String.self, 2), bodyDigest: try row.optional(String.self, 3))
    }

    /// Replaces the feed keys of the source's config; a nil field removes its key (a response
    /// without an ETag must not leave the previous one to be sent again). Other keys are kept.
    public func setFeedState(sourceID: String, _ state: ICSFeedState) throws {
        try connection.query("""
            UPDATE calendar_sources
            SET config = (config - 'url' - 'etag' - 'lastModified' - 'bodyDigest')
                || jsonb_strip_nulls(jsonb_build_object(
                    'url', $2::text, 'etag', $3::text, 'lastModified', $4::text, 'bodyDigest', $5::text))
            WHERE id = $1::uuid
            """, [sourceID, state.url, state.etag, state.lastModified, state.bodyDigest])
    }

    /// Re-reads the source and locks its row until the transaction ends, so two imports into the
    /// same source take turns and each compares its digest with what the other committed.
    public func lockSource(id: String) throws -> CalendarSource? {
        try connection.query("SELECT \(Self.columns) FROM calendar_sources WHERE id = $1::uuid FOR UPDATE", [id])
            .first.map(Self.source)
    }

    /// Number of stored intervals per source id of the vendor (sources without any are absent).
    public func intervalCounts(vendorID: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try connection.query(
            "SELECT source_id::text, count(*) FROM calendar_intervals WHERE vendor_id = $1::uuid GROUP BY source_id",
            [vendorID])
        {
            counts[try row.string(0)] = try row.int(1)
        }
        return counts
    }
}
