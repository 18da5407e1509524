import BookijiCore
import ICalendar
import Store

/// What an import did, for the summary the CLI prints at the end.
public struct CalendarImportReport: Sendable {
    public enum Outcome: String, Sendable, Hashable {
        /// The source's intervals inside the window were replaced; the vendor's revision moved.
        case replaced
        /// Same content, window and zone as the last import: only the sync time was recorded.
        case unchanged
        /// The feed answered `304 Not Modified` to the validators of the last import.
        case notModified = "not-modified"
    }

    /// One file or feed that was read.
    public struct Input: Sendable, Hashable {
        /// Path or URL.
        public var name: String
        public var bytes: Int
        public var events: Int
        public var intervals: Int
        /// The zone used for floating times, and whether it came from the file (X-WR-TIMEZONE).
        public var floatingTimeZone: String
        public var floatingTimeZoneSource: FloatingTimeZoneSource
    }

    /// A component that blocks no time, with the input it came from.
    public struct Skipped: Sendable, Hashable {
        public var input: String
        public var line: Int
        public var uid: String?
        public var reason: SkipReason
    }

    /// Damage in an input that was repaired instead of refusing it, with the input it came from.
    public struct Repaired: Sendable, Hashable {
        public var input: String
        public var line: Int
        public var kind: RepairKind
        public var message: String
    }

    public var outcome: Outcome
    /// The source after the import (its status, sync time, covered window and digest).
    public var source: CalendarSource
    public var window: UTCInterval
    /// The zone given for floating times (`--tz`, or the vendor's zone).
    public var timeZone: String
    /// Empty for ``Outcome/notModified``: nothing was read.
    public var inputs: [Input] = []
    public var events = 0
    public var recurringEvents = 0
    public var occurrences = 0
    public var freeBusyPeriods = 0
    /// Intervals stored (clipped to the window); 0 unless ``outcome`` is ``Outcome/replaced``.
    public var intervalsWritten = 0
    /// Intervals the content holds in the window, whether or not they had to be written again.
    public var intervalsInWindow = 0
    /// Every skipped component, in input order then line order.
    public var skipped: [Skipped] = []
    /// Every repair (``RepairKind``), in input order then line order; empty for a strict import.
    public var repaired: [Repaired] = []
    /// Components other than VEVENT, VFREEBUSY and VTIMEZONE, by name, over all inputs.
    public var ignoredComponents: [String: Int] = [:]
    /// The vendor's revision after the import.
    public var revision: Int64 = 0
    public var contentDigest: String?

    init(outcome: Outcome, source: CalendarSource, window: UTCInterval, timeZone: String) {
        self.outcome = outcome
        self.source = source
        self.window = window
        self.timeZone = timeZone
    }

    /// Skipped components counted by reason, in ``SkipReason`` order, leaving out reasons with none.
    public var skippedByReason: [(reason: SkipReason, count: Int)] {
        var counts: [SkipReason: Int] = [:]
        for item in skipped { counts[item.reason, default: 0] += 1 }
        return SkipReason.allCases.compactMap { reason in counts[reason].map { (reason, $0) } }
    }

    /// Repairs counted by kind, in ``RepairKind`` order, leaving out kinds with none.
    public var repairedByKind: [(kind: RepairKind, count: Int)] {
        var counts: [RepairKind: Int] = [:]
        for item in repaired { counts[item.kind, default: 0] += 1 }
        return RepairKind.allCases.compactMap { kind in counts[kind].map { (kind, $0) } }
    }
}
