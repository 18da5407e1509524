import BookijiCore
import Foundation
import Postgres
import Store
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `bookiji import-ics`, `bookiji vendor sources` and `bookiji ics expand` through the real
/// binary, against the Service harness's database and availability route.
@Suite(.serialized)
struct CalendarImportTests {
    static let day: Int64 = 86_400

    /// A Monday at least a week ahead, midnight UTC: inside the default import window and the
    /// booking horizon whatever day the tests run.
    static let monday: Int64 = {
        var days = Int64(Date().timeIntervalSince1970) / day + 7
        while (days + 3) % 7 != 0 { days += 1 }  // 1970-01-01 was a Thursday
        return days * day
    }()

    static func at(_ hour: Int, _ minute: Int = 0, day offset: Int64 = 0) -> Int64 {
        monday + offset * day + Int64(hour * 3600 + minute * 60)
    }

    /// Open 08:00-12:00 UTC on Mondays: eight 30-minute slots.
    static let rules = """
        {"timeZone":"UTC","weeklyHours":{"monday":[{"start":"08:00","end":"12:00"}]},"slotMinutes":30}
        """

    struct Event {
        var uid: String
        var start: Int64
        var end: Int64
        var tentative = false
    }

    /// `20261130T080000Z` from an epoch.
    static func basic(_ epoch: Int64) -> String {
        RFC3339.format(epoch).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    static func ics(_ events: [Event], extra: String = "") -> String {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bookiji//Tests//EN"]
        for e in events {
            lines += ["BEGIN:VEVENT", "UID:\(e.uid)", "DTSTAMP:20260101T000000Z", "DTSTART:\(basic(e.start))", "DTEND:\(basic(e.end))"]
            if e.tentative { lines.append("STATUS:TENTATIVE") }
            lines.append("END:VEVENT")
        }
        if !extra.isEmpty { lines.append(extra) }
        lines.append("END:VCALENDAR")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Line 6 holds a DTSTART that is not a date.
    static let malformed = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bookiji//Tests//EN", "BEGIN:VEVENT", "UID:broken",
        "DTSTART:2026XX30T080000Z", "DTEND:20261130T090000Z", "END:VEVENT", "END:VCALENDAR", "",
    ].joined(separator: "\r\n")

    // MARK: - Helpers

    func setUp(_ service: Service) throws -> (key: String, vendor: String) {
        let key = try service.createPartner().key
        let vendor = try service.createVendor(timezone: "UTC")
        let file = service.directoryPath("rules.json")
        try Self.rules.write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        return (key, vendor)
    }

    func write(_ text: String, _ path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func importICS(_ service: Service, vendor: String, source: String, _ inputs: [String], extra: [String] = []) throws -> CLIResult {
        try runCLI(["import-ics", "--vendor", vendor, "--source", source, "--json"] + extra + inputs, databaseURL: service.databaseURL)
    }

    func revision(_ service: Service, _ vendor: String) throws -> Int64 {
        try #require(try VendorStore(Session(service.sql())).revision(id: vendor))
    }

    /// The source's stored intervals as `start-end status uid`, sorted.
    func intervals(_ service: Service, _ vendor: String, source: String) throws -> [String] {
        try service.sql().query("""
            SELECT extract(epoch FROM lower(i.period))::bigint, extract(epoch FROM upper(i.period))::bigint, i.status, coalesce(i.uid, '')
            FROM calendar_intervals i JOIN calendar_sources s ON s.id = i.source_id
            WHERE s.vendor_id = $1::uuid AND s.name = $2 ORDER BY 1, 2, 4
            """, [vendor, source]).map { "\(try $0.int64(0))-\(try $0.int64(1)) \(try $0.string(2)) \(try $0.string(3))" }
    }

    func expected(_ events: [Event]) -> [String] {
        events.sorted { ($0.start, $0.end, $0.uid) < ($1.start, $1.end, $1.uid) }
            .map { "\($0.start)-\($0.end) \($0.tentative ? "tentative" : "busy") \($0.uid)" }
    }

    /// Reasons of the eight Monday slots, empty for an available slot.
    func mondayReasons(_ service: Service, key: String, vendor: String) throws -> [[String]] {
        let query = "startTime=\(RFC3339.format(Self.at(8)))&endTime=\(RFC3339.format(Self.at(12)))&slotDuration=30"
        let response = try service.get("/v1/vendors/\(vendor)/availability?\(query)", key: key)
        try #require(response.status == 200, "\(response.text)")
        let slots = response.json["slots"] as? [[String: Any]] ?? []
        try #require(slots.count == 8)
        return slots.map { ($0["isAvailable"] as? Bool == true) ? [] : ($0["reasons"] as? [String] ?? ["?"]) }
    }

    func sources(_ service: Service, _ vendor: String) throws -> [[String: Any]] {
        let result = try runCLI(["vendor", "sources", vendor, "--json"], databaseURL: service.databaseURL)
        try #require(result.exitCode == 0, "\(result.stderr)")
        return result.json["sources"] as? [[String: Any]] ?? []
    }

    // MARK: - Tests

    @Test func importedEventsShowAsCalendarBusyAndTentativeInAvailability() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        #expect(try mondayReasons(service, key: key, vendor: vendor).allSatisfy(\.isEmpty))
        let before = try revision(service, vendor)
        let file = service.directoryPath("work.ics")
        let events = [
            Event(uid: "standup", start: Self.at(8), end: Self.at(8, 30)),
            Event(uid: "maybe", start: Self.at(9), end: Self.at(9, 30), tentative: true),
        ]
        try write(Self.ics(events), file)

        let result = try importICS(service, vendor: vendor, source: "work", [file])  // the default window
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.json["outcome"] as? String == "replaced")
        #expect(result.json["events"] as? Int == 2)
        #expect(result.json["intervalsWritten"] as? Int == 2)
        #expect(result.json["files"] as? Int == 1)
        #expect(!result.stderr.contains("\r"), "no progress bar on a pipe")
        #expect(try revision(service, vendor) == before + 1)
        #expect(try intervals(service, vendor, source: "work") == expected(events))

        let reasons = try mondayReasons(service, key: key, vendor: vendor)
        #expect(reasons[0] == ["calendar_busy"])
        #expect(reasons[1] == [])
        #expect(reasons[2] == ["calendar_tentative"])
        #expect(reasons[3...].allSatisfy { $0.isEmpty })
    }

    @Test func aMalformedFileChangesNothingAndNamesFileAndLine() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let folder = service.directoryPath("calendars")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let first = [Event(uid: "a1", start: Self.at(8), end: Self.at(9))]
        try write(Self.ics(first), folder + "/a.ics")
        #expect(try importICS(service, vendor: vendor, source: "work", [folder]).exitCode == 0)
        let revisionBefore = try revision(service, vendor)
        let intervalsBefore = try intervals(service, vendor, source: "work")
        try #require(intervalsBefore == expected(first))

        // a.ics changes (so a partial write would show) and b.ics is broken: nothing may change.
        try write(Self.ics([Event(uid: "a2", start: Self.at(10), end: Self.at(11))]), folder + "/a.ics")
        try write(Self.malformed, folder + "/b.ics")
        let result = try importICS(service, vendor: vendor, source: "work", [folder])
        #expect(result.exitCode == 65)
        #expect(result.stderr.contains("\(folder)/b.ics:6: "), "\(result.stderr)")
        #expect(result.stderr.contains("DTSTART"))
        #expect(result.stdout.isEmpty)
        #expect(try revision(service, vendor) == revisionBefore)
        #expect(try intervals(service, vendor, source: "work") == intervalsBefore)
        #expect(try sources(service, vendor).first?["status"] as? String == "ok")

        // A malformed file into a new source does not create the source either.
        let fresh = try importICS(service, vendor: vendor, source: "other", [folder + "/b.ics"])
        #expect(fresh.exitCode == 65)
        #expect(try sources(service, vendor).compactMap { $0["name"] as? String } == ["work"])
    }

    @Test func aRepairedFileIsImportedAndTheSummarySaysRepairedWhileStrictRefusesIt() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let file = service.directoryPath("messy.ics")
        // Lines 10-15: the second VEVENT, its DTEND (line 14) an hour before its DTSTART (line 13);
        // lines 16-18: a VTODO closed by END:VTOOD.
        try write(Self.ics(
            [Event(uid: "fine", start: Self.at(8), end: Self.at(9)), Event(uid: "swapped", start: Self.at(11), end: Self.at(10))],
            extra: "BEGIN:VTODO\r\nUID:todo\r\nEND:VTOOD"), file)
        let window = ["--from", RFC3339.format(Self.monday - 7 * Self.day), "--to", RFC3339.format(Self.monday + 7 * Self.day)]

        let strict = try importICS(service, vendor: vendor, source: "work", [file], extra: window + ["--strict"])
        #expect(strict.exitCode == 65)
        // The components are paired before times are compared, so the END on line 18 is named first.
        #expect(strict.stderr.contains("\(file):18: END:VTOOD does not close BEGIN:VTODO from line 16"), "\(strict.stderr)")
        #expect(strict.stdout.isEmpty)
        #expect(try sources(service, vendor).isEmpty)

        let lenient = try importICS(service, vendor: vendor, source: "work", [file], extra: window)
        #expect(lenient.exitCode == 0, "\(lenient.stderr)")
        #expect(lenient.json["outcome"] as? String == "replaced")
        let repaired = lenient.json["repaired"] as? [String: Any]
        #expect(repaired?["total"] as? Int == 2)
        #expect(repaired?["byKind"] as? [String: Int] == ["dtend-before-dtstart": 1, "mismatched-end": 1])
        let first = repaired?["first"] as? [[String: Any]] ?? []
        #expect(first.map { $0["line"] as? Int } == [14, 18])
        #expect(first.map { $0["input"] as? String } == [file, file])
        #expect((lenient.json["skipped"] as? [String: Any])?["total"] as? Int == 0)
        #expect(try intervals(service, vendor, source: "work") == expected([
            Event(uid: "fine", start: Self.at(8), end: Self.at(9)), Event(uid: "swapped", start: Self.at(10), end: Self.at(11)),
        ]))

        let text = try runCLI(["import-ics", "--vendor", vendor, "--source", "work"] + window + [file], databaseURL: service.databaseURL)
        #expect(text.exitCode == 0)
        #expect(text.stdout.contains("repaired 2 problems instead of refusing the file (--strict refuses): 1 mismatched-end, 1 dtend-before-dtstart\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  \(file):14: dtend-before-dtstart: "))
        #expect(text.stdout.contains("  \(file):18: mismatched-end: END:VTOOD does not close BEGIN:VTODO from line 16"))
    }

    @Test func importingTheSameFileTwiceLeavesTheRevisionAlone() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let file = service.directoryPath("same.ics")
        try write(Self.ics([Event(uid: "x", start: Self.at(8), end: Self.at(9))]), file)
        let window = ["--from", RFC3339.format(Self.monday - 7 * Self.day), "--to", RFC3339.format(Self.monday + 7 * Self.day)]

        let first = try importICS(service, vendor: vendor, source: "work", [file], extra: window)
        #expect(first.json["outcome"] as? String == "replaced")
        let afterFirst = try revision(service, vendor)
        let second = try importICS(service, vendor: vendor, source: "work", [file], extra: window)
        #expect(second.exitCode == 0)
        #expect(second.json["outcome"] as? String == "unchanged")
        #expect(second.json["intervalsWritten"] as? Int == 0)
        #expect(second.json["contentDigest"] as? String == first.json["contentDigest"] as? String)
        #expect(try revision(service, vendor) == afterFirst)

        // Another zone for floating times is another import, even with the same bytes.
        let otherZone = try importICS(service, vendor: vendor, source: "work", [file], extra: window + ["--tz", "Europe/Berlin"])
        #expect(otherZone.json["outcome"] as? String == "replaced")
        #expect(try revision(service, vendor) == afterFirst + 1)
    }

    @Test func aChangedFileReplacesTheSourcesIntervalsOnlyInsideTheWindow() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let file = service.directoryPath("work.ics")
        let lastWeek = Event(uid: "last-week", start: Self.at(8, day: -7), end: Self.at(9, day: -7))
        let kept = Event(uid: "kept", start: Self.at(8), end: Self.at(9))
        let dropped = Event(uid: "dropped", start: Self.at(10), end: Self.at(11))
        try write(Self.ics([lastWeek, kept, dropped]), file)
        let wide = ["--from", RFC3339.format(Self.monday - 14 * Self.day), "--to", RFC3339.format(Self.monday + 14 * Self.day)]
        #expect(try importICS(service, vendor: vendor, source: "work", [file], extra: wide).exitCode == 0)
        #expect(try intervals(service, vendor, source: "work") == expected([lastWeek, kept, dropped]))
        let revisionBefore = try revision(service, vendor)

        // The new file no longer has last week's event, but the window starts this Monday, so the
        // stored copy of it stays; inside the window the file's content replaces the old one.
        let moved = Event(uid: "kept", start: Self.at(8, 30), end: Self.at(9, 30))
        let added = Event(uid: "added", start: Self.at(11), end: Self.at(11, 30), tentative: true)
        try write(Self.ics([moved, added]), file)
        let narrow = ["--from", RFC3339.format(Self.monday), "--to", RFC3339.format(Self.monday + 14 * Self.day)]
        let result = try importICS(service, vendor: vendor, source: "work", [file], extra: narrow)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.json["outcome"] as? String == "replaced")
        #expect(try intervals(service, vendor, source: "work") == expected([lastWeek, moved, added]))
        #expect(try revision(service, vendor) == revisionBefore + 1)
        let covered = try #require(try sources(service, vendor).first?["covered"] as? [String: String])
        #expect(covered["start"] == RFC3339.format(Self.monday - 14 * Self.day), "covered grows to the union of the windows")
    }

    @Test func twoSourcesOfOneVendorBothBlockTime() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let work = service.directoryPath("work.ics"), home = service.directoryPath("home.ics")
        try write(Self.ics([Event(uid: "w", start: Self.at(8), end: Self.at(8, 30))]), work)
        try write(Self.ics([Event(uid: "h", start: Self.at(10), end: Self.at(10, 30))]), home)
        #expect(try importICS(service, vendor: vendor, source: "work", [work]).exitCode == 0)
        #expect(try importICS(service, vendor: vendor, source: "home", [home]).exitCode == 0)

        let reasons = try mondayReasons(service, key: key, vendor: vendor)
        #expect(reasons[0] == ["calendar_busy"])
        #expect(reasons[4] == ["calendar_busy"])
        #expect(reasons.enumerated().filter { !$0.element.isEmpty }.map(\.offset) == [0, 4])
        let listed = try sources(service, vendor)
        #expect(listed.compactMap { $0["name"] as? String } == ["home", "work"])
        #expect(listed.allSatisfy { $0["status"] as? String == "ok" && $0["kind"] as? String == "ics_file" && $0["intervals"] as? Int == 1 })

        // A file import into a URL source's name is refused rather than changing its kind.
        let mixed = try runCLI(["import-ics", "--vendor", vendor, "--source", "work", "http://127.0.0.1:9/x.ics"], databaseURL: service.databaseURL)
        #expect(mixed.exitCode == 64)
        #expect(mixed.stderr.contains("ics_file"))
    }

    @Test func aFeedIsFetchedConditionallyAndA304ChangesNothing() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let feedFile = service.directoryPath("feed.ics")
        let v1 = [Event(uid: "f1", start: Self.at(9), end: Self.at(10))]
        try write(Self.ics(v1), feedFile)
        let server = try FeedServer(file: feedFile, service: service)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/calendar.ics"

        let first = try importICS(service, vendor: vendor, source: "feed", [url])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.json["outcome"] as? String == "replaced")
        #expect(try intervals(service, vendor, source: "feed") == expected(v1))
        let afterFirst = try revision(service, vendor)

        let second = try importICS(service, vendor: vendor, source: "feed", [url])
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.json["outcome"] as? String == "not-modified")
        #expect(try revision(service, vendor) == afterFirst)
        var requests = try server.requests()
        try #require(requests.count == 2)
        #expect(requests[0]["ifNoneMatch"] is NSNull, "the first fetch has no validators")
        #expect(requests[1]["ifNoneMatch"] as? String == server.etag(of: feedFile))
        #expect(requests[1]["ifModifiedSince"] is String)
        #expect(requests.map { $0["status"] as? Int } == [200, 304])

        // A changed feed gets a new ETag, so the server answers 200 and the intervals change.
        let v2 = [Event(uid: "f2", start: Self.at(11), end: Self.at(12), tentative: true)]
        try write(Self.ics(v2), feedFile)
        let third = try importICS(service, vendor: vendor, source: "feed", [url])
        #expect(third.json["outcome"] as? String == "replaced")
        requests = try server.requests()
        #expect(requests.last?["status"] as? Int == 200)
        #expect(try intervals(service, vendor, source: "feed") == expected(v2))
        #expect(try revision(service, vendor) == afterFirst + 1)
        let reasons = try mondayReasons(service, key: key, vendor: vendor)
        #expect(reasons[6] == ["calendar_tentative"] && reasons[7] == ["calendar_tentative"])
        #expect(reasons[2].isEmpty, "the feed's old event is gone")
    }

    @Test func aFailedFetchIsRecordedOnTheSourceAndChangesNothingElse() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let feedFile = service.directoryPath("feed.ics")
        try write(Self.ics([Event(uid: "f1", start: Self.at(9), end: Self.at(10))]), feedFile)
        let server = try FeedServer(file: feedFile, service: service)
        defer { server.stop() }
        #expect(try importICS(service, vendor: vendor, source: "feed", ["http://127.0.0.1:\(server.port)/calendar.ics"]).exitCode == 0)
        let revisionBefore = try revision(service, vendor)
        let intervalsBefore = try intervals(service, vendor, source: "feed")

        let failing = "http://127.0.0.1:\(server.port)/status/503"
        let result = try importICS(service, vendor: vendor, source: "feed", [failing])
        #expect(result.exitCode == 69)
        #expect(result.stderr.contains(failing) && result.stderr.contains("503"), "\(result.stderr)")
        #expect(try revision(service, vendor) == revisionBefore)
        #expect(try intervals(service, vendor, source: "feed") == intervalsBefore)

        let listed = try #require(try sources(service, vendor).first)
        #expect(listed["status"] as? String == "error")
        #expect((listed["lastError"] as? String)?.contains("HTTP 503") == true)
        #expect(listed["lastSyncedAt"] is String)
        #expect(listed["url"] as? String == failing)
        #expect(listed["intervals"] as? Int == intervalsBefore.count)
        let text = try runCLI(["vendor", "sources", vendor], databaseURL: service.databaseURL)
        #expect(text.exitCode == 0)
        #expect(text.stdout.contains("feed  ics_url  error"), "\(text.stdout)")
        #expect(text.stdout.contains("last error: \(failing): HTTP 503"))

        // A feed that never answered still gets a source, so the failure is visible.
        let refused = try importICS(service, vendor: vendor, source: "dead", ["http://127.0.0.1:\(freePort())/x.ics"])
        #expect(refused.exitCode == 69)
        let dead = try sources(service, vendor).first { $0["name"] as? String == "dead" }
        #expect(dead?["status"] as? String == "error")
        #expect(dead?["covered"] is NSNull)
        #expect(try revision(service, vendor) == revisionBefore)
    }

    @Test func aProgressBarIsDrawnOnATerminalOnly() throws {
        let service = try Service()
        defer { service.stop() }
        let (_, vendor) = try setUp(service)
        let folder = service.directoryPath("many")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<3 { try write(Self.ics([Event(uid: "e\(i)", start: Self.at(8 + i), end: Self.at(8 + i, 30))]), folder + "/\(i).ics") }
        // script(1) gives the command a pseudo-terminal for stdout and stderr.
        let command = [Paths.bookiji, "import-ics", "--vendor", vendor, "--source", "work", folder].joined(separator: " ")
        let tty = try runProcess("/usr/bin/script", ["-qfec", command, "/dev/null"], environment: ["BOOKIJI_DATABASE_URL": service.databaseURL])
        #expect(tty.exitCode == 0, "\(tty.stdout)")
        #expect(tty.stdout.contains("\r\u{1B}[K["), "the bar is redrawn in place")
        #expect(tty.stdout.contains("/3 files"))
        #expect(tty.stdout.contains("3 files"))
    }

    @Test func icsExpandRunsThroughTheBinary() throws {
        let folder = try Paths.scratchDirectory("ics-expand")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/cal.ics"
        try write(Self.ics([
            Event(uid: "b", start: Self.at(10), end: Self.at(11)),
            Event(uid: "a", start: Self.at(8), end: Self.at(9), tentative: true),
        ]), file)
        let window = ["--from", RFC3339.format(Self.monday), "--to", RFC3339.format(Self.monday + Self.day)]

        let ok = try runCLI(["ics", "expand", file] + window, databaseURL: nil)
        #expect(ok.exitCode == 0, "\(ok.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [[String: String]])
        #expect(array == [
            ["start": RFC3339.format(Self.at(8)), "end": RFC3339.format(Self.at(9)), "status": "tentative", "uid": "a"],
            ["start": RFC3339.format(Self.at(10)), "end": RFC3339.format(Self.at(11)), "status": "busy", "uid": "b"],
        ])
        #expect(ok.stderr.contains("2 events"))

        let text = try runCLI(["ics", "expand", file, "--format", "text", "--merge"] + window, databaseURL: nil)
        #expect(text.exitCode == 0)
        #expect(text.stdout.split(separator: "\n").count == 2)

        let bad = folder + "/bad.ics"
        try write(Self.malformed, bad)
        let malformed = try runCLI(["ics", "expand", bad] + window, databaseURL: nil)
        #expect(malformed.exitCode == 65)
        #expect(malformed.stdout.isEmpty)
        #expect(malformed.stderr.contains("\(bad):6:"))
        #expect(try runCLI(["ics", "expand", file], databaseURL: nil).exitCode == 64)
        #expect(try runCLI(["ics", "expand", folder + "/missing.ics"] + window, databaseURL: nil).exitCode == 66)
        let help = try runCLI(["ics", "expand", "--help"], databaseURL: nil)
        #expect(help.exitCode == 0 && help.stdout.contains("USAGE: bookiji ics expand <file> --from <iso> --to <iso>"))
    }
}

// MARK: - Support

extension CalendarImportTests {
    typealias CLIResult = CommandOutput

    /// Runs the `bookiji` binary, whatever its exit status (the harness's `run` throws on failure).
    func runCLI(_ arguments: [String], databaseURL: String?) throws -> CLIResult {
        try runProcess(Paths.bookiji, arguments, environment: databaseURL.map { ["BOOKIJI_DATABASE_URL": $0] } ?? [:])
    }

    func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> CLIResult {
        try capture(executable, arguments, environment: environment)
    }

    /// `Tests/Fakes/ics_server.py` serving one file, for feed imports.
    final class FeedServer: Sendable {
        let daemon: Daemon
        let port: Int

        init(file: String, service: Service) throws {
            (daemon, port) = try startReportingPort("/usr/bin/env", [
                "python3", Paths.repositoryRoot + "/Tests/Fakes/ics_server.py", file, "--parent-pid", String(getpid()),
            ], logPath: service.directoryPath("ics-server.log"))
        }

        /// Every request the server saw, oldest first.
        func requests() throws -> [[String: Any]] {
            let response = try HTTPClient.send(port: port, path: "/_requests")
            return response.json["requests"] as? [[String: Any]] ?? []
        }

        /// The ETag the server gives `file`'s current content: its SHA-256, quoted.
        func etag(of file: String) -> String {
            let bytes = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))) ?? []
            return "\"" + SHA256.hash(bytes).hexString + "\""
        }

        func stop() { daemon.stop() }
    }
}
