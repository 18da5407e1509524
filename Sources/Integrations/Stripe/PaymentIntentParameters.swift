/// The PaymentIntent we ask Stripe to create.
///
/// Codable so that the caller can keep it (as JSON) with the idempotency key before the call and
/// send exactly the same request again after a crash: ``formBody`` depends on nothing else.
public struct PaymentIntentParameters: Sendable, Hashable, Codable {
    /// In the currency's smallest unit (cents).
    public var amount: Int64
    /// ISO code, `usd`.
    public var currency: String
    /// `manual`: confirming only authorizes, and the money moves at ``StripeClient/capturePaymentIntent(_:idempotencyKey:)``.
    public var captureMethod: String = "manual"
    /// Sent as `metadata[key]=value`; Stripe refuses keys with brackets.
    public var metadata: [String: String]
    /// The connected account paid out to, `transfer_data[destination]`.
    public var transferDestination: String?
    /// Our part of the amount, `application_fee_amount`; needs ``transferDestination``.
    public var applicationFeeAmount: Int64?
    /// `pm_…`; when nil, the intent waits in `requires_payment_method`.
    public var paymentMethod: String?
    /// Confirm in the same call (needs ``paymentMethod``). Sent only when true.
    public var confirm: Bool = false
    public var description: String?

    public init(
        amount: Int64, currency: String, captureMethod: String = "manual", metadata: [String: String] = [:],
        transferDestination: String? = nil, applicationFeeAmount: Int64? = nil, paymentMethod: String? = nil,
        confirm: Bool = false, description: String? = nil
    ) {
        self.amount = amount
        self.currency = currency
        self.captureMethod = captureMethod
        self.metadata = metadata
        self.transferDestination = transferDestination
        self.applicationFeeAmount = applicationFeeAmount
        self.paymentMethod = paymentMethod
        self.confirm = confirm
        self.description = description
    }

    /// The body of `POST /v1/payment_intents`: hashes as bracketed keys
    /// (`metadata[reservation_id]=…`, `transfer_data[destination]=…`), keys in byte order,
    /// everything else percent-encoded.
    public var formBody: String { StripeForm.encode(formFields) }

    var formFields: [StripeFormField] {
        var fields = [
            StripeFormField("amount", String(amount)),
            StripeFormField("currency", currency),
            StripeFormField("capture_method", captureMethod),
        ]
        fields += StripeForm.hash("metadata", metadata)
        if let transferDestination { fields.append(StripeFormField("transfer_data", key: "destination", transferDestination)) }
        if let applicationFeeAmount { fields.append(StripeFormField("application_fee_amount", String(applicationFeeAmount))) }
        if let paymentMethod { fields.append(StripeFormField("payment_method", paymentMethod)) }
        if confirm { fields.append(StripeFormField("confirm", "true")) }
        if let description { fields.append(StripeFormField("description", description)) }
        return fields
    }

    /// The names in the stored JSON; keep them when renaming a property.
    enum CodingKeys: String, CodingKey {
        case amount, currency, captureMethod, metadata, transferDestination, applicationFeeAmount, paymentMethod
        case confirm, description
    }

    /// Fields with a default may be missing, so that JSON stored before a field existed still reads.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        amount = try container.decode(Int64.self, forKey: .amount)
        currency = try container.decode(String.self, forKey: .currency)
        captureMethod = try container.decodeIfPresent(String.self, forKey: .captureMethod) ?? "manual"
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
        transferDestination = try container.decodeIfPresent(String.self, forKey: .transferDestination)
        applicationFeeAmount = try container.decodeIfPresent(Int64.self, forKey: .applicationFeeAmount)
        paymentMethod = try container.decodeIfPresent(String.self, forKey: .paymentMethod)
        confirm = try container.decodeIfPresent(Bool.self, forKey: .confirm) ?? false
        description = try container.decodeIfPresent(String.self, forKey: .description)
    }
}
