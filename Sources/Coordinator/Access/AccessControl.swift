import BookijiCore
import Store

/// Who is calling: API keys looked up by their hash.
public struct AccessControl {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The partner whose live key this is and when the key stops working (epoch milliseconds,
    /// nil for a key without an expiry), or nil for an unknown, revoked or expired key.
    public func partnerKey(_ apiKey: String) throws -> (partner: Partner, expiresAtMillis: Int64?)? {
        try database.read { try PartnerStore($0).authenticateKey(apiKey: apiKey) }
    }

    /// The vendor whose live key this is, or nil for an unknown or revoked key.
    public func vendorID(forKey apiKey: String) throws -> String? {
        try database.read { try VendorKeyStore($0).authenticate(apiKey: apiKey) }
    }
}
