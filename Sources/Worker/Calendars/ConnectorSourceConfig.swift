import Integrations
import Foundation
import Store

/// What a `google` or `outlook` calendar source keeps in `calendar_sources.config`.
///
/// Secrets (client secret, refresh token, access token) are stored only sealed with
/// ``TokenSealer``, each under the context `calendar-source:{source id}/{field}`: the source id
/// stops a sealed value being copied to another source, the field stops the client secret being
/// swapped with a token. Everything else is plain so `psql` shows what a source talks to.
public struct ConnectorSourceConfig: Codable, Sendable, Equatable {
    /// `google` or `outlook`.
    public var provider: String
    public var calendars: [String]
    public var clientId: String
    /// The OAuth token endpoint.
    public var tokenURL: String
    /// The API root (`.../calendar/v3` for Google, `.../v1.0` for Graph).
    public var apiURL: String
    /// Microsoft only: the directory tenant and the consented scopes sent with each refresh.
    public var tenant: String?
    public var scope: String?
    public var sealedClientSecret: String
    public var sealedRefreshToken: String
    public var sealedAccessToken: String?
    /// Epoch seconds; when the stored access token stops being accepted.
    public var accessTokenExpiresAt: Int64?

    /// The sealing context of one field of one source.
    public static func context(sourceID: String, field: String) -> String {
        "calendar-source:\(sourceID)/\(field)"
    }

    /// Defaults for `--token-url` / `--api-url` per provider.
    public static func defaultTokenURL(provider: String, tenant: String) -> String {
        provider == "google"
            ? "https://oauth2.googleapis.com/token"
            : "https://login.microsoftonline.com/\(tenant)/oauth2/v2.0/token"
    }

    public static func defaultAPIURL(provider: String) -> String {
        provider == "google" ? "https://www.googleapis.com/calendar/v3" : "https://graph.microsoft.com/v1.0"
    }

    public static let defaultMicrosoftScope = "offline_access https://graph.microsoft.com/Calendars.ReadBasic"

    /// Decodes the source's config.
    static func decode(_ json: String, source: String) throws(ConnectorSyncError) -> ConnectorSourceConfig {
        do {
            return try JSONDecoder().decode(ConnectorSourceConfig.self, from: Data(json.utf8))
        } catch {
            throw ConnectorSyncError(
                .notConnected,
                "source '\(source)' has no usable connection settings; run `bookiji calendar connect` for it")
        }
    }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The plaintext credentials, opened with `sealer`.
    func open(with sealer: TokenSealer, sourceID: String) throws(TokenSealingError) -> (secret: String, OAuthCredentials) {
        let ctx = { (field: String) in Self.context(sourceID: sourceID, field: field) }
        let secret = try sealer.open(sealedClientSecret, context: ctx("clientSecret"))
        let refresh = try sealer.open(sealedRefreshToken, context: ctx("refreshToken"))
        var access: String?
        if let sealedAccessToken { access = try sealer.open(sealedAccessToken, context: ctx("accessToken")) }
        return (secret, OAuthCredentials(accessToken: access, expiresAt: access == nil ? nil : accessTokenExpiresAt, refreshToken: refresh))
    }

    /// Replaces the stored tokens with `credentials`, sealed.
    mutating func store(_ credentials: OAuthCredentials, with sealer: TokenSealer, sourceID: String) {
        sealedRefreshToken = sealer.seal(credentials.refreshToken, context: Self.context(sourceID: sourceID, field: "refreshToken"))
        sealedAccessToken = credentials.accessToken.map {
            sealer.seal($0, context: Self.context(sourceID: sourceID, field: "accessToken"))
        }
        accessTokenExpiresAt = credentials.accessToken == nil ? nil : credentials.expiresAt
    }
}
