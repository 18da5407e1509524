import BookijiCore
import Integrations
import Foundation
import Testing

@Suite("OAuth token refresh")
struct OAuthTokenProviderTests {
    @Test func expiredTokenIsRefreshedAfterA401AndTheRequestRetriedOnce() async throws {
        let fake = try await FakeCalendarServer.start()
        let (fixture, google) = Fixture.google(fake)
        let window = Fixture.window(days: 2)
        _ = try await google.fetch(calendars: ["a@example.com"], window: window)
        // The server now considers the token expired although its expires_in has not run out.
        try await fake.control(["expireTokens": true])

        let result = try await google.fetch(calendars: ["a@example.com"], window: window)

        #expect(result.calendars["a@example.com"]?.intervals == FakeCalendarData.google("a@example.com", window))
        let calls = try await fake.requests("google")
        #expect(calls.count == 3, "first fetch, the rejected call, its retry")
        #expect(calls[1].authorization == calls[0].authorization)
        #expect(calls[2].authorization != calls[1].authorization)
        #expect(try await fake.requests("token").count == 2)
        #expect(await fixture.tokens.refreshCount == 2)
    }

    @Test func secondUnauthorizedAfterARefreshSaysTheVendorMustReauthorise() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake)
        try await fake.control(["rejectAllTokens": true])

        let error = await connectorError { _ = try await graph.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 1)) }

        #expect(error?.code == .unauthorized)
        #expect(error?.httpStatus == 401)
        #expect(error?.message.contains("re-authorise") == true)
        #expect(error?.message.contains("InvalidAuthenticationToken") == true)
        #expect(try await fake.requests("graph").count == 2, "one retry after the refresh, no more")
        #expect(try await fake.requests("token").count == 2, "initial token, then the refresh after the 401")
    }

    @Test func revokedRefreshTokenFailsWithInvalidGrantAndNoAPICall() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["revokeRefreshTokens": ["rt-revoked"]])
        let (_, google) = Fixture.google(fake, credentials: OAuthCredentials(refreshToken: "rt-revoked"))

        let error = await connectorError { _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1)) }

        #expect(error?.code == .invalidGrant)
        #expect(error?.code.isRetryable == false)
        #expect(error?.httpStatus == 400)
        #expect(error?.message.contains("Token has been expired or revoked") == true)
        #expect(error?.message.contains("re-authorise") == true)
        #expect(error?.message.contains("rt-revoked") == false, "messages never contain tokens")
        #expect(try await fake.requests("google").isEmpty)
    }

    @Test func tokenAboutToExpireIsRefreshedBeforeTheCall() async throws {
        let fake = try await FakeCalendarServer.start()
        let valid = try await fake.issueToken(google: true)
        let now = Int64(Date().timeIntervalSince1970)
        // Still accepted by the server, but inside the 60 s refresh margin.
        let (fixture, google) = Fixture.google(
            fake, credentials: OAuthCredentials(accessToken: valid, expiresAt: now + 30, refreshToken: "rt-google"))

        _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1))

        let calls = try await fake.requests("google")
        #expect(calls.count == 1, "no 401 round trip")
        #expect(calls.first?.authorization != "Bearer \(valid)")
        #expect(await fixture.tokens.refreshCount == 1)
        let credentials = await fixture.tokens.credentials
        #expect((credentials.expiresAt ?? 0) >= now + 3_500)
    }

    @Test func tokenFarFromExpiryIsUsedWithoutRefreshing() async throws {
        let fake = try await FakeCalendarServer.start()
        let valid = try await fake.issueToken(google: true)
        let now = Int64(Date().timeIntervalSince1970)
        let (fixture, google) = Fixture.google(
            fake, credentials: OAuthCredentials(accessToken: valid, expiresAt: now + 3_000, refreshToken: "rt-google"))

        _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1))

        #expect(try await fake.requests("google").first?.authorization == "Bearer \(valid)")
        #expect(await fixture.tokens.refreshCount == 0)
    }

    @Test func microsoftRefreshSendsScopeAndKeepsTheRotatedRefreshToken() async throws {
        let fake = try await FakeCalendarServer.start()
        let stored = StoredCredentials()
        let (fixture, graph) = Fixture.graph(fake, onRefresh: { await stored.save($0) })

        _ = try await graph.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 1))

        let tokenCall = try #require(try await fake.requests("token").first)
        #expect(tokenCall.path == "/ms/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(tokenCall.form["grant_type"] == "refresh_token")
        #expect(tokenCall.form["refresh_token"] == "rt-ms")
        #expect(tokenCall.form["client_id"] == "client-ms")
        #expect(tokenCall.form["scope"] == "offline_access https://graph.microsoft.com/Calendars.ReadBasic")
        let current = await fixture.tokens.credentials
        #expect(current.refreshToken.hasPrefix("rt-ms-rotated-"))
        #expect(await stored.saved == [current])
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let fake = try await FakeCalendarServer.start()
        let (fixture, _) = Fixture.google(fake)
        let tokens = fixture.tokens

        let got = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await tokens.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }

        #expect(got.count == 1)
        #expect(try await fake.requests("token").count == 1)
    }

    @Test func tokenEndpointOutageIsRetried() async throws {
        let fake = try await FakeCalendarServer.start()
        try await fake.control(["tokenFailNext": [503, 503]])
        let (fixture, google) = Fixture.google(fake)

        _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 1))

        #expect(try await fake.requests("token").count == 3)
        #expect(fixture.recorder.sleeps.count == 2)
    }
}

actor StoredCredentials {
    private(set) var saved: [OAuthCredentials] = []
    func save(_ credentials: OAuthCredentials) { saved.append(credentials) }
}
