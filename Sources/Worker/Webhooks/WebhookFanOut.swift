import BookijiCore
import Coordinator
import Store

/// Turns each reservation event in the outbox into deliveries, one per endpoint of the
/// reservation's partner that asked for the event type. The event's id is made from the outbox
/// row's, so handling a row twice (at least once delivery) queues nothing twice. Database work
/// only: a batch of events fans out in the transaction that takes it, as one statement.
public struct WebhookFanOut: OutboxDatabaseHandler {
    public let topics = WebhookEndpoint.eventTypes
    /// Rows per batch whatever the worker's `--batch-size`: a batch is one statement to take it
    /// and one to queue its deliveries, so the larger the batch the less each event costs. At 10
    /// a batch (three statements a row), one worker fanned out fewer events a second than a busy
    /// API commits (Benchmarks/webhooks). A batch is only as large as the backlog, and it holds
    /// what it locks for a few milliseconds: its outbox rows and its endpoints `FOR SHARE`. It
    /// reads its reservations without locking them (deliveries have had no foreign key to them
    /// since migration 0022), so an API transition holding one does not hold the batch up.
    public let batchSize: Int? = 200

    public init() {}

    public func handle(_ row: OutboxRow, in session: Session) throws {
        try handle([row], in: session)
    }

    public func handle(_ rows: [OutboxRow], in session: Session) throws {
        let events = rows.compactMap { row in
            row.reservationID.map {
                WebhookEvents.Event(id: Self.eventID(outboxID: row.id), type: row.topic, reservationID: $0, payloadJSON: row.payloadJSON)
            }
        }
        try WebhookEvents(database: Database(session: session)).fanOut(events)
    }

    /// `evt_` and the outbox row's id, zero-padded so ids sort in event order.
    static func eventID(outboxID: Int64) -> String {
        let digits = String(outboxID)
        return "evt_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}
