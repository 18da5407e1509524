import Availability
import BookijiCore

/// How instants and amounts read to a vendor: in the vendor's own time zone, in English, with
/// the zone named ("Tuesday, 15 December 2026, 09:00–10:00 (Europe/Berlin, UTC+01:00)"), and
/// amounts in major units with the currency's own decimals ("50.00 EUR").
public enum LocalWording {
    /// One instant in `zone`: its date, its time of day and the offset in force.
    public struct Instant: Sendable, Hashable {
        public var date: String
        public var time: String
        public var offset: String
    }

    public static func instant(_ epochSeconds: Int64, zone: String) -> Instant {
        let offset = ZoneOffsets.offsetSeconds(zone: zone, at: epochSeconds) ?? 0
        let local = epochSeconds + Int64(offset)
        let days = floorDiv(local, 86_400)
        let seconds = Int(local - days * 86_400)
        let (year, month, day) = RFC3339.civilFromDays(days)
        let weekday = weekdays[Int(((days + 3) % 7 + 7) % 7)]
        return Instant(
            date: "\(weekday), \(day) \(months[month - 1]) \(year)", time: twoDigits(seconds / 3600) + ":" + twoDigits(seconds / 60 % 60),
            offset: offsetText(offset))
    }

    /// The slot as one line: one date when it starts and ends on the same day, both otherwise.
    public static func slot(_ slot: UTCInterval, zone: String) -> String {
        let start = instant(slot.start, zone: zone), end = instant(slot.end, zone: zone)
        let span = start.date == end.date
            ? "\(start.date), \(start.time)–\(end.time)" : "\(start.date), \(start.time) – \(end.date), \(end.time)"
        return "\(span) (\(zone), \(start.offset))"
    }

    /// A time of day on its date in the zone, for deadlines: "09:12 on Tuesday, 15 December 2026 (Europe/Berlin)".
    public static func deadline(_ epochSeconds: Int64, zone: String) -> String {
        let local = instant(epochSeconds, zone: zone)
        return "\(local.time) on \(local.date) (\(zone))"
    }

    /// An amount in minor units as the currency writes it: `50.00 EUR`, `5000 JPY`, `1.500 KWD`.
    public static func amount(_ minor: Int64, currency: String) -> String {
        let code = currency.uppercased()
        let decimals = zeroDecimal.contains(currency.lowercased()) ? 0 : threeDecimal.contains(currency.lowercased()) ? 3 : 2
        guard decimals > 0 else { return "\(minor) \(code)" }
        var unit: Int64 = 1
        for _ in 0..<decimals { unit *= 10 }
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        let fraction = String(magnitude % UInt64(unit))
        return "\(sign)\(magnitude / UInt64(unit)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction) \(code)"
    }

    /// Currencies without minor units and with three decimals, as Stripe lists them.
    static let zeroDecimal: Set<String> = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ]
    static let threeDecimal: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    static func offsetText(_ seconds: Int) -> String {
        let magnitude = abs(seconds)
        return "UTC" + (seconds < 0 ? "-" : "+") + twoDigits(magnitude / 3600) + ":" + twoDigits(magnitude / 60 % 60)
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
