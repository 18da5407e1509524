import BookijiCore
import Foundation
import Store

/// A partner's webhook endpoints (issue 13): register, list, delete, rotate the secret, enable
/// again; their deliveries, listed and retried.
public struct WebhookEndpoints {
    /// Endpoints one partner may have at once.
    public static let maximumPerPartner = 10
    /// How long a rotated-out secret keeps signing beside the new one.
    public static let rotationOverlapSeconds: Int64 = 24 * 3600

    let database: Database
    let policy: WebhookURLPolicy

    public init(database: Database, policy: WebhookURLPolicy) {
        self.database = database
        self.policy = policy
    }

    /// Registers an endpoint; its secret is in the answer, and only there.
    public func create(partnerID: String, url: String, events: [String]?) throws -> WebhookEndpoint {
        let target = try policy.check(url)
        if let events {
            guard !events.isEmpty else {
                throw BookijiError(.invalidParameter, "events must name at least one event, or be left out for all", details: ["field": "events"])
            }
            if let unknown = events.first(where: { !WebhookEndpoint.eventTypes.contains($0) }) {
                throw BookijiError(
                    .invalidParameter,
                    "unknown event '\(unknown)'; events are \(WebhookEndpoint.eventTypes.joined(separator: ", "))",
                    details: ["field": "events"])
            }
        }
        return try database.transaction { session in
            let store = WebhookStore(session)
            guard try store.endpoints(partnerID: partnerID).count < Self.maximumPerPartner else {
                throw BookijiError(
                    .invalidRequest, "a partner may have at most \(Self.maximumPerPartner) webhook endpoints; delete one first")
            }
            return try store.createEndpoint(
                partnerID: partnerID, url: target.url, events: events.map { Array(Set($0)).sorted() }, secret: StandardWebhooks.newSecret())
        }
    }

    public func list(partnerID: String) throws -> [WebhookEndpoint] {
        try database.read { try WebhookStore($0).endpoints(partnerID: partnerID) }
    }

    /// One of the partner's endpoints (another's, an unknown or a deleted one is not found).
    public func endpoint(id: String, partnerID: String) throws -> WebhookEndpoint {
        guard let endpoint = try database.read({ try WebhookStore($0).endpoint(id: id, partnerID: partnerID) }) else {
            throw Self.notFound(id)
        }
        return endpoint
    }

    public func delete(id: String, partnerID: String) throws {
        guard try database.read({ try WebhookStore($0).deleteEndpoint(id: id, partnerID: partnerID) }) else { throw Self.notFound(id) }
    }

    /// A new secret; the old one signs beside it for ``rotationOverlapSeconds``.
    public func rotateSecret(id: String, partnerID: String, now: Int64) throws -> WebhookEndpoint {
        guard let endpoint = try database.read({
            try WebhookStore($0).rotateSecret(
                id: id, partnerID: partnerID, secret: StandardWebhooks.newSecret(), previousUntil: now + Self.rotationOverlapSeconds)
        }) else { throw Self.notFound(id) }
        return endpoint
    }

    /// Enables the endpoint again (its waiting deliveries resume) or disables it.
    public func setEnabled(id: String, partnerID: String, enabled: Bool) throws -> WebhookEndpoint {
        guard let endpoint = try database.transaction({
            try WebhookStore($0).setEnabled(id: id, partnerID: partnerID, enabled: enabled, reason: enabled ? nil : "disabled by the partner")
        }) else { throw Self.notFound(id) }
        return endpoint
    }

    /// The endpoint's deliveries, newest first.
    public func deliveries(endpointID: String, partnerID: String, before: Int64?, limit: Int) throws -> [WebhookDelivery] {
        try database.read { session in
            let store = WebhookStore(session)
            guard try store.endpoint(id: endpointID, partnerID: partnerID) != nil else { throw Self.notFound(endpointID) }
            return try store.deliveries(endpointID: endpointID, before: before, limit: limit)
        }
    }

    /// Sends a delivery again, whatever became of it.
    public func retry(deliveryID: String, endpointID: String, partnerID: String) throws -> WebhookDelivery {
        try database.transaction { session in
            let store = WebhookStore(session)
            guard try store.endpoint(id: endpointID, partnerID: partnerID) != nil else { throw Self.notFound(endpointID) }
            guard let id = Int64(deliveryID), let delivery = try store.retry(deliveryID: id, endpointID: endpointID) else {
                throw BookijiError(.notFound, "no delivery '\(deliveryID)' for this endpoint", details: ["deliveryId": deliveryID])
            }
            try store.notifySender()
            return delivery
        }
    }

    static func notFound(_ id: String) -> BookijiError {
        BookijiError(.notFound, "no webhook endpoint with id '\(id)'", details: ["endpointId": id])
    }
}

/// Turns reservation events (outbox rows written with their transitions) into deliveries, one per
/// endpoint of the reservation's partner that asked for the event type.
public struct WebhookEvents {
    /// The version of the body, sent as `X-Webhook-Version`.
    public static let version = "2026-12-01"

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A reservation event as its outbox row has it.
    public struct Event: Sendable, Hashable {
        /// Stable per event (made from the outbox row's id).
        public var id: String
        public var type: String
        public var reservationID: String
        public var payloadJSON: String

        public init(id: String, type: String, reservationID: String, payloadJSON: String) {
            self.id = id
            self.type = type
            self.reservationID = reservationID
            self.payloadJSON = payloadJSON
        }
    }

    /// Queues the event for its endpoints. `eventID` is stable per event (the outbox row's), so a
    /// second fan-out of the same row queues nothing new.
    /// - Returns: how many deliveries it queued.
    @discardableResult
    public func fanOut(eventID: String, type: String, reservationID: String, payloadJSON: String) throws -> Int {
        try fanOut([Event(id: eventID, type: type, reservationID: reservationID, payloadJSON: payloadJSON)])
    }

    /// Queues each event for its endpoints, all in one statement (the worker fans out a batch of
    /// outbox rows at a time: a statement or three per row kept it behind a busy API). The bodies
    /// are built first, whether or not the reservation's partner has an endpoint: a body costs
    /// microseconds, a query to find out first a round trip. Events of an unknown reservation
    /// queue nothing.
    /// - Returns: how many deliveries it queued.
    @discardableResult
    public func fanOut(_ events: [Event]) throws -> Int {
        let queued = try events.compactMap { event -> WebhookStore.QueuedEvent? in
            guard UUIDText.isValid(event.reservationID) else { return nil }
            let payload = (try? JSONSerialization.jsonObject(with: Data(event.payloadJSON.utf8))) as? [String: Any] ?? [:]
            return WebhookStore.QueuedEvent(
                eventID: event.id, eventType: event.type, reservationID: event.reservationID,
                sequence: (payload["sequence"] as? NSNumber)?.int64Value ?? 0,
                body: try Self.body(eventID: event.id, type: event.type, reservationID: event.reservationID, payload: payload))
        }
        guard !queued.isEmpty else { return 0 }
        return try database.transaction { session in try WebhookStore(session).enqueue(queued) }
    }

    /// The event's instant as every answer of the API shows one (`2026-12-01T10:00:00Z`); the
    /// outbox row has it with milliseconds.
    static func timestamp(_ value: Any?) -> Any {
        guard let text = value as? String else { return value ?? NSNull() }
        return (try? RFC3339.parse(text)).map { RFC3339.format($0) } ?? text
    }

    /// The spec's webhook payload `{event, reservationId, timestamp, data}` plus the event's `id`
    /// and its `sequence` within the reservation. `data` holds the new state and what moved it.
    static func body(eventID: String, type: String, reservationID: String, payload: [String: Any]) throws -> String {
        var data: [String: Any] = ["state": payload["toState"] ?? NSNull(), "previousState": payload["fromState"] ?? NSNull(),
                                   "triggeredBy": payload["triggeredBy"] ?? NSNull()]
        if let reason = payload["failureReason"] { data["failureReason"] = reason }
        if let cause = payload["cancellationReason"] { data["cancellationReason"] = cause }
        if let note = payload["cancellationNote"] { data["cancellationNote"] = note }
        if let booking = payload["bookingId"] { data["bookingId"] = booking }
        let object: [String: Any] = [
            "id": eventID, "event": type, "reservationId": reservationID, "timestamp": timestamp(payload["occurredAt"]),
            "sequence": payload["sequence"] ?? 0, "data": data,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
