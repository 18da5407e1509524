import BookijiCore
import Postgres

/// SQL for partners and their API keys.
public struct PartnerStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// Creates a partner and returns it with its API key. The key is shown only here: the
    /// database keeps its SHA-256.
    public func create(name: String) throws -> (partner: Partner, apiKey: String) {
        let trimmed = name.trimmingSpaces
        guard TextLimits.name.contains(trimmed), !trimmed.unicodeScalars.contains("\u{0}") else {
            throw BookijiError(.invalidParameter, "partner name must be 1 to 200 characters (code points), without NUL")
        }
        let key = APIKey.generate()
        let row = try connection.query("""
            INSERT INTO partners (name, api_key_hash, api_key_prefix)
            VALUES ($1, $2::bytea, $3)
            RETURNING \(Self.columns)
            """, [trimmed, APIKey.hashed(key), String(key.prefix(APIKey.prefixLength))]).first!
        return (try Self.partner(row), key)
    }

    /// Revokes a partner's key; returns false when no such partner exists.
    @discardableResult
    public func revoke(id: String) throws -> Bool {
        guard UUIDText.isValid(id) else { return false }
        let rows = try connection.query(
            "UPDATE partners SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid RETURNING id", [id])
        return !rows.isEmpty
    }

    /// The partner holding `apiKey`, if the key exists and is not revoked.
    public func authenticate(apiKey: String) throws -> Partner? {
        guard apiKey.utf8.count <= 200 else { return nil }
        let rows = try connection.query("""
            SELECT \(Self.columns) FROM partners
            WHERE api_key_hash = $1::bytea AND revoked_at IS NULL
            """, [APIKey.hashed(apiKey)])
        return try rows.first.map(Self.partner)
    }

    public func find(id: String) throws -> Partner? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT \(Self.columns) FROM partners WHERE id = $1::uuid", [id]).first.map(Self.partner)
    }

    public func list() throws -> [Partner] {
        try connection.query("SELECT \(Self.columns) FROM partners ORDER BY created_at, id").map(Self.partner)
    }

    static let columns = """
        id::text, name, api_key_prefix, \(SQLTime.rfc3339("created_at")), \(SQLTime.rfc3339("revoked_at")),
        (SELECT url FROM webhook_endpoints w WHERE w.partner_id = partners.id AND w.enabled AND w.deleted_at IS NULL
         ORDER BY w.created_at LIMIT 1)
        """

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
