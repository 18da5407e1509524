/// Stripe's PaymentIntent, the fields the payment flow uses, decoded from Stripe's JSON.
public struct StripePaymentIntent: Sendable, Hashable, Decodable, CustomStringConvertible {
    /// `pi_…`.
    public var id: String
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `requires_capture`, `succeeded` or `canceled`.
    public var status: String
    /// In the currency's smallest unit (cents).
    public var amount: Int64
    /// What a capture may still take: the authorized amount while `requires_capture`, else 0.
    public var amountCapturable: Int64
    /// What has been captured.
    public var amountReceived: Int64
    /// Lowercase ISO code, `usd`.
    public var currency: String
    /// What the customer's browser confirms with; a secret, left out of ``description``.
    public var clientSecret: String?
    /// The id of the last charge (`ch_…`), whether Stripe sent the id or the expanded charge.
    public var latestCharge: String?
    public var metadata: [String: String]
    /// Why the last confirmation failed (a decline), until the next one.
    public var lastPaymentError: StripeErrorDetail?
    /// `requested_by_customer`, `abandoned`, `automatic` (an authorization that lapsed), …
    public var cancellationReason: String?
    /// Unix seconds.
    public var created: Int64

    public init(
        id: String, status: String, amount: Int64, amountCapturable: Int64 = 0, amountReceived: Int64 = 0,
        currency: String, clientSecret: String? = nil, latestCharge: String? = nil, metadata: [String: String] = [:],
        lastPaymentError: StripeErrorDetail? = nil, cancellationReason: String? = nil, created: Int64
    ) {
        self.id = id
        self.status = status
        self.amount = amount
        self.amountCapturable = amountCapturable
        self.amountReceived = amountReceived
        self.currency = currency
        self.clientSecret = clientSecret
        self.latestCharge = latestCharge
        self.metadata = metadata
        self.lastPaymentError = lastPaymentError
        self.cancellationReason = cancellationReason
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id, object, status, amount, currency, metadata, created
        case amountCapturable = "amount_capturable"
        case amountReceived = "amount_received"
        case clientSecret = "client_secret"
        case latestCharge = "latest_charge"
        case lastPaymentError = "last_payment_error"
        case cancellationReason = "cancellation_reason"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try StripeObjectKind.check(container, .object, is: "payment_intent")
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(String.self, forKey: .status)
        amount = try container.decode(Int64.self, forKey: .amount)
        amountCapturable = try container.decode(Int64.self, forKey: .amountCapturable)
        amountReceived = try container.decode(Int64.self, forKey: .amountReceived)
        currency = try container.decode(String.self, forKey: .currency)
        clientSecret = try container.decodeIfPresent(String.self, forKey: .clientSecret)
        latestCharge = try container.decodeIfPresent(ExpandableID.self, forKey: .latestCharge)?.id
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
        lastPaymentError = try container.decodeIfPresent(StripeErrorDetail.self, forKey: .lastPaymentError)
        cancellationReason = try container.decodeIfPresent(String.self, forKey: .cancellationReason)
        created = try container.decode(Int64.self, forKey: .created)
    }

    public var description: String {
        "PaymentIntent(\(id), \(status), \(amount) \(currency), capturable \(amountCapturable), received \(amountReceived)"
            + (latestCharge.map { ", charge \($0)" } ?? "") + (lastPaymentError?.code.map { ", last error \($0)" } ?? "") + ")"
    }
}
