import BookijiCore
import Store

/// Who is calling: API keys looked up by their hash.
public struct AccessControl {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The partner whose live key this is, or nil for an unknown or revoked key.
    public func partner(forKey apiKey: String) throws -> Partner? {
        try database.read { try PartnerStore($0).authenticate(apiKey: apiKey) }
    }

    /// The vendor whose live key this is, or nil for an unknown or revoked key.
    public func vendorID(forKey apiKey: String) throws -> String? {
        try database.read { try VendorKeyStore($0).authenticate(apiKey: apiKey) }
    }
}
