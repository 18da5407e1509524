import BookijiCore
import Foundation
import Store

/// Events Stripe sends about payment intents: checked, stored once, and left for the worker to
/// apply, so the endpoint answers Stripe at once and a crash after the answer loses nothing.
public struct StripeEvents {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What receiving an event did.
    public struct Receipt: Sendable, Hashable {
        public var eventID: String
        public var type: String
        /// True when the event was stored before (Stripe delivers at least once).
        public var duplicate: Bool
    }

    /// Verifies `payload` against its `Stripe-Signature` header with `signature` at `now`, then
    /// stores the event unless its id is already stored.
    /// - Throws: `invalid_signature` (nothing stored) for a missing, stale or forged signature;
    ///   `malformed_json` for a body that is not an event object.
    public func receive(payload: [UInt8], signatureHeader: String?, signature: StripeSignature, now: Int64) throws -> Receipt {
        try signature.verify(header: signatureHeader, payload: payload, now: now)
        guard let event = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] else {
            throw BookijiError(.malformedJSON, "the event is not a JSON object")
        }
        guard let id = event["id"] as? String, id.hasPrefix("evt_"), id.count <= 255,
              id.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            throw BookijiError(.malformedJSON, "the event has no id of the form evt_…", details: ["field": "id"])
        }
        guard let type = event["type"] as? String, (1...255).contains(type.unicodeScalars.count),
              !type.unicodeScalars.contains("\u{0}")
        else {
            throw BookijiError(.malformedJSON, "the event has no type", details: ["field": "type"])
        }
        let payloadJSON = Self.storable(payload, parsed: event)
        let stored = try database.read { try StripeEventStore($0).record(id: id, type: type, payloadJSON: payloadJSON) }
        return Receipt(eventID: id, type: type, duplicate: !stored)
    }
}

extension StripeEvents {
    /// The event as PostgreSQL's jsonb takes it. jsonb refuses the escape `\u0000`, which a
    /// signed event may carry in a text someone typed (a description, metadata); refusing the
    /// event would make Stripe retry it for days. Such an event is stored with each NUL replaced
    /// by U+FFFD: none of the fields the worker reads (ids, statuses, amounts) can hold one.
    static func storable(_ payload: [UInt8], parsed event: [String: Any]) -> String {
        let text = String(decoding: payload, as: UTF8.self)
        guard text.contains("\\u0000"),
              let data = try? JSONSerialization.data(withJSONObject: withoutNUL(event))
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    private static func withoutNUL(_ value: Any) -> Any {
        switch value {
        case let text as String:
            return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        case let array as [Any]:
            return array.map(withoutNUL)
        case let object as [String: Any]:
            return Dictionary(object.map { (withoutNUL($0.key) as? String ?? $0.key, withoutNUL($0.value)) }, uniquingKeysWith: { first, _ in first })
        default:
            return value
        }
    }
}

extension StripeEvents {
    /// What applying a stored event did.
    public enum Application: Sendable, Hashable {
        /// It changed one of our intents (or marked it to be fetched again) and woke the driver.
        case applied
        /// It is about an object that is not one of our intents, or a type we do not act on.
        case ignored
    }

    /// Applies a stored event (the worker's side of the webhook): a PaymentIntent event updates
    /// the leg it belongs to when it is news; a charge event (an authorization that lapsed, a
    /// refund) marks its intent to be fetched again. Recorded on the event row either way.
    public func apply(eventID: String, now: Int64) throws -> Application {
        try database.transaction(attempts: 3) { session in
            guard let (type, payload) = try StripeEventStore(session).find(id: eventID) else { return .ignored }
            let object = ((try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any])
                .flatMap { ($0["data"] as? [String: Any])?["object"] as? [String: Any] }
            let flow = PaymentFlow(database: Database(session: session))
            var applied = false
            if let object, object["object"] as? String == "payment_intent", let intent = Self.snapshot(object) {
                applied = try flow.applyEvent(intent, now: now)
            } else if let object, object["object"] as? String == "charge", let intentID = object["payment_intent"] as? String {
                applied = try flow.applyEvent(nil, chargeOfIntent: intentID, now: now)
            }
            try StripeEventStore(session).markApplied(
                id: eventID, note: applied ? nil : "ignored: \(type) is not about one of our payment intents")
            return applied ? .applied : .ignored
        }
    }

    /// A PaymentIntent object as Stripe writes it, in the flow's words; nil when it has no id or
    /// an unknown status.
    static func snapshot(_ object: [String: Any]) -> PaymentIntentSnapshot? {
        guard let id = object["id"] as? String, let status = (object["status"] as? String).flatMap(PaymentIntentStatus.init)
        else { return nil }
        let error = object["last_payment_error"] as? [String: Any]
        let charge = (object["latest_charge"] as? String) ?? ((object["latest_charge"] as? [String: Any])?["id"] as? String)
        return PaymentIntentSnapshot(
            id: id, status: status, clientSecret: object["client_secret"] as? String, latestCharge: charge,
            declineCode: error.flatMap { ($0["decline_code"] as? String) ?? ($0["code"] as? String) },
            declineMessage: error?["message"] as? String)
    }
}
