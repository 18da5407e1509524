/// RFC 3339 / ISO 8601 instants without Foundation's formatters: the API formats thousands of
/// slot times per response, and the parser must say precisely what is wrong with an input.
public enum RFC3339 {
    /// Formats epoch seconds as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ epochSeconds: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 20)
        write(epochSeconds, into: &bytes, at: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (how stored timestamps are shown).
    public static func format(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = Int(millis - seconds * 1000)
        var text = format(seconds)
        text.removeLast()  // "Z"
        let digits = String(fraction)
        return text + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Writes the 20 bytes of `format(_:)` into `buffer` starting at `offset`.
    public static func write(_ epochSeconds: Int64, into buffer: inout [UInt8], at offset: Int) {
        let days = floorDiv(epochSeconds, 86_400)
        let secondOfDay = Int(epochSeconds - days * 86_400)
        let (y, m, d) = civilFromDays(days)
        func put2(_ value: Int, _ at: Int) {
            buffer[offset + at] = UInt8(48 + value / 10)
            buffer[offset + at + 1] = UInt8(48 + value % 10)
        }
        let year = Int(y)
        buffer[offset] = UInt8(48 + (year / 1000) % 10)
        buffer[offset + 1] = UInt8(48 + (year / 100) % 10)
        buffer[offset + 2] = UInt8(48 + (year / 10) % 10)
        buffer[offset + 3] = UInt8(48 + year % 10)
        buffer[offset + 4] = UInt8(ascii: "-")
        put2(m, 5)
        buffer[offset + 7] = UInt8(ascii: "-")
        put2(d, 8)
        buffer[offset + 10] = UInt8(ascii: "T")
        put2(secondOfDay / 3600, 11)
        buffer[offset + 13] = UInt8(ascii: ":")
        put2(secondOfDay / 60 % 60, 14)
        buffer[offset + 16] = UInt8(ascii: ":")
        put2(secondOfDay % 60, 17)
        buffer[offset + 19] = UInt8(ascii: "Z")
    }

    /// Why a timestamp was refused; the message is fit to show a partner.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)` into epoch seconds (fractions truncated).
    /// A time without a zone designator is refused: an instant must be unambiguous.
    public static func parse(_ text: String) throws(ParseError) -> Int64 {
        let b = Array(text.utf8)
        var i = 0
        func fail(_ why: String) -> ParseError {
            ParseError(message: "'\(text)' is not an RFC 3339 timestamp: \(why) (expected e.g. 2026-03-01T09:00:00Z)")
        }
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ chars: String) -> Bool {
            guard i < b.count, chars.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4) else { throw fail("year must be four digits") }
        guard expect("-"), let month = digits(2), (1...12).contains(month) else { throw fail("bad month") }
        guard expect("-"), let day = digits(2), day >= 1, day <= daysInMonth(year: year, month: month) else {
            throw fail("bad day of month")
        }
        guard expect("Tt ") else { throw fail("missing 'T' between date and time") }
        guard let hour = digits(2), hour < 24 else { throw fail("bad hour") }
        guard expect(":"), let minute = digits(2), minute < 60 else { throw fail("bad minute") }
        var second = 0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            i += 1
            guard let s = digits(2), s < 61 else { throw fail("bad second") }
            second = min(s, 59)
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                let fractionStart = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > fractionStart else { throw fail("empty fraction of a second") }
            }
        }
        var offsetSeconds = 0
        guard i < b.count else { throw fail("missing zone designator ('Z' or ±HH:MM)") }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), oh < 24 else { throw fail("bad zone offset hours") }
            _ = expect(":")
            guard let om = digits(2), om < 60 else { throw fail("bad zone offset minutes") }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            throw fail("missing zone designator ('Z' or ±HH:MM)")
        }
        guard i == b.count else { throw fail("unexpected text after the zone designator") }
        let days = daysFromCivil(Int64(year), month, day)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
    }

    // Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
    public static func daysFromCivil(_ year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
