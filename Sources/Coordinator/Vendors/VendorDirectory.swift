import BookijiCore
import Store

/// Vendors as partners see them.
public struct VendorDirectory {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The vendor, or nil for an unknown id.
    public func vendor(id: String) throws -> Vendor? {
        try database.read { try VendorStore($0).find(id: id) }
    }
}
