/// A validated RRULE (RFC 5545 section 3.3.10).
///
/// libical's own RRULE parser accepts nearly anything (unknown parts are dropped, bad numbers read
/// as zero), so the rule is checked here first and only then handed to libical's iterator.
struct RecurrenceRule: Sendable, Hashable {
    enum Frequency: String, Sendable, CaseIterable {
        case secondly = "SECONDLY", minutely = "MINUTELY", hourly = "HOURLY", daily = "DAILY"
        case weekly = "WEEKLY", monthly = "MONTHLY", yearly = "YEARLY"

        /// Steps of this frequency in one day, for sub-daily and daily rules.
        var unitsPerDay: Int {
            switch self {
            case .secondly: return 86_400
            case .minutely: return 1_440
            case .hourly: return 24
            default: return 1
            }
        }
    }

    struct WeekdayNumber: Sendable, Hashable {
        /// 0 when the weekday has no ordinal (`MO`), else `-53...53` (`-1FR`).
        var ordinal: Int
        /// 0 = Sunday ... 6 = Saturday.
        var weekday: Int
    }

    var frequency: Frequency
    var interval: Int
    var count: Int?
    var until: DateTimeValue?
    var byMonth: [Int] = []
    var byMonthDay: [Int] = []
    var byYearDay: [Int] = []
    var byWeekNo: [Int] = []
    var byDay: [WeekdayNumber] = []
    var hasTimeFilters = false
    /// The rule as handed to libical: UNTIL is removed (the expander applies it itself, comparing
    /// instants as RFC 5545 says) and X- parts are dropped.
    var libicalText: String
    var line: Int

    static let weekdays = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

    /// Parses a rule strictly (VTIMEZONE rules: nothing there is repaired).
    static func parse(_ p: ContentLine) throws(ICalendarError) -> RecurrenceRule {
        var strict = RepairLog(strict: true)
        return try parse(p, repairs: &strict)
    }

    /// Parses a rule; `COUNT=-1` (or 0) beside an `UNTIL` is dropped through `repairs`.
    static func parse(_ p: ContentLine, repairs: inout RepairLog) throws(ICalendarError) -> RecurrenceRule {
        let line = p.line
        func fail(_ why: String) -> ICalendarError {
            ICalendarError(.invalidRecurrenceRule, line: line, "RRULE '\(p.value)': \(why)")
        }
        var seen = Set<String>()
        var frequency: Frequency?
        var interval = 1
        var count: Int?
        var until: DateTimeValue?
        var rule = RecurrenceRule(frequency: .daily, interval: 1, libicalText: "", line: line)
        var bySetPos = false
        var kept: [String] = []
        var nonPositiveCount: Substring?

        func numbers(_ v: Substring, _ name: String, _ range: ClosedRange<Int>, signed: Bool) throws(ICalendarError) -> [Int] {
            var out: [Int] = []
            let items = v.split(separator: ",", omittingEmptySubsequences: false)
            // libical copies each list into a fixed-size array (e.g. 13 slots for BYMONTH).
            guard items.count <= range.upperBound else { throw fail("\(name) lists more values than it has") }
            for item in items {
                guard let n = Int(item), signed ? (n != 0 && range.contains(abs(n))) : range.contains(n) else {
                    throw fail("\(name) value '\(item)' out of range")
                }
                out.append(n)
            }
            return out
        }

        for part in p.value.split(separator: ";", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[1].isEmpty else { throw fail("'\(part)' is not NAME=VALUE") }
            let key = kv[0].uppercased()
            let value = kv[1]
            if key.hasPrefix("X-") { continue }
            guard seen.insert(key).inserted else { throw fail("\(key) appears twice") }
            switch key {
            case "FREQ":
                guard let f = Frequency(rawValue: value.uppercased()) else { throw fail("unknown FREQ '\(value)'") }
                frequency = f
            case "INTERVAL":
                guard let n = Int(value), n >= 1, n <= 1_000_000 else { throw fail("INTERVAL must be a positive integer") }
                interval = n
            case "COUNT":
                if let n = Int(value), n < 1 {
                    // Some exporters write COUNT=-1 for "forever" beside an UNTIL; judged after the loop.
                    nonPositiveCount = value
                    continue
                }
                guard let n = Int(value), n <= 10_000_000 else { throw fail("COUNT must be a positive integer") }
                count = n
            case "UNTIL":
                until = try ValueParser.dateTime(value, valueType: nil, tzid: nil, property: "RRULE UNTIL", line: line)
                continue
            case "BYSECOND": _ = try numbers(value, key, 0...60, signed: false); rule.hasTimeFilters = true
            case "BYMINUTE": _ = try numbers(value, key, 0...59, signed: false); rule.hasTimeFilters = true
            case "BYHOUR": _ = try numbers(value, key, 0...23, signed: false); rule.hasTimeFilters = true
            case "BYMONTH": rule.byMonth = try numbers(value, key, 1...12, signed: false)
            case "BYMONTHDAY": rule.byMonthDay = try numbers(value, key, 1...31, signed: true)
            case "BYYEARDAY": rule.byYearDay = try numbers(value, key, 1...366, signed: true)
            case "BYWEEKNO": rule.byWeekNo = try numbers(value, key, 1...53, signed: true)
            case "BYSETPOS": _ = try numbers(value, key, 1...366, signed: true); bySetPos = true
            case "BYDAY":
                let items = value.split(separator: ",", omittingEmptySubsequences: false)
                guard items.count <= 7 * 53 else { throw fail("BYDAY lists too many values") }
                for item in items {
                    let text = item.uppercased()
                    guard text.count >= 2, let wd = weekdays.firstIndex(of: String(text.suffix(2))) else {
                        throw fail("BYDAY value '\(item)' is not a weekday like MO or -1FR")
                    }
                    let prefix = text.dropLast(2)
                    var ordinal = 0
                    if !prefix.isEmpty {
                        guard let o = Int(prefix), o != 0, abs(o) <= 53 else { throw fail("BYDAY ordinal in '\(item)' out of range") }
                        ordinal = o
                    }
                    rule.byDay.append(WeekdayNumber(ordinal: ordinal, weekday: wd))
                }
            case "WKST":
                guard weekdays.contains(value.uppercased()) else { throw fail("WKST '\(value)' is not a weekday") }
            default:
                throw fail("unsupported rule part \(key)")
            }
            kept.append(key + "=" + value.uppercased())
        }
        guard let frequency else { throw fail("FREQ is required") }
        if let nonPositiveCount {
            guard until != nil else { throw fail("COUNT must be a positive integer") }
            try repairs.repair(
                .countWithUntil, line: line, "RRULE '\(p.value)': dropped COUNT=\(nonPositiveCount), UNTIL ends the series",
                else: fail("COUNT must be a positive integer"))
        }
        if count != nil, until != nil { throw fail("COUNT and UNTIL must not both appear") }
        if !rule.byWeekNo.isEmpty, frequency != .yearly { throw fail("BYWEEKNO is only allowed with FREQ=YEARLY") }
        if !rule.byYearDay.isEmpty, [.daily, .weekly, .monthly].contains(frequency) {
            throw fail("BYYEARDAY is not allowed with FREQ=\(frequency.rawValue)")
        }
        if !rule.byMonthDay.isEmpty, frequency == .weekly { throw fail("BYMONTHDAY is not allowed with FREQ=WEEKLY") }
        if rule.byDay.contains(where: { $0.ordinal != 0 }) {
            if frequency != .monthly, frequency != .yearly {
                throw fail("BYDAY with an ordinal (like 2MO) needs FREQ=MONTHLY or YEARLY")
            }
            if frequency == .yearly, !rule.byWeekNo.isEmpty { throw fail("BYDAY ordinals cannot be combined with BYWEEKNO") }
        }
        if bySetPos, seen.count(where: { $0.hasPrefix("BY") && $0 != "BYSETPOS" }) == 0 {
            throw fail("BYSETPOS needs another BYxxx part")
        }
        rule.frequency = frequency
        rule.interval = interval
        rule.count = count
        rule.until = until
        rule.libicalText = kept.joined(separator: ";")
        return rule
    }
}
