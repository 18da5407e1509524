#if canImport(FoundationEssentials)
import BookijiCore
import FoundationEssentials
#else
import Foundation
#endif

/// Holds one connection's access token, expiry and refresh token, and refreshes the access
/// token shortly before it expires or when an API rejects it.
///
/// Concurrent callers share one refresh: while a refresh is in flight, everyone waits for its
/// result instead of sending their own (Microsoft rotates refresh tokens, so parallel refreshes
/// could race each other into `invalid_grant`).
public actor OAuthTokenProvider {
    public let client: OAuthClient
    /// The current tokens; persist them (sealed) after each refresh, see `onRefresh`.
    public private(set) var credentials: OAuthCredentials
    /// How many refreshes succeeded; for diagnostics and tests.
    public private(set) var refreshCount = 0

    private let refreshMargin: Int64
    private let requestTimeout: Duration
    private let clock: ConnectorClock
    private let http: RetryingClient
    private let onRefresh: (@Sendable (OAuthCredentials) async -> Void)?
    private var inFlight: Task<OAuthCredentials, any Error>?

    /// - Parameters:
    ///   - refreshMargin: seconds before `expiresAt` at which the token counts as expired, so a
    ///     request never leaves with a token that expires on the way.
    ///   - requestTimeout: for each token request. async-http-client keeps retrying a refused
    ///     connection until this deadline, so it also bounds how long an unreachable endpoint takes to fail.
    ///   - onRefresh: called with the new credentials after every successful refresh, to store
    ///     them; Microsoft returns a new refresh token each time and the old one eventually stops working.
    public init(
        client: OAuthClient, credentials: OAuthCredentials, transport: any HTTPTransport = AsyncHTTPClientTransport(),
        retryPolicy: RetryPolicy = .standard, clock: ConnectorClock = .system, refreshMargin: Int64 = 60,
        requestTimeout: Duration = .seconds(30), onRefresh: (@Sendable (OAuthCredentials) async -> Void)? = nil
    ) {
        self.client = client
        self.credentials = credentials
        self.refreshMargin = refreshMargin
        self.requestTimeout = requestTimeout
        self.clock = clock
        self.onRefresh = onRefresh
        self.http = RetryingClient(
            transport: transport, policy: retryPolicy, clock: clock, service: client.serviceName,
            errorDetail: { response in
                let error = try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(response.body))
                return APIErrorDetail(code: error?.error, message: error?.errorDescription)
            })
    }

    /// A token that is valid for at least `refreshMargin` more seconds as far as we know,
    /// refreshing first if needed.
    /// - Throws: ``ConnectorError`` (``ConnectorError/Code/invalidGrant`` when the vendor must re-authorise).
    public func accessToken() async throws -> String {
        if let token = credentials.accessToken {
            guard let expiresAt = credentials.expiresAt else { return token }
            if Double(expiresAt - refreshMargin) > clock.now() { return token }
        }
        return try await refreshShared()
    }

    /// Refreshes because an API answered 401 to `token`. If another caller already replaced that
    /// token, returns the replacement without refreshing again.
    public func refresh(rejecting token: String?) async throws -> String {
        if let current = credentials.accessToken, current != token, inFlight == nil {
            return current
        }
        return try await refreshShared()
    }

    private func refreshShared() async throws -> String {
        let task: Task<OAuthCredentials, any Error>
        if let inFlight {
            task = inFlight
        } else {
            let (client, http, clock, current, timeout) = (
                self.client, self.http, self.clock, self.credentials, self.requestTimeout
            )
            task = Task {
                try await Self.performRefresh(client: client, http: http, clock: clock, current: current, timeout: timeout)
            }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task {
                inFlight = nil
                credentials = fresh
                refreshCount += 1
                await onRefresh?(fresh)
            }
            return fresh.accessToken ?? ""
        } catch {
            if inFlight == task { inFlight = nil }
            throw error
        }
    }

    private static func performRefresh(
        client: OAuthClient, http: RetryingClient, clock: ConnectorClock, current: OAuthCredentials, timeout: Duration
    ) async throws -> OAuthCredentials {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", current.refreshToken), ("client_id", client.clientID)]
        if let secret = client.clientSecret { fields.append(("client_secret", secret)) }
        if let scope = client.scope { fields.append(("scope", scope)) }
        let body = Array(FormURLEncoding.encode(fields).utf8)
        let response = try await http.send(tokens: nil) { _ in
            ConnectorHTTPRequest(
                method: "POST", url: client.tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                body: body, timeout: timeout)
        }
        guard (200..<300).contains(response.status) else {
            let error = try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(response.body))
            let detail = [error?.error, error?.errorDescription].compactMap { $0 }.joined(separator: ": ")
            if error?.error == "invalid_grant" {
                throw ConnectorError(
                    .invalidGrant,
                    "\(client.serviceName) refused the refresh token (\(detail)); it was revoked or expired, "
                        + "so the vendor must re-authorise the calendar connection",
                    httpStatus: response.status)
            }
            throw ConnectorError(
                .tokenRefreshFailed,
                "\(client.serviceName) refused to refresh the access token with HTTP \(response.status) "
                    + "(\(detail.isEmpty ? "no error details" : detail)); check the client id, secret and scopes",
                httpStatus: response.status)
        }
        let token: OAuthTokenBody
        do {
            token = try JSONDecoder().decode(OAuthTokenBody.self, from: Data(response.body))
        } catch {
            throw ConnectorError(
                .badResponse, "\(client.serviceName) answered 200 without a usable access_token: \(error)",
                httpStatus: response.status)
        }
        let issuedAt = Int64(clock.now())
        return OAuthCredentials(
            accessToken: token.accessToken,
            expiresAt: token.expiresIn.map { issuedAt + $0 },
            // Google keeps the refresh token; Microsoft sends a new one to use from now on.
            refreshToken: token.refreshToken ?? current.refreshToken)
    }
}

/// RFC 6749 §5.1 successful token response.
struct OAuthTokenBody: Decodable {
    var accessToken: String
    var expiresIn: Int64?
    var refreshToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try container.decode(String.self, forKey: .accessToken)
        refreshToken = try container.decodeIfPresent(String.self, forKey: .refreshToken)
        // Older Azure AD endpoints sent expires_in as a string.
        if let seconds = try? container.decodeIfPresent(Int64.self, forKey: .expiresIn) {
            expiresIn = seconds
        } else {
            expiresIn = (try? container.decodeIfPresent(String.self, forKey: .expiresIn)).flatMap { $0.flatMap(Int64.init) }
        }
    }
}

/// RFC 6749 §5.2 error response.
struct OAuthErrorBody: Decodable {
    var error: String
    var errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }
}
