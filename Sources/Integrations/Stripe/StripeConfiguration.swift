/// Where ``StripeClient`` sends its calls and as which account.
public struct StripeConfiguration: Sendable, CustomStringConvertible {
    /// `https://api.stripe.com`, or a fake's address in tests. A trailing slash is ignored.
    public var apiBase: String
    /// The account's secret key (`sk_test_…`, `sk_live_…`), sent as `Authorization: Bearer …`.
    public var secretKey: String
    /// How long one request may take, reading the answer included. A call that runs out of time
    /// fails with ``StripeCallError/transport(_:)``: Stripe may still apply it.
    public var timeout: Duration

    public init(apiBase: String = "https://api.stripe.com", secretKey: String, timeout: Duration = .seconds(20)) {
        self.apiBase = apiBase
        self.secretKey = secretKey
        self.timeout = timeout
    }

    /// The base and the key's mode, never the key: configurations end up in logs.
    public var description: String {
        let mode = secretKey.hasPrefix("sk_live_") ? "live" : secretKey.hasPrefix("sk_test_") ? "test" : "unrecognised"
        return "StripeConfiguration(apiBase: \(apiBase), secretKey: \(mode) key, timeout: \(timeout))"
    }

    /// ``apiBase`` without the trailing slash, so that paths can be appended.
    var baseURL: String { apiBase.trimmingTrailingSlash() }
}
