/// One OAuth 2.0 client registration and the token endpoint that refreshes its tokens.
public struct OAuthClient: Sendable {
    /// The token endpoint, e.g. `https://oauth2.googleapis.com/token`.
    public var tokenURL: String
    public var clientID: String
    /// Confidential (web) clients have one; public clients do not.
    public var clientSecret: String?
    /// Sent with the refresh request when set. Microsoft's endpoint takes the scopes there;
    /// they must be those the vendor consented to (or a subset).
    public var scope: String?
    /// Names the endpoint in error messages.
    public var serviceName: String

    public init(tokenURL: String, clientID: String, clientSecret: String?, scope: String? = nil, serviceName: String) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.serviceName = serviceName
    }

    /// Google's OAuth 2.0 token endpoint (`grant_type=refresh_token`).
    /// - Parameter tokenURL: overridable so tests can point at a fake server.
    public static func google(
        clientID: String, clientSecret: String?, tokenURL: String = "https://oauth2.googleapis.com/token"
    ) -> OAuthClient {
        OAuthClient(
            tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret,
            serviceName: "the Google token endpoint")
    }

    /// The Microsoft identity platform's v2.0 token endpoint,
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    /// - Parameters:
    ///   - tenant: `common`, `organizations`, or the directory's id or domain.
    ///   - scope: space-separated, as consented, e.g.
    ///     `offline_access https://graph.microsoft.com/Calendars.ReadBasic`.
    ///   - authorityURL: overridable so tests can point at a fake server.
    public static func microsoft(
        tenant: String, clientID: String, clientSecret: String?, scope: String,
        authorityURL: String = "https://login.microsoftonline.com"
    ) -> OAuthClient {
        OAuthClient(
            tokenURL: "\(authorityURL.trimmingTrailingSlash())/\(FormURLEncoding.escape(tenant))/oauth2/v2.0/token",
            clientID: clientID, clientSecret: clientSecret, scope: scope,
            serviceName: "the Microsoft token endpoint")
    }
}

/// What we hold for one vendor's calendar connection. Seal both tokens with ``TokenSealer``
/// before storing them.
public struct OAuthCredentials: Sendable, Equatable {
    public var accessToken: String?
    /// Epoch seconds after which the access token is no longer accepted; nil when unknown, in
    /// which case the token is used until the API rejects it.
    public var expiresAt: Int64?
    public var refreshToken: String

    public init(accessToken: String? = nil, expiresAt: Int64? = nil, refreshToken: String) {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
    }
}
