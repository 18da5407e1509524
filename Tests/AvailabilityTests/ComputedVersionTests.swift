import Availability
import BookijiCore
import Testing

/// `computedVersion` changes exactly when something the answer depends on changes.
struct ComputedVersionTests {
    static let monday: Int64 = 1_780_869_600  // 2026-06-08T00:00 Europe/Berlin
    static let rules = VendorRules(
        timeZone: "Europe/Berlin", weeklyHours: WeeklyHours([LocalTimeRange("09:00", "17:00")], on: [.monday, .tuesday]),
        slotMinutes: 30, bufferBeforeMinutes: 10, bufferAfterMinutes: 10, minimumNoticeMinutes: 120, bookingHorizonDays: 30)
    static let busy = [
        BusyInterval(start: monday + 10 * 3600, end: monday + 11 * 3600, status: .busy, uid: "a"),
        BusyInterval(start: monday + 13 * 3600, end: monday + 13 * 3600 + 900, status: .tentative, uid: "b"),
    ]
    static let reserved = [UTCInterval(start: monday + 15 * 3600, end: monday + 15 * 3600 + 1800)]
    static let query = AvailabilityQuery(start: monday, end: monday + 2 * 86_400, now: monday - 86_400)

    static func version(
        rules: VendorRules = rules, busy: [BusyInterval] = busy, reserved: [UTCInterval] = reserved,
        query: AvailabilityQuery = query
    ) throws -> String {
        try AvailabilityEngine().compute(rules: rules, busy: busy, reserved: reserved, query: query).computedVersion
    }

    @Test func sameInputsGiveTheSameVersion() throws {
        let v = try Self.version()
        #expect(v == (try Self.version()))
        // 128 bits of SHA-256, base64url without padding.
        #expect(v.count == 22 && v.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        // Order, duplicates, uids and rule ordering are not inputs.
        let reshuffled = Self.busy.reversed().map { BusyInterval(interval: $0.interval, status: $0.status, uid: nil) }
        var reordered = Self.rules
        reordered.weeklyHours.monday = [LocalTimeRange("13:00", "17:00"), LocalTimeRange("09:00", "13:00")]
        #expect(try Self.version(busy: reshuffled + reshuffled) == v)
        #expect(try Self.version(rules: reordered) != v)  // touching intervals are a different rule text…
        #expect(try Self.version(rules: reordered) == (try Self.version(rules: reordered.with {
            $0.weeklyHours.monday.reverse()
        })))  // …but their order is not
    }

    @Test func everyAnswerRelevantChangeGivesANewVersion() throws {
        let base = try Self.version()
        var seen: Set<String> = [base]
        func expectNew(_ v: String, _ what: String) {
            #expect(!seen.contains(v), "\(what) did not change the version")
            seen.insert(v)
        }
        expectNew(try Self.version(busy: Self.busy + [BusyInterval(start: Self.monday + 16 * 3600, end: Self.monday + 16 * 3600 + 60, status: .busy)]), "extra busy minute")
        expectNew(try Self.version(busy: Self.busy.map { BusyInterval(interval: $0.interval, status: .tentative) }), "busy → tentative")
        expectNew(try Self.version(reserved: []), "hold released")
        expectNew(try Self.version(busy: [Self.busy[0]]), "tentative event removed")
        for (name, change) in [
            ("bufferBefore", { (r: inout VendorRules) in r.bufferBeforeMinutes = 15 }),
            ("bufferAfter", { (r: inout VendorRules) in r.bufferAfterMinutes = 0 }),
            ("notice", { (r: inout VendorRules) in r.minimumNoticeMinutes = 60 }),
            ("horizon", { (r: inout VendorRules) in r.bookingHorizonDays = 31 }),
            ("granule", { (r: inout VendorRules) in r.granuleMinutes = 10 }),
            ("zone", { (r: inout VendorRules) in r.timeZone = "Europe/Paris" }),
            ("hours", { (r: inout VendorRules) in r.weeklyHours.tuesday = [LocalTimeRange("09:00", "16:55")] }),
            ("override", { (r: inout VendorRules) in r.dateOverrides = [.closed(LocalDate(year: 2026, month: 7, day: 1))] }),
            ("default slot", { (r: inout VendorRules) in r.slotMinutes = 60 }),
        ] as [(String, (inout VendorRules) -> Void)] {
            expectNew(try Self.version(rules: Self.rules.with(change)), name)
        }
        var q = Self.query
        q.slotMinutes = 45
        expectNew(try Self.version(query: q), "slot length")
        q = Self.query
        q.onlyAvailable = true
        expectNew(try Self.version(query: q), "onlyAvailable")
        q = Self.query
        q.start += 300
        expectNew(try Self.version(query: q), "window start")
        q = Self.query
        q.end -= 300
        expectNew(try Self.version(query: q), "window end")
    }

    @Test func nowMattersOnlyThroughTheNoticeAndHorizonGranules() throws {
        var q = Self.query
        // Notice boundary (now + 2h) inside the window on Monday: moving now within one granule
        // keeps the version; crossing into the next granule changes it.
        q.now = Self.monday + 8 * 3600 + 1  // boundary 10:00:01 → rounds up to 10:05
        let a = try Self.version(query: q)
        q.now = Self.monday + 8 * 3600 + 299  // still rounds to 10:05
        #expect(try Self.version(query: q) == a)
        q.now = Self.monday + 8 * 3600 + 301  // 10:10
        #expect(try Self.version(query: q) != a)
        // Both boundaries outside the window (notice before it, horizon after it): now can move
        // by hours without changing the version.
        q.now = Self.monday - 5 * 86_400
        let b = try Self.version(query: q)
        q.now = Self.monday - 4 * 86_400 - 7 * 3600
        #expect(try Self.version(query: q) == b)
        // Horizon boundary inside the window: now + 30 days lands on Tuesday.
        q.now = Self.monday + 86_400 - 30 * 86_400 + 12 * 3600
        let c = try Self.version(query: q)
        q.now += 300
        #expect(try Self.version(query: q) != c)
    }

    @Test func busyTimeOutsideTheWindowAndItsBuffersIsNotAnInput() throws {
        let base = try Self.version()
        let farAway = BusyInterval(start: Self.monday + 5 * 86_400, end: Self.monday + 5 * 86_400 + 3600, status: .busy)
        #expect(try Self.version(busy: Self.busy + [farAway]) == base)
        // Ending 10 minutes before the window still counts: it falls in the before-buffer.
        let justBefore = BusyInterval(start: Self.monday - 3600, end: Self.monday - 300, status: .busy)
        #expect(try Self.version(busy: Self.busy + [justBefore]) != base)
        let tooEarly = BusyInterval(start: Self.monday - 3600, end: Self.monday - 600, status: .busy)
        #expect(try Self.version(busy: Self.busy + [tooEarly]) == base)
    }
}
