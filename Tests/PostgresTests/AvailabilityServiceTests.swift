import Availability
import BookijiCore
import Coordinator
import Postgres
import Store
import Testing

/// What the availability service hands the cache: an answer is valid until time alone changes it.
struct AvailabilityServiceTests {
    /// Monday 2029-11-26, Berlin (UTC+1): working 09:00-17:00 local, 08:00-16:00Z.
    static let monday: Int64 = 1_890_345_600  // 2029-11-26T00:00:00Z

    @Test func validUntilIsWhenNoticeNextMovesInTheWindow() throws {
        let database = try TestDatabase(migrated: true)
        let vendors = VendorStore(Session(try database.connect()))
        let vendor = try vendors.create(name: "Clinic", timeZone: "Europe/Berlin")
        let rules = #"{"timeZone":"Europe/Berlin","weeklyHours":{"monday":[{"start":"09:00","end":"17:00"}]},"slotMinutes":30,"minimumNoticeMinutes":120,"bookingHorizonDays":3660}"#
        _ = try #require(try vendors.setRules(id: vendor.id, rulesJSON: rules, timeZone: "Europe/Berlin"))
        #expect(try RFC3339.parse("2029-11-26T00:00:00Z") == Self.monday)
        let service = AvailabilityService(database: Database(url: database.url))
        let window = (start: Self.monday + 8 * 3600, end: Self.monday + 16 * 3600)

        // Now is 09:07Z: notice reaches 11:07Z, inside the window; it moves on at the next
        // 5-minute granule boundary, 11:10Z, so the answer holds until 09:10Z and one second.
        let now = Self.monday + 9 * 3600 + 7 * 60
        let crossing = try service.compute(
            vendorID: vendor.id, query: AvailabilityQuery(start: window.start, end: window.end, now: now))
        let changesAt = try #require(crossing.result.changesAt)
        #expect(changesAt == Self.monday + 9 * 3600 + 10 * 60 + 1)
        #expect(crossing.validUntil == changesAt)

        // A week earlier the window is far from notice; the horizon is years away. It holds
        // until notice reaches its first slot.
        let earlier = try service.compute(
            vendorID: vendor.id, query: AvailabilityQuery(start: window.start, end: window.end, now: now - 7 * 86_400))
        #expect(earlier.validUntil == window.start - 120 * 60 + 1)
    }
}
