// The shapes of Stripe's JSON that only the client reads: expandable ids, the `object` tag,
// error answers and lists.

/// A field Stripe sends as an id, or as the object with that id when the request expanded it
/// (`latest_charge`, a refund's `payment_intent` and `charge`).
struct ExpandableID: Decodable {
    var id: String

    private struct Object: Decodable { var id: String }

    init(from decoder: any Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(String.self) {
            self.id = id
        } else {
            id = try Object(from: decoder).id
        }
    }
}

/// Every Stripe object names its kind in `object`; checking it turns an answer of the wrong kind
/// (a list where an intent was expected) into a decoding error instead of a half-read value.
enum StripeObjectKind {
    static func check<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key, is expected: String) throws {
        guard let kind = try container.decodeIfPresent(String.self, forKey: key), kind != expected else { return }
        throw DecodingError.dataCorruptedError(
            forKey: key, in: container, debugDescription: "expected a \(expected), got a \(kind)")
    }
}

/// An error answer: `{"error": {type, code, decline_code, message, param, payment_intent, …}}`.
struct StripeErrorEnvelope: Decodable {
    var error: Body

    struct Body: Decodable {
        var detail: StripeErrorDetail
        var paymentIntent: StripePaymentIntent?

        enum CodingKeys: String, CodingKey { case paymentIntent = "payment_intent" }

        init(from decoder: any Decoder) throws {
            detail = try StripeErrorDetail(from: decoder)
            // The intent is a bonus: an unreadable one must not hide the error itself.
            let container = try decoder.container(keyedBy: CodingKeys.self)
            paymentIntent = try? container.decodeIfPresent(StripePaymentIntent.self, forKey: .paymentIntent)
        }
    }
}

/// One page of a list: `{"object": "list", "data": [...], "has_more": …}`.
struct StripeList<Element: Decodable>: Decodable {
    var data: [Element]
    var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case object, data
        case hasMore = "has_more"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try StripeObjectKind.check(container, .object, is: "list")
        data = try container.decode([Element].self, forKey: .data)
        hasMore = try container.decode(Bool.self, forKey: .hasMore)
    }
}
