import Availability
import BookijiCore

/// A random vendor, calendar and query for property tests, reproducible from its seed.
struct RandomScenario: CustomStringConvertible {
    static let zones = [
        "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Kiritimati",
        "America/St_Johns", "Asia/Kathmandu", "UTC",
    ]
    /// Local dates of DST changes (2024-2031) that windows are steered towards.
    static let changeDays: [(zone: String, date: LocalDate)] = [
        ("America/New_York", LocalDate(year: 2026, month: 3, day: 8)),
        ("America/New_York", LocalDate(year: 2026, month: 11, day: 1)),
        ("Europe/Berlin", LocalDate(year: 2027, month: 3, day: 28)),
        ("Europe/Berlin", LocalDate(year: 2025, month: 10, day: 26)),
        ("Australia/Lord_Howe", LocalDate(year: 2026, month: 4, day: 5)),
        ("Australia/Lord_Howe", LocalDate(year: 2026, month: 10, day: 4)),
        ("America/St_Johns", LocalDate(year: 2028, month: 3, day: 12)),
    ]

    let seed: UInt64
    let rules: VendorRules
    let busy: [BusyInterval]
    let reserved: [UTCInterval]
    let query: AvailabilityQuery

    var description: String {
        "seed \(seed): \(rules.timeZone) granule \(rules.granuleMinutes) slot \(query.slotMinutes ?? rules.slotMinutes) "
            + "buffers \(rules.bufferBeforeMinutes)/\(rules.bufferAfterMinutes) notice \(rules.minimumNoticeMinutes) "
            + "horizon \(rules.bookingHorizonDays)d window \(UTCInterval(start: query.start, end: query.end)) "
            + "now \(RFC3339.format(query.now)) busy \(busy.count) reserved \(reserved.count)"
    }

    init(seed: UInt64, maxDays: Int = 8, maxBusy: Int = 40) {
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        let zone = rng.pick(Self.zones)
        var granule = rng.pick([5, 5, 5, 10, 15, 30, 60])
        var candidate = VendorRules(timeZone: zone, weeklyHours: WeeklyHours(), slotMinutes: 30, granuleMinutes: granule)
        while (try? candidate.validate()) == nil {
            granule = rng.pick([5, 15])
            candidate.granuleMinutes = granule
        }

        func randomDay() -> [LocalTimeRange] {
            // Times on the granule; boundaries near 00:00-04:00 and 24:00 on purpose, to cross DST gaps.
            let cuts = 1440 / granule
            let count = rng.pick([0, 1, 1, 2, 2, 3])
            var points = Set<Int>()
            while points.count < count * 2 {
                let p = rng.chance(0.3) ? rng.pick([0, 60, 90, 120, 150, 180, 240, 1440]) : rng.int(0...cuts) * granule
                if p % granule == 0 { points.insert(p) }
            }
            let sorted = points.sorted()
            var ranges: [LocalTimeRange] = []
            for i in stride(from: 0, to: sorted.count, by: 2) {
                ranges.append(LocalTimeRange(start: LocalTime(minutes: sorted[i]), end: LocalTime(minutes: sorted[i + 1])))
            }
            // Touching intervals are allowed; merge a few to exercise them.
            if ranges.count >= 2 && rng.chance(0.2) {
                ranges[1].start = ranges[0].end
            }
            return rng.chance(0.5) ? ranges : ranges.reversed()
        }
        var weekly = WeeklyHours()
        for day in Weekday.allCases { weekly[day] = rng.chance(0.85) ? randomDay() : [] }

        let steer = Self.changeDays.filter { $0.zone == zone }
        let anchorDay: Int64
        if !steer.isEmpty, rng.chance(0.7) {
            anchorDay = rng.pick(steer).date.daysSinceEpoch - Int64(rng.int(0...2))
        } else {
            anchorDay = LocalDate(year: 2024, month: 1, day: 1).daysSinceEpoch + Int64(rng.int(0...(365 * 6)))
        }
        let windowStart = anchorDay * 86_400 + rng.int64(-50_000...86_400)
        let windowEnd = windowStart + rng.int64(3_600...(Int64(maxDays) * 86_400))

        var overrides: [DateOverride] = []
        for _ in 0..<rng.int(0...3) {
            let date = LocalDate(daysSinceEpoch: anchorDay + Int64(rng.int(-1...maxDays)))
            if overrides.contains(where: { $0.date == date }) { continue }
            overrides.append(DateOverride(date: date, hours: rng.chance(0.4) ? [] : randomDay()))
        }

        let slot = granule * rng.int(1...max(1, 180 / granule))
        rules = VendorRules(
            timeZone: zone, weeklyHours: weekly, dateOverrides: overrides,
            slotMinutes: slot,
            bufferBeforeMinutes: rng.chance(0.5) ? 0 : granule * rng.int(1...max(1, 45 / granule)),
            bufferAfterMinutes: rng.chance(0.5) ? 0 : granule * rng.int(1...max(1, 45 / granule)),
            minimumNoticeMinutes: rng.chance(0.3) ? 0 : rng.int(1...(3 * 1440)),
            bookingHorizonDays: rng.int(1...(maxDays + 2)),
            granuleMinutes: granule)

        func randomInterval(maxMinutes: Int) -> UTCInterval {
            let start = rng.int64((windowStart - 6 * 3600)...(windowEnd + 3600))
            let length = rng.chance(0.7) ? Int64(rng.int(1...maxMinutes)) * 60 : rng.int64(1...(Int64(maxMinutes) * 60))
            return UTCInterval(start: start, end: start + length)
        }
        busy = (0..<rng.int(0...maxBusy)).map { _ in
            BusyInterval(interval: randomInterval(maxMinutes: 300), status: rng.chance(0.7) ? .busy : .tentative)
        }
        reserved = (0..<rng.int(0...5)).map { _ in randomInterval(maxMinutes: 120) }
        let querySlot: Int? = rng.chance(0.3) ? granule * rng.int(1...max(1, 120 / granule)) : nil
        query = AvailabilityQuery(
            start: windowStart, end: windowEnd, slotMinutes: querySlot,
            now: windowStart + rng.int64(-3 * 86_400...(2 * 86_400)),
            onlyAvailable: rng.chance(0.2))
    }
}
