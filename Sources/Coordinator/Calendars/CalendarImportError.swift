/// Why an iCalendar import wrote nothing.
///
/// ``description`` is the line the CLI prints: `FILE:LINE: message` when the failure is in a
/// calendar's content, so an operator can open the file at the fault.
public struct CalendarImportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A small, stable classification; the CLI maps it to an exit status.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A bad window, zone, or mix of inputs.
        public static let invalidArgument = Code("invalid-argument")
        public static let vendorNotFound = Code("vendor-not-found")
        /// A file or folder that does not exist or cannot be read, or a folder without .ics files.
        public static let unreadableInput = Code("unreadable-input")
        /// A calendar whose content cannot be read or expanded (the message names file and line).
        public static let malformedCalendar = Code("malformed-calendar")
        /// A URL that could not be fetched (network error, timeout, HTTP status other than 200/304).
        public static let fetchFailed = Code("fetch-failed")
        /// The named source exists with another kind (a file source cannot become a URL source).
        public static let sourceKindMismatch = Code("source-kind-mismatch")
    }

    public var code: Code
    /// The file path or URL at fault, if any.
    public var input: String?
    /// 1-based line in `input`, if the failure is tied to one.
    public var line: Int?
    /// What went wrong and, where possible, how to fix it.
    public var message: String

    public init(_ code: Code, input: String? = nil, line: Int? = nil, _ message: String) {
        self.code = code
        self.input = input
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: message`, `FILE: message` or `message`.
    public var description: String {
        guard let input else { return message }
        return input + (line.map { ":\($0)" } ?? "") + ": " + message
    }
}
