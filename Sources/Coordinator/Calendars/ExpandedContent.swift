import BookijiCore
import ICalendar

/// The busy time of every input of one import, gathered before anything is written.
struct ExpandedContent {
    private(set) var intervals: [BusyInterval] = []
    /// Lowercase hex SHA-256 of each input's bytes, in input order.
    private(set) var inputDigests: [String] = []
    private var inputs: [CalendarImportReport.Input] = []
    private var summaries: [(name: String, summary: ExpansionSummary)] = []
    /// Refuse what a lenient read repairs (`import-ics --strict`).
    let strict: Bool

    init(strict: Bool = false) {
        self.strict = strict
    }

    /// Parses and expands one input; the bytes are not kept.
    /// - Throws: ``CalendarImportError`` `.malformedCalendar` naming `name` and the line.
    mutating func add(
        _ bytes: [UInt8], name: String, window: UTCInterval, zone: String, limits: ExpansionLimits
    ) throws(CalendarImportError) {
        let expansion: CalendarExpansion
        do {
            expansion = try ICalendarDocument(bytes: bytes, strict: strict).expand(over: window, floatingTimeZone: zone, limits: limits)
        } catch {
            throw CalendarImportError(.malformedCalendar, input: name, line: error.line, error.message)
        }
        var hasher = SHA256()
        hasher.update(bytes)
        inputDigests.append(hasher.finalize().hexString)
        intervals.append(contentsOf: expansion.intervals)
        inputs.append(CalendarImportReport.Input(
            name: name, bytes: bytes.count, events: expansion.summary.eventCount, intervals: expansion.intervals.count,
            floatingTimeZone: expansion.summary.floatingTimeZone,
            floatingTimeZoneSource: expansion.summary.floatingTimeZoneSource))
        summaries.append((name, expansion.summary))
    }

    /// Adds the per-input counts and skipped items to `report`.
    func fill(_ report: inout CalendarImportReport) {
        report.inputs = inputs
        for (name, s) in summaries {
            report.events += s.eventCount
            report.recurringEvents += s.recurringEventCount
            report.occurrences += s.occurrenceCount
            report.freeBusyPeriods += s.freeBusyPeriodCount
            report.skipped += s.skipped.map {
                CalendarImportReport.Skipped(input: name, line: $0.line, uid: $0.uid, reason: $0.reason)
            }
            report.repaired += s.repaired.map {
                CalendarImportReport.Repaired(input: name, line: $0.line, kind: $0.kind, message: $0.message)
            }
            report.ignoredComponents.merge(s.ignoredComponents, uniquingKeysWith: +)
        }
    }
}
