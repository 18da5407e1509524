import BookijiCore

/// Reads free/busy time for a set of calendars from one provider.
///
/// Implementations split the request into the provider's documented limits (calendars per
/// request, window length), send the parts one after another, and merge the answers, so a
/// caller asks for any number of calendars over any window.
///
/// ```swift
/// let tokens = OAuthTokenProvider(client: .google(clientID: id, clientSecret: secret),
///                                 credentials: OAuthCredentials(refreshToken: refresh))
/// let google = GoogleFreeBusyConnector(tokens: tokens)
/// let result = try await google.fetch(calendars: ["primary"], window: window)
/// ```
public protocol FreeBusyConnector: Sendable {
    /// Busy and tentative intervals of each calendar within `window`.
    ///
    /// Failures of single calendars (not found, no access) come back in
    /// ``CalendarFreeBusy/errors``; whole-request failures throw.
    /// - Throws: ``ConnectorError``, or `CancellationError` when the task is cancelled.
    func fetch(calendars: [String], window: UTCInterval) async throws -> FreeBusyResult
}

/// What one ``FreeBusyConnector/fetch(calendars:window:)`` call learned.
public struct FreeBusyResult: Sendable, Equatable {
    /// The window that was asked for; every interval lies inside it.
    public var window: UTCInterval
    /// One entry per distinct requested calendar id, in the caller's spelling.
    public var calendars: [String: CalendarFreeBusy]

    public init(window: UTCInterval, calendars: [String: CalendarFreeBusy]) {
        self.window = window
        self.calendars = calendars
    }

    /// Ids of calendars for which part or all of the window could not be read, sorted.
    public var incompleteCalendars: [String] {
        calendars.filter { !$0.value.isComplete }.keys.sorted()
    }
}

/// Free/busy of one calendar over the requested window.
public struct CalendarFreeBusy: Sendable, Equatable {
    /// Sorted; intervals of the same status that overlap or touch are merged, so the answer does
    /// not depend on how the window was split into requests.
    public var intervals: [BusyInterval]
    /// What the provider reported as failing for this calendar, per requested chunk. When not
    /// empty, the time those chunks cover is unknown, not free.
    public var errors: [CalendarFetchError]

    public init(intervals: [BusyInterval] = [], errors: [CalendarFetchError] = []) {
        self.intervals = intervals
        self.errors = errors
    }

    /// Whether the whole window was read without a per-calendar error.
    public var isComplete: Bool { errors.isEmpty }
}

/// A provider's per-calendar error, e.g. Google's `notFound` or Graph's `freeBusyError`.
public struct CalendarFetchError: Sendable, Hashable, CustomStringConvertible {
    /// The provider's reason or response code, verbatim (`notFound`, `ErrorMailRecipientNotFound`),
    /// or `missingFromResponse` when the provider silently left the calendar out.
    public var reason: String
    /// Google's error domain (`global`, `calendar`, `usageLimits`); nil for Graph.
    public var domain: String?
    /// The provider's message, when it gave one.
    public var message: String?
    /// The part of the window the failed request covered.
    public var window: UTCInterval

    public init(reason: String, domain: String? = nil, message: String? = nil, window: UTCInterval) {
        self.reason = reason
        self.domain = domain
        self.message = message
        self.window = window
    }

    public var description: String {
        var text = reason
        if let domain { text = "\(domain).\(text)" }
        if let message { text += " (\(message))" }
        return text + " for \(window)"
    }
}
