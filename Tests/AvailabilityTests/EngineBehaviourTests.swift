import Availability
import BookijiCore
import Testing

/// Hand-worked examples of what each rule does to a slot, in Europe/Berlin summer (UTC+2).
struct EngineBehaviourTests {
    /// Monday 2026-06-08, local 00:00 = 2026-06-07T22:00Z.
    static func local(_ hhmm: String) -> Int64 {
        let t = LocalTime(hhmm)!
        return 1_780_869_600 + Int64(t.minutes) * 60
    }

    static var rules: VendorRules {
        VendorRules(
            timeZone: "Europe/Berlin",
            weeklyHours: WeeklyHours([LocalTimeRange("09:00", "17:00")], on: [.monday]),
            slotMinutes: 30, bufferBeforeMinutes: 15, bufferAfterMinutes: 10)
    }

    static func slots(
        _ rules: VendorRules = rules, busy: [BusyInterval] = [], reserved: [UTCInterval] = [],
        from: String = "09:00", to: String = "17:00", now: Int64 = 1_780_000_000, onlyAvailable: Bool = false
    ) throws -> [String: [String]] {
        let result = try AvailabilityEngine().compute(
            rules: rules, busy: busy, reserved: reserved,
            query: AvailabilityQuery(start: local(from), end: local(to), now: now, onlyAvailable: onlyAvailable))
        var byLocalStart: [String: [String]] = [:]
        for slot in result.slots {
            let m = Int(slot.start - local("00:00")) / 60
            byLocalStart[LocalTime(minutes: m).description] = slot.reasons.map(\.code)
        }
        return byLocalStart
    }

    @Test func buffersMakeNeighboursOfBusyTimeBufferConflicts() throws {
        // Busy 11:00-12:00. Needs 15 min free before a booking and 10 after.
        let slots = try Self.slots(busy: [BusyInterval(start: Self.local("11:00"), end: Self.local("12:00"), status: .busy)])
        #expect(slots["10:00"] == [])  // after-buffer 10:30-10:40 is free
        #expect(slots["10:30"] == ["buffer_conflict"])  // after-buffer 11:00-11:10 hits the meeting
        #expect(slots["11:00"] == ["calendar_busy", "buffer_conflict"])  // after-buffer 11:30-11:40 is busy too
        #expect(slots["11:30"] == ["calendar_busy", "buffer_conflict"])  // before-buffer 11:15-11:30 is busy
        #expect(slots["12:00"] == ["buffer_conflict"])  // before-buffer 11:45-12:00 hits the meeting
        #expect(slots["12:30"] == [])  // before-buffer 12:15-12:30 is free
        #expect(slots.count == 16)
    }

    @Test func reasonsAreListedMostSevereFirstAndTheLowestConfidenceWins() throws {
        let result = try AvailabilityEngine().compute(
            rules: Self.rules,
            busy: [BusyInterval(start: Self.local("16:40"), end: Self.local("18:00"), status: .tentative)],
            reserved: [UTCInterval(start: Self.local("17:20"), end: Self.local("17:25"))],
            query: AvailabilityQuery(start: Self.local("16:30"), end: Self.local("18:00"), now: Self.local("17:00")))
        let slot = try #require(result.slots.first { $0.start == Self.local("17:00") })
        #expect(slot.reasons.map(\.code) == ["reserved", "calendar_tentative", "outside_working_hours", "buffer_conflict"])
        #expect(slot.confidence == 0.0 && !slot.isAvailable)
        let earlier = try #require(result.slots.first { $0.start == Self.local("16:30") })
        #expect(earlier.reasons.map(\.code) == ["calendar_tentative", "min_notice", "buffer_conflict"])
        #expect(earlier.confidence == 0.2)
    }

    @Test(arguments: [
        ("calendar_tentative", 0.2), ("outside_working_hours", 0.4), ("min_notice", 0.6), ("beyond_horizon", 0.6),
        ("buffer_conflict", 0.8), ("calendar_busy", 0.0), ("reserved", 0.0),
    ])
    func eachReasonAloneGivesItsConfidence(code: String, confidence: Double) throws {
        var rules = Self.rules
        var busy: [BusyInterval] = [], reserved: [UTCInterval] = []
        var now: Int64 = 1_780_000_000
        let at = Self.local("12:00")
        switch code {
        case "calendar_tentative": busy = [BusyInterval(start: at + 600, end: at + 900, status: .tentative)]
        case "calendar_busy": busy = [BusyInterval(start: at + 600, end: at + 900, status: .busy)]
        case "reserved": reserved = [UTCInterval(start: at, end: at + 1800)]
        case "outside_working_hours": rules.weeklyHours.monday = [LocalTimeRange("12:15", "17:00")]
        case "min_notice": now = at - 60; rules.minimumNoticeMinutes = 60
        case "beyond_horizon": now = at - 86_400; rules.bookingHorizonDays = 1
        default: busy = [BusyInterval(start: at - 300, end: at, status: .busy)]
        }
        let result = try AvailabilityEngine().compute(
            rules: rules, busy: busy, reserved: reserved,
            query: AvailabilityQuery(start: at, end: at + 1800, now: now))
        let slot = try #require(result.slots.first)
        #expect(slot.reasons.map(\.code) == [code])
        #expect(slot.confidence == confidence)
        #expect(!slot.isAvailable)
        #expect(!slot.reasons[0].message.isEmpty)
    }

    @Test func busyTimeBlocksEveryGranuleItTouchesAndEndsAreExclusive() throws {
        let slots = try Self.slots(
            Self.rules.with { $0.bufferBeforeMinutes = 0; $0.bufferAfterMinutes = 0 },
            busy: [BusyInterval(start: Self.local("10:01"), end: Self.local("10:02"), status: .busy),
                   BusyInterval(start: Self.local("13:00"), end: Self.local("14:00"), status: .busy)])
        #expect(slots["10:00"] == ["calendar_busy"])  // one minute in a 5-minute granule blocks it
        #expect(slots["09:30"] == [] && slots["10:30"] == [])
        #expect(slots["12:30"] == [] && slots["14:00"] == [])  // [13:00, 14:00) touches neither
    }

    @Test func gridRestartsAtEachIntervalAndMidnightGridShowsTheRest() throws {
        let rules = Self.rules.with {
            $0.weeklyHours.monday = [LocalTimeRange("09:15", "11:00"), LocalTimeRange("14:00", "15:00")]
            $0.bufferBeforeMinutes = 0
            $0.bufferAfterMinutes = 0
        }
        let slots = try Self.slots(rules, from: "08:00", to: "16:00")
        #expect(slots.keys.sorted() == [
            "08:00", "08:30", "09:00", "09:15", "09:45", "10:15", "10:45", "11:00", "11:30", "12:00", "12:30",
            "13:00", "13:30", "14:00", "14:30", "15:00", "15:30",
        ])
        #expect(slots["09:00"] == ["outside_working_hours"])  // 09:00-09:30 starts before 09:15
        #expect(slots["10:15"] == [] && slots["10:45"] == ["outside_working_hours"])  // 10:45 runs past 11:00
        let available = try Self.slots(rules, from: "08:00", to: "16:00", onlyAvailable: true)
        #expect(available.keys.sorted() == ["09:15", "09:45", "10:15", "14:00", "14:30"])
    }

    @Test func dateOverridesReplaceTheWeeklyHours() throws {
        let closed = Self.rules.with { $0.dateOverrides = [.closed(LocalDate(year: 2026, month: 6, day: 8))] }
        #expect(try Self.slots(closed).values.allSatisfy { $0 == ["outside_working_hours"] })
        let special = Self.rules.with {
            $0.dateOverrides = [DateOverride(date: LocalDate(year: 2026, month: 6, day: 8), hours: [LocalTimeRange("10:00", "11:00")])]
        }
        #expect(try Self.slots(special, onlyAvailable: true).keys.sorted() == ["10:00", "10:30"])
    }

    @Test func onlyAvailableIsExactlyTheAvailableSubset() throws {
        for seed in UInt64(1)...40 {
            let s = RandomScenario(seed: seed)
            var all = s.query, only = s.query
            all.onlyAvailable = false
            only.onlyAvailable = true
            let engine = AvailabilityEngine()
            let every = try engine.compute(rules: s.rules, busy: s.busy, reserved: s.reserved, query: all).slots
            let available = try engine.compute(rules: s.rules, busy: s.busy, reserved: s.reserved, query: only).slots
            #expect(available == every.filter(\.isAvailable), "\(s)")
            #expect(every.allSatisfy { $0.isAvailable == $0.reasons.isEmpty && ($0.isAvailable == ($0.confidence == 1.0)) })
        }
    }

    @Test(arguments: [
        (Int64(0), Int64(-1), nil as Int?, "end"),
        (Int64(1_780_000_000), Int64(1_780_000_000) + 367 * 86_400, nil, "end"),
        (Int64(1_780_000_000), Int64(1_780_086_400), 32, "slotMinutes"),
        (Int64(1_780_000_000), Int64(1_780_086_400), 0, "slotMinutes"),
        (Int64(-86_400), Int64(1_000), nil, "start"),
        (Int64(7_258_118_400), Int64(7_258_204_800), nil, "start"),
    ])
    func badQueriesAreRefusedNamingTheParameter(start: Int64, end: Int64, slot: Int?, field: String) {
        do {
            _ = try AvailabilityEngine().compute(
                rules: Self.rules, busy: [], reserved: [],
                query: AvailabilityQuery(start: start, end: end, slotMinutes: slot, now: start))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidQuery)
            #expect(error.field == field)
        }
    }

    @Test func invalidRulesAreReportedAsSuch() {
        do {
            _ = try AvailabilityEngine().compute(
                rules: Self.rules.with { $0.timeZone = "Nowhere/Land" }, busy: [], reserved: [],
                query: AvailabilityQuery(start: 0, end: 3600, now: 0))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidRules)
            #expect(error.ruleError?.code == .unknownTimeZone)
            #expect(error.field == "timeZone")
        }
    }

    @Test func windowsShorterThanASlotHaveNoSlots() throws {
        let result = try AvailabilityEngine().compute(
            rules: Self.rules, busy: [], reserved: [],
            query: AvailabilityQuery(start: Self.local("10:00"), end: Self.local("10:25"), now: 0))
        #expect(result.slots.isEmpty)
        #expect(result.computedVersion.count == 22)
        #expect(result.computedVersion.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
    }

    @Test func messagesSayWhatTheRuleIs() {
        let rules = Self.rules.with { $0.minimumNoticeMinutes = 90; $0.bookingHorizonDays = 30 }
        #expect(SlotReason(.minNotice, rules: rules).message == "Starts too soon: the vendor needs at least 1 hour 30 minutes notice.")
        #expect(SlotReason(.beyondHorizon, rules: rules).message == "Too far ahead: the vendor takes bookings at most 30 days ahead.")
        #expect(SlotReason(.bufferConflict, rules: rules).message
            == "Too close to other commitments: the vendor keeps 15 minutes before and 10 minutes after each booking free.")
        #expect(SlotReason(.outsideWorkingHours, rules: rules).message.contains("Europe/Berlin"))
    }
}

extension VendorRules {
    func with(_ change: (inout VendorRules) -> Void) -> VendorRules {
        var copy = self
        change(&copy)
        return copy
    }
}

extension EngineBehaviourTests {
    @Test func concurrentQueriesAgreeWithSerialOnes() async throws {
        let scenarios = (UInt64(500)..<UInt64(516)).map { RandomScenario(seed: $0) }
        let serial = try scenarios.map {
            try AvailabilityEngine().compute(rules: $0.rules, busy: $0.busy, reserved: $0.reserved, query: $0.query)
        }
        let parallel = try await withThrowingTaskGroup(of: (Int, AvailabilityResult).self) { group in
            for (i, s) in scenarios.enumerated() {
                group.addTask {
                    (i, try AvailabilityEngine().compute(rules: s.rules, busy: s.busy, reserved: s.reserved, query: s.query))
                }
            }
            var out = [AvailabilityResult?](repeating: nil, count: scenarios.count)
            for try await (i, r) in group { out[i] = r }
            return out
        }
        #expect(parallel == serial.map { Optional($0) })
    }

    @Test func extremeNowDoesNotTrap() throws {
        for now in [Int64.min, Int64.max, 0] {
            let result = try AvailabilityEngine().compute(
                rules: Self.rules, busy: [], reserved: [],
                query: AvailabilityQuery(start: Self.local("09:00"), end: Self.local("12:00"), now: now))
            #expect(result.slots.count == 6)
            #expect(result.slots.allSatisfy { !$0.isAvailable })  // either all past or all beyond the horizon
        }
    }
}
