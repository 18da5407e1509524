import BookijiCore
import Postgres

/// One of a partner's API keys, as it may be shown: never the key, only its first characters.
public struct PartnerKey: Sendable, Hashable {
    public var id: String
    public var partnerID: String
    public var prefix: String
    public var createdAt: String
    /// When a rolled key (or one revoked for a later time) stops working.
    public var expiresAt: String?
    public var revokedAt: String?
    /// `active`, `expiring` (active, with an expiry ahead), `expired` or `revoked`, at the time it was read.
    public var status: String
}

/// SQL for partners' API keys (`partner_api_keys`, migration 0017): several per partner, each
/// revocable now or from a chosen time, so a partner rotates a key without downtime.
public struct PartnerKeyStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// Creates a key for the partner and returns it (shown once; only its hash is stored), or
    /// nil for an unknown partner.
    public func create(partnerID: String) throws -> (key: PartnerKey, apiKey: String)? {
        guard UUIDText.isValid(partnerID) else { return nil }
        let apiKey = APIKey.generate()
        let rows = try connection.query("""
            INSERT INTO partner_api_keys AS k (partner_id, api_key_hash, api_key_prefix)
            SELECT id, $2::bytea, $3 FROM partners WHERE id = $1::uuid
            RETURNING \(Self.columns)
            """, [partnerID, APIKey.hashed(apiKey), String(apiKey.prefix(APIKey.prefixLength))])
        return try rows.first.map { (try Self.key($0), apiKey) }
    }

    /// Creates a new key and lets every other live key of the partner work until `oldValidUntil`
    /// (epoch seconds; a key already ending sooner keeps its earlier end). Nil for an unknown partner.
    public func roll(partnerID: String, oldValidUntil: Int64) throws -> (key: PartnerKey, apiKey: String, rolled: [PartnerKey])? {
        guard UUIDText.isValid(partnerID) else { return nil }
        let rolled = try connection.query("""
            UPDATE partner_api_keys k SET expires_at = least(coalesce(expires_at, 'infinity'), to_timestamp($2))
            WHERE partner_id = $1::uuid AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            RETURNING \(Self.columns)
            """, [partnerID, oldValidUntil]).map(Self.key)
        guard let (key, apiKey) = try create(partnerID: partnerID) else { return nil }
        return (key, apiKey, rolled)
    }

    /// Revokes one of the partner's keys: now, or from `at` (epoch seconds) when given and ahead.
    /// Revoking again keeps the first revocation; a later `at` never extends an earlier expiry.
    /// Nil when the partner holds no key with that id.
    public func revoke(partnerID: String, keyID: String, at: Int64?) throws -> PartnerKey? {
        guard UUIDText.isValid(partnerID), UUIDText.isValid(keyID) else { return nil }
        return try connection.query("""
            UPDATE partner_api_keys k SET
                revoked_at = CASE WHEN $3::bigint IS NULL OR to_timestamp($3) <= now() THEN coalesce(revoked_at, now()) ELSE revoked_at END,
                expires_at = CASE WHEN $3::bigint IS NOT NULL AND to_timestamp($3) > now()
                                  THEN least(coalesce(expires_at, 'infinity'), to_timestamp($3)) ELSE expires_at END
            WHERE id = $2::uuid AND partner_id = $1::uuid
            RETURNING \(Self.columns)
            """, [partnerID, keyID, at]).first.map(Self.key)
    }

    /// The partner's keys, oldest first.
    public func list(partnerID: String) throws -> [PartnerKey] {
        guard UUIDText.isValid(partnerID) else { return [] }
        return try connection.query(
            "SELECT \(Self.columns) FROM partner_api_keys k WHERE partner_id = $1::uuid ORDER BY created_at, id", [partnerID]
        ).map(Self.key)
    }

    static let columns = """
        k.id::text, k.partner_id::text, k.api_key_prefix, \(SQLTime.rfc3339("k.created_at")),
        \(SQLTime.rfc3339("k.expires_at")), \(SQLTime.rfc3339("k.revoked_at")),
        CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked' WHEN k.expires_at <= now() THEN 'expired'
             WHEN k.expires_at IS NOT NULL THEN 'expiring' ELSE 'active' END
        """

    static func key(_ row: PGRow) throws -> PartnerKey {
        PartnerKey(
            id: try row.string(0), partnerID: try row.string(1), prefix: try row.string(2), createdAt: try SQLTime.text(row, 3),
            expiresAt: try SQLTime.optionalText(row, 4), revokedAt: try SQLTime.optionalText(row, 5), status: try row.string(6))
    }
}
