import BookijiCore

/// A parsed iCalendar file, ready to be expanded into busy time over any window.
///
/// Reading the file checks its syntax (every error names its line), pairs BEGIN/END, parses the
/// values that decide busy time and resolves every TZID; ``expand(over:floatingTimeZone:limits:)``
/// then produces the intervals. The value is immutable and safe to share between threads.
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

    /// Parses an iCalendar stream (UTF-8; CRLF or LF line endings).
    public init(bytes: [UInt8]) throws(ICalendarError) {
        let lines = try ContentLineReader.read(bytes)
        let calendars = try ComponentTreeBuilder.build(lines)
        var events: [EventComponent] = []
        var freeBusy: [FreeBusyPeriod] = []
        var vtimezones: [RawComponent] = []
        var ignored: [String: Int] = [:]
        var calendarZone: ContentLine?
        for calendar in calendars {
            if calendarZone == nil, let x = calendar.first("X-WR-TIMEZONE"), !x.value.isEmpty { calendarZone = x }
            for child in calendar.children {
                switch child.name {
                case "VEVENT": events.append(try EventComponent(child))
                case "VFREEBUSY": freeBusy.append(contentsOf: try FreeBusyPeriod.read(child))
                case "VTIMEZONE": vtimezones.append(child)
                default: ignored[child.name, default: 0] += 1
                }
            }
        }
        self.events = events
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
    public init(text: String) throws(ICalendarError) {
        try self.init(bytes: Array(text.utf8))
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
    /// - Throws: ``ICalendarError`` with a line number for a DTEND before DTSTART or an RRULE that
    ///   cannot be expanded; `.unknownTimeZone` when `floatingTimeZone` is unknown.
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
            try expander.expand(events: events)
            expander.expand(freeBusy: freeBusy)
            return CalendarExpansion(intervals: expander.intervals, summary: expander.summary)
        }
        result.intervals.sort()
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
