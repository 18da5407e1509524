import BookijiCore
import Postgres
import Store
import Testing

struct VendorStoreTests {
    private func makeStore() throws -> (VendorStore, PGConnection) {
        let connection = try TestDatabase(migrated: true).connect()
        return (VendorStore(Session(connection)), connection)
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

    /// The rules travel with the occupancy unless the caller already holds them for the
    /// vendor's current revision; a rules change moves the revision, so they travel again.
    @Test func occupancyLeavesOutRulesOnlyForTheKnownRevision() throws {
        let (store, _) = try makeStore()
        let vendor = try store.create(name: "Clinic", timeZone: "Europe/Berlin")
        let rules = #"{"slotMinutes":30,"timeZone":"Europe/Berlin"}"#
        let set = try #require(try store.setRules(id: vendor.id, rulesJSON: rules, timeZone: "Europe/Berlin"))
        let span = UTCInterval(start: 1_796_000_000, end: 1_796_600_000)
        let fresh = try #require(try store.occupancy(id: vendor.id, overlapping: span, now: 0))
        #expect(!fresh.rulesOmitted)
        #expect(fresh.vendor.rulesJSON != nil)
        #expect(fresh.vendor.revision == set.revision)
        let known = try #require(try store.occupancy(id: vendor.id, overlapping: span, now: 0, knownRulesRevision: set.revision))
        #expect(known.rulesOmitted)
        #expect(known.vendor.rulesJSON == nil)
        #expect(known.vendor.revision == set.revision)
        let older = try #require(try store.occupancy(id: vendor.id, overlapping: span, now: 0, knownRulesRevision: set.revision - 1))
        #expect(!older.rulesOmitted)
        #expect(older.vendor.rulesJSON == fresh.vendor.rulesJSON)
        try store.bumpRevision(id: vendor.id)
        let bumped = try #require(try store.occupancy(id: vendor.id, overlapping: span, now: 0, knownRulesRevision: set.revision))
        #expect(!bumped.rulesOmitted)
        #expect(bumped.vendor.revision == set.revision + 1)
    }

    /// The read's rows share their columns (an interval's or a reservation's numbers sit in the
    /// vendor's): each comes back with its own fields, only what overlaps the span, and a hold
    /// whose deadline has passed by `now` as stale.
    @Test func occupancyCarriesEachIntervalAndReservationWithItsFields() throws {
        let (store, connection) = try makeStore()
        let vendor = try store.create(name: "Clinic", timeZone: "UTC")
        _ = try store.setPayments(id: vendor.id, VendorPayments(stripeAccount: "acct_1", currency: "eur", price: 100, deposit: 10))
        let partner = try PartnerStore(Session(connection)).create(name: "Partner").partner
        let day: Int64 = 1_796_083_200  // 2026-12-01T00:00:00Z
        let calendars = CalendarStore(Session(connection))
        let source = try calendars.findOrCreateSource(vendorID: vendor.id, name: "work", kind: .icsFile)
        try connection.transaction { _ in
            try calendars.replaceIntervals(
                source: source, covered: UTCInterval(start: day - 86_400, end: day + 2 * 86_400),
                intervals: [
                    BusyInterval(start: day + 9 * 3600, end: day + 10 * 3600, status: .busy),
                    BusyInterval(start: day + 11 * 3600, end: day + 11 * 3600 + 1800, status: .tentative),
                    BusyInterval(start: day + 30 * 3600, end: day + 31 * 3600, status: .busy),  // next day
                ],
                contentDigest: nil)
        }
        let reservations = ReservationStore(Session(connection))
        func hold(at hour: Int64, placedAt: Int64) throws -> ReservationRecord {
            try reservations.insertAwaitingConfirmation(
                ReservationStore.NewReservation(
                    partnerID: partner.id, vendorID: vendor.id, requesterID: "r", slot: UTCInterval(start: day + hour * 3600, end: day + (hour + 1) * 3600),
                    metadataJSON: "{}", idempotencyKey: nil),
                now: placedAt, notificationReason: "test", notificationTopic: "test")
        }
        let now = day + 8 * 3600
        let fresh = try hold(at: 14, placedAt: now - 60)
        let old = try hold(at: 15, placedAt: now - 86_400)

        let read = try #require(try store.occupancy(id: vendor.id, overlapping: UTCInterval(start: day, end: day + 86_400), now: now))
        #expect(read.vendor.id == vendor.id)
        #expect(read.vendor.name == "Clinic")
        #expect(read.vendor.timeZone == "UTC")
        #expect(read.vendor.createdAt == vendor.createdAt)
        #expect(read.busy.sorted() == [
            BusyInterval(start: day + 9 * 3600, end: day + 10 * 3600, status: .busy),
            BusyInterval(start: day + 11 * 3600, end: day + 11 * 3600 + 1800, status: .tentative),
        ])
        #expect(read.holds.map(\.id) == [fresh.id])
        #expect(read.holds.first?.interval == UTCInterval(start: day + 14 * 3600, end: day + 15 * 3600))
        #expect(read.holds.first?.deadline == fresh.deadline)
        #expect(read.stale.map(\.id) == [old.id])
        #expect(read.stale.first?.deadline == old.deadline)
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
