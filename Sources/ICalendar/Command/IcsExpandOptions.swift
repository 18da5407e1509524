import BookijiCore

/// What `bookiji ics expand` was asked to do, already parsed: the executable reads the command
/// line (swift-argument-parser) and hands this to ``IcsExpandCommand/run(_:stdin:readFile:)``.
public struct IcsExpandOptions: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case json
        case text
    }

    /// A path, or `-` for standard input.
    public var file: String
    /// Intervals overlapping this window are printed whole.
    public var window: UTCInterval
    /// Zone for floating and all-day times when the file has no X-WR-TIMEZONE.
    public var timeZone: String?
    public var format: Format = .json
    /// Merge overlapping (and touching) intervals of the same status; UIDs are dropped.
    public var merge = false
    /// Refuse, naming the line, what is otherwise repaired and reported (``RepairKind``).
    public var strict = false

    public init(
        file: String, window: UTCInterval, timeZone: String? = nil, format: Format = .json, merge: Bool = false,
        strict: Bool = false
    ) {
        self.file = file
        self.window = window
        self.timeZone = timeZone
        self.format = format
        self.merge = merge
        self.strict = strict
    }
}
