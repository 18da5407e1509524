/// A half-open span of time `[start, end)` in whole seconds since the Unix epoch, UTC.
///
/// Every module exchanges time as epoch seconds: calendars, the availability engine and the
/// reservation store all agree on one representation, and zone arithmetic happens only where a
/// local wall-clock time is involved (working hours, floating iCalendar times).
public struct UTCInterval: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    public var duration: Int64 { end - start }
    public var isEmpty: Bool { end <= start }

    /// Whether the two spans share at least one second. An empty (or inverted) interval overlaps
    /// nothing, as with Postgres ranges, so this agrees with the database's exclusion constraint.
    public func overlaps(_ other: UTCInterval) -> Bool {
        start < other.end && other.start < end && start < end && other.start < other.end
    }

    public func contains(_ instant: Int64) -> Bool {
        start <= instant && instant < end
    }

    public static func < (lhs: UTCInterval, rhs: UTCInterval) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    public var description: String {
        "[\(RFC3339.format(start)), \(RFC3339.format(end)))"
    }
}

/// How a calendar marks an interval. Free time is the absence of an interval.
public enum BusyStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case busy
    case tentative
}

/// An interval a calendar source reports as busy or tentative, in UTC.
///
/// This is the one shape in which busy time reaches the availability engine, whether it comes
/// from an iCalendar feed, a Google or Outlook free/busy query, or (as `busy`) a reservation.
public struct BusyInterval: Sendable, Hashable, Comparable {
    public var interval: UTCInterval
    public var status: BusyStatus
    /// The calendar component's UID where one exists; `nil` for free/busy periods and merged output.
    public var uid: String?

    public init(interval: UTCInterval, status: BusyStatus, uid: String? = nil) {
        self.interval = interval
        self.status = status
        self.uid = uid
    }

    public init(start: Int64, end: Int64, status: BusyStatus, uid: String? = nil) {
        self.init(interval: UTCInterval(start: start, end: end), status: status, uid: uid)
    }

    public static func < (lhs: BusyInterval, rhs: BusyInterval) -> Bool {
        if lhs.interval != rhs.interval { return lhs.interval < rhs.interval }
        if lhs.status != rhs.status { return lhs.status.rawValue < rhs.status.rawValue }
        return (lhs.uid ?? "") < (rhs.uid ?? "")
    }
}
