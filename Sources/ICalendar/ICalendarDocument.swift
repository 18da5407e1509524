import BookijiCore

/// A parsed iCalendar file, ready to be expanded into busy time over any window.
///
/// Reading the file checks its syntax (every error names its line), pairs BEGIN/END, parses the
/// values that decide busy time and resolves every TZID; ``expand(over:floatingTimeZone:limits:)``
/// then produces the intervals. The value is immutable and safe to share between threads.
///
/// A read is lenient unless asked to be strict: the damage real-world exporters leave (see
/// ``RepairKind``) is repaired and listed in ``ExpansionSummary/repaired`` with its line, where a
/// strict read refuses the file naming that line. Damage that leaves nothing to trust (no
/// `BEGIN:VCALENDAR`, binary data, a file cut short) is refused in both modes.
///
/// ```swift
/// let document = try ICalendarDocument(bytes: fileBytes)
/// let result = try document.expand(over: UTCInterval(start: from, end: to), floatingTimeZone: "Europe/Berlin")
/// ```
public struct ICalendarDocument: Sendable {
    let events: [EventComponent]
    let freeBusy: [FreeBusyPeriod]
    let zones: ResolvedZones
    let ignoredComponents: [String: Int]
    /// Whether the read refuses what a lenient read repairs (and so expansion does too).
    public let strict: Bool
    /// Repairs made while reading; expansion adds those that need zones (DTEND before DTSTART).
    let repairs: [RepairedItem]

    /// Parses an iCalendar stream (UTF-8; CRLF or LF line endings).
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - strict: refuse, naming the line, what a lenient read repairs (``RepairKind``).
    public init(bytes: [UInt8], strict: Bool = false) throws(ICalendarError) {
        var repairs = RepairLog(strict: strict)
        let lines = try ContentLineReader.read(bytes)
        let calendars = try ComponentTreeBuilder.build(lines, repairs: &repairs)
        var events: [EventComponent] = []
        var freeBusy: [FreeBusyPeriod] = []
        var vtimezones: [RawComponent] = []
        var ignored: [String: Int] = [:]
        var calendarZone: ContentLine?
        for calendar in calendars {
            if calendarZone == nil, let x = calendar.first("X-WR-TIMEZONE"), !x.value.isEmpty { calendarZone = x }
            for child in calendar.children {
                switch child.name {
                case "VEVENT": events.append(try EventComponent(child, repairs: &repairs))
                case "VFREEBUSY": freeBusy.append(contentsOf: try FreeBusyPeriod.read(child))
                case "VTIMEZONE": vtimezones.append(child)
                default: ignored[child.name, default: 0] += 1
                }
            }
        }
        self.events = events
        self.strict = strict
        self.repairs = repairs.items
        self.freeBusy = freeBusy
        self.ignoredComponents = ignored
        let referenced = events.flatMap(\.dateTimeValues) + freeBusy.flatMap { f -> [DateTimeValue] in
            if case .end(let e) = f.period.end { return [f.period.start, e] }
            return [f.period.start]
        }
        self.zones = try LibicalLock.withLock { () throws(ICalendarError) -> ResolvedZones in
            var resolver = try TimeZoneResolver(vtimezones: vtimezones)
            var byTZID: [String: ZoneRules] = [:]
            for v in referenced {
                guard !v.isDate, case .tzid(let tzid) = v.zone, byTZID[tzid] == nil else { continue }
                byTZID[tzid] = try resolver.resolve(tzid, line: v.line)
            }
            var calendar: (name: String, rules: ZoneRules)?
            if let calendarZone {
                calendar = (calendarZone.value, try resolver.resolve(calendarZone.value, line: calendarZone.line, what: "X-WR-TIMEZONE"))
            }
            return ResolvedZones(byTZID: byTZID, calendar: calendar)
        }
    }

    /// Parses an iCalendar stream held in a string.
    public init(text: String, strict: Bool = false) throws(ICalendarError) {
        try self.init(bytes: Array(text.utf8), strict: strict)
    }

    /// Number of VEVENT components in the file.
    public var eventCount: Int { events.count }

    /// The calendar's `X-WR-TIMEZONE`, if it has one (already checked to be a known zone).
    public var calendarTimeZone: String? { zones.calendar?.name }

    /// Busy and tentative intervals overlapping `window`.
    ///
    /// - Parameters:
    ///   - window: the UTC window; intervals overlapping it are returned unclipped.
    ///   - floatingTimeZone: the zone for floating DATE-TIME and all-day DATE values when the file
    ///     has no `X-WR-TIMEZONE` (the vendor's zone on import, `--tz` on the command line): an
    ///     IANA or Windows zone name. Without either, floating times are read as UTC.
    ///   - limits: guards against rules whose expansion would take unreasonably long.
    /// - Throws: ``ICalendarError`` with a line number for an RRULE that cannot be expanded, or
    ///   (strict reads) a DTEND before DTSTART; `.unknownTimeZone` when `floatingTimeZone` is unknown.
    public func expand(
        over window: UTCInterval, floatingTimeZone: String? = nil, limits: ExpansionLimits = ExpansionLimits()
    ) throws(ICalendarError) -> CalendarExpansion {
        guard window.end > window.start else {
            throw ICalendarError(.invalidArgument, line: nil, "the window \(window) is empty: its end must be after its start")
        }
        var result = try LibicalLock.withLock { () throws(ICalendarError) -> CalendarExpansion in
            var summary = ExpansionSummary()
            summary.ignoredComponents = ignoredComponents
            let floating: ZoneRules
            if let calendar = zones.calendar {
                floating = calendar.rules
                summary.floatingTimeZone = calendar.name
                summary.floatingTimeZoneSource = .calendar
            } else if let name = floatingTimeZone {
                guard let rules = TimeZoneResolver.systemZone(named: name) else {
                    throw ICalendarError(
                        .unknownTimeZone, line: nil,
                        "unknown time zone '\(name)' for floating times: use an IANA name such as Europe/Berlin")
                }
                floating = rules
                summary.floatingTimeZone = name
                summary.floatingTimeZoneSource = .caller
            } else {
                floating = .utc
            }
            var expander = CalendarExpander(
                window: window, floating: floating, zones: zones.byTZID, limits: limits, summary: summary)
            var repairs = RepairLog(strict: strict)
            try expander.expand(events: events, repairs: &repairs)
            expander.expand(freeBusy: freeBusy)
            var expanded = expander.summary
            expanded.repaired += self.repairs + repairs.items
            return CalendarExpansion(intervals: expander.intervals, summary: expanded)
        }
        result.intervals.sort()
        result.summary.repaired.sort { ($0.line, $0.kind.rawValue) < ($1.line, $1.kind.rawValue) }
        result.summary.skipped.sort { ($0.line, $0.reason.rawValue) < ($1.line, $1.reason.rawValue) }
        return result
    }
}

/// The zones a document refers to, resolved once when it is read.
// @unchecked Sendable: immutable after init; the ZoneRules it holds are only used under LibicalLock.
final class ResolvedZones: @unchecked Sendable {
    let byTZID: [String: ZoneRules]
    let calendar: (name: String, rules: ZoneRules)?

    init(byTZID: [String: ZoneRules], calendar: (name: String, rules: ZoneRules)?) {
        self.byTZID = byTZID
        self.calendar = calendar
    }
}
