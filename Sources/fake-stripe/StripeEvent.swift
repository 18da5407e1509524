import Foundation

/// A webhook event, before it is signed and sent.
struct StripeEvent: Sendable, Equatable {
    /// What `data.object` holds: the intent, or the charge behind it for `charge.*` events.
    enum Object: Sendable, Equatable {
        case intent(PaymentIntent)
        case charge(PaymentIntent)
    }

    /// The API version this fake speaks, sent on every event.
    static let apiVersion = "2024-06-20"

    var id: String
    var type: String
    var created: Int
    var object: Object

    /// The payment intent the event is about (a `charge.*` event's charge belongs to one).
    var intentID: String {
        switch object {
        case .intent(let intent), .charge(let intent): intent.id
        }
    }

    var json: [String: Any] {
        let data: [String: Any]
        switch object {
        case .intent(let intent): data = intent.json
        case .charge(let intent): data = intent.chargeJSON
        }
        return [
            "id": id, "object": "event", "type": type, "created": created, "livemode": false,
            "api_version": Self.apiVersion, "pending_webhooks": 1, "data": ["object": data],
            "request": ["id": NSNull(), "idempotency_key": NSNull()],
        ]
    }
}
