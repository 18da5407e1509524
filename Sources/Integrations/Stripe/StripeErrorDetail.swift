/// The fields of Stripe's error object that we act on: the `error` of an error answer, and a
/// PaymentIntent's `last_payment_error`.
public struct StripeErrorDetail: Sendable, Hashable, Decodable {
    /// `api_error`, `card_error`, `idempotency_error` or `invalid_request_error`.
    public var type: String?
    /// What went wrong, for errors a program can handle: `card_declined`, `lock_timeout`,
    /// `payment_intent_unexpected_state`, `resource_missing`, …
    public var code: String?
    /// For card declines, the issuer's reason when it gave one: `insufficient_funds`, `generic_decline`, …
    public var declineCode: String?
    /// A sentence for people; for card errors one that may be shown to the customer.
    public var message: String?
    /// The request parameter the error is about, when there is one.
    public var param: String?

    public init(
        type: String? = nil, code: String? = nil, declineCode: String? = nil, message: String? = nil, param: String? = nil
    ) {
        self.type = type
        self.code = code
        self.declineCode = declineCode
        self.message = message
        self.param = param
    }

    enum CodingKeys: String, CodingKey {
        case type, code, message, param
        case declineCode = "decline_code"
    }
}
