import Availability
import BookijiCore
import Store

/// Vendors as partners see them.
public struct VendorDirectory {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates a vendor in a zone tzdata knows, aliases included (`CET`, `US/Eastern`); a
    /// misspelt zone is refused with the nearest name (`Europe/Berln`: did you mean Europe/Berlin?).
    public func create(name: String, timeZone: String) throws -> Vendor {
        guard TimeZoneNames.isKnown(timeZone) else {
            throw BookijiError(.invalidParameter, TimeZoneNames.unknownMessage(timeZone), details: ["field": "timeZone"])
        }
        return try database.read { try VendorStore($0).create(name: name, timeZone: timeZone, zoneValidated: true) }
    }

    /// Every vendor, oldest first.
    public func list() throws -> [Vendor] {
        try database.read { try VendorStore($0).list() }
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
