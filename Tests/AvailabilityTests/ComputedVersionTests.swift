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

    /// `changesAt` is exactly when the passage of time alone first gives another answer: the same
    /// version for every `now` before it, another one at it. Checked for a window that the notice
    /// boundary is crossing, one that only the horizon will reach, and one in the past.
    @Test(arguments: [
        (ComputedVersionTests.monday + 9 * 3600 + 123, Int64(0)),  // notice inside the window
        (ComputedVersionTests.monday - 31 * 86_400 + 7, Int64(0)),  // horizon short of the window
        (ComputedVersionTests.monday + 5 * 86_400, Int64(0)),  // window in the past: never
        (ComputedVersionTests.monday + 9 * 3600 + 123, Int64(600)),  // later nows of the same answers
    ])
    func changesAtIsWhenTimeAloneChangesTheAnswer(now: Int64, later: Int64) throws {
        func result(at now: Int64) throws -> AvailabilityResult {
            try AvailabilityEngine().compute(
                rules: Self.rules, busy: Self.busy, reserved: Self.reserved,
                query: AvailabilityQuery(start: Self.monday, end: Self.monday + 2 * 86_400, now: now))
        }
        let first = try result(at: now + later)
        guard let changesAt = first.changesAt else {
            #expect(now > Self.monday + 2 * 86_400, "only the past window never changes")
            let steps: [Int64] = [1, 3600, 86_400, 400 * 86_400]
            for step in steps {
                #expect(try result(at: now + later + step).computedVersion == first.computedVersion)
            }
            return
        }
        #expect(changesAt > now + later)
        let step = max(1, (changesAt - now - later) / 50)
        var t = now + later
        while t < changesAt {
            #expect(try result(at: t).computedVersion == first.computedVersion, "now \(t), changesAt \(changesAt)")
            t += step
        }
        #expect(try result(at: changesAt - 1).computedVersion == first.computedVersion)
        #expect(try result(at: changesAt).computedVersion != first.computedVersion, "now \(changesAt)")
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
