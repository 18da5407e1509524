import BookijiCore
import Integrations
import Foundation
import Testing

@Suite("Retries, backoff and Retry-After")
struct RetryTests {
    @Test func rateLimitWithRetryAfterWaitsExactlyThatLongThenSucceeds() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["googleFailNext": [429], "retryAfter": 1])
        let (fixture, google) = Fixture.google(fake)
        let window = Fixture.window(days: 1)

        let result = try await google.fetch(calendars: ["a"], window: window)

        #expect(result.calendars["a"]?.intervals == FakeCalendarData.google("a", window))
        #expect(fixture.recorder.sleeps == [1.0], "Retry-After replaces the jittered backoff")
        #expect(try await fake.requests("google").count == 2)
    }

    @Test func retryAfterOfOneSecondIsHonouredInRealTime() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["graphFailNext": [429], "retryAfter": 1])
        let (_, graph) = Fixture.graph(fake, clock: .system)
        let began = Date()

        _ = try await graph.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 1))

        let elapsed = Date().timeIntervalSince(began)
        let calls = try await fake.requests("graph")
        #expect(calls.count == 2)
        let gap = calls[1].at - calls[0].at
        #expect(gap >= 1.0, "the retry came \(gap) s after the 429")
        #expect(gap < 10.0, "no long backoff on top of Retry-After (generous: CI is loaded)")
        #expect(elapsed >= 1.0)
    }

    @Test func retryAfterAsAnHTTPDateIsHonoured() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["graphFailNext": [503], "retryAfter": 2, "retryAfterDate": true])
        let (fixture, graph) = Fixture.graph(fake)

        _ = try await graph.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 1))

        let sleeps = fixture.recorder.sleeps
        #expect(sleeps.count == 1)
        // An HTTP-date has whole seconds, so "now + 2 s" is between 1 and 2 s away.
        #expect((0.9...2.1).contains(sleeps.first ?? -1), "waited \(sleeps)")
    }

    @Test func unavailableThroughEveryAttemptGivesUpAfterFiveWithExponentialBackoff() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["googleFailNext": [503, 503, 503, 503, 503, 503]])
        let (fixture, google) = Fixture.google(fake)

        let error = await connectorError { _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1)) }

        #expect(error?.code == .unavailable)
        #expect(error?.code.isRetryable == true)
        #expect(error?.httpStatus == 503)
        #expect(error?.message.contains("backendError") == true)
        #expect(try await fake.requests("google").count == 5)
        let sleeps = fixture.recorder.sleeps
        #expect(sleeps.count == 4)
        for (wait, base) in zip(sleeps, [1.0, 2.0, 4.0, 8.0]) {
            #expect((base * 0.8 - 0.001...base * 1.2 + 0.001).contains(wait), "wait \(wait) for base \(base)")
        }
    }

    @Test func transientFailuresThenSuccessReturnTheData() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["graphFailNext": [503, 500, 429]])
        let (fixture, graph) = Fixture.graph(fake)
        let window = Fixture.window(days: 1)

        let result = try await graph.fetch(calendars: ["a@contoso.com"], window: window)

        #expect(result.calendars["a@contoso.com"]?.intervals == FakeCalendarData.graph("a@contoso.com", window))
        #expect(try await fake.requests("graph").count == 4)
        #expect(fixture.recorder.sleeps.count == 3)
    }

    @Test func retryAfterLongerThanTheMaximumDelayEndsAtOnceWithTheWait() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["googleFailNext": [429], "retryAfter": 120])
        let (fixture, google) = Fixture.google(fake)

        let error = await connectorError { _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1)) }

        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(120))
        #expect(try await fake.requests("google").count == 1)
        #expect(fixture.recorder.sleeps.isEmpty)
    }

    @Test func googleQuotaReportedAs403IsRetriedLikeA429() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["googleFailNext": [403]])
        let (fixture, google) = Fixture.google(fake)

        _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1))

        #expect(try await fake.requests("google").count == 2)
        #expect(fixture.recorder.sleeps.count == 1)
    }

    @Test func graph403IsForbiddenAndNotRetried() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["graphFailNext": [403]])
        let (_, graph) = Fixture.graph(fake)

        let error = await connectorError { _ = try await graph.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 1)) }

        #expect(error?.code == .forbidden)
        #expect(error?.message.contains("ErrorAccessDenied") == true)
        #expect(try await fake.requests("graph").count == 1)
    }

    @Test func unreachableServerIsANetworkErrorAfterEveryAttempt() async throws {
        let recorder = RecordingClock()
        let tokens = OAuthTokenProvider(
            client: .google(clientID: "c", clientSecret: nil, tokenURL: "http://127.0.0.1:\(freePort())/token"),
            credentials: OAuthCredentials(refreshToken: "rt"), clock: recorder.clock,
            requestTimeout: .milliseconds(300))

        let error = await connectorError { _ = try await tokens.accessToken() }

        #expect(error?.code == .network)
        #expect(error?.message.contains("5 attempts") == true)
        #expect(recorder.sleeps.count == 4)
    }
}
