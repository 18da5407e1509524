import BookijiCore

/// Vendor bodies: the API's `GET /v1/vendors/{id}` and the CLI's `--json` write them alike.
public enum VendorJSON {
    /// A vendor's payment settings (`GET /v1/vendors/{id}`), minor units; null when it has none.
    public static func payments(_ payments: VendorPayments?, into json: inout JSONWriter) {
        guard let payments else { json.null(); return }
        json.objectStart()
        json.field("stripeAccount", payments.stripeAccount)
        json.field("currency", payments.currency)
        json.field("price", payments.price)
        json.field("deposit", payments.deposit)
        json.field("platformFee", payments.platformFee)
        json.objectEnd()
    }
}
