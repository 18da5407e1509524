/// Where a DATE or DATE-TIME value is anchored.
enum ZoneReference: Sendable, Hashable {
    /// Ends in `Z`.
    case utc
    /// No zone: the calendar's X-WR-TIMEZONE or the caller's zone decides. DATE values too.
    case floating
    /// A `TZID` parameter, resolved through the file's VTIMEZONEs, IANA or Windows names.
    case tzid(String)
}

/// A parsed DATE or DATE-TIME property value.
struct DateTimeValue: Sendable, Hashable {
    var local: LocalDateTime
    var isDate: Bool
    var zone: ZoneReference
    /// Line of the property that held the value (for errors about its zone).
    var line: Int
}
