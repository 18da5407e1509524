import ArgumentParser
import BookijiCore
import Coordinator
import Dispatch
import Foundation
import PartnerAPI
import Postgres
import Store
import Worker

/// `bookiji calendar connect|sync|sync-all|sync-due`: Google Calendar and Microsoft Graph sources,
/// and the scheduled sync of every due source (the worker's job, runnable by hand or from cron).
///
/// The commands are plain `ParsableCommand`s that block on the async sync with a semaphore:
/// ArgumentParser only runs async subcommands when the `@main` root is an `AsyncParsableCommand`,
/// and the root is shared by every other command. Blocking the main thread is safe because the
/// sync runs on the cooperative pool and AsyncHTTPClient's event loops, never on the main thread.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Connect Google / Outlook calendars to a vendor and sync their free/busy time.",
        subcommands: [Connect.self, Sync.self, SyncAll.self, SyncDue.self])

    /// Exit status for a sync that ran and failed (the failure is recorded on the source).
    static let syncFailed: Int32 = 69

    static func exitCode(_ code: ConnectorSyncError.Code) -> Int32 {
        switch code {
        case .invalidArgument, .sourceKindMismatch: 64
        case .configuration: 78
        default: 1
        }
    }

    /// Runs `body` (database and sync errors mapped to one-line CLI errors and exit codes).
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try cliErrors(body)
        } catch let error as ConnectorSyncError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(exitCode(error.code))
        }
    }

    struct Connect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update a google/outlook calendar source; secrets are stored sealed.",
            discussion: """
                The client secret and refresh token are read from the environment variables named by \
                --client-secret-env and --refresh-token-env (never from the command line, which `ps` shows), \
                and stored sealed with the key in BOOKIJI_TOKEN_KEY (32 bytes, base64). Reconnecting replaces \
                the settings and tokens; the source's intervals stay until the next sync.

                Exit status: 0 success, 1 database or vendor error, 64 bad arguments, 78 missing key or secret.
                """)

        @OptionGroup var db: DatabaseOptions
        @Option(help: "Vendor id.") var vendor: String
        @Option(help: "Name of the vendor's calendar source (created if new).") var source: String
        @Option(help: "google or outlook.") var provider: String
        @Option(name: .customLong("calendar"), help: "Calendar id (Google) or SMTP address (Outlook); repeatable.")
        var calendars: [String] = []
        @Option(help: "OAuth client id.") var clientId: String
        @Option(help: "Environment variable holding the OAuth client secret.") var clientSecretEnv: String
        @Option(help: "Environment variable holding the refresh token.") var refreshTokenEnv: String
        @Option(help: "Microsoft tenant (default: common).") var tenant: String = "common"
        @Option(help: "Microsoft scopes sent with each refresh (default: offline_access Calendars.ReadBasic).")
        var scope: String?
        @Option(help: "Token endpoint (default: the provider's).") var tokenUrl: String?
        @Option(help: "API root (default: the provider's).") var apiUrl: String?
        @Flag(help: "Print the result as one JSON object.") var json = false

        func validate() throws {
            guard !calendars.isEmpty else { throw ValidationError("give at least one --calendar") }
            guard ConnectorSync.kind(ofProvider: provider) != nil else {
                throw ValidationError("--provider must be google or outlook")
            }
            guard TextLimits.name.contains(source), !source.unicodeScalars.contains("\u{0}") else {
                throw ValidationError("--source must be 1 to 200 characters (code points), without NUL")
            }
        }

        static func secret(_ variable: String, _ flag: String) throws -> String {
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                FileHandle.standardError.write(Data("error: \(flag): environment variable \(variable) is not set or empty\n".utf8))
                throw ExitCode(78)
            }
            return value
        }

        func run() throws {
            let request = ConnectorSync.ConnectRequest(
                vendorID: vendor, sourceName: source, provider: provider, calendars: calendars, clientID: clientId,
                clientSecret: try Self.secret(clientSecretEnv, "--client-secret-env"),
                refreshToken: try Self.secret(refreshTokenEnv, "--refresh-token-env"),
                tenant: tenant, scope: scope, tokenURL: tokenUrl, apiURL: apiUrl)
            let connected = try CalendarCommand.guarded { try ConnectorSync(session: db.session()).connect(request) }
            if json {
                printJSON { json in
                    json.field("vendorId", connected.vendorID)
                    json.field("sourceId", connected.id)
                    json.field("name", connected.name)
                    json.field("kind", connected.kind.rawValue)
                    json.field("calendars", calendars.count)
                }
            } else {
                print("source '\(connected.name)' (\(connected.kind.rawValue)) of vendor \(connected.vendorID) connected: "
                      + "\(calendars.count) calendar\(calendars.count == 1 ? "" : "s"); credentials stored sealed")
            }
        }
    }

    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch one google/outlook source's free/busy time and replace its intervals.",
            discussion: """
                Every calendar is fetched first; if any fails (e.g. not found) nothing is written and the \
                failure is recorded on the source. The same intervals for the same window change nothing \
                (the vendor's revision stays). Refreshed tokens are stored sealed.

                Exit status: 0 success, 1 database or vendor error, 64 bad arguments, 69 the provider failed, \
                78 BOOKIJI_TOKEN_KEY missing or invalid.
                """)

        @OptionGroup var db: DatabaseOptions
        @Option(help: "Vendor id.") var vendor: String
        @Option(help: "Name of the calendar source.") var source: String
        @Option(help: "Window start: RFC 3339 instant or YYYY-MM-DD (default: 30 days before today, UTC).") var from: String?
        @Option(help: "Window end, exclusive (default: 365 days after today, UTC).") var to: String?
        @Flag(help: "Print the summary as one JSON object.") var json = false

        func validate() throws { _ = try window(now: 0) }

        func window(now: Int64) throws -> UTCInterval? {
            guard from != nil || to != nil else { return nil }
            let fallback = CalendarImport.defaultWindow(now: now)
            let start = try from.map { try ImportICS.instant($0, "--from") } ?? fallback.start
            let end = try to.map { try ImportICS.instant($0, "--to") } ?? fallback.end
            guard end > start else { throw ValidationError("--to must be after --from") }
            return UTCInterval(start: start, end: end)
        }

        func run() throws {
            let now = Int64(Date().timeIntervalSince1970)
            let (url, vendor, source, window) = (try db.url(), vendor, source, try window(now: now))
            let report = try CalendarCommand.guarded {
                try blockingAwait {
                    try await ConnectorSync(session: DatabaseOptions.session(url: url))
                        .sync(vendorID: vendor, sourceName: source, window: window, now: now)
                }
            }
            CalendarCommand.summarize([report], json: json, single: true)
            if report.outcome == .failed { throw ExitCode(CalendarCommand.syncFailed) }
        }
    }

    struct SyncAll: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync-all",
            abstract: "Sync every google/outlook source (of one vendor, or all), one by one.",
            discussion: "Exit status: 0 all synced, 69 at least one source failed, 78 BOOKIJI_TOKEN_KEY missing.")

        @OptionGroup var db: DatabaseOptions
        @Option(help: "Only this vendor's sources.") var vendor: String?
        @Flag(help: "Print the summary as one JSON object.") var json = false

        func run() throws {
            let now = Int64(Date().timeIntervalSince1970)
            let (url, vendor) = (try db.url(), vendor)
            let reports = try CalendarCommand.guarded {
                try blockingAwait {
                    try await ConnectorSync(session: DatabaseOptions.session(url: url)).syncAll(vendorID: vendor, now: now)
                }
            }
            CalendarCommand.summarize(reports, json: json, single: false)
            if reports.contains(where: { $0.outcome == .failed }) { throw ExitCode(CalendarCommand.syncFailed) }
        }
    }

    struct SyncDue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync-due",
            abstract: "Sync every calendar source whose sync interval has elapsed (google, outlook, ics feeds).",
            discussion: """
                The worker runs this on a schedule. A source is due when it was never synced or its last sync \
                (successful or not) is at least its sync interval ago (default 15 minutes). Feed sources \
                re-fetch their URL with If-None-Match / If-Modified-Since. Failures are recorded on the source.

                Exit status: 0 all due sources synced, 69 at least one failed.
                """)

        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print the summary as one JSON object.") var json = false

        func run() throws {
            let now = Int64(Date().timeIntervalSince1970)
            let url = try db.url()
            let outcomes = try CalendarCommand.guarded {
                try blockingAwait {
                    try await CalendarSyncs(session: DatabaseOptions.session(url: url)).syncDue(now: now).map(DueSummary.init)
                }
            }
            if json {
                printJSON { out in
                    out.key("sources")
                    out.arrayStart()
                    for outcome in outcomes {
                        out.objectStart()
                        out.field("vendorId", outcome.vendorID)
                        out.field("name", outcome.name)
                        out.field("kind", outcome.kind)
                        out.field("outcome", outcome.outcome)
                        out.field("error", outcome.error)
                        out.objectEnd()
                    }
                    out.arrayEnd()
                    out.field("failed", outcomes.filter { $0.error != nil }.count)
                }
            } else {
                if outcomes.isEmpty { print("no calendar source is due") }
                for o in outcomes {
                    print("source '\(o.name)' (\(o.kind)) of vendor \(o.vendorID): \(o.outcome)" + (o.error.map { ": \($0)" } ?? ""))
                }
            }
            if outcomes.contains(where: { $0.error != nil }) { throw ExitCode(CalendarCommand.syncFailed) }
        }
    }

    /// One line of `sync-due`'s summary.
    struct DueSummary: Sendable {
        var vendorID: String, name: String, kind: String, outcome: String, error: String?

        init(_ outcome: CalendarSyncs.Outcome) {
            vendorID = outcome.source.vendorID
            name = outcome.source.name
            kind = outcome.source.kind.rawValue
            switch outcome.result {
            case .connector(let report):
                self.outcome = report.outcome.rawValue
                error = report.outcome == .failed ? report.error : nil
            case .feed(let report):
                self.outcome = report.outcome.rawValue
                error = nil
            case .failed(let message):
                self.outcome = "failed"
                error = message
            }
        }
    }

    static func summarize(_ reports: [ConnectorSyncReport], json: Bool, single: Bool) {
        if json {
            printJSON { out in
                if single, let report = reports.first {
                    write(report, to: &out)
                } else {
                    out.key("sources")
                    out.arrayStart()
                    for report in reports {
                        out.objectStart()
                        write(report, to: &out)
                        out.objectEnd()
                    }
                    out.arrayEnd()
                    out.field("failed", reports.filter { $0.outcome == .failed }.count)
                }
            }
            return
        }
        if reports.isEmpty { print("no google or outlook calendar sources to sync") }
        for report in reports { print(text(report), terminator: "") }
    }

    static func text(_ r: ConnectorSyncReport) -> String {
        var out = "source '\(r.source.name)' (\(r.provider)) of vendor \(r.source.vendorID): "
        switch r.outcome {
        case .replaced: out += "replaced its intervals in the window; revision now \(r.revision)\n"
        case .unchanged: out += "unchanged (same intervals and window as the last sync); revision \(r.revision) kept\n"
        case .failed: out += "FAILED, nothing written: \(r.error ?? "")\n"
        }
        out += "window [\(RFC3339.format(r.window.start)), \(RFC3339.format(r.window.end)))"
        out += r.tokenRefreshed ? "; access token refreshed and stored sealed\n" : "\n"
        for calendar in r.calendars {
            out += "  \(calendar.id): "
            out += calendar.errors.isEmpty ? "\(calendar.intervals) intervals\n" : "error \(calendar.errors.joined(separator: "; "))\n"
        }
        if r.outcome != .failed { out += "intervals: \(r.intervalsInWindow) in the window, \(r.intervalsWritten) written\n" }
        return out
    }

    static func write(_ r: ConnectorSyncReport, to json: inout JSONWriter) {
        json.field("outcome", r.outcome.rawValue)
        json.field("vendorId", r.source.vendorID)
        json.key("source")
        json.objectStart()
        json.field("id", r.source.id)
        json.field("name", r.source.name)
        json.field("kind", r.source.kind.rawValue)
        json.field("status", r.source.status)
        json.field("lastSyncedAt", r.source.lastSyncedAt)
        json.field("lastError", r.source.lastError)
        json.objectEnd()
        json.key("window")
        json.objectStart()
        json.key("start"); json.instant(r.window.start)
        json.key("end"); json.instant(r.window.end)
        json.objectEnd()
        json.key("calendars")
        json.arrayStart()
        for calendar in r.calendars {
            json.objectStart()
            json.field("id", calendar.id)
            json.field("intervals", calendar.intervals)
            json.key("errors")
            json.arrayStart()
            for error in calendar.errors { json.string(error) }
            json.arrayEnd()
            json.objectEnd()
        }
        json.arrayEnd()
        json.field("intervalsInWindow", r.intervalsInWindow)
        json.field("intervalsWritten", r.intervalsWritten)
        json.field("tokenRefreshed", r.tokenRefreshed)
        json.field("revision", r.revision)
        json.field("contentDigest", r.contentDigest)
        json.field("errorCode", r.errorCode)
        json.field("error", r.error)
    }
}

/// Runs `body` on the cooperative pool and blocks the calling (main) thread until it finishes.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// Written once by the task before it signals the semaphore, read once after `wait()` returns:
/// the semaphore orders the two accesses, so no lock is needed.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
