import BookijiCore
import Coordinator
import Store

/// Turns each reservation event in the outbox into deliveries, one per endpoint of the
/// reservation's partner that asked for the event type. The event's id is made from the outbox
/// row's, so handling a row twice (at least once delivery) queues nothing twice.
public struct WebhookFanOut: OutboxHandler {
    public let topics = WebhookEndpoint.eventTypes
    private let pool: DatabasePool

    public init(databaseURL: String) {
        pool = DatabasePool(url: databaseURL, size: 1, label: "webhook-fanout")
    }

    public func handle(_ row: OutboxRow) async throws {
        guard let reservationID = row.reservationID else { return }
        let eventID = Self.eventID(outboxID: row.id), topic = row.topic, payload = row.payloadJSON
        _ = try await pool.run { session in
            try WebhookEvents(database: Database(session: session))
                .fanOut(eventID: eventID, type: topic, reservationID: reservationID, payloadJSON: payload)
        }
    }

    /// `evt_` and the outbox row's id, zero-padded so ids sort in event order.
    static func eventID(outboxID: Int64) -> String {
        let digits = String(outboxID)
        return "evt_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}
