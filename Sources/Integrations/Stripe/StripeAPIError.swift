/// A call that Stripe answered with an error object.
///
/// Whether to try again is ``isRetryable``; with the same idempotency key a retry can never apply
/// the call twice. ``description`` is safe to log: it holds no key and no client secret.
public struct StripeAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status: 400 invalid request or idempotency error, 401 bad key, 402 card error,
    /// 404 no such object, 409 idempotency key in use, 429 lock timeout or rate limit, 5xx Stripe's own trouble.
    public var status: Int
    public var detail: StripeErrorDetail
    /// Stripe's `Stripe-Should-Retry` header, when the answer had one.
    public var shouldRetry: Bool?
    /// Stripe's `Request-Id` header, what Stripe's support and dashboard find a request by.
    public var requestID: String?
    /// The intent as it is after the failure, when Stripe attached it (declines, unexpected states).
    public var paymentIntent: StripePaymentIntent?

    public init(
        status: Int, detail: StripeErrorDetail, shouldRetry: Bool? = nil, requestID: String? = nil,
        paymentIntent: StripePaymentIntent? = nil
    ) {
        self.status = status
        self.detail = detail
        self.shouldRetry = shouldRetry
        self.requestID = requestID
        self.paymentIntent = paymentIntent
    }

    /// Stripe's own rule, as its client libraries apply it: `Stripe-Should-Retry` decides when
    /// present. Without it, 409 (a key whose first request still runs, a lock conflict), 429
    /// (`lock_timeout`, `rate_limit`) and 5xx are worth another try; any other 4xx fails the same
    /// way again.
    ///
    /// Stripe keeps a 500 under its idempotency key, and usually says `Stripe-Should-Retry: false`
    /// then: the same key would replay the same 500. Retrieve the object to learn what happened.
    public var isRetryable: Bool {
        if let shouldRetry { return shouldRetry }
        return status == 409 || status == 429 || status >= 500
    }

    /// A decline or another failure of the customer's card (`card_error`), not of our request.
    public var isCardError: Bool { detail.type == "card_error" }

    public var description: String {
        var text = "Stripe answered \(status)"
        for part in [detail.type, detail.code, detail.declineCode.map { "(\($0))" }] {
            if let part { text += " " + part }
        }
        if let param = detail.param { text += " on \(param)" }
        if let message = detail.message { text += ": " + message }
        if let requestID { text += " [\(requestID)]" }
        return text
    }
}
