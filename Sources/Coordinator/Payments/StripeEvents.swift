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
        guard let type = event["type"] as? String, !type.isEmpty, type.count <= 255 else {
            throw BookijiError(.malformedJSON, "the event has no type", details: ["field": "type"])
        }
        let payloadJSON = String(decoding: payload, as: UTF8.self)
        let stored = try database.read { try StripeEventStore($0).record(id: id, type: type, payloadJSON: payloadJSON) }
        return Receipt(eventID: id, type: type, duplicate: !stored)
    }
}
