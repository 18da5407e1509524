import BookijiCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Free/busy from Microsoft Graph (`POST {baseURL}/{mailbox}/calendar/getSchedule`).
///
/// Splits schedules (SMTP addresses) into batches of at most 20 and the window into chunks
/// shorter than 42 days, asks in UTC (request times and the `Prefer: outlook.timezone` header),
/// and merges the answers. Graph returns times without an offset in the zone asked for, so they
/// are read as UTC; a response in any other zone is refused as ``ConnectorError/Code/badResponse``.
///
/// Status mapping (``StatusMapping``): `busy` and `oof` → busy, `tentative` → tentative, `free`
/// → nothing. `workingElsewhere` → nothing by default: the person is working, and Graph itself
/// folds it into "free" in `availabilityView`. `unknown` (and any status Graph adds later) →
/// tentative by default: not known to be free, so slots there get low confidence instead of none.
public struct GraphScheduleConnector: FreeBusyConnector {
    /// How Graph's `scheduleItem.status` values become ``BusyStatus``; nil means "free".
    public struct StatusMapping: Sendable, Equatable {
        public var workingElsewhere: BusyStatus?
        public var unknown: BusyStatus?

        public init(workingElsewhere: BusyStatus? = nil, unknown: BusyStatus? = .tentative) {
            self.workingElsewhere = workingElsewhere
            self.unknown = unknown
        }

        /// The interval status for a Graph status string, compared case-insensitively (Graph's
        /// examples use both `busy` and `Busy`).
        public func status(for graphStatus: String?) -> BusyStatus? {
            switch graphStatus?.lowercased() {
            case "busy", "oof": return .busy
            case "tentative": return .tentative
            case "free": return nil
            case "workingelsewhere": return workingElsewhere
            default: return unknown
            }
        }
    }

    public struct Configuration: Sendable {
        /// The API root, e.g. `https://graph.microsoft.com/v1.0`.
        public var baseURL: String
        /// `me` for delegated access, or `users/{id or userPrincipalName}` for application access.
        public var mailboxPath: String
        public var maxSchedulesPerRequest: Int
        /// The longest window one request may cover, in seconds. 41 days keeps every request
        /// under 42 days (Exchange's long-standing free/busy limit; Graph's documentation now
        /// says 62, so this is safe either way).
        public var maxWindowSeconds: Int64
        /// Minutes per slot of the `availabilityView` string (5...1440). We read `scheduleItems`,
        /// not the view, so a coarse interval only keeps the response small.
        public var availabilityViewInterval: Int
        public var statusMapping: StatusMapping
        public var requestTimeout: Duration

        public init(
            baseURL: String = "https://graph.microsoft.com/v1.0", mailboxPath: String = "me",
            maxSchedulesPerRequest: Int = 20, maxWindowSeconds: Int64 = 41 * 86_400,
            availabilityViewInterval: Int = 60, statusMapping: StatusMapping = StatusMapping(),
            requestTimeout: Duration = .seconds(30)
        ) {
            self.baseURL = baseURL
            self.mailboxPath = mailboxPath
            self.maxSchedulesPerRequest = maxSchedulesPerRequest
            self.maxWindowSeconds = maxWindowSeconds
            self.availabilityViewInterval = availabilityViewInterval
            self.statusMapping = statusMapping
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
            transport: transport, policy: retryPolicy, clock: clock, service: "Microsoft Graph",
            errorDetail: { response in
                let body = try? JSONDecoder().decode(GraphErrorBody.self, from: Data(response.body))
                return APIErrorDetail(code: body?.error.code, message: body?.error.message)
            })
    }

    public func fetch(calendars: [String], window: UTCInterval) async throws -> FreeBusyResult {
        guard !window.isEmpty else {
            throw ConnectorError(.invalidInput, "the free/busy window \(window) is empty")
        }
        let plan = RequestPlan(
            calendars: calendars, window: window, maxCalendars: configuration.maxSchedulesPerRequest,
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
        func wallClock(_ epoch: Int64) -> GraphDateTimeTimeZone {
            GraphDateTimeTimeZone(dateTime: String(RFC3339.format(epoch).dropLast()), timeZone: "UTC")
        }
        let body = try JSONEncoder().encode(
            GraphScheduleRequest(
                schedules: batch, startTime: wallClock(chunk.start), endTime: wallClock(chunk.end),
                availabilityViewInterval: configuration.availabilityViewInterval))
        let url = "\(configuration.baseURL.trimmingTrailingSlash())/\(configuration.mailboxPath)/calendar/getSchedule"
        let timeout = configuration.requestTimeout
        let response = try await http.send(tokens: tokens) { token in
            ConnectorHTTPRequest(
                method: "POST", url: url,
                headers: [
                    ("Authorization", "Bearer \(token ?? "")"), ("Content-Type", "application/json"),
                    ("Accept", "application/json"), ("Prefer", "outlook.timezone=\"UTC\""),
                ],
                body: Array(body), timeout: timeout)
        }
        guard (200..<300).contains(response.status) else {
            throw http.rejection(response, doing: "getSchedule for \(batch.count) schedules over \(chunk)")
        }
        let decoded: GraphScheduleResponse
        do {
            decoded = try JSONDecoder().decode(GraphScheduleResponse.self, from: Data(response.body))
        } catch {
            throw ConnectorError(
                .badResponse, "Microsoft Graph answered getSchedule with an unreadable body: \(error)",
                httpStatus: response.status)
        }
        // SMTP addresses are case-insensitive and Graph may normalise them.
        let byAddress = Dictionary(decoded.value.map { ($0.scheduleId.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for id in batch {
            guard let information = byAddress[id.lowercased()] else {
                result.fail(
                    id,
                    CalendarFetchError(
                        reason: "missingFromResponse", message: "Graph did not mention this schedule", window: chunk))
                continue
            }
            if let error = information.error {
                result.fail(
                    id,
                    CalendarFetchError(reason: error.responseCode ?? "unknown", message: error.message, window: chunk))
            }
            for item in information.scheduleItems ?? [] {
                guard let status = configuration.statusMapping.status(for: item.status) else { continue }
                result.add(id, start: try instant(item.start), end: try instant(item.end), status: status)
            }
        }
    }

    /// Reads a `dateTimeTimeZone` that we asked to be in UTC (`2019-03-15T12:00:00.0000000`).
    private func instant(_ value: GraphDateTimeTimeZone) throws -> Int64 {
        guard ["utc", "etc/utc", "coordinated universal time"].contains(value.timeZone.lowercased()) else {
            throw ConnectorError(
                .badResponse,
                "Microsoft Graph sent a time in zone '\(value.timeZone)' although UTC was requested; "
                    + "refusing to guess its offset")
        }
        let text = value.dateTime
        let hasZone = text.hasSuffix("Z") || text.hasSuffix("z") || text.split(separator: "T").last.map {
            $0.contains("+") || $0.contains("-")
        } ?? false
        do {
            return try RFC3339.parse(hasZone ? text : text + "Z")
        } catch {
            throw ConnectorError(.badResponse, "Microsoft Graph sent an unreadable time: \(error.message)")
        }
    }
}
