import BookijiCore
import Postgres

/// API keys vendors use to answer confirmation requests (`bookiji vendor key create`).
public struct VendorKeyStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// Creates a key for the vendor and returns it (shown once; only its hash is stored).
    public func create(vendorID: String) throws -> (id: String, key: String)? {
        guard UUIDText.isValid(vendorID), try VendorStore(connection: connection).find(id: vendorID) != nil else { return nil }
        let key = "bkv_" + String(APIKey.generate().dropFirst(3))
        let id = try connection.query("""
            INSERT INTO vendor_api_keys (vendor_id, api_key_hash, api_key_prefix)
            VALUES ($1::uuid, $2::bytea, $3) RETURNING id::text
            """, [vendorID, APIKey.hashed(key), String(key.prefix(10))]).first!.string(0)
        return (id, key)
    }

    /// Revokes a vendor key by its id (the one `create` returned); the vendor id it belonged to,
    /// or nil when there is no such key. Revoking a revoked key keeps its first revocation time.
    /// The responder asks the database for every vendor request, so it stops working at once.
    public func revoke(id: String) throws -> String? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query(
            "UPDATE vendor_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid RETURNING vendor_id::text",
            [id]).first?.string(0)
    }

    /// A vendor's keys, oldest first: id, the key's first characters, and whether it is revoked.
    public func list(vendorID: String) throws -> [(id: String, prefix: String, revoked: Bool)] {
        guard UUIDText.isValid(vendorID) else { return [] }
        return try connection.query("""
            SELECT id::text, api_key_prefix, revoked_at IS NOT NULL FROM vendor_api_keys
            WHERE vendor_id = $1::uuid ORDER BY created_at, id
            """, [vendorID]).map { (try $0.string(0), try $0.string(1), try $0.bool(2)) }
    }

    /// The vendor id a live key belongs to.
    public func authenticate(apiKey: String) throws -> String? {
        guard apiKey.utf8.count <= 200 else { return nil }
        // Since migration 0022 a hash is unique per vendor only (a distributed database cannot
        // hold it unique across shards): a key two vendors hold would name neither.
        let rows = try connection.query("""
            SELECT vendor_id::text FROM vendor_api_keys
            WHERE api_key_hash = $1::bytea AND revoked_at IS NULL LIMIT 2
            """, [APIKey.hashed(apiKey)])
        return rows.count == 1 ? try rows.first?.string(0) : nil
    }
}
