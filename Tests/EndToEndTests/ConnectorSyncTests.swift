import BookijiCore
import Foundation
import Postgres
import Store
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `bookiji calendar connect|sync|sync-all` through the real binary against the Service harness
/// and `Tests/Fakes/fake_calendar_apis.py` (Google + Graph + token endpoints).
@Suite(.serialized)
struct ConnectorSyncTests {
    static let day: Int64 = 86_400
    static let hour: Int64 = 3_600

    /// A Monday at least a week ahead, midnight UTC (inside the booking horizon).
    static let monday: Int64 = {
        var days = Int64(Date().timeIntervalSince1970) / day + 7
        while (days + 3) % 7 != 0 { days += 1 }  // 1970-01-01 was a Thursday
        return days * day
    }()

    /// Sync window: Sunday to Wednesday, whole days.
    static let window = UTCInterval(start: monday - day, end: monday + 2 * day)
    static let windowArgs = ["--from", date(window.start), "--to", date(window.end)]
    static func date(_ epoch: Int64) -> String { String(RFC3339.format(epoch).prefix(10)) }

    /// The fake's per-id hour offset: busy at (9+k):00-(10+k):00 every day.
    static func key(_ id: String) -> Int64 { Int64(id.utf8.reduce(0) { $0 + Int($1) } % 8) }
    static let googleCalendar = "carol@example.com"
    static let outlookCalendar = "erin@contoso.com"

    static let rules = """
        {"timeZone":"UTC","weeklyHours":{"monday":[{"start":"08:00","end":"12:00"}]},"slotMinutes":30}
        """

    static let secret = "client-secret-\(UUID().uuidString.prefix(8))"
    static let refresh = "rt-initial-\(UUID().uuidString.prefix(8))"
    let tokenKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()

    // MARK: - Expected data (mirror of the fake's formula, see fake_calendar_apis.py)

    /// `start-end status` lines the fake yields for `id` over `window`, merged per status.
    static func expected(_ id: String, google: Bool, _ window: UTCInterval) -> [String] {
        var raw: [(Int64, Int64, String)] = []
        let k = key(id)
        for d in (window.start / day - 1)...(window.end / day) {
            let base = d * day
            raw.append((base + (9 + k) * hour, base + (10 + k) * hour, "busy"))
            if d % 3 == 0 { raw.append((base + 14 * hour, base + 15 * hour, google ? "busy" : "tentative")) }
            if !google, d % 5 == 0 { raw.append((base + 16 * hour, base + 17 * hour, "busy")) }
            if d % 7 == 0 { raw.append((base + 22 * hour, base + day + 2 * hour, "busy")) }
        }
        var out: [(Int64, Int64, String)] = []
        for status in ["busy", "tentative"] {
            let spans = raw.filter { $0.2 == status }.map { (max($0.0, window.start), min($0.1, window.end)) }
                .filter { $0.0 < $0.1 }.sorted { $0 < $1 }
            var open: (Int64, Int64)?
            for span in spans {
                if let current = open, span.0 <= current.1 { open = (current.0, max(current.1, span.1)) } else {
                    if let current = open { out.append((current.0, current.1, status)) }
                    open = span
                }
            }
            if let current = open { out.append((current.0, current.1, status)) }
        }
        return out.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }.map { "\($0.0)-\($0.1) \($0.2)" }
    }

    // MARK: - Helpers

    typealias CLIResult = CommandOutput

    /// Runs `bookiji` with the service's database, the token key (unless `withKey` is false: then
    /// BOOKIJI_TOKEN_KEY is removed from the environment) and the two secret variables.
    func cli(_ service: Service, _ arguments: [String], withKey: Bool = true, extra: [String: String] = [:]) throws -> CLIResult {
        var environment = [
            "BOOKIJI_DATABASE_URL": service.databaseURL,
            "TEST_CLIENT_SECRET": Self.secret,
            "TEST_REFRESH_TOKEN": Self.refresh,
        ]
        if withKey { environment["BOOKIJI_TOKEN_KEY"] = tokenKey }
        environment.merge(extra) { $1 }
        let inherited = environment["BOOKIJI_TOKEN_KEY"] == nil ? ["BOOKIJI_TOKEN_KEY"] : []
        return try capture(Paths.bookiji, arguments, environment: environment, removing: inherited)
    }

    func connect(_ service: Service, _ fake: FakeAPIs, vendor: String, source: String, google: Bool, calendars: [String]) throws -> CLIResult {
        var args = [
            "calendar", "connect", "--vendor", vendor, "--source", source, "--provider", google ? "google" : "outlook",
            "--client-id", "client-\(source)", "--client-secret-env", "TEST_CLIENT_SECRET",
            "--refresh-token-env", "TEST_REFRESH_TOKEN", "--json",
        ]
        for calendar in calendars { args += ["--calendar", calendar] }
        if google {
            args += ["--token-url", fake.url("/google/token"), "--api-url", fake.url("/google/calendar/v3")]
        } else {
            args += ["--tenant", "contoso", "--token-url", fake.url("/ms/contoso/oauth2/v2.0/token"), "--api-url", fake.url("/graph/v1.0")]
        }
        return try cli(service, args)
    }

    func sync(_ service: Service, vendor: String, source: String) throws -> CLIResult {
        try cli(service, ["calendar", "sync", "--vendor", vendor, "--source", source, "--json"] + Self.windowArgs)
    }

    func setUp(_ service: Service) throws -> (key: String, vendor: String) {
        let key = try service.createPartner().key
        let vendor = try service.createVendor(timezone: "UTC")
        let file = service.directoryPath("rules.json")
        try Self.rules.write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        return (key, vendor)
    }

    func intervals(_ service: Service, _ vendor: String, source: String) throws -> [String] {
        try service.sql().query("""
            SELECT extract(epoch FROM lower(i.period))::bigint, extract(epoch FROM upper(i.period))::bigint, i.status
            FROM calendar_intervals i JOIN calendar_sources s ON s.id = i.source_id
            WHERE s.vendor_id = $1::uuid AND s.name = $2 ORDER BY 1, 2, 3
            """, [vendor, source]).map { "\(try $0.int64(0))-\(try $0.int64(1)) \(try $0.string(2))" }
    }

    /// (status, last_error, config text) of a source.
    func row(_ service: Service, _ vendor: String, _ source: String) throws -> (status: String, lastError: String?, config: String) {
        let row = try #require(try service.sql().query(
            "SELECT status, last_error, config::text FROM calendar_sources WHERE vendor_id = $1::uuid AND name = $2",
            [vendor, source]).first)
        return (try row.string(0), try row.optional(String.self, 1), try row.string(2))
    }

    func revision(_ service: Service, _ vendor: String) throws -> Int64 {
        try #require(try VendorStore(Session(service.sql())).revision(id: vendor))
    }

    func config(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    func mondayReasons(_ service: Service, key: String, vendor: String) throws -> [[String]] {
        let query = "startTime=\(RFC3339.format(Self.monday + 8 * Self.hour))&endTime=\(RFC3339.format(Self.monday + 12 * Self.hour))&slotDuration=30"
        let response = try service.get("/v1/vendors/\(vendor)/availability?\(query)", key: key)
        try #require(response.status == 200, "\(response.text)")
        let slots = response.json["slots"] as? [[String: Any]] ?? []
        try #require(slots.count == 8)
        return slots.map { ($0["isAvailable"] as? Bool == true) ? [] : ($0["reasons"] as? [String] ?? ["?"]) }
    }

    // MARK: - Tests

    @Test func connectAndSyncGoogleAndOutlookShowsCalendarBusyAndSecondSyncIsUnchanged() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (key, vendor) = try setUp(service)
        #expect(try mondayReasons(service, key: key, vendor: vendor).allSatisfy(\.isEmpty))

        let g = try connect(service, fake, vendor: vendor, source: "work-google", google: true, calendars: [Self.googleCalendar])
        #expect(g.exitCode == 0, "\(g.stderr)")
        let o = try connect(service, fake, vendor: vendor, source: "work-outlook", google: false, calendars: [Self.outlookCalendar])
        #expect(o.exitCode == 0, "\(o.stderr)")
        // Nothing secret in the stored config, and connect did not print a secret either.
        for source in ["work-google", "work-outlook"] {
            let stored = try row(service, vendor, source).config
            #expect(!stored.contains(Self.secret) && !stored.contains(Self.refresh))
            #expect((config(stored)["sealedRefreshToken"] as? String)?.hasPrefix("bk1.") == true)
        }
        #expect(!(g.stdout + g.stderr + o.stdout + o.stderr).contains(Self.secret))

        let before = try revision(service, vendor)
        let first = try sync(service, vendor: vendor, source: "work-google")
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.json["outcome"] as? String == "replaced")
        #expect(first.json["tokenRefreshed"] as? Bool == true)
        let second = try sync(service, vendor: vendor, source: "work-outlook")
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.json["outcome"] as? String == "replaced")
        #expect(try revision(service, vendor) == before + 2)

        let googleExpected = Self.expected(Self.googleCalendar, google: true, Self.window)
        let outlookExpected = Self.expected(Self.outlookCalendar, google: false, Self.window)
        #expect(!googleExpected.isEmpty && outlookExpected.contains { $0.hasSuffix("tentative") })
        #expect(try intervals(service, vendor, source: "work-google") == googleExpected)
        #expect(try intervals(service, vendor, source: "work-outlook") == outlookExpected)

        // Outlook busy 09-10 (k=0), Google busy 11-12 (k=2): slots 2,3 and 6,7 of 08:00-12:00.
        try #require(Self.key(Self.outlookCalendar) == 0 && Self.key(Self.googleCalendar) == 2)
        let reasons = try mondayReasons(service, key: key, vendor: vendor)
        #expect(reasons == [[], [], ["calendar_busy"], ["calendar_busy"], [], [], ["calendar_busy"], ["calendar_busy"]])

        // Same data, same window: unchanged, revision kept, and the stored access token is reused.
        let revisionAfter = try revision(service, vendor)
        let tokenRequests = try fake.requests("token").count
        let again = try sync(service, vendor: vendor, source: "work-google")
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.json["outcome"] as? String == "unchanged")
        #expect(again.json["tokenRefreshed"] as? Bool == false)
        #expect(try fake.requests("token").count == tokenRequests)
        #expect(try revision(service, vendor) == revisionAfter)
        #expect(try intervals(service, vendor, source: "work-google") == googleExpected)
    }

    @Test func expiredTokenIsRefreshedAndStoredSealedNeverInPlaintext() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (_, vendor) = try setUp(service)
        #expect(try connect(service, fake, vendor: vendor, source: "ms", google: false, calendars: [Self.outlookCalendar]).exitCode == 0)
        let first = try sync(service, vendor: vendor, source: "ms")
        #expect(first.exitCode == 0, "\(first.stderr)")
        let afterFirst = config(try row(service, vendor, "ms").config)
        let sealedAccess = try #require(afterFirst["sealedAccessToken"] as? String)
        let sealedRefresh = try #require(afterFirst["sealedRefreshToken"] as? String)

        try fake.control(["expireTokens": true])
        let second = try sync(service, vendor: vendor, source: "ms")
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.json["tokenRefreshed"] as? Bool == true)
        #expect(second.json["outcome"] as? String == "unchanged")

        let stored = try row(service, vendor, "ms").config
        let after = config(stored)
        #expect(after["sealedAccessToken"] as? String != sealedAccess)
        #expect(after["sealedRefreshToken"] as? String != sealedRefresh, "Microsoft rotated the refresh token")
        // Every access token the fake saw, and every refresh token it issued or received, is absent as text.
        let accessTokens = try fake.requests("graph").compactMap { ($0["authorization"] as? String)?.replacingOccurrences(of: "Bearer ", with: "") }
        let refreshTokens = try fake.requests("token").compactMap { (($0["body"] as? [String: Any])?["form"] as? [String: String])?["refresh_token"] }
        #expect(Set(accessTokens).count >= 2, "a second access token was used after the refresh")
        #expect(refreshTokens.contains { $0.hasPrefix("rt-ms-rotated-") }, "the rotated refresh token was used")
        for token in accessTokens + refreshTokens + [Self.secret, Self.refresh, "rt-ms-rotated-"] {
            #expect(!stored.contains(token), "plaintext \(token.prefix(12))... in config")
        }
        #expect(!(second.stdout + second.stderr).contains("eyJ0eXAi"))
        // The stored (rotated) tokens work: a third sync after expiry refreshes with the rotated token.
        try fake.control(["expireTokens": true])
        #expect(try sync(service, vendor: vendor, source: "ms").exitCode == 0)
        let lastForm = try fake.requests("token").last.flatMap { (($0["body"] as? [String: Any])?["form"] as? [String: String])?["refresh_token"] }
        #expect(lastForm?.hasPrefix("rt-ms-rotated-") == true)
    }

    @Test func missingTokenKeyIsAClearErrorAndChangesNothing() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (_, vendor) = try setUp(service)
        var args = [
            "calendar", "connect", "--vendor", vendor, "--source", "g", "--provider", "google", "--calendar", "primary",
            "--client-id", "c", "--client-secret-env", "TEST_CLIENT_SECRET", "--refresh-token-env", "TEST_REFRESH_TOKEN",
        ]
        let refused = try cli(service, args, withKey: false)
        #expect(refused.exitCode == 78)
        #expect(refused.stderr.contains("BOOKIJI_TOKEN_KEY is not set"), "\(refused.stderr)")
        #expect(try CalendarStore(Session(service.sql())).sources(vendorID: vendor).isEmpty)

        args += ["--token-url", fake.url("/google/token"), "--api-url", fake.url("/google/calendar/v3")]
        #expect(try cli(service, args).exitCode == 0)
        let syncRefused = try cli(service, ["calendar", "sync", "--vendor", vendor, "--source", "g"], withKey: false)
        #expect(syncRefused.exitCode == 78)
        #expect(syncRefused.stderr.contains("BOOKIJI_TOKEN_KEY"), "\(syncRefused.stderr)")
        #expect(try fake.requests().isEmpty, "nothing was fetched")
        // A secret variable that is not set is refused too, naming the flag.
        let noSecret = try cli(service, args, extra: ["TEST_CLIENT_SECRET": ""])
        #expect(noSecret.exitCode == 78)
        #expect(noSecret.stderr.contains("--client-secret-env"))
        // A different key cannot open what the first one sealed.
        let otherKey = try cli(service, ["calendar", "sync", "--vendor", vendor, "--source", "g"],
                               extra: ["BOOKIJI_TOKEN_KEY": Data(repeating: 7, count: 32).base64EncodedString()])
        #expect(otherKey.exitCode == 69)
        let lastError = try row(service, vendor, "g").lastError ?? ""
        #expect(lastError.contains("sealed under key id"), "\(lastError)")
    }

    @Test func providerFailingForeverRecordsTheErrorAndChangesNothingElse() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (_, vendor) = try setUp(service)
        #expect(try connect(service, fake, vendor: vendor, source: "g", google: true, calendars: [Self.googleCalendar]).exitCode == 0)
        #expect(try sync(service, vendor: vendor, source: "g").exitCode == 0)
        let intervalsBefore = try intervals(service, vendor, source: "g")
        let revisionBefore = try revision(service, vendor)
        #expect(!intervalsBefore.isEmpty)

        // Retry-After 0 lets the standard five attempts run without waiting.
        try fake.control(["googleFailNext": Array(repeating: 503, count: 50), "retryAfter": 0])
        let failed = try cli(service, ["calendar", "sync", "--vendor", vendor, "--source", "g", "--json", "--from", "2030-01-01", "--to", "2030-01-08"])
        #expect(failed.exitCode == 69, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.json["outcome"] as? String == "failed")
        #expect(failed.json["errorCode"] as? String == "unavailable")
        let state = try row(service, vendor, "g")
        #expect(state.status == "error")
        #expect(state.lastError?.contains("unavailable") == true, "\(state.lastError ?? "nil")")
        #expect(try fake.requests("google").count >= 1 + 5, "the first sync plus five attempts")
        #expect(try intervals(service, vendor, source: "g") == intervalsBefore)
        #expect(try revision(service, vendor) == revisionBefore)

        // A calendar the provider does not know fails the whole sync: nothing written for the others.
        try fake.control(["googleFailNext": [] as [Int]])
        #expect(try connect(service, fake, vendor: vendor, source: "g", google: true,
                            calendars: [Self.googleCalendar, "missing-room@example.com"]).exitCode == 0)
        let partial = try cli(service, ["calendar", "sync", "--vendor", vendor, "--source", "g", "--from", "2030-01-01", "--to", "2030-01-08"])
        #expect(partial.exitCode == 69)
        #expect(partial.stdout.contains("missing-room@example.com: error global.notFound"), "\(partial.stdout)")
        #expect(try row(service, vendor, "g").lastError?.contains("missing-room@example.com: notFound") == true)
        #expect(try intervals(service, vendor, source: "g") == intervalsBefore)
        #expect(try revision(service, vendor) == revisionBefore)
    }

    /// Pushes every source of the vendor's last sync `minutes` into the past.
    func age(_ service: Service, _ vendor: String, minutes: Int) throws {
        try service.sql().query(
            "UPDATE calendar_sources SET last_synced_at = last_synced_at - make_interval(mins => $2) WHERE vendor_id = $1::uuid",
            [vendor, minutes])
    }

    func syncDue(_ service: Service) throws -> (result: CLIResult, outcomes: [String: String]) {
        let result = try cli(service, ["calendar", "sync-due", "--json"])
        var outcomes: [String: String] = [:]
        for source in result.json["sources"] as? [[String: Any]] ?? [] {
            outcomes[source["name"] as? String ?? "?"] = source["outcome"] as? String
        }
        return (result, outcomes)
    }

    @Test func syncDueVisitsEverySourceWhoseIntervalElapsedAndRecordsFailures() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (_, vendor) = try setUp(service)
        #expect(try connect(service, fake, vendor: vendor, source: "g", google: true, calendars: [Self.googleCalendar]).exitCode == 0)
        #expect(try connect(service, fake, vendor: vendor, source: "o", google: false, calendars: [Self.outlookCalendar]).exitCode == 0)
        let feedFile = service.directoryPath("feed.ics")
        try CalendarImportTests.ics([.init(uid: "f1", start: Self.monday + 9 * Self.hour, end: Self.monday + 10 * Self.hour)])
            .write(toFile: feedFile, atomically: true, encoding: .utf8)
        let server = try CalendarImportTests.FeedServer(file: feedFile, service: service)
        defer { server.stop() }
        let feedImport = try cli(service, ["import-ics", "--vendor", vendor, "--source", "feed", "http://127.0.0.1:\(server.port)/calendar.ics"])
        #expect(feedImport.exitCode == 0, "\(feedImport.stderr)")
        let localFile = service.directoryPath("local.ics")
        try CalendarImportTests.ics([]).write(toFile: localFile, atomically: true, encoding: .utf8)
        #expect(try cli(service, ["import-ics", "--vendor", vendor, "--source", "local", localFile]).exitCode == 0)

        // The connected sources were never synced; the feed and the file were just imported.
        let first = try syncDue(service)
        #expect(first.result.exitCode == 0, "\(first.result.stdout)\(first.result.stderr)")
        #expect(first.outcomes == ["g": "replaced", "o": "replaced"])
        // The scheduled sync uses the default window: 30 days before today to 365 days after, UTC.
        let today = Int64(Date().timeIntervalSince1970) / Self.day * Self.day
        let defaultWindow = UTCInterval(start: today - 30 * Self.day, end: today + 365 * Self.day)
        #expect(try intervals(service, vendor, source: "g") == Self.expected(Self.googleCalendar, google: true, defaultWindow))

        // Nothing is due right after.
        #expect(try syncDue(service).outcomes.isEmpty)

        // 20 minutes later every syncing source is due again (default interval 15 minutes); the
        // feed is fetched conditionally and answers 304. A file source is never due.
        try age(service, vendor, minutes: 20)
        let second = try syncDue(service)
        #expect(second.result.exitCode == 0, "\(second.result.stdout)\(second.result.stderr)")
        #expect(second.outcomes == ["g": "unchanged", "o": "unchanged", "feed": "not-modified"])
        let feedRequests = try server.requests()
        #expect(feedRequests.map { $0["status"] as? Int } == [200, 304])
        #expect(feedRequests.last?["ifNoneMatch"] as? String == server.etag(of: feedFile))

        // A longer interval of its own keeps a source out; a failing provider is recorded on its
        // source, and the others still sync.
        try service.sql().query(
            "UPDATE calendar_sources SET sync_interval_seconds = 3600 WHERE vendor_id = $1::uuid AND name = 'g'", [vendor])
        try age(service, vendor, minutes: 20)
        try fake.control(["graphFailNext": Array(repeating: 503, count: 50), "retryAfter": 0])
        let third = try syncDue(service)
        #expect(third.result.exitCode == 69)
        #expect(third.outcomes == ["o": "failed", "feed": "not-modified"])
        #expect(third.result.json["failed"] as? Int == 1)
        let outlook = try row(service, vendor, "o")
        #expect(outlook.status == "error")
        #expect(outlook.lastError?.contains("503") == true)
        #expect(try row(service, vendor, "g").status == "ok")
        #expect(try row(service, vendor, "local").status == "ok")
    }

    @Test func syncAllSyncsEveryConnectedSourceAndReportsEach() throws {
        let service = try Service()
        defer { service.stop() }
        let fake = try FakeAPIs(service)
        defer { fake.stop() }
        let (_, vendor) = try setUp(service)
        #expect(try connect(service, fake, vendor: vendor, source: "a", google: true, calendars: [Self.googleCalendar]).exitCode == 0)
        #expect(try connect(service, fake, vendor: vendor, source: "b", google: false, calendars: [Self.outlookCalendar]).exitCode == 0)
        let all = try cli(service, ["calendar", "sync-all", "--vendor", vendor, "--json"])
        #expect(all.exitCode == 0, "\(all.stdout)\(all.stderr)")
        let reports = all.json["sources"] as? [[String: Any]] ?? []
        #expect(reports.count == 2)
        #expect(reports.allSatisfy { $0["outcome"] as? String == "replaced" })
        #expect(try !intervals(service, vendor, source: "a").isEmpty && !intervals(service, vendor, source: "b").isEmpty)

        try fake.control(["graphFailNext": Array(repeating: 503, count: 50), "retryAfter": 0])
        let second = try cli(service, ["calendar", "sync-all", "--vendor", vendor, "--json"])
        #expect(second.exitCode == 69)
        let outcomes = (second.json["sources"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String ?? "" }
        #expect(outcomes == ["unchanged", "failed"])
        #expect(second.json["failed"] as? Int == 1)
    }

    /// `Tests/Fakes/fake_calendar_apis.py` on a free port.
    final class FakeAPIs: Sendable {
        let daemon: Daemon
        let port: Int

        init(_ service: Service) throws {
            (daemon, port) = try startReportingPort("/usr/bin/env", [
                "python3", Paths.repositoryRoot + "/Tests/Fakes/fake_calendar_apis.py", "0", "--parent-pid", String(getpid()),
            ], logPath: service.directoryPath("fake-calendar-apis.log"))
        }

        func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

        func control(_ settings: [String: Any]) throws {
            let body = try JSONSerialization.data(withJSONObject: settings)
            let response = try HTTPClient.send(port: port, method: "POST", path: "/_control", headers: ["Content-Type": "application/json"], body: Array(body))
            guard response.status == 200 else { throw CommandFailure(description: "control refused: \(response.text)") }
        }

        func requests(_ api: String? = nil) throws -> [[String: Any]] {
            let response = try HTTPClient.send(port: port, path: "/_requests" + (api.map { "?api=\($0)" } ?? ""))
            return response.json["requests"] as? [[String: Any]] ?? []
        }

        func stop() { daemon.stop() }
    }
}
