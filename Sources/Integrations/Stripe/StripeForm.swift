/// One parameter of a Stripe request: `name=value`, or `name[key]=value` for a hash such as
/// `metadata` or `transfer_data`.
struct StripeFormField: Sendable, Hashable {
    var name: String
    var key: String?
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    init(_ name: String, key: String, _ value: String) {
        self.name = name
        self.key = key
        self.value = value
    }

    /// The name as Stripe reads it, `metadata[reservation_id]`.
    var fullName: String { key.map { "\(name)[\($0)]" } ?? name }

    /// The brackets of a hash stay literal, as Stripe's own libraries send them; inside a name, a
    /// key or a value everything but RFC 3986's unreserved characters is percent-encoded, so a
    /// bracket, `&` or `=` there cannot change the structure.
    var encoded: String {
        let name = FormURLEncoding.escape(name) + (key.map { "[" + FormURLEncoding.escape($0) + "]" } ?? "")
        return name + "=" + FormURLEncoding.escape(value)
    }
}

/// Stripe's request parameters as `application/x-www-form-urlencoded`, for POST bodies and GET queries.
enum StripeForm {
    /// The fields in byte order of their full names, so that the same parameters are always the
    /// same bytes: a retry under an idempotency key must send exactly what the first attempt sent.
    static func encode(_ fields: [StripeFormField]) -> String {
        fields.sorted { $0.fullName.utf8.lexicographicallyPrecedes($1.fullName.utf8) }
            .map(\.encoded)
            .joined(separator: "&")
    }

    /// `name[key]=value` for each entry of a hash.
    static func hash(_ name: String, _ entries: [String: String]) -> [StripeFormField] {
        entries.map { StripeFormField(name, key: $0.key, $0.value) }
    }
}
