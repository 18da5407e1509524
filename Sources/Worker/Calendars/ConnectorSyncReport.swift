import BookijiCore
import Store

/// What one connector sync did, for the CLI summary (and later the worker's log).
public struct ConnectorSyncReport: Sendable {
    public enum Outcome: String, Sendable, Hashable {
        /// The source's intervals inside the window were replaced; the vendor's revision moved.
        case replaced
        /// The provider returned the same intervals for the same window: only the sync time was recorded.
        case unchanged
        /// Nothing was written; the failure is recorded on the source (status `error`, last error).
        case failed
    }

    /// One requested calendar.
    public struct Calendar: Sendable, Hashable {
        public var id: String
        public var intervals: Int
        /// The provider's per-calendar errors (`notFound`, ...); any makes the sync fail.
        public var errors: [String]
    }

    public var outcome: Outcome
    /// The source after the sync.
    public var source: CalendarSource
    public var provider: String
    public var window: UTCInterval
    public var calendars: [Calendar] = []
    /// Intervals over all calendars inside the window.
    public var intervalsInWindow = 0
    public var intervalsWritten = 0
    /// Whether the access token was refreshed (and the new tokens stored, sealed).
    public var tokenRefreshed = false
    /// The vendor's revision after the sync.
    public var revision: Int64 = 0
    public var contentDigest: String?
    /// For ``Outcome/failed``: the connector's code (`unavailable`, `invalid_grant`, `calendar_errors`, ...).
    public var errorCode: String?
    /// For ``Outcome/failed``: what was recorded as the source's last error.
    public var error: String?

    init(outcome: Outcome, source: CalendarSource, provider: String, window: UTCInterval) {
        self.outcome = outcome
        self.source = source
        self.provider = provider
        self.window = window
    }
}
