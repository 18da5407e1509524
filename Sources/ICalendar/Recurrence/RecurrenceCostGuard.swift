import BookijiCore

/// Refuses DAILY and sub-daily rules whose day filters make libical step through huge gaps.
///
/// libical 3.0 iterates a rule like `FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30` one minute at a time
/// looking for a match that never comes (measured: > 60 s; the SECONDLY variant much longer),
/// and one `icalrecur_iterator_next` call cannot be interrupted. So before iterating we scan the
/// days the rule's day filters allow (cheap, in Swift) and bound the steps libical would need
/// to cross the longest gap between two allowed days.
enum RecurrenceCostGuard {
    /// How far ahead allowed days are looked for; 29 years covers the weekday/leap-year cycle
    /// that a rule like BYMONTH=2;BYMONTHDAY=29;BYDAY=MO needs.
    static let scanDays = 10_592
    /// libical steps one rule unit (second, minute...) at a time: ~1-2 µs each on this machine.
    static let maxStepsAcrossGap = 300_000

    static func check(_ rule: RecurrenceRule, start: LocalDateTime) throws(ICalendarError) {
        guard rule.frequency.unitsPerDay >= 1, [.secondly, .minutely, .hourly, .daily].contains(rule.frequency) else { return }
        let hasDayFilter = !rule.byMonth.isEmpty || !rule.byMonthDay.isEmpty || !rule.byYearDay.isEmpty || !rule.byDay.isEmpty
        guard hasDayFilter else { return }
        let months = Set(rule.byMonth)
        let weekdays = Set(rule.byDay.map(\.weekday))
        if rule.byMonthDay.isEmpty, rule.byYearDay.isEmpty {
            // Weekday and month filters alone always match: the longest gap is between two allowed
            // weekdays, or a year minus the shortest allowed month. Bound it without scanning.
            let weekdayGap = weekdays.isEmpty ? 1 : 7 - weekdays.count + 1
            let monthGap = months.isEmpty ? 1 : 366 - 28 * months.count + 7
            let steps = Int64(max(weekdayGap, monthGap, 1)) * Int64(rule.frequency.unitsPerDay)
            if steps <= maxStepsAcrossGap { return }
        }
        let first = start.dayNumber
        var previous = first - 1
        var maxGap: Int64 = 0
        var matched = false
        for day in first..<(first + Int64(scanDays)) {
            let (y, m, d) = RFC3339.civilFromDays(day)
            let year = Int(y)
            if !months.isEmpty, !months.contains(m) { continue }
            if !weekdays.isEmpty, !weekdays.contains(Int(((day + 4) % 7 + 7) % 7)) { continue }
            if !rule.byMonthDay.isEmpty {
                let dim = RFC3339.daysInMonth(year: year, month: m)
                guard rule.byMonthDay.contains(where: { $0 > 0 ? $0 == d : dim + $0 + 1 == d }) else { continue }
            }
            if !rule.byYearDay.isEmpty {
                let yearDay = Int(day - RFC3339.daysFromCivil(y, 1, 1)) + 1
                let daysInYear = Int(RFC3339.daysFromCivil(y + 1, 1, 1) - RFC3339.daysFromCivil(y, 1, 1))
                guard rule.byYearDay.contains(where: { $0 > 0 ? $0 == yearDay : daysInYear + $0 + 1 == yearDay }) else { continue }
            }
            matched = true
            maxGap = max(maxGap, day - previous)
            previous = day
            // A DAILY rule steps a day at a time: any gap up to the scan length is cheap.
            if rule.frequency == .daily { break }
        }
        guard matched else {
            throw ICalendarError(
                .invalidRecurrenceRule, line: rule.line,
                "RRULE matches no date in the \(scanDays / 365) years after DTSTART (check BYMONTH/BYMONTHDAY/BYYEARDAY/BYDAY)")
        }
        let steps = maxGap * Int64(rule.frequency.unitsPerDay)
        guard steps <= maxStepsAcrossGap else {
            throw ICalendarError(
                .recurrenceTooLarge, line: rule.line,
                "FREQ=\(rule.frequency.rawValue) rule whose matching days lie up to \(maxGap) days apart would need \(steps) iteration steps between occurrences; refusing to expand it")
        }
    }
}
