/// Stripe's Refund, the fields the payment flow uses.
public struct StripeRefund: Sendable, Hashable, Decodable {
    /// `re_…`.
    public var id: String
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    public var status: String
    /// In the currency's smallest unit.
    public var amount: Int64
    /// The refunded PaymentIntent's id, whether Stripe sent the id or the expanded object.
    public var paymentIntent: String?
    /// The refunded charge's id, likewise.
    public var charge: String?

    public init(id: String, status: String, amount: Int64, paymentIntent: String? = nil, charge: String? = nil) {
        self.id = id
        self.status = status
        self.amount = amount
        self.paymentIntent = paymentIntent
        self.charge = charge
    }

    enum CodingKeys: String, CodingKey {
        case id, object, status, amount, charge
        case paymentIntent = "payment_intent"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try StripeObjectKind.check(container, .object, is: "refund")
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(String.self, forKey: .status)
        amount = try container.decode(Int64.self, forKey: .amount)
        paymentIntent = try container.decodeIfPresent(ExpandableID.self, forKey: .paymentIntent)?.id
        charge = try container.decodeIfPresent(ExpandableID.self, forKey: .charge)?.id
    }
}
