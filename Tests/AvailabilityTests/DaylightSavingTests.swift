import Availability
import BookijiCore
import Testing

/// Working hours and the slot grid on the days clocks change, in zones with 1-hour and
/// 30-minute shifts, checked against hand-computed UTC instants.
struct DaylightSavingTests {
    static func rules(_ zone: String, _ hours: [LocalTimeRange], slot: Int = 60) -> VendorRules {
        VendorRules(
            timeZone: zone, weeklyHours: WeeklyHours(hours, on: Weekday.allCases), slotMinutes: slot,
            bookingHorizonDays: VendorRules.maximumHorizonDays)
    }

    /// A "now" well before every window here and within the horizon of all of them.
    static let earlier: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z

    /// UTC instants of the granules in `[from, to)` that are working time, found by asking the
    /// engine for granule-long slots and keeping those not outside working hours.
    static func workingGranules(_ rules: VendorRules, from: String, to: String) throws -> [Int64] {
        let start = try RFC3339.parse(from), end = try RFC3339.parse(to)
        let result = try AvailabilityEngine().compute(
            rules: rules, busy: [], reserved: [],
            query: AvailabilityQuery(start: start, end: end, slotMinutes: rules.granuleMinutes, now: start - 86_400))
        return result.slots.filter { !$0.reasons.contains { $0.code == "outside_working_hours" } }.map(\.start)
    }

    /// Merges granule starts into `[start, end)` spans, printed as RFC 3339 for readable failures.
    static func spans(_ starts: [Int64], granule: Int64 = 300) -> [String] {
        var out: [(Int64, Int64)] = []
        for s in starts {
            if let last = out.last, last.1 == s { out[out.count - 1].1 = s + granule } else { out.append((s, s + granule)) }
        }
        return out.map { "\(RFC3339.format($0.0))/\(RFC3339.format($0.1))" }
    }

    @Test(arguments: [
        // zone, local change date, 09:00 local in UTC on that date, 17:00 local in UTC
        ("America/New_York", "2026-03-08", "2026-03-08T13:00:00Z", "2026-03-08T21:00:00Z"),
        ("America/New_York", "2026-11-01", "2026-11-01T14:00:00Z", "2026-11-01T22:00:00Z"),
        ("Europe/Berlin", "2026-03-29", "2026-03-29T07:00:00Z", "2026-03-29T15:00:00Z"),
        ("Europe/Berlin", "2026-10-25", "2026-10-25T08:00:00Z", "2026-10-25T16:00:00Z"),
        ("Australia/Lord_Howe", "2026-04-05", "2026-04-04T22:30:00Z", "2026-04-05T06:30:00Z"),
        ("Australia/Lord_Howe", "2026-10-04", "2026-10-03T22:00:00Z", "2026-10-04T06:00:00Z"),
    ])
    func nineToFiveIsEightHoursOnChangeDays(zone: String, date: String, nineUTC: String, fiveUTC: String) throws {
        let rules = Self.rules(zone, [LocalTimeRange("09:00", "17:00")])
        let day = try #require(LocalDate(date)).daysSinceEpoch
        // Two days either side of the local date, so every working granule of it is inside.
        let granules = try Self.workingGranules(
            rules, from: RFC3339.format((day - 1) * 86_400), to: RFC3339.format((day + 2) * 86_400))
        let nine = try RFC3339.parse(nineUTC), five = try RFC3339.parse(fiveUTC)
        let thatDay = granules.filter { $0 >= nine - 6 * 3600 && $0 < five + 6 * 3600 }
        #expect(thatDay.count == 8 * 12)
        #expect(Self.spans(thatDay) == ["\(nineUTC)/\(fiveUTC)"])
    }

    @Test func springForwardGapIsNeverWorked() throws {
        // New York 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z. 01:00-04:00 local is
        // 01:00-02:00 EST (06:00Z-07:00Z) then 03:00-04:00 EDT (07:00Z-08:00Z): two hours.
        let rules = Self.rules("America/New_York", [LocalTimeRange("01:00", "04:00")])
        let granules = try Self.workingGranules(rules, from: "2026-03-08T03:00:00Z", to: "2026-03-08T12:00:00Z")
        #expect(Self.spans(granules) == ["2026-03-08T06:00:00Z/2026-03-08T08:00:00Z"])
        // A wall time inside the gap starts no slot: hours 02:00-03:00 give nothing at all.
        let gapOnly = Self.rules("America/New_York", [LocalTimeRange("02:00", "03:00")], slot: 30)
        let slots = try AvailabilityEngine().compute(
            rules: gapOnly, busy: [], reserved: [],
            query: AvailabilityQuery(start: try RFC3339.parse("2026-03-08T05:00:00Z"),
                                     end: try RFC3339.parse("2026-03-08T10:00:00Z"), now: Self.earlier, onlyAvailable: true))
        #expect(slots.slots.isEmpty)
        // The same hours on the day before do give two slots, so the emptiness above is the gap.
        let dayBefore = try AvailabilityEngine().compute(
            rules: gapOnly, busy: [], reserved: [],
            query: AvailabilityQuery(start: try RFC3339.parse("2026-03-07T05:00:00Z"),
                                     end: try RFC3339.parse("2026-03-07T10:00:00Z"), now: Self.earlier, onlyAvailable: true))
        #expect(dayBefore.slots.map { RFC3339.format($0.start) } == ["2026-03-07T07:00:00Z", "2026-03-07T07:30:00Z"])
    }

    @Test func repeatedHourIsWorkedOnce() throws {
        // New York 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z. 00:00-03:00 local is
        // 00:00-02:00 EDT (04:00Z-06:00Z) and 02:00-03:00 EST (07:00Z-08:00Z); 06:00Z-07:00Z
        // shows 01:00-02:00 a second time and is not worked again.
        let rules = Self.rules("America/New_York", [LocalTimeRange("00:00", "03:00")])
        let granules = try Self.workingGranules(rules, from: "2026-11-01T03:00:00Z", to: "2026-11-01T12:00:00Z")
        #expect(granules.count == 3 * 12)
        #expect(Self.spans(granules) == ["2026-11-01T04:00:00Z/2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z/2026-11-01T08:00:00Z"])
        // Hourly slots: 00:00, 01:00 (first showing) and 02:00 local; no second 01:00.
        let result = try AvailabilityEngine().compute(
            rules: rules, busy: [], reserved: [],
            query: AvailabilityQuery(start: try RFC3339.parse("2026-11-01T04:00:00Z"),
                                     end: try RFC3339.parse("2026-11-01T08:00:00Z"), now: Self.earlier, onlyAvailable: true))
        #expect(result.slots.map { RFC3339.format($0.start) } == ["2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"])
    }

    @Test func lordHoweHalfHourShiftKeepsTheGridOnLocalTime() throws {
        // Lord Howe 2026-10-04: 02:00 (+10:30) becomes 02:30 (+11:00) at 2026-10-03T15:30Z.
        // Hours 01:00-04:00 local: 01:00-02:00 at +10:30 (14:30Z-15:30Z), then 02:30-04:00 at
        // +11 (15:30Z-17:00Z): 2.5 hours, one span. Hourly grid from 01:00 local: 01:00 (14:30Z),
        // 02:00 does not exist, 03:00 (16:00Z); 01:00 + 60 min runs to 02:30 wall, so it fits.
        let rules = Self.rules("Australia/Lord_Howe", [LocalTimeRange("01:00", "04:00")])
        let granules = try Self.workingGranules(rules, from: "2026-10-03T12:00:00Z", to: "2026-10-03T20:00:00Z")
        #expect(Self.spans(granules) == ["2026-10-03T14:30:00Z/2026-10-03T17:00:00Z"])
        let result = try AvailabilityEngine().compute(
            rules: rules, busy: [], reserved: [],
            query: AvailabilityQuery(start: try RFC3339.parse("2026-10-03T12:00:00Z"),
                                     end: try RFC3339.parse("2026-10-03T20:00:00Z"), now: Self.earlier, onlyAvailable: true))
        #expect(result.slots.map { RFC3339.format($0.start) } == ["2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z"])
    }

    @Test func kiritimatiAndKolkataFollowTheirOffsets() throws {
        // Kiritimati is UTC+14: Monday 09:00 local is Sunday 19:00Z. Kolkata is UTC+5:30.
        var kiritimati = Self.rules("Pacific/Kiritimati", [])
        kiritimati.weeklyHours.monday = [LocalTimeRange("09:00", "10:00")]
        #expect(Self.spans(try Self.workingGranules(kiritimati, from: "2026-06-07T00:00:00Z", to: "2026-06-09T00:00:00Z"))
            == ["2026-06-07T19:00:00Z/2026-06-07T20:00:00Z"])
        let kolkata = Self.rules("Asia/Kolkata", [LocalTimeRange("09:00", "10:00")])
        #expect(Self.spans(try Self.workingGranules(kolkata, from: "2026-06-08T00:00:00Z", to: "2026-06-09T00:00:00Z"))
            == ["2026-06-08T03:30:00Z/2026-06-08T04:30:00Z"])
    }
}
