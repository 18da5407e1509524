import BookijiCore
import Postgres

/// SQL for partners. Their API keys live in `partner_api_keys` (``PartnerKeyStore``): a partner
/// may hold several, so a key is rotated without revoking the partner.
public struct PartnerStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// Creates a partner with its first API key and returns both. The key is shown only here:
    /// the database keeps its SHA-256.
    public func create(name: String) throws -> (partner: Partner, apiKey: String) {
        let trimmed = name.trimmingSpaces
        guard TextLimits.name.contains(trimmed), !trimmed.unicodeScalars.contains("\u{0}") else {
            throw BookijiError(.invalidParameter, "partner name must be 1 to 200 characters (code points), without NUL")
        }
        let key = APIKey.generate()
        let row = try connection.query("""
            WITH created AS (INSERT INTO partners (name) VALUES ($1) RETURNING id, name, created_at, revoked_at),
                 k AS (INSERT INTO partner_api_keys (partner_id, api_key_hash, api_key_prefix)
                       SELECT id, $2::bytea, $3 FROM created RETURNING partner_id)
            SELECT created.id::text, created.name, $3::text, \(SQLTime.rfc3339("created.created_at")),
                   \(SQLTime.rfc3339("created.revoked_at")), NULL::text
            FROM created JOIN k ON k.partner_id = created.id
            """, [trimmed, APIKey.hashed(key), String(key.prefix(APIKey.prefixLength))]).first!
        return (try Self.partner(row), key)
    }

    /// Revokes the partner: every key it holds is refused from then on. Returns false when no
    /// such partner exists.
    @discardableResult
    public func revoke(id: String) throws -> Bool {
        guard UUIDText.isValid(id) else { return false }
        let rows = try connection.query(
            "UPDATE partners SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid RETURNING id", [id])
        return !rows.isEmpty
    }

    /// The partner holding `apiKey`, if the key is live (not revoked, not past its expiry) and
    /// the partner is not revoked.
    public func authenticate(apiKey: String) throws -> Partner? {
        try authenticateKey(apiKey: apiKey)?.partner
    }

    /// The partner holding `apiKey` and when the key stops working (epoch milliseconds; nil when
    /// it has no expiry), so a cache of the answer never outlives the key.
    public func authenticateKey(apiKey: String) throws -> (partner: Partner, expiresAtMillis: Int64?)? {
        guard apiKey.utf8.count <= 200 else { return nil }
        let rows = try connection.query("""
            SELECT \(Self.columns), \(SQLTime.rfc3339("k.expires_at"))
            FROM partner_api_keys k JOIN partners ON partners.id = k.partner_id
            WHERE k.api_key_hash = $1::bytea AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
              AND partners.revoked_at IS NULL
            """, [APIKey.hashed(apiKey)])
        return try rows.first.map { (try Self.partner($0), try $0.optional(Int64.self, Self.columnCount)) }
    }

    public func find(id: String) throws -> Partner? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT \(Self.columns) FROM partners WHERE id = $1::uuid", [id]).first.map(Self.partner)
    }

    public func list() throws -> [Partner] {
        try connection.query("SELECT \(Self.columns) FROM partners ORDER BY created_at, id").map(Self.partner)
    }

    /// The partner's columns; `keyPrefix` is its newest live key's (empty when it has none).
    static let columns = """
        partners.id::text, partners.name,
        coalesce((SELECT api_key_prefix FROM partner_api_keys l WHERE l.partner_id = partners.id AND l.revoked_at IS NULL
                  AND (l.expires_at IS NULL OR l.expires_at > now()) ORDER BY l.created_at DESC, l.id DESC LIMIT 1), ''),
        \(SQLTime.rfc3339("partners.created_at")), \(SQLTime.rfc3339("partners.revoked_at")),
        (SELECT url FROM webhook_endpoints w WHERE w.partner_id = partners.id AND w.enabled AND w.deleted_at IS NULL
         ORDER BY w.created_at LIMIT 1)
        """
    static let columnCount = 6

    static func partner(_ row: PGRow) throws -> Partner {
        Partner(
            id: try row.string(0), name: try row.string(1), keyPrefix: try row.string(2),
            createdAt: try SQLTime.text(row, 3), revokedAt: try SQLTime.optionalText(row, 4),
            webhookURL: try row.optional(String.self, 5))
    }
}

/// API keys: `bk_` and 40 characters of base62 from the system's secure generator (~238 bits).
enum APIKey {
    static let prefixLength = 9

    /// The stored form of a key: SHA-256 of its UTF-8 bytes, as a `bytea` parameter (`\x` and
    /// hex). Hashed here, not in SQL, so the key itself never reaches the server, where a
    /// statement log (`log_statement`, `auto_explain`, an error's parameters) would keep it.
    /// The same bytes `sha256(convert_to(key, 'UTF8'))` gave, so stored hashes stay valid.
    static func hashed(_ key: String) -> String {
        "\\x" + SHA256.hash(key.utf8).hexString
    }

    static func generate() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return "bk_" + String((0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
