import Foundation

/// Stripe's PaymentIntent statuses (the ones this fake reaches; no `processing`).
enum PaymentIntentStatus: String, Sendable, CaseIterable {
    case requiresPaymentMethod = "requires_payment_method"
    case requiresConfirmation = "requires_confirmation"
    case requiresAction = "requires_action"
    case requiresCapture = "requires_capture"
    case succeeded
    case canceled
}

/// A card failure remembered on the intent as `last_payment_error`.
struct PaymentError: Sendable, Equatable {
    var code: String
    var declineCode: String
    var message: String
    var charge: String
    var paymentMethod: String

    var json: [String: Any] {
        [
            "type": "card_error", "code": code, "decline_code": declineCode, "message": message,
            "charge": charge, "payment_method": PaymentMethods.json(paymentMethod),
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        ]
    }
}

/// One PaymentIntent, rendered as Stripe renders it.
struct PaymentIntent: Sendable, Equatable {
    var id: String
    var amount: Int
    var currency: String
    var captureMethod: String
    var status: PaymentIntentStatus
    var created: Int
    var clientSecret: String
    var metadata: [String: String] = [:]
    var paymentMethod: String?
    var transferDestination: String?
    var applicationFeeAmount: Int?
    var description: String?
    var amountCapturable = 0
    var amountReceived = 0
    var latestCharge: String?
    var lastPaymentError: PaymentError?
    var cancellationReason: String?
    var canceledAt: Int?
    /// Refunded so far on the charge; Stripe keeps it on the charge, not the intent.
    var amountRefunded = 0

    var json: [String: Any] {
        var object: [String: Any] = [
            "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": amountCapturable,
            "amount_received": amountReceived, "currency": currency, "status": status.rawValue,
            "capture_method": captureMethod, "client_secret": clientSecret, "metadata": metadata,
            "created": created, "livemode": false, "confirmation_method": "automatic",
            "payment_method_types": ["card"], "amount_details": ["tip": [String: Any]()],
        ]
        object["latest_charge"] = orNull(latestCharge)
        object["payment_method"] = orNull(paymentMethod)
        object["application_fee_amount"] = orNull(applicationFeeAmount)
        object["description"] = orNull(description)
        object["cancellation_reason"] = orNull(cancellationReason)
        object["canceled_at"] = orNull(canceledAt)
        object["last_payment_error"] = orNull(lastPaymentError?.json)
        object["transfer_data"] = orNull(transferDestination.map { ["destination": $0] })
        object["customer"] = NSNull()
        object["on_behalf_of"] = NSNull()
        object["next_action"] = orNull(status == .requiresAction ? nextAction : nil)
        return object
    }

    /// What Stripe asks the client to do for a 3D Secure 2 challenge.
    private var nextAction: [String: Any] {
        [
            "type": "use_stripe_sdk",
            "use_stripe_sdk": ["type": "stripe_3ds2_fingerprint", "three_d_secure_2_source": "src_fake_\(id)"],
        ]
    }

    /// The charge behind `latest_charge`, for `charge.*` events.
    var chargeJSON: [String: Any] {
        let captured = status == .succeeded
        return [
            "id": latestCharge ?? "", "object": "charge", "amount": amount,
            "amount_captured": amountReceived, "amount_refunded": amountRefunded,
            "captured": captured, "refunded": captured && amountRefunded >= amountReceived,
            "currency": currency, "payment_intent": id, "payment_method": orNull(paymentMethod),
            "metadata": metadata, "created": created, "livemode": false, "paid": true,
            "status": "succeeded",
        ]
    }
}

/// One refund.
struct Refund: Sendable, Equatable {
    var id: String
    var amount: Int
    var charge: String
    var currency: String
    var paymentIntent: String
    var created: Int
    var reason: String?
    var metadata: [String: String] = [:]

    var json: [String: Any] {
        [
            "id": id, "object": "refund", "amount": amount, "charge": charge, "currency": currency,
            "payment_intent": paymentIntent, "created": created, "reason": orNull(reason),
            "metadata": metadata, "status": "succeeded", "balance_transaction": "txn_\(id.dropFirst(3))",
        ]
    }
}

/// Stripe's test payment methods that this fake knows, and what confirming with each does.
enum PaymentMethods {
    static let visa = "pm_card_visa"
    static let mastercard = "pm_card_mastercard"
    static let insufficientFunds = "pm_card_chargeDeclinedInsufficientFunds"
    static let declined = "pm_card_chargeDeclined"
    static let threeDSecure = "pm_card_threeDSecure2Required"

    static let known: Set<String> = [visa, mastercard, insufficientFunds, declined, threeDSecure]

    static func json(_ id: String) -> [String: Any] {
        [
            "id": id, "object": "payment_method", "type": "card", "livemode": false,
            "card": ["brand": id == mastercard ? "mastercard" : "visa", "last4": last4(id), "exp_month": 12, "exp_year": 2034],
        ]
    }

    private static func last4(_ id: String) -> String {
        switch id {
        case insufficientFunds: "9995"
        case declined: "0002"
        case threeDSecure: "3220"
        case mastercard: "4444"
        default: "4242"
        }
    }
}

/// A value for JSON, `null` when absent (a nil in a dictionary literal would drop the key).
func orNull<Value>(_ value: Value?) -> Any {
    value.map { $0 as Any } ?? NSNull()
}
