/// Why an iCalendar file could not be turned into busy time.
///
/// Every error that comes from the file carries the 1-based line number of the (first physical
/// line of the) content line at fault, so an operator can open the file and fix it.
public struct ICalendarError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A small, stable classification of the failure, for callers that map errors to API codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A content line that is not `NAME *(;PARAM=VALUE) : VALUE`.
        public static let malformedLine = Code("malformed-line")
        /// BEGIN/END that do not pair up, content outside VCALENDAR, or a file cut short.
        public static let unbalancedComponents = Code("unbalanced-components")
        /// A property value that does not parse (a date, a duration, a period, an integer...).
        public static let invalidValue = Code("invalid-value")
        /// A property that may appear once appears twice, or two properties exclude each other.
        public static let conflictingProperties = Code("conflicting-properties")
        /// A TZID (or X-WR-TIMEZONE, or the caller's zone) that is neither in the file, nor an
        /// IANA zone, nor a Windows zone name.
        public static let unknownTimeZone = Code("unknown-time-zone")
        /// An RRULE that is malformed or cannot be expanded.
        public static let invalidRecurrenceRule = Code("invalid-recurrence-rule")
        /// An RRULE whose expansion would exceed the configured limits (a guard against feeds that
        /// would make the expander run for minutes).
        public static let recurrenceTooLarge = Code("recurrence-too-large")
        /// The input is empty or is not an iCalendar stream at all.
        public static let notACalendar = Code("not-a-calendar")
        /// A caller-supplied argument (window, zone) is invalid.
        public static let invalidArgument = Code("invalid-argument")
    }

    public var code: Code
    /// 1-based line number in the input, or `nil` when the error is not tied to a line.
    public var line: Int?
    /// What went wrong and, where possible, how to fix it.
    public var message: String

    public init(_ code: Code, line: Int?, _ message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    /// `line N: message`, the form printed by `bookiji ics expand`.
    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}
