import BookijiCore

/// The parsed arguments of `bookiji ics expand`.
public struct IcsExpandOptions: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case json
        case text
    }

    /// A path, or `-` for standard input.
    public var file: String
    public var window: UTCInterval
    /// Zone for floating and all-day times when the file has no X-WR-TIMEZONE.
    public var timeZone: String?
    public var format: Format = .json
    /// Merge overlapping (and touching) intervals of the same status; UIDs are dropped.
    public var merge = false

    public init(file: String, window: UTCInterval, timeZone: String? = nil, format: Format = .json, merge: Bool = false) {
        self.file = file
        self.window = window
        self.timeZone = timeZone
        self.format = format
        self.merge = merge
    }

    /// Why the arguments were refused; `message` is fit to print before the usage line.
    public struct UsageError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses the arguments that follow `bookiji ics expand`.
    /// - Returns: `nil` when help was asked for (`--help` or `-h`).
    public static func parse(_ arguments: [String]) throws(UsageError) -> IcsExpandOptions? {
        if arguments.contains("--help") || arguments.contains("-h") { return nil }
        var file: String?
        var from: Int64?
        var to: Int64?
        var timeZone: String?
        var format = Format.json
        var merge = false
        var i = 0
        func value(_ name: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(message: "\(name) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            let argument = arguments[i]
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            switch name {
            case "--from": from = try instant(try value(name, inline: inline), name)
            case "--to": to = try instant(try value(name, inline: inline), name)
            case "--tz":
                let zone = try value(name, inline: inline)
                guard !zone.isEmpty else { throw UsageError(message: "--tz needs a zone name such as Europe/Berlin") }
                timeZone = zone
            case "--format":
                let v = try value(name, inline: inline)
                guard let f = Format(rawValue: v.lowercased()) else {
                    throw UsageError(message: "--format must be json or text, not '\(v)'")
                }
                format = f
            case "--merge":
                guard inline == nil else { throw UsageError(message: "--merge takes no value") }
                merge = true
            default:
                if argument.hasPrefix("-"), argument != "-" {
                    throw UsageError(message: "unknown option '\(argument)'")
                }
                guard file == nil else { throw UsageError(message: "only one FILE may be given (got '\(file!)' and '\(argument)')") }
                file = argument
            }
            i += 1
        }
        guard let file else { throw UsageError(message: "missing FILE (use - for standard input)") }
        guard let from else { throw UsageError(message: "missing --from") }
        guard let to else { throw UsageError(message: "missing --to") }
        guard to > from else { throw UsageError(message: "--to must be after --from") }
        return IcsExpandOptions(file: file, window: UTCInterval(start: from, end: to), timeZone: timeZone, format: format, merge: merge)
    }

    /// An RFC 3339 instant, or a bare `YYYY-MM-DD` meaning midnight UTC.
    static func instant(_ text: String, _ option: String) throws(UsageError) -> Int64 {
        let b = Array(text.utf8)
        if b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") {
            do {
                return try RFC3339.parse(text + "T00:00:00Z")
            } catch {
                throw UsageError(message: "\(option): \(error.message)")
            }
        }
        do {
            return try RFC3339.parse(text)
        } catch {
            throw UsageError(message: "\(option): \(error.message)")
        }
    }
}
