import BookijiCore
import Integrations

/// Connectors wired to one fake server, with a recording clock.
struct Fixture {
    let fake: FakeCalendarServer
    let recorder: RecordingClock
    let tokens: OAuthTokenProvider

    /// 2026-02-28T00:00:00Z, UTC day 20512. Day 20512 % 7 == 2, so the busy block that crosses
    /// midnight on days ≡ 0 (mod 7) straddles the first chunk boundary of both connectors
    /// (day 20512 + 89 for Google's 90-day chunks, day 20512 + 40 for Graph's 41-day chunks).
    static let epochDay: Int64 = 20_512
    static let start: Int64 = epochDay * 86_400

    static func window(days: Int64, from start: Int64 = start) -> UTCInterval {
        UTCInterval(start: start, end: start + days * 86_400)
    }

    static func google(
        _ fake: FakeCalendarServer, credentials: OAuthCredentials = OAuthCredentials(refreshToken: "rt-google"),
        policy: RetryPolicy = .standard, recorder: RecordingClock = RecordingClock(), refreshMargin: Int64 = 60
    ) -> (Fixture, GoogleFreeBusyConnector) {
        let tokens = OAuthTokenProvider(
            client: .google(clientID: "client-google", clientSecret: "secret", tokenURL: fake.googleTokenURL),
            credentials: credentials, retryPolicy: policy, clock: recorder.clock, refreshMargin: refreshMargin)
        let connector = GoogleFreeBusyConnector(
            tokens: tokens, configuration: .init(baseURL: fake.googleAPI), retryPolicy: policy, clock: recorder.clock)
        return (Fixture(fake: fake, recorder: recorder, tokens: tokens), connector)
    }

    static func graph(
        _ fake: FakeCalendarServer, credentials: OAuthCredentials = OAuthCredentials(refreshToken: "rt-ms"),
        policy: RetryPolicy = .standard, recorder: RecordingClock = RecordingClock(),
        clock: ConnectorClock? = nil, configuration: ((inout GraphScheduleConnector.Configuration) -> Void)? = nil,
        onRefresh: (@Sendable (OAuthCredentials) async -> Void)? = nil
    ) -> (Fixture, GraphScheduleConnector) {
        let clock = clock ?? recorder.clock
        let tokens = OAuthTokenProvider(
            client: .microsoft(
                tenant: "contoso.onmicrosoft.com", clientID: "client-ms", clientSecret: "secret",
                scope: "offline_access https://graph.microsoft.com/Calendars.ReadBasic",
                authorityURL: fake.microsoftAuthority),
            credentials: credentials, retryPolicy: policy, clock: clock, onRefresh: onRefresh)
        var settings = GraphScheduleConnector.Configuration(baseURL: fake.graphAPI)
        configuration?(&settings)
        let connector = GraphScheduleConnector(tokens: tokens, configuration: settings, retryPolicy: policy, clock: clock)
        return (Fixture(fake: fake, recorder: recorder, tokens: tokens), connector)
    }
}

/// Calls `body` and returns the ``ConnectorError`` it threw, or nil.
func connectorError(_ body: () async throws -> Void) async -> ConnectorError? {
    do {
        try await body()
        return nil
    } catch let error as ConnectorError {
        return error
    } catch {
        return ConnectorError(.badResponse, "unexpected error type: \(error)")
    }
}
