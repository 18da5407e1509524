/// Counts and reasons an importer can show ("120 events, 340 occurrences, 3 skipped: ...").
public struct ExpansionSummary: Sendable, Hashable {
    /// VEVENT components read (masters, overrides and single events).
    public var eventCount = 0
    /// VEVENT masters with an RRULE or RDATE.
    public var recurringEventCount = 0
    /// Intervals that came from VEVENTs and overlap the window.
    public var occurrenceCount = 0
    /// Intervals that came from VFREEBUSY periods and overlap the window.
    public var freeBusyPeriodCount = 0
    /// Components that were read but block no time, each with its line and reason.
    public var skipped: [SkippedItem] = []
    /// Components other than VEVENT, VFREEBUSY and VTIMEZONE (VTODO, VJOURNAL, X-...), by name.
    public var ignoredComponents: [String: Int] = [:]
    /// The zone used for floating DATE-TIME values and all-day DATE values.
    public var floatingTimeZone = "UTC"
    public var floatingTimeZoneSource: FloatingTimeZoneSource = .defaultUTC

    public init() {}
}

/// Where the zone for floating times came from.
public enum FloatingTimeZoneSource: String, Sendable, Hashable {
    /// The calendar's `X-WR-TIMEZONE` (Google Calendar exports).
    case calendar
    /// The caller's zone: the vendor's zone on import, `--tz` on the command line.
    case caller
    /// Neither was given: floating times were read as UTC.
    case defaultUTC = "default-utc"
}

/// A component that was read but blocks no time.
public struct SkippedItem: Sendable, Hashable {
    /// Line of the component's `BEGIN`.
    public var line: Int
    public var uid: String?
    public var reason: SkipReason

    public init(line: Int, uid: String?, reason: SkipReason) {
        self.line = line
        self.uid = uid
        self.reason = reason
    }
}

/// Why a component blocks no time.
public enum SkipReason: String, Sendable, Hashable, CaseIterable {
    /// `STATUS:CANCELLED` (a whole event, or one overridden occurrence).
    case cancelled
    /// `TRANSP:TRANSPARENT`: the event does not block time.
    case transparent
    /// Starts and ends at the same instant (e.g. a DATE-TIME DTSTART without DTEND or DURATION).
    case zeroLength = "zero-length"
    /// A VEVENT without DTSTART.
    case missingStart = "missing-dtstart"
    /// Another copy with the same UID (and RECURRENCE-ID) has a higher SEQUENCE.
    case superseded
}
