import BookijiCore
import Coordinator
import Foundation
import Integrations
import Store

/// The scheduled calendar job: every source whose sync interval (`sync_interval_seconds`,
/// default 15 minutes) has elapsed is synced, one at a time. `google`/`outlook` sources go through
/// ``ConnectorSync``; `ics_url` sources re-fetch their URL conditionally (`If-None-Match` /
/// `If-Modified-Since` of the last fetch) and import it like `bookiji import-ics`. A failure is
/// recorded on its source (status `error`, last error, last sync time, so it waits a full interval
/// before the next try) and the other sources still sync.
///
/// ```swift
/// let outcomes = try await CalendarSyncs(session: db).syncDue(now: Int64(Date().timeIntervalSince1970))
/// ```
public struct CalendarSyncs {
    /// What one visited source came to.
    public struct Outcome: Sendable {
        public enum Result: Sendable {
            /// A connector sync ran (its report says `replaced`, `unchanged` or `failed`).
            case connector(ConnectorSyncReport)
            /// A feed was re-fetched and imported (`replaced`, `unchanged` or `not-modified`).
            case feed(CalendarImportReport)
            /// Nothing was written; the message is what was recorded on the source.
            case failed(String)
        }

        public var source: CalendarSource
        public var result: Result

        /// Whether the sync failed (and the failure was recorded on the source).
        public var failed: Bool {
            switch result {
            case .connector(let report): report.outcome == .failed
            case .feed: false
            case .failed: true
            }
        }
    }

    let session: Session
    let connectors: ConnectorSync
    let feeds: ICSFeedFetcher

    /// - Parameters:
    ///   - environment: where `BOOKIJI_TOKEN_KEY` is read for connector sources.
    ///   - transport, retryPolicy: the connectors' way out (tests pass fakes and fast policies).
    ///   - feeds: the fetcher for `ics_url` sources.
    public init(
        session: Session, environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport(), retryPolicy: RetryPolicy = .standard,
        feeds: ICSFeedFetcher = ICSFeedFetcher()
    ) {
        self.session = session
        self.connectors = ConnectorSync(session: session, environment: environment, transport: transport, retryPolicy: retryPolicy)
        self.feeds = feeds
    }

    /// Syncs every source due at `now` (epoch seconds) over the default window
    /// (``Coordinator/CalendarImport/defaultWindow(now:)``).
    /// - Returns: one outcome per visited source, in the order visited (longest-waiting first).
    /// - Throws: database errors and cancellation only; a source's own failure is an outcome.
    public func syncDue(now: Int64) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for source in try CalendarStore(session).dueSources(now: now) {
            try Task.checkCancellation()
            switch source.kind {
            case .google, .outlook:
                outcomes.append(try await syncConnector(source, now: now))
            case .icsURL:
                outcomes.append(try await syncFeed(source, now: now))
            case .icsFile:
                continue
            }
        }
        return outcomes
    }

    private func syncConnector(_ source: CalendarSource, now: Int64) async throws -> Outcome {
        do {
            let report = try await connectors.sync(vendorID: source.vendorID, sourceName: source.name, now: now)
            return Outcome(source: report.source, result: .connector(report))
        } catch let error as ConnectorSyncError {
            // Could not start (no token key, never connected): visible on the source all the same.
            return try recordFailure(source, message: error.message)
        }
    }

    private func syncFeed(_ source: CalendarSource, now: Int64) async throws -> Outcome {
        let store = CalendarStore(session)
        guard let url = try store.feedState(sourceID: source.id).url else {
            return try recordFailure(source, message: "the source has no feed URL; import one with `bookiji import-ics`")
        }
        let importer = CalendarImport(database: Database(session: session))
        let request = CalendarImport.Request(vendorID: source.vendorID, sourceName: source.name, inputs: [url])
        let feedRequest: CalendarImport.FeedRequest
        do {
            guard let asked = try importer.feedRequest(for: request, now: now) else {
                return try recordFailure(source, message: "\(url) is not a feed URL")
            }
            feedRequest = asked
        } catch let error as CalendarImportError {
            // Stopped before fetching (e.g. the vendor's zone is no longer known).
            return try recordFailure(source, message: error.description)
        }
        let answer = try await feeds.answer(feedRequest)
        do {
            let report = try importer.run(request, now: now, feed: (feedRequest, answer))
            return Outcome(source: report.source, result: .feed(report))
        } catch let error as CalendarImportError {
            // The import has recorded a failed fetch or a malformed feed on the source itself.
            let current = try store.source(vendorID: source.vendorID, name: source.name) ?? source
            return Outcome(source: current, result: .failed(error.description))
        }
    }

    private func recordFailure(_ source: CalendarSource, message: String) throws -> Outcome {
        let store = CalendarStore(session)
        try store.recordFailure(source: source, error: message)
        return Outcome(source: try store.source(vendorID: source.vendorID, name: source.name) ?? source, result: .failed(message))
    }
}
