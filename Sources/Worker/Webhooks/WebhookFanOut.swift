import BookijiCore
import Coordinator
import Store

/// Turns each reservation event in the outbox into deliveries, one per endpoint of the
/// reservation's partner that asked for the event type. The event's id is made from the outbox
/// row's, so handling a row twice (at least once delivery) queues nothing twice. Database work
/// only: a batch of events fans out in the transaction that takes it.
public struct WebhookFanOut: OutboxDatabaseHandler {
    public let topics = WebhookEndpoint.eventTypes

    public init() {}

    public func handle(_ row: OutboxRow, in session: Session) throws {
        guard let reservationID = row.reservationID else { return }
        _ = try WebhookEvents(database: Database(session: session)).fanOut(
            eventID: Self.eventID(outboxID: row.id), type: row.topic, reservationID: reservationID, payloadJSON: row.payloadJSON)
    }

    /// `evt_` and the outbox row's id, zero-padded so ids sort in event order.
    static func eventID(outboxID: Int64) -> String {
        let digits = String(outboxID)
        return "evt_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}
