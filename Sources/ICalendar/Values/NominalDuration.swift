/// An RFC 5545 DURATION: whole days and weeks are nominal (they follow the wall clock across DST
/// changes), hours, minutes and seconds are exact (RFC 5545 section 3.3.6).
struct NominalDuration: Sendable, Hashable {
    /// Nominal calendar days (weeks count as 7 days). Negative for negative durations.
    var days: Int
    /// Exact seconds. Negative for negative durations.
    var seconds: Int64

    static let zero = NominalDuration(days: 0, seconds: 0)

    var isNegative: Bool { days < 0 || seconds < 0 }
    var isZero: Bool { days == 0 && seconds == 0 }
    /// An upper bound of the duration in seconds (a nominal day is at most 25 hours).
    var maximumSeconds: Int64 { Int64(days) * 90_000 + seconds }

    /// Parses `[+-]P[nW][nD][T[nH][nM][nS]]`.
    static func parse(_ text: Substring, property: String, line: Int) throws(ICalendarError) -> NominalDuration {
        func fail(_ why: String) -> ICalendarError {
            ICalendarError(.invalidValue, line: line, "\(property): '\(text)' is not a valid duration (\(why); e.g. PT1H30M, P1D)")
        }
        var b = Array(text.trimmingSpaces.utf8)[...]
        var sign: Int64 = 1
        if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            if f == UInt8(ascii: "-") { sign = -1 }
            b = b.dropFirst()
        }
        guard let p = b.first, p == UInt8(ascii: "P") || p == UInt8(ascii: "p") else { throw fail("must start with P") }
        b = b.dropFirst()
        var days: Int64 = 0
        var seconds: Int64 = 0
        var inTime = false
        var sawComponent = false
        var sawTimeComponent = false
        var number: Int64? = nil
        for c in b {
            switch c {
            case 48...57:
                let next = (number ?? 0) * 10 + Int64(c - 48)
                guard next < 100_000_000 else { throw fail("number too large") }
                number = next
            case UInt8(ascii: "T"), UInt8(ascii: "t"):
                guard !inTime, number == nil else { throw fail("misplaced T") }
                inTime = true
            default:
                guard let v = number else { throw fail("a unit without a number") }
                number = nil
                sawComponent = true
                switch (c | 0x20, inTime) {
                case (UInt8(ascii: "w"), false): days += 7 * v
                case (UInt8(ascii: "d"), false): days += v
                case (UInt8(ascii: "h"), true): seconds += 3600 * v; sawTimeComponent = true
                case (UInt8(ascii: "m"), true): seconds += 60 * v; sawTimeComponent = true
                case (UInt8(ascii: "s"), true): seconds += v; sawTimeComponent = true
                default: throw fail("unexpected unit")
                }
            }
        }
        guard number == nil else { throw fail("a number without a unit") }
        guard sawComponent, !inTime || sawTimeComponent else { throw fail("no duration given") }
        guard days < 1_000_000 else { throw fail("too long") }
        return NominalDuration(days: Int(sign * days), seconds: sign * seconds)
    }
}
