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
    /// Damage that was repaired instead of refusing the file, each with its line, in line order
    /// (always empty when the document was read with `strict: true`).
    public var repaired: [RepairedItem] = []
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

/// Damage in the file that was repaired rather than refusing the whole file.
public struct RepairedItem: Sendable, Hashable {
    /// The line at fault: the one a strict read would have named in its error.
    public var line: Int
    public var kind: RepairKind
    /// What was found and what was done about it.
    public var message: String

    public init(line: Int, kind: RepairKind, message: String) {
        self.line = line
        self.kind = kind
        self.message = message
    }
}

/// The kinds of damage real-world exporters leave that a lenient read repairs.
public enum RepairKind: String, Sendable, Hashable, CaseIterable {
    /// A content line that does not parse (typically a fold that lost its leading space): skipped.
    case unparsableLine = "unparsable-line"
    /// An `END:` whose name matches no open component (`END:VTOOD`): the innermost one is closed.
    case mismatchedEnd = "mismatched-end"
    /// An empty `RRULE:` value: ignored, the event has a single instance.
    case emptyRecurrenceRule = "empty-rrule"
    /// `COUNT=-1` (or 0) beside an `UNTIL`: the COUNT is dropped and UNTIL ends the series.
    case countWithUntil = "count-with-until"
    /// `DTEND` before `DTSTART`: the two are swapped.
    case endBeforeStart = "dtend-before-dtstart"
    /// `DTEND` and `DURATION` in one event: DTEND is kept, DURATION dropped.
    case endAndDuration = "dtend-and-duration"
    /// An override of an instance its master no longer has (its RECURRENCE-ID is in EXDATE, or a
    /// lower SEQUENCE and the current rule no longer yields it): dropped.
    case staleOverride = "stale-override"
}
