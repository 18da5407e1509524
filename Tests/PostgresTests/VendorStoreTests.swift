import BookijiCore
import Postgres
import Store
import Testing

struct VendorStoreTests {
    private func makeStore() throws -> (VendorStore, PGConnection) {
        let connection = try TestDatabase(migrated: true).connect()
        return (VendorStore(connection: connection), connection)
    }

    private func vendorCount(_ connection: PGConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM vendors").first!.int(0)
    }

    @Test func createdVendorIsFoundWithItsFields() throws {
        let (store, _) = try makeStore()
        let vendor = try store.create(name: " Clinic ", timeZone: "America/New_York")
        #expect(vendor.name == "Clinic")
        #expect(vendor.timeZone == "America/New_York")
        #expect(vendor.revision == 1)
        #expect(UUIDText.isValid(vendor.id))
        #expect((try? RFC3339.parse(vendor.createdAt)) != nil)
        #expect(try store.find(id: vendor.id) == vendor)
        // A UUID is a UUID in either case.
        #expect(try store.find(id: vendor.id.uppercased())?.id == vendor.id)
    }

    @Test(arguments: ["Mars/Olympus_Mons", "CET", "GMT+1", "../etc/passwd", "/etc/localtime", "", "europe/berlin",
                      "Europe/Berlin/../../x"])
    func invalidTimeZoneIsRefusedNamingTheField(_ zone: String) throws {
        let (store, connection) = try makeStore()
        let error = #expect(throws: BookijiError.self) { try store.create(name: "Clinic", timeZone: zone) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.details["field"] == "timezone")
        #expect(error?.message.contains("'\(zone)'") == true)
        #expect(try vendorCount(connection) == 0)
    }

    @Test(arguments: ["", "  ", String(repeating: "v", count: 201)])
    func invalidNameIsRefusedNamingTheField(_ name: String) throws {
        let (store, connection) = try makeStore()
        let error = #expect(throws: BookijiError.self) { try store.create(name: name, timeZone: "Europe/Berlin") }
        #expect(error?.details["field"] == "name")
        #expect(try vendorCount(connection) == 0)
    }

    @Test(arguments: ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "", "'; DROP TABLE vendors; --",
                      "00000000-0000-0000-0000-00000000000g", "00000000000000000000000000000000000-",
                      "00000000-0000-0000-0000-0000000000000"])
    func unknownOrMalformedIdIsNil(_ id: String) throws {
        let (store, connection) = try makeStore()
        _ = try store.create(name: "Clinic", timeZone: "Europe/Berlin")
        #expect(try store.find(id: id) == nil)
        #expect(try vendorCount(connection) == 1)
    }
}
