import BookijiCore
import Store

/// Vendors as partners see them.
public struct VendorDirectory {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The vendor with its payment settings (nil when it has none), or nil for an unknown id.
    public func vendorWithPayments(id: String) throws -> (Vendor, VendorPayments?)? {
        try database.read { session in
            let vendors = VendorStore(session)
            return try vendors.find(id: id).map { ($0, try vendors.payments(id: id)) }
        }
    }

    /// Sets the vendor's payment settings after checking them; nil for an unknown vendor.
    public func setPayments(id: String, _ payments: VendorPayments) throws -> VendorPayments? {
        let valid = try payments.validated()
        return try database.read { try VendorStore($0).setPayments(id: id, valid) }
    }
}
