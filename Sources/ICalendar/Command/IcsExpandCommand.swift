#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BookijiCore

/// `bookiji ics expand`: the busy and tentative intervals of an iCalendar file, offline, as the
/// command prints them.
///
/// The executable parses the command line into ``IcsExpandOptions`` and writes the result out:
/// ```swift
/// let result = IcsExpandCommand.run(options, stdin: { readAllOfStandardInput() })
/// print(result.stdout, terminator: ""); printToStderr(result.stderr); exit(result.exitCode)
/// ```
/// Nothing is written to `stdout` unless the whole file was read and expanded.
public enum IcsExpandCommand {
    /// What the command printed and how it ended.
    public struct Output: Sendable, Hashable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Exit codes (BSD sysexits): 64 bad arguments, 65 malformed calendar, 66 unreadable input.
    public enum ExitCode {
        public static let success: Int32 = 0
        public static let usage: Int32 = 64
        public static let dataError: Int32 = 65
        public static let noInput: Int32 = 66
    }

    /// Runs the command.
    /// - Parameters:
    ///   - options: the parsed command line.
    ///   - stdin: reads all of standard input (called only for FILE `-`).
    ///   - readFile: reads a file; defaults to the file system.
    public static func run(
        _ options: IcsExpandOptions,
        stdin: () -> [UInt8],
        readFile: (String) -> Result<[UInt8], FileReadError> = readWholeFile
    ) -> Output {
        if let zone = options.timeZone, !isKnownZone(zone) {
            return Output(
                exitCode: ExitCode.usage, stdout: "",
                stderr: "error: --tz: unknown time zone '\(zone)' (use an IANA name such as Europe/Berlin)\n")
        }
        let bytes: [UInt8]
        if options.file == "-" {
            bytes = stdin()
        } else {
            switch readFile(options.file) {
            case .success(let b): bytes = b
            case .failure(let error):
                return Output(exitCode: ExitCode.noInput, stdout: "", stderr: "error: \(error.message)\n")
            }
        }
        let name = options.file == "-" ? "<stdin>" : options.file
        let expansion: CalendarExpansion
        do {
            let document = try ICalendarDocument(bytes: bytes, strict: options.strict)
            expansion = try document.expand(over: options.window, floatingTimeZone: options.timeZone)
        } catch {
            let location = error.line.map { ":\($0)" } ?? ""
            return Output(exitCode: ExitCode.dataError, stdout: "", stderr: "error: \(name)\(location): \(error.message)\n")
        }
        let intervals = options.merge ? BusyIntervalMerger.merge(expansion.intervals) : expansion.intervals
        let stdout = options.format == .json ? IntervalFormatter.json(intervals) : IntervalFormatter.text(intervals)
        return Output(exitCode: ExitCode.success, stdout: stdout, stderr: summaryText(expansion.summary, printed: intervals.count, options: options))
    }

    /// Whether libical finds `name` in the system's zone data (an IANA or Windows zone name).
    public static func isKnownZone(_ name: String) -> Bool {
        LibicalLock.withLock { TimeZoneResolver.systemZone(named: name) != nil }
    }

    static func summaryText(_ s: ExpansionSummary, printed: Int, options: IcsExpandOptions) -> String {
        var out = "\(s.eventCount) event\(s.eventCount == 1 ? "" : "s") (\(s.recurringEventCount) recurring): "
        out += "\(s.occurrenceCount) occurrence\(s.occurrenceCount == 1 ? "" : "s") and \(s.freeBusyPeriodCount) free/busy period\(s.freeBusyPeriodCount == 1 ? "" : "s")"
        out += " in [\(RFC3339.format(options.window.start)), \(RFC3339.format(options.window.end)))"
        if options.merge { out += ", \(printed) after merging" }
        switch s.floatingTimeZoneSource {
        case .calendar: out += "; floating times in \(s.floatingTimeZone) (X-WR-TIMEZONE)"
        case .caller: out += "; floating times in \(s.floatingTimeZone) (--tz)"
        case .defaultUTC: out += "; floating times in UTC"
        }
        out += "\n"
        if !s.skipped.isEmpty {
            var counts: [SkipReason: Int] = [:]
            for item in s.skipped { counts[item.reason, default: 0] += 1 }
            let parts = SkipReason.allCases.compactMap { r in counts[r].map { "\($0) \(r.rawValue)" } }
            out += "skipped \(s.skipped.count) component\(s.skipped.count == 1 ? "" : "s") blocking no time: " + parts.joined(separator: ", ") + "\n"
            for item in s.skipped.prefix(20) {
                out += "  line \(item.line): \(item.reason.rawValue)" + (item.uid.map { " (UID \($0))" } ?? "") + "\n"
            }
            if s.skipped.count > 20 { out += "  ... and \(s.skipped.count - 20) more\n" }
        }
        if !s.repaired.isEmpty {
            var counts: [RepairKind: Int] = [:]
            for item in s.repaired { counts[item.kind, default: 0] += 1 }
            let parts = RepairKind.allCases.compactMap { k in counts[k].map { "\($0) \(k.rawValue)" } }
            out += "repaired \(s.repaired.count) problem\(s.repaired.count == 1 ? "" : "s") instead of refusing the file (--strict refuses): "
            out += parts.joined(separator: ", ") + "\n"
            for item in s.repaired.prefix(20) {
                out += "  line \(item.line): \(item.kind.rawValue): \(item.message)\n"
            }
            if s.repaired.count > 20 { out += "  ... and \(s.repaired.count - 20) more\n" }
        }
        if !s.ignoredComponents.isEmpty {
            out += "ignored: " + s.ignoredComponents.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    /// Why a file could not be read.
    public struct FileReadError: Error, Sendable, Hashable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    /// Reads a whole file from the file system.
    public static func readWholeFile(_ path: String) -> Result<[UInt8], FileReadError> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            return .failure(FileReadError(message: "cannot open '\(path)': \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(FileReadError(message: "cannot read '\(path)': \(String(cString: strerror(errno)))"))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return .success(bytes)
    }
}
