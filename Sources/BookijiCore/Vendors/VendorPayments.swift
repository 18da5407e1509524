/// What booking a vendor costs and where the money goes, in the currency's minor units (cents).
public struct VendorPayments: Sendable, Hashable {
    /// The vendor's Stripe Connect account (`acct_…`), the destination of the requester's payment.
    public var stripeAccount: String
    /// ISO 4217, lower case as Stripe writes it (`eur`).
    public var currency: String
    /// What the requester pays for the service.
    public var price: Int64
    /// What the vendor authorizes as its deposit.
    public var deposit: Int64
    /// The platform's share of the price (Stripe's `application_fee_amount`).
    public var platformFee: Int64

    public init(stripeAccount: String, currency: String, price: Int64, deposit: Int64, platformFee: Int64 = 0) {
        self.stripeAccount = stripeAccount
        self.currency = currency
        self.price = price
        self.deposit = deposit
        self.platformFee = platformFee
    }

    /// Checks the settings, with an error naming the field at fault.
    public func validated() throws -> VendorPayments {
        func refuse(_ field: String, _ message: String) -> BookijiError {
            BookijiError(.invalidParameter, message, details: ["field": field])
        }
        let account = stripeAccount.utf8
        guard account.count > 5, account.count <= 255, stripeAccount.hasPrefix("acct_"),
              account.dropFirst(5).allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            throw refuse("stripeAccount", "the Stripe account must be a Connect account id such as acct_1Nv0FG…")
        }
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ (97...122).contains($0) }) else {
            throw refuse("currency", "the currency must be an ISO 4217 code in lower case, such as eur or usd")
        }
        guard price > 0 else { throw refuse("price", "the price must be a positive amount in minor units (cents)") }
        guard deposit > 0 else { throw refuse("deposit", "the deposit must be a positive amount in minor units (cents)") }
        guard (0...price).contains(platformFee) else {
            throw refuse("platformFee", "the platform fee must be between 0 and the price (\(price))")
        }
        return self
    }
}

/// The amounts a reservation was held at: fixed then, whatever the vendor's settings become.
public struct ReservationPrice: Sendable, Hashable {
    public var currency: String
    public var amount: Int64
    public var deposit: Int64
    public var platformFee: Int64
    public var vendorStripeAccount: String

    public init(currency: String, amount: Int64, deposit: Int64, platformFee: Int64, vendorStripeAccount: String) {
        self.currency = currency
        self.amount = amount
        self.deposit = deposit
        self.platformFee = platformFee
        self.vendorStripeAccount = vendorStripeAccount
    }
}
