import ArgumentParser
import BookijiCore
import Coordinator
import Foundation
import Integrations
import PartnerAPI
import Worker

/// `bookiji import-ics --vendor ID --source NAME FILE|DIR|URL...`
struct ImportICS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ics",
        abstract: "Import .ics files, folders or a feed URL into a vendor's calendar source.",
        discussion: """
            Every input is read and expanded first; a malformed file writes nothing and the error names \
            FILE:LINE. Damage real-world exporters leave (an empty RRULE, COUNT=-1 beside UNTIL, DTEND \
            before DTSTART, DTEND with DURATION, a misnamed END, a line that does not parse) is repaired \
            and listed under "repaired" with its FILE:LINE; --strict refuses such a file instead. \
            The source's intervals inside the window are then replaced in one transaction. \
            Importing the same content, window and zone again changes nothing (the vendor's revision stays). \
            A folder contributes its .ics files, sorted. A URL (http, https, webcal) is fetched with \
            If-None-Match / If-Modified-Since from the last import; a 304 changes nothing, and a failed \
            fetch is recorded on the source (see `bookiji vendor sources`).

            Exit status: 0 success, 1 database or vendor error, 64 bad arguments, 65 malformed calendar, \
            66 unreadable file or folder, 69 feed could not be fetched.
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(help: "Vendor id.") var vendor: String
    @Option(help: "Name of the vendor's calendar source (created on first import).") var source: String
    @Option(help: "Window start: RFC 3339 instant or YYYY-MM-DD (default: 30 days before today, UTC).") var from: String?
    @Option(help: "Window end, exclusive (default: 365 days after today, UTC).") var to: String?
    @Option(help: "Zone for floating times and all-day dates in files without X-WR-TIMEZONE (default: the vendor's zone).")
    var tz: String?
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Flag(help: "Refuse a file, naming FILE:LINE, where the default repairs it and reports the repair.") var strict = false
    @Argument(help: "Files, folders of .ics files, or one http(s)/webcal URL.") var inputs: [String] = []

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one FILE, DIR or URL to import") }
        guard TextLimits.name.contains(source), !source.unicodeScalars.contains("\u{0}") else {
            throw ValidationError("--source must be 1 to 200 characters (code points), without NUL")
        }
        _ = try window(now: 0)
    }

    /// The window from `--from`/`--to`, each defaulting to its side of the default window.
    func window(now: Int64) throws -> UTCInterval? {
        guard from != nil || to != nil else { return nil }
        let fallback = CalendarImport.defaultWindow(now: now)
        let start = try from.map { try Self.instant($0, "--from") } ?? fallback.start
        let end = try to.map { try Self.instant($0, "--to") } ?? fallback.end
        guard end > start else { throw ValidationError("--to must be after --from") }
        return UTCInterval(start: start, end: end)
    }

    static func instant(_ text: String, _ option: String) throws -> Int64 {
        let iso = text.utf8.count == 10 ? text + "T00:00:00Z" : text
        do {
            return try RFC3339.parse(iso)
        } catch {
            throw ValidationError("\(option): \(error.message)")
        }
    }

    func run() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let request = CalendarImport.Request(
            vendorID: vendor, sourceName: source, inputs: inputs, window: try window(now: now), timeZone: tz,
            strict: strict)
        var bar = ProgressBar(enabled: isatty(2) == 1)
        let report: CalendarImportReport
        do {
            report = try cliErrors {
                let importer = CalendarImport(database: try db.open())
                // The Coordinator never calls out: a URL is fetched here, through Integrations.
                var feed: (request: CalendarImport.FeedRequest, answer: CalendarImport.FeedAnswer)?
                if let feedRequest = try importer.feedRequest(for: request, now: now) {
                    bar.show(CalendarImport.Progress(
                        phase: .fetching, inputsDone: 0, inputsTotal: 1, bytesDone: 0, bytesTotal: 0, current: feedRequest.url))
                    feed = (feedRequest, try blockingAwait { try await ICSFeedFetcher().answer(feedRequest) })
                }
                return try importer.run(request, now: now, feed: feed) { bar.show($0) }
            }
        } catch let error as CalendarImportError {
            bar.clear()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(Self.exitCode(error.code))
        } catch {
            bar.clear()
            throw error
        }
        bar.clear()
        if json { printJSON { Self.write(report, to: &$0) } } else { print(Self.text(report), terminator: "") }
    }

    static func exitCode(_ code: CalendarImportError.Code) -> Int32 {
        switch code {
        case .invalidArgument, .sourceKindMismatch: 64
        case .malformedCalendar: 65
        case .unreadableInput: 66
        case .fetchFailed: 69
        default: 1
        }
    }

    /// How many skipped items are listed one by one.
    static let skippedShown = 10

    static func text(_ r: CalendarImportReport) -> String {
        let plural = { (n: Int, word: String) in "\(n) \(word)\(n == 1 ? "" : "s")" }
        var out = "source '\(r.source.name)' (\(r.source.kind.rawValue)) of vendor \(r.source.vendorID): "
        switch r.outcome {
        case .replaced: out += "replaced its intervals in the window; revision now \(r.revision)\n"
        case .unchanged: out += "unchanged (same content, window and zone as the last import); revision \(r.revision) kept\n"
        case .notModified: out += "feed not modified (HTTP 304); revision \(r.revision) kept\n"
        }
        out += "window [\(RFC3339.format(r.window.start)), \(RFC3339.format(r.window.end))); floating times in \(r.timeZone)\n"
        guard r.outcome != .notModified else { return out }
        let bytes = r.inputs.reduce(0) { $0 + $1.bytes }
        out += "\(plural(r.inputs.count, r.source.kind == .icsURL ? "feed" : "file")) (\(bytes) bytes): \(plural(r.events, "event")) (\(r.recurringEvents) recurring), "
        out += "\(plural(r.occurrences, "occurrence")), \(plural(r.freeBusyPeriods, "free/busy period"))\n"
        out += "intervals: \(r.intervalsInWindow) in the window, \(r.intervalsWritten) written\n"
        for input in r.inputs where input.floatingTimeZoneSource == .calendar {
            out += "  \(input.name): floating times in \(input.floatingTimeZone) (its X-WR-TIMEZONE)\n"
        }
        if !r.skipped.isEmpty {
            out += "skipped \(plural(r.skipped.count, "component")) blocking no time: "
            out += r.skippedByReason.map { "\($0.count) \($0.reason.rawValue)" }.joined(separator: ", ") + "\n"
            for item in r.skipped.prefix(skippedShown) {
                out += "  \(item.input):\(item.line): \(item.reason.rawValue)" + (item.uid.map { " (UID \($0))" } ?? "") + "\n"
            }
            if r.skipped.count > skippedShown { out += "  ... and \(r.skipped.count - skippedShown) more\n" }
        }
        if !r.repaired.isEmpty {
            out += "repaired \(plural(r.repaired.count, "problem")) instead of refusing the file (--strict refuses): "
            out += r.repairedByKind.map { "\($0.count) \($0.kind.rawValue)" }.joined(separator: ", ") + "\n"
            for item in r.repaired.prefix(skippedShown) {
                out += "  \(item.input):\(item.line): \(item.kind.rawValue): \(item.message)\n"
            }
            if r.repaired.count > skippedShown { out += "  ... and \(r.repaired.count - skippedShown) more\n" }
        }
        if !r.ignoredComponents.isEmpty {
            out += "ignored: " + r.ignoredComponents.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func write(_ r: CalendarImportReport, to json: inout JSONWriter) {
        json.field("outcome", r.outcome.rawValue)
        json.field("vendorId", r.source.vendorID)
        json.key("source")
        json.objectStart()
        json.field("id", r.source.id)
        json.field("name", r.source.name)
        json.field("kind", r.source.kind.rawValue)
        json.field("status", r.source.status)
        json.field("lastSyncedAt", r.source.lastSyncedAt)
        json.objectEnd()
        json.key("window")
        json.objectStart()
        json.key("start"); json.instant(r.window.start)
        json.key("end"); json.instant(r.window.end)
        json.objectEnd()
        json.field("timeZone", r.timeZone)
        json.field("files", r.inputs.count)
        json.key("inputs")
        json.arrayStart()
        for input in r.inputs {
            json.objectStart()
            json.field("name", input.name)
            json.field("bytes", input.bytes)
            json.field("events", input.events)
            json.field("intervals", input.intervals)
            json.field("floatingTimeZone", input.floatingTimeZone)
            json.field("floatingTimeZoneSource", input.floatingTimeZoneSource.rawValue)
            json.objectEnd()
        }
        json.arrayEnd()
        json.field("events", r.events)
        json.field("recurringEvents", r.recurringEvents)
        json.field("occurrences", r.occurrences)
        json.field("freeBusyPeriods", r.freeBusyPeriods)
        json.field("intervalsInWindow", r.intervalsInWindow)
        json.field("intervalsWritten", r.intervalsWritten)
        json.key("skipped")
        json.objectStart()
        json.field("total", r.skipped.count)
        json.key("byReason")
        json.objectStart()
        for (reason, count) in r.skippedByReason { json.field(reason.rawValue, count) }
        json.objectEnd()
        json.key("first")
        json.arrayStart()
        for item in r.skipped.prefix(skippedShown) {
            json.objectStart()
            json.field("input", item.input)
            json.field("line", item.line)
            json.field("uid", item.uid)
            json.field("reason", item.reason.rawValue)
            json.objectEnd()
        }
        json.arrayEnd()
        json.objectEnd()
        json.key("repaired")
        json.objectStart()
        json.field("total", r.repaired.count)
        json.key("byKind")
        json.objectStart()
        for (kind, count) in r.repairedByKind { json.field(kind.rawValue, count) }
        json.objectEnd()
        json.key("first")
        json.arrayStart()
        for item in r.repaired.prefix(skippedShown) {
            json.objectStart()
            json.field("input", item.input)
            json.field("line", item.line)
            json.field("kind", item.kind.rawValue)
            json.field("message", item.message)
            json.objectEnd()
        }
        json.arrayEnd()
        json.objectEnd()
        json.key("ignoredComponents")
        json.objectStart()
        for (name, count) in r.ignoredComponents.sorted(by: { $0.key < $1.key }) { json.field(name, count) }
        json.objectEnd()
        json.field("revision", r.revision)
        json.field("contentDigest", r.contentDigest)
    }
}

/// One line on standard error, redrawn in place with `\r`; drawn only when stderr is a terminal,
/// so logs and pipes never see it.
struct ProgressBar {
    let enabled: Bool
    private var drawn = false
    private var lastDraw: UInt64 = 0

    init(enabled: Bool) {
        self.enabled = enabled
    }

    mutating func show(_ p: CalendarImport.Progress) {
        guard enabled else { return }
        // At most ten redraws a second: a folder of thousands of small files must not flood the tty.
        let now = DispatchTime.now().uptimeNanoseconds
        if drawn, p.phase == .reading, now - lastDraw < 100_000_000 { return }
        lastDraw = now
        let width = Self.terminalWidth()
        var line: String
        switch p.phase {
        case .fetching:
            line = "fetching \(p.current ?? "")"
        case .writing:
            line = "writing \(p.inputsDone) file\(p.inputsDone == 1 ? "" : "s") to the database"
        case .reading:
            let fraction = p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) : Double(p.inputsDone) / Double(max(p.inputsTotal, 1))
            let cells = 24
            let filled = min(cells, Int(fraction * Double(cells)))
            line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "] "
            line += String(format: "%3d%% ", Int(fraction * 100))
            line += "\(p.inputsDone)/\(p.inputsTotal) files \(Self.megabytes(p.bytesDone))/\(Self.megabytes(p.bytesTotal)) MB"
            if let current = p.current { line += " " + (current as NSString).lastPathComponent }
        }
        if line.count > width - 1 { line = String(line.prefix(width - 1)) }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// Erases the bar so the summary or error starts on a clean line.
    mutating func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10 else { return 80 }
        return Int(size.ws_col)
    }
}
