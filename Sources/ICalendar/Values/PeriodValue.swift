/// The end of an RDATE PERIOD or FREEBUSY period: an explicit end or a duration from the start.
enum PeriodEnd: Sendable, Hashable {
    case end(DateTimeValue)
    case duration(NominalDuration)
}

/// One `start/end` or `start/duration` period value.
struct PeriodValue: Sendable, Hashable {
    var start: DateTimeValue
    var end: PeriodEnd

    static func parse(
        _ text: Substring, tzid: String?, property: String, line: Int
    ) throws(ICalendarError) -> PeriodValue {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ICalendarError(
                .invalidValue, line: line, "\(property): '\(text)' is not a period (expected START/END or START/DURATION)")
        }
        let start = try ValueParser.dateTime(parts[0], valueType: "DATE-TIME", tzid: tzid, property: property, line: line)
        let second = parts[1].trimmingSpaces
        if let f = second.first, f == "P" || f == "p" || f == "+" || f == "-" {
            let d = try NominalDuration.parse(second, property: property, line: line)
            guard !d.isNegative else {
                throw ICalendarError(.invalidValue, line: line, "\(property): period '\(text)' has a negative duration")
            }
            return PeriodValue(start: start, end: .duration(d))
        }
        let end = try ValueParser.dateTime(second, valueType: "DATE-TIME", tzid: tzid, property: property, line: line)
        return PeriodValue(start: start, end: .end(end))
    }
}
