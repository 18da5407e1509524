/// An error as Stripe answers it: the HTTP status and the `error` object's fields.
struct StripeError: Error, Sendable, Equatable {
    /// Stripe's `type`: `invalid_request_error`, `card_error`, `idempotency_error`, `api_error`.
    var type: String
    var status: Int
    var code: String?
    var declineCode: String?
    var message: String
    var param: String?
    /// The intent as it is after the failure; Stripe attaches it to card and state errors.
    var paymentIntent: PaymentIntent?
    var charge: String?
    var paymentMethod: String?
    /// Stripe's `Stripe-Should-Retry` header, for lock timeouts and key conflicts.
    var shouldRetry: Bool?

    static func invalidRequest(code: String?, param: String? = nil, message: String, status: Int = 400) -> StripeError {
        StripeError(type: "invalid_request_error", status: status, code: code, message: message, param: param)
    }

    static func missing(_ kind: String, _ id: String, param: String? = "id") -> StripeError {
        .invalidRequest(code: "resource_missing", param: param, message: "No such \(kind): '\(id)'", status: 404)
    }

    static func unexpectedState(_ intent: PaymentIntent, action: String, allowed: [PaymentIntentStatus]) -> StripeError {
        var error = StripeError.invalidRequest(
            code: "payment_intent_unexpected_state",
            message: "This PaymentIntent's \(action) could not be performed because it has a status of "
                + "\(intent.status.rawValue). Only a PaymentIntent with one of the following statuses may be "
                + "\(action == "capture" ? "captured" : action == "cancel" ? "canceled" : "confirmed"): "
                + allowed.map(\.rawValue).joined(separator: ", ") + ".")
        error.paymentIntent = intent
        return error
    }

    static func apiError() -> StripeError {
        StripeError(type: "api_error", status: 500, message: "An unknown error occurred")
    }

    static func lockTimeout() -> StripeError {
        var error = StripeError.invalidRequest(
            code: "lock_timeout",
            message: "This object cannot be accessed right now because another API request or Stripe process is "
                + "currently accessing it. If you see this error intermittently, retry the request.",
            status: 429)
        error.shouldRetry = true
        return error
    }

    static func cardDeclined(declineCode: String, message: String) -> StripeError {
        StripeError(type: "card_error", status: 402, code: "card_declined", declineCode: declineCode, message: message)
    }

    /// The body Stripe sends: `{"error": {...}}`.
    var json: [String: Any] {
        var error: [String: Any] = ["type": type, "message": message]
        error["code"] = code
        error["decline_code"] = declineCode
        error["param"] = param
        error["charge"] = charge
        if let paymentIntent { error["payment_intent"] = paymentIntent.json }
        if let paymentMethod { error["payment_method"] = PaymentMethods.json(paymentMethod) }
        error["doc_url"] = code.map { "https://stripe.com/docs/error-codes/\($0.replacingOccurrences(of: "_", with: "-"))" }
        return ["error": error]
    }
}
