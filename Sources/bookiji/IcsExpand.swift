import ArgumentParser
import BookijiCore
import Foundation
import ICalendar

/// `bookiji ics expand FILE --from ISO --to ISO [--tz ZONE] [--format json|text] [--merge]`.
///
/// The command line is read here; ``IcsExpandCommand`` in ICalendar expands and formats. Exit
/// codes follow sysexits: 64 bad arguments (swift-argument-parser's own code for a usage error),
/// 65 malformed calendar, 66 unreadable file.
struct IcsExpand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Print the busy and tentative intervals of an .ics file over a window, in UTC.",
        discussion: """
            Intervals overlapping the window are printed whole (not clipped), sorted by start. \
            Status is "busy" or "tentative"; cancelled, transparent, zero-length and FBTYPE=FREE \
            items block nothing. A summary goes to standard error.

            Damage that real-world exporters leave is repaired and listed in the summary with its \
            line: an empty RRULE (ignored), COUNT=-1 beside UNTIL (dropped), DTEND before DTSTART \
            (swapped), DTEND with DURATION (DTEND kept), an END naming no open component (closes \
            the innermost), a line that does not parse (skipped), a stale override (dropped). \
            --strict refuses these instead.

            Exit status: 0 success, 64 bad arguments, 65 malformed calendar (the message names the \
            line), 66 unreadable file. On error nothing is printed to standard output.
            """)

    /// The output formats; the library's ``IcsExpandOptions/Format`` without a retroactive
    /// conformance to an imported protocol.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, text

        /// Case-insensitive, as before: `--format TEXT` is accepted.
        init?(argument: String) {
            self.init(rawValue: argument.lowercased())
        }
    }

    @Argument(help: ArgumentHelp("The .ics file, or - to read standard input.", valueName: "file"))
    var file: String

    @Option(
        help: ArgumentHelp(
            "Window start: an RFC 3339 instant (2026-03-01T00:00:00Z) or a date (UTC midnight).", valueName: "iso"),
        transform: Self.instant)
    var from: Int64

    @Option(help: ArgumentHelp("Window end (exclusive), same forms.", valueName: "iso"), transform: Self.instant)
    var to: Int64

    @Option(
        name: .customLong("tz"),
        help: ArgumentHelp(
            """
            Zone for floating times and all-day dates when the file has no X-WR-TIMEZONE (IANA, \
            e.g. Europe/Berlin, or a Windows zone name); without either they are read as UTC.
            """,
            valueName: "zone"))
    var timeZone: String?

    @Option(help: """
        json: one array of {"start","end","status","uid"}; text: one "START  END  STATUS  UID" \
        line per interval.
        """)
    var format: Format = .json

    @Flag(help: "Print JSON (the default; the same as --format json), as every command's --json does.")
    var json = false

    @Flag(help: "Merge overlapping or touching intervals of the same status (no uid).")
    var merge = false

    @Flag(help: "Refuse the file, naming the line, where the default repairs it and reports the repair.")
    var strict = false

    func validate() throws {
        guard to > from else { throw ValidationError("--to must be after --from") }
        guard !(json && format == .text) else { throw ValidationError("--json and --format text contradict each other; give one") }
    }

    func run() throws {
        let options = IcsExpandOptions(
            file: file, window: UTCInterval(start: from, end: to), timeZone: timeZone,
            format: format == .json ? .json : .text, merge: merge, strict: strict)
        let output = IcsExpandCommand.run(options, stdin: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
        FileHandle.standardOutput.write(Data(output.stdout.utf8))
        FileHandle.standardError.write(Data(output.stderr.utf8))
        if output.exitCode != 0 { throw ExitCode(output.exitCode) }
    }

    /// An RFC 3339 instant, or a bare `YYYY-MM-DD` meaning midnight UTC.
    static func instant(_ text: String) throws -> Int64 {
        let bytes = Array(text.utf8)
        let isDate = bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
        do {
            return try RFC3339.parse(isDate ? text + "T00:00:00Z" : text)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
