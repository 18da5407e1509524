import BookijiCore

/// A wall-clock time of day in a vendor's zone, to the minute. JSON: `"HH:MM"`, `"00:00"` to
/// `"24:00"` (`"24:00"` is only meaningful as the end of an interval: the end of that day).
public struct LocalTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Minutes since local midnight. `validate()` of the owning rules checks the range 0...1440.
    public var minutes: Int

    public init(minutes: Int) {
        self.minutes = minutes
    }

    public init(hour: Int, minute: Int = 0) {
        self.minutes = hour * 60 + minute
    }

    /// Parses `"HH:MM"` (two digits each; hours up to 24). Returns nil for anything else.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":") else { return nil }
        func digit(_ c: UInt8) -> Int? { c >= 48 && c <= 57 ? Int(c - 48) : nil }
        guard let h1 = digit(b[0]), let h2 = digit(b[1]), let m1 = digit(b[3]), let m2 = digit(b[4]) else {
            return nil
        }
        let hour = h1 * 10 + h2, minute = m1 * 10 + m2
        guard minute < 60, hour < 24 || (hour == 24 && minute == 0) else { return nil }
        self.minutes = hour * 60 + minute
    }

    /// `"HH:MM"`; out-of-range values print as they are so error messages can show them.
    public var description: String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutes < rhs.minutes }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = LocalTime(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a time of day; expected \"HH:MM\" from 00:00 to 24:00"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A half-open span of wall-clock time `[start, end)` within one local day.
/// JSON: `{"start": "09:00", "end": "17:00"}`. Intervals never cross midnight: split them and
/// use `"24:00"` / `"00:00"`.
public struct LocalTimeRange: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var start: LocalTime
    public var end: LocalTime

    public init(start: LocalTime, end: LocalTime) {
        self.start = start
        self.end = end
    }

    /// Convenience for code and tests: `LocalTimeRange("09:00", "17:00")`. Traps on bad text.
    public init(_ start: String, _ end: String) {
        guard let s = LocalTime(start), let e = LocalTime(end) else {
            preconditionFailure("LocalTimeRange(\"\(start)\", \"\(end)\"): not HH:MM")
        }
        self.init(start: s, end: e)
    }

    public var description: String { "\(start)-\(end)" }

    public static func < (lhs: LocalTimeRange, rhs: LocalTimeRange) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case start, end }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.reject(unknownIn: decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        start = try c.decode(LocalTime.self, forKey: .start)
        end = try c.decode(LocalTime.self, forKey: .end)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
    }
}

/// A calendar date in the vendor's zone. JSON: `"YYYY-MM-DD"`.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `"YYYY-MM-DD"`; nil for other shapes or impossible dates.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
        guard isValid else { return nil }
    }

    /// Whether the date exists in the proleptic Gregorian calendar (years 1...9999).
    public var isValid: Bool {
        (1...9999).contains(year) && (1...12).contains(month)
            && day >= 1 && day <= RFC3339.daysInMonth(year: year, month: month)
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int64 { RFC3339.daysFromCivil(Int64(year), month, day) }

    /// The date `days` days after 1970-01-01.
    public init(daysSinceEpoch days: Int64) {
        let (y, m, d) = RFC3339.civilFromDays(days)
        self.init(year: Int(y), month: m, day: d)
    }

    public var weekday: Weekday { Weekday(daysSinceEpoch: daysSinceEpoch) }

    public var description: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a date; expected \"YYYY-MM-DD\""))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
