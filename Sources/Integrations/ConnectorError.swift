/// Why a call to the outside world gave up: a calendar connector, the token provider, a feed fetch.
///
/// The ``code`` is what callers branch on (the worker reschedules ``Code/rateLimited`` and
/// ``Code/unavailable`` jobs, and asks the vendor to reconnect on ``Code/unauthorized`` and
/// ``Code/invalidGrant``); the message says what happened and what to do about it. Messages never
/// contain access or refresh tokens.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    /// A stable machine code. Whether retrying later can help is a property of the code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        /// Whether the same call may succeed later without anyone changing anything.
        public let isRetryable: Bool

        init(_ rawValue: String, retryable: Bool) {
            self.rawValue = rawValue
            self.isRetryable = retryable
        }

        public var description: String { rawValue }

        /// The API rejected the access token, and again after a refresh: the vendor must re-authorise.
        public static let unauthorized = Code("unauthorized", retryable: false)
        /// The token endpoint refused the refresh token (`invalid_grant`): revoked, expired or for
        /// another client. Only a new authorisation by the vendor helps.
        public static let invalidGrant = Code("invalid_grant", retryable: false)
        /// The token endpoint refused the refresh for another reason (`invalid_client`, ...): a
        /// configuration problem on our side.
        public static let tokenRefreshFailed = Code("token_refresh_failed", retryable: false)
        /// 429 (or Google's 403 `rateLimitExceeded`) persisted through every attempt, or the server
        /// asked us to wait longer than the retry policy's maximum delay. See ``ConnectorError/retryAfter``.
        public static let rateLimited = Code("rate_limited", retryable: true)
        /// 5xx persisted through every attempt.
        public static let unavailable = Code("unavailable", retryable: true)
        /// The server could not be reached or the connection failed, through every attempt.
        public static let network = Code("network", retryable: true)
        /// The API refused the request as malformed (4xx other than 401/403/429): a bug on our side.
        public static let badRequest = Code("bad_request", retryable: false)
        /// 403 without a rate-limit reason: missing scope or no access to the calendar.
        public static let forbidden = Code("forbidden", retryable: false)
        /// A 2xx response whose body does not have the documented shape.
        public static let badResponse = Code("bad_response", retryable: false)
        /// The response body was larger than the caller's limit.
        public static let responseTooLarge = Code("response_too_large", retryable: false)
        /// The caller passed something unusable (an empty window, a malformed base URL).
        public static let invalidInput = Code("invalid_input", retryable: false)
    }

    public var code: Code
    public var message: String
    /// The HTTP status of the last response, if one arrived.
    public var httpStatus: Int?
    /// How long the server asked us to wait (from `Retry-After`), when it said so.
    public var retryAfter: Duration?

    public init(_ code: Code, _ message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
