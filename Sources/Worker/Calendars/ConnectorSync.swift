import BookijiCore
import Coordinator
import Foundation
import Integrations
import Store

/// Connects `google`/`outlook` calendar sources and syncs them from Google Calendar
/// (`freeBusy.query`) or Microsoft Graph (`calendar/getSchedule`): `bookiji calendar connect`,
/// `calendar sync` and `calendar sync-all`, and the worker through ``CalendarSyncs``.
///
/// Orchestration only: the HTTP calls go through Integrations, every SQL statement is in Store.
///
/// - Secrets live in the source's config only sealed with ``TokenSealer`` (key from
///   `BOOKIJI_TOKEN_KEY`); see ``ConnectorSourceConfig``. Nothing here prints or logs them.
/// - Atomic: every calendar is fetched before anything is written. If any calendar reports an
///   error (e.g. `notFound`), nothing is written — a partial write would show the failed
///   calendar's time as free — and the failure is recorded on the source.
/// - Idempotent like ``CalendarImport``: the digest covers the window and every calendar's
///   intervals; when it matches (and the source still covers the window) only the sync time is
///   recorded and the vendor's revision stays.
/// - Tokens refreshed during the sync (Microsoft also rotates the refresh token) are sealed back
///   into the config whether the sync then succeeds or fails, so a rotated refresh token is never lost.
public struct ConnectorSync {
    /// `calendar connect`'s settings; the secrets are plaintext here, in memory only.
    public struct ConnectRequest: Sendable {
        public var vendorID: String
        public var sourceName: String
        /// `google` or `outlook`.
        public var provider: String
        public var calendars: [String]
        public var clientID: String
        public var clientSecret: String
        public var refreshToken: String
        public var tenant: String
        public var scope: String?
        public var tokenURL: String?
        public var apiURL: String?

        public init(
            vendorID: String, sourceName: String, provider: String, calendars: [String], clientID: String,
            clientSecret: String, refreshToken: String, tenant: String = "common", scope: String? = nil,
            tokenURL: String? = nil, apiURL: String? = nil
        ) {
            self.vendorID = vendorID
            self.sourceName = sourceName
            self.provider = provider
            self.calendars = calendars
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
            self.tenant = tenant
            self.scope = scope
            self.tokenURL = tokenURL
            self.apiURL = apiURL
        }
    }

    let session: Session
    let environment: [String: String]
    let transport: any HTTPTransport
    let retryPolicy: RetryPolicy

    /// - Parameter environment: where `BOOKIJI_TOKEN_KEY` is read (the process environment unless given).
    public init(
        session: Session, environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport(), retryPolicy: RetryPolicy = .standard
    ) {
        self.session = session
        self.environment = environment
        self.transport = transport
        self.retryPolicy = retryPolicy
    }

    public static func kind(ofProvider provider: String) -> CalendarSource.Kind? {
        switch provider {
        case "google": .google
        case "outlook", "microsoft": .outlook
        default: nil
        }
    }

    func sealer() throws(ConnectorSyncError) -> TokenSealer {
        do {
            return try TokenSealer.fromEnvironment(environment)
        } catch {
            throw ConnectorSyncError(.configuration, error.message)
        }
    }

    // MARK: - connect

    /// Creates the source (or updates its settings), storing the secrets sealed. Replacing the
    /// refresh token drops any stored access token; intervals and revision are left alone.
    public func connect(_ request: ConnectRequest) throws -> CalendarSource {
        let sealer = try sealer()
        guard let kind = Self.kind(ofProvider: request.provider) else {
            throw ConnectorSyncError(.invalidArgument, "--provider must be google or outlook, not '\(request.provider)'")
        }
        let provider = kind.rawValue
        var seen = Set<String>()
        let calendars = request.calendars.filter { !$0.isEmpty && seen.insert($0).inserted }
        guard !calendars.isEmpty else { throw ConnectorSyncError(.invalidArgument, "give at least one --calendar") }
        guard !request.clientID.isEmpty else { throw ConnectorSyncError(.invalidArgument, "--client-id is empty") }
        guard try VendorStore(session).find(id: request.vendorID) != nil else {
            throw ConnectorSyncError(.vendorNotFound, "no vendor with id '\(request.vendorID)'")
        }
        let store = CalendarStore(session)
        if let existing = try store.source(vendorID: request.vendorID, name: request.sourceName), existing.kind != kind {
            throw ConnectorSyncError(
                .sourceKindMismatch,
                "source '\(request.sourceName)' is a \(existing.kind.rawValue) source; use another --source")
        }
        return try session.transaction { conn in
            let store = CalendarStore(conn)
            let created = try store.findOrCreateSource(vendorID: request.vendorID, name: request.sourceName, kind: kind)
            let source = try store.lockSource(id: created.id) ?? created
            let context = { (field: String) in ConnectorSourceConfig.context(sourceID: source.id, field: field) }
            let config = ConnectorSourceConfig(
                provider: provider, calendars: calendars, clientId: request.clientID,
                tokenURL: request.tokenURL ?? ConnectorSourceConfig.defaultTokenURL(provider: provider, tenant: request.tenant),
                apiURL: request.apiURL ?? ConnectorSourceConfig.defaultAPIURL(provider: provider),
                tenant: kind == .outlook ? request.tenant : nil,
                scope: kind == .outlook ? (request.scope ?? ConnectorSourceConfig.defaultMicrosoftScope) : nil,
                sealedClientSecret: sealer.seal(request.clientSecret, context: context("clientSecret")),
                sealedRefreshToken: sealer.seal(request.refreshToken, context: context("refreshToken")),
                sealedAccessToken: nil, accessTokenExpiresAt: nil)
            try store.setConfig(sourceID: source.id, json: config.encoded())
            return try store.source(vendorID: request.vendorID, name: request.sourceName) ?? source
        }
    }

    // MARK: - sync

    /// Every `google`/`outlook` source, optionally of one vendor, as (vendor id, name), in a stable order.
    public func connectedSources(vendorID: String? = nil) throws -> [(vendorID: String, name: String)] {
        try CalendarStore(session).connectorSources(vendorID: vendorID)
    }

    /// Syncs every connected source one by one. A source that fails is reported and recorded; the
    /// others still sync. Throws only for what stops all of them (no token key, a database error).
    public func syncAll(vendorID: String? = nil, window: UTCInterval? = nil, now: Int64) async throws -> [ConnectorSyncReport] {
        _ = try sealer()
        var reports: [ConnectorSyncReport] = []
        for (vendor, name) in try connectedSources(vendorID: vendorID) {
            do {
                reports.append(try await sync(vendorID: vendor, sourceName: name, window: window, now: now))
            } catch let error as ConnectorSyncError {
                // Only per-source problems get here (a never-connected source): record and go on.
                guard let source = try CalendarStore(session).source(vendorID: vendor, name: name) else { throw error }
                try CalendarStore(session).recordFailure(source: source, error: error.message)
                var report = ConnectorSyncReport(
                    outcome: .failed, source: try CalendarStore(session).source(vendorID: vendor, name: name) ?? source,
                    provider: source.kind.rawValue, window: window ?? CalendarImport.defaultWindow(now: now))
                report.errorCode = error.code.rawValue
                report.error = error.message
                report.revision = try VendorStore(session).revision(id: vendor) ?? 0
                reports.append(report)
            }
        }
        return reports
    }

    /// Fetches the source's calendars over `window` (default: ``CalendarImport/defaultWindow(now:)``)
    /// and replaces its intervals, or records the failure.
    /// - Returns: the report; outcome `failed` when the provider failed (recorded on the source).
    /// - Throws: ``ConnectorSyncError`` when the sync could not start; database errors.
    public func sync(vendorID: String, sourceName: String, window: UTCInterval? = nil, now: Int64) async throws -> ConnectorSyncReport {
        let sealer = try sealer()
        guard try VendorStore(session).find(id: vendorID) != nil else {
            throw ConnectorSyncError(.vendorNotFound, "no vendor with id '\(vendorID)'")
        }
        let store = CalendarStore(session)
        guard let source = try store.source(vendorID: vendorID, name: sourceName) else {
            throw ConnectorSyncError(.sourceNotFound, "vendor \(vendorID) has no calendar source '\(sourceName)'")
        }
        guard source.kind == .google || source.kind == .outlook else {
            throw ConnectorSyncError(
                .sourceKindMismatch, "source '\(sourceName)' is an \(source.kind.rawValue) source; sync it with `bookiji import-ics`")
        }
        let window = window ?? CalendarImport.defaultWindow(now: now)
        guard window.end > window.start else {
            throw ConnectorSyncError(.invalidArgument, "the window \(window) is empty: --to must be after --from")
        }
        let config = try ConnectorSourceConfig.decode(source.configJSON, source: sourceName)
        let secret: String, credentials: OAuthCredentials
        do {
            (secret, credentials) = try config.open(with: sealer, sourceID: source.id)
        } catch {
            return try fail(
                source, config: config, refreshed: nil, sealer: sealer, window: window, code: "sealing_\(error.code.rawValue)",
                message: "cannot open the stored credentials: \(error.message)")
        }

        let refreshed = RefreshedCredentials()
        let tokens = OAuthTokenProvider(
            client: OAuthClient(
                tokenURL: config.tokenURL, clientID: config.clientId, clientSecret: secret, scope: config.scope,
                serviceName: source.kind == .google ? "the Google token endpoint" : "the Microsoft token endpoint"),
            credentials: credentials, transport: transport, retryPolicy: retryPolicy,
            onRefresh: { fresh in await refreshed.set(fresh) })
        let connector: any FreeBusyConnector = source.kind == .google
            ? GoogleFreeBusyConnector(
                tokens: tokens, configuration: .init(baseURL: config.apiURL), transport: transport, retryPolicy: retryPolicy)
            : GraphScheduleConnector(
                tokens: tokens, configuration: .init(baseURL: config.apiURL), transport: transport, retryPolicy: retryPolicy)

        let result: FreeBusyResult
        do {
            result = try await connector.fetch(calendars: config.calendars, window: window)
        } catch let error as ConnectorError {
            return try fail(
                source, config: config, refreshed: await refreshed.value, sealer: sealer, window: window,
                code: error.code.rawValue, message: error.description)
        } catch {
            return try fail(
                source, config: config, refreshed: await refreshed.value, sealer: sealer, window: window,
                code: "network", message: "the sync stopped: \(error)")
        }
        let fresh = await refreshed.value
        let summaries = config.calendars.map { id in
            let calendar = result.calendars[id] ?? CalendarFreeBusy()
            return ConnectorSyncReport.Calendar(
                id: id, intervals: calendar.intervals.count, errors: calendar.errors.map(\.description))
        }
        let incomplete = result.incompleteCalendars
        if !incomplete.isEmpty {
            let detail = incomplete.map { id in
                "\(id): " + Set(result.calendars[id]?.errors.map(\.reason) ?? []).sorted().joined(separator: ", ")
            }.joined(separator: "; ")
            var report = try fail(
                source, config: config, refreshed: fresh, sealer: sealer, window: window, code: "calendar_errors",
                message: "\(incomplete.count) of \(config.calendars.count) calendars could not be read (\(detail)); nothing was written")
            report.calendars = summaries
            return report
        }

        let intervals = config.calendars.flatMap { result.calendars[$0]?.intervals ?? [] }
        let digest = Self.contentDigest(window: window, provider: config.provider, result: result, calendars: config.calendars)
        let (outcome, updated, revision) = try session.transaction { conn in
            let store = CalendarStore(conn)
            let locked = try store.lockSource(id: source.id) ?? source
            let outcome: ConnectorSyncReport.Outcome
            if locked.contentDigest == digest, CalendarImport.covers(locked.covered, window) {
                try store.recordUnchanged(source: locked)
                outcome = .unchanged
            } else {
                try store.replaceIntervals(source: locked, covered: window, intervals: intervals, contentDigest: digest)
                outcome = .replaced
            }
            if let fresh { try Self.storeTokens(fresh, config: config, sourceID: source.id, sealer: sealer, on: conn) }
            return (outcome, try store.source(vendorID: vendorID, name: sourceName) ?? locked,
                    try VendorStore(conn).revision(id: vendorID) ?? 0)
        }
        var report = ConnectorSyncReport(outcome: outcome, source: updated, provider: config.provider, window: window)
        report.calendars = summaries
        report.intervalsInWindow = intervals.count
        report.intervalsWritten = outcome == .replaced ? intervals.count : 0
        report.tokenRefreshed = fresh != nil
        report.revision = revision
        report.contentDigest = digest
        return report
    }

    /// Records the failure (and any refreshed tokens) on the source; intervals and revision stay.
    private func fail(
        _ source: CalendarSource, config: ConnectorSourceConfig, refreshed: OAuthCredentials?, sealer: TokenSealer,
        window: UTCInterval, code: String, message: String
    ) throws -> ConnectorSyncReport {
        let (updated, revision) = try session.transaction { conn in
            let store = CalendarStore(conn)
            let locked = try store.lockSource(id: source.id) ?? source
            try store.recordFailure(source: locked, error: message)
            if let refreshed { try Self.storeTokens(refreshed, config: config, sourceID: source.id, sealer: sealer, on: conn) }
            return (try store.source(vendorID: source.vendorID, name: source.name) ?? locked,
                    try VendorStore(conn).revision(id: source.vendorID) ?? 0)
        }
        var report = ConnectorSyncReport(outcome: .failed, source: updated, provider: config.provider, window: window)
        report.errorCode = code
        report.error = message
        report.tokenRefreshed = refreshed != nil
        report.revision = revision
        return report
    }

    /// Seals `credentials` into the source's config, re-reading it under the row lock so settings
    /// changed by a concurrent `connect` are kept.
    static func storeTokens(
        _ credentials: OAuthCredentials, config: ConnectorSourceConfig, sourceID: String, sealer: TokenSealer,
        on session: Session
    ) throws {
        let current = try CalendarStore(session).lockSource(id: sourceID)
        var updated = (try? current.map { try ConnectorSourceConfig.decode($0.configJSON, source: $0.name) }) ?? config
        // A connect in between replaced the refresh token: ours belongs to the old grant.
        guard updated.sealedRefreshToken == config.sealedRefreshToken else { return }
        updated.store(credentials, with: sealer, sourceID: sourceID)
        try CalendarStore(session).setConfig(sourceID: sourceID, json: updated.encoded())
    }

    /// The window, the provider, and each calendar's id and intervals in the configured order.
    public static func contentDigest(
        window: UTCInterval, provider: String, result: FreeBusyResult, calendars: [String]
    ) -> String {
        var hasher = SHA256()
        hasher.update("bookiji-connector-sync/1\n")
        hasher.update(int64: window.start)
        hasher.update(int64: window.end)
        hasher.update(provider + "\n")
        hasher.update(int64: Int64(calendars.count))
        for id in calendars {
            let intervals = result.calendars[id]?.intervals ?? []
            hasher.update(int64: Int64(id.utf8.count))
            hasher.update(id)
            hasher.update(int64: Int64(intervals.count))
            for item in intervals {
                hasher.update(int64: item.interval.start)
                hasher.update(int64: item.interval.end)
                hasher.update(item.status.rawValue + "\n")
            }
        }
        return hasher.finalize().hexString
    }
}

/// The latest credentials a token provider refreshed to during one sync, nil when none.
actor RefreshedCredentials {
    private(set) var value: OAuthCredentials?
    func set(_ credentials: OAuthCredentials) { value = credentials }
}
