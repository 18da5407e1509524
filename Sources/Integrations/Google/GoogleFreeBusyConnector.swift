import BookijiCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Free/busy from the Google Calendar API v3 (`POST {baseURL}/freeBusy`, `freebusy.query`).
///
/// Splits calendars into batches of at most 50 (`calendarExpansionMax` tops out at 50) and the
/// window into chunks of at most 90 days (longer ranges fail with "The requested time range is
/// too long"), asks in UTC, and merges the answers. Google reports only busy time, so every
/// interval is ``BookijiCore/BusyStatus/busy``. Per-calendar `errors` (`notFound`,
/// `internalError`, ...) are surfaced in ``CalendarFreeBusy/errors``, never dropped.
public struct GoogleFreeBusyConnector: FreeBusyConnector {
    public struct Configuration: Sendable {
        /// The API root; the request goes to `{baseURL}/freeBusy`.
        public var baseURL: String
        public var maxCalendarsPerRequest: Int
        /// The longest window one request may cover, in seconds.
        public var maxWindowSeconds: Int64
        public var requestTimeout: Duration

        public init(
            baseURL: String = "https://www.googleapis.com/calendar/v3", maxCalendarsPerRequest: Int = 50,
            maxWindowSeconds: Int64 = 90 * 86_400, requestTimeout: Duration = .seconds(30)
        ) {
            self.baseURL = baseURL
            self.maxCalendarsPerRequest = maxCalendarsPerRequest
            self.maxWindowSeconds = maxWindowSeconds
            self.requestTimeout = requestTimeout
        }
    }

    public let tokens: OAuthTokenProvider
    public let configuration: Configuration
    private let http: RetryingClient

    public init(
        tokens: OAuthTokenProvider, configuration: Configuration = Configuration(),
        transport: any HTTPTransport = AsyncHTTPClientTransport(), retryPolicy: RetryPolicy = .standard,
        clock: ConnectorClock = .system
    ) {
        self.tokens = tokens
        self.configuration = configuration
        self.http = RetryingClient(
            transport: transport, policy: retryPolicy, clock: clock, service: "Google Calendar",
            errorDetail: { response in
                let body = try? JSONDecoder().decode(GoogleErrorBody.self, from: Data(response.body))
                return APIErrorDetail(code: body?.error.errors?.first?.reason, message: body?.error.message)
            },
            isRateLimited: { response, detail in
                // Google signals exhausted per-user and per-project quotas as 403 with these reasons.
                response.status == 403 && ["rateLimitExceeded", "userRateLimitExceeded"].contains(detail.code ?? "")
            })
    }

    public func fetch(calendars: [String], window: UTCInterval) async throws -> FreeBusyResult {
        guard !window.isEmpty else {
            throw ConnectorError(.invalidInput, "the free/busy window \(window) is empty")
        }
        let plan = RequestPlan(
            calendars: calendars, window: window, maxCalendars: configuration.maxCalendarsPerRequest,
            maxWindow: configuration.maxWindowSeconds)
        var result = FreeBusyAccumulator(window: window, calendars: plan.batches.flatMap { $0 })
        for chunk in plan.chunks {
            for batch in plan.batches {
                try await query(batch, chunk, into: &result)
            }
        }
        return result.result()
    }

    private func query(_ batch: [String], _ chunk: UTCInterval, into result: inout FreeBusyAccumulator) async throws {
        let body = try JSONEncoder().encode(
            GoogleFreeBusyRequest(
                timeMin: RFC3339.format(chunk.start), timeMax: RFC3339.format(chunk.end), timeZone: "UTC",
                items: batch.map { .init(id: $0) }))
        let url = configuration.baseURL.trimmingTrailingSlash() + "/freeBusy"
        let timeout = configuration.requestTimeout
        let response = try await http.send(tokens: tokens) { token in
            ConnectorHTTPRequest(
                method: "POST", url: url,
                headers: [
                    ("Authorization", "Bearer \(token ?? "")"), ("Content-Type", "application/json"),
                    ("Accept", "application/json"),
                ],
                body: Array(body), timeout: timeout)
        }
        guard (200..<300).contains(response.status) else {
            throw http.rejection(response, doing: "the free/busy query for \(batch.count) calendars over \(chunk)")
        }
        let decoded: GoogleFreeBusyResponse
        do {
            decoded = try JSONDecoder().decode(GoogleFreeBusyResponse.self, from: Data(response.body))
        } catch {
            throw ConnectorError(
                .badResponse, "Google Calendar answered the free/busy query with an unreadable body: \(error)",
                httpStatus: response.status)
        }
        let answered = decoded.calendars ?? [:]
        // Google echoes ids as sent; email-like ids may come back in another case.
        let byLowercased = Dictionary(answered.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        for id in batch {
            guard let calendar = answered[id] ?? byLowercased[id.lowercased()] else {
                result.fail(
                    id,
                    CalendarFetchError(
                        reason: "missingFromResponse", message: "Google did not mention this calendar", window: chunk))
                continue
            }
            for error in calendar.errors ?? [] {
                result.fail(id, CalendarFetchError(reason: error.reason ?? "unknown", domain: error.domain, window: chunk))
            }
            for period in calendar.busy ?? [] {
                do {
                    result.add(id, start: try RFC3339.parse(period.start), end: try RFC3339.parse(period.end), status: .busy)
                } catch {
                    throw ConnectorError(
                        .badResponse, "Google Calendar sent an unreadable busy period for a calendar: \(error.message)",
                        httpStatus: response.status)
                }
            }
        }
    }
}
