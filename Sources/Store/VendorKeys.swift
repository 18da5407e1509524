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
            VALUES ($1::uuid, sha256(convert_to($2, 'UTF8')), $3) RETURNING id::text
            """, [vendorID, key, String(key.prefix(10))]).first!.string(0)
        return (id, key)
    }

    /// The vendor id a live key belongs to.
    public func authenticate(apiKey: String) throws -> String? {
        guard apiKey.utf8.count <= 200 else { return nil }
        return try connection.query("""
            SELECT vendor_id::text FROM vendor_api_keys
            WHERE api_key_hash = sha256(convert_to($1, 'UTF8')) AND revoked_at IS NULL
            """, [apiKey]).first?.string(0)
    }
}
