import BookijiCore
import Postgres

extension VendorStore {
    /// The vendor's payment settings, nil when it has none (or for an unknown vendor).
    public func payments(id: String) throws -> VendorPayments? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query(
            "SELECT \(Self.paymentColumns) FROM vendors WHERE id = $1::uuid AND price_minor IS NOT NULL", [id]
        ).first.map { try Self.payments($0, from: 0) }
    }

    /// Stores validated payment settings; nil for an unknown vendor. Reservations already held
    /// keep the amounts they were held at.
    public func setPayments(id: String, _ payments: VendorPayments) throws -> VendorPayments? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("""
            UPDATE vendors SET stripe_account = $2, currency = $3, price_minor = $4, deposit_minor = $5,
                               platform_fee_minor = $6, updated_at = now()
            WHERE id = $1::uuid RETURNING \(Self.paymentColumns)
            """, [id, payments.stripeAccount, payments.currency, payments.price, payments.deposit, payments.platformFee]
        ).first.map { try Self.payments($0, from: 0) }
    }

    static let paymentColumns = "stripe_account, currency, price_minor, deposit_minor, platform_fee_minor"

    static func payments(_ row: PGRow, from first: Int) throws -> VendorPayments {
        VendorPayments(
            stripeAccount: try row.string(first), currency: try row.string(first + 1), price: try row.int64(first + 2),
            deposit: try row.int64(first + 3), platformFee: try row.int64(first + 4))
    }
}
