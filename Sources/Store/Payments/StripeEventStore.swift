import BookijiCore
import Postgres

/// SQL for Stripe events received by the webhook endpoint.
public struct StripeEventStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// The outbox topic that hands a stored event to the worker.
    public static let topic = "stripe.event"

    /// Stores the event unless its id is already stored, and queues it for the worker in the same
    /// statement; true when it was new.
    @discardableResult
    public func record(id: String, type: String, payloadJSON: String) throws -> Bool {
        !(try connection.query("""
            WITH stored AS (
                INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb)
                ON CONFLICT (id) DO NOTHING RETURNING id
            ), queued AS (
                INSERT INTO outbox (topic, payload) SELECT $4, jsonb_build_object('eventId', id) FROM stored
            )
            SELECT 1 FROM stored
            """, [id, type, payloadJSON, Self.topic])).isEmpty
    }

    /// A stored event's type and payload.
    public func find(id: String) throws -> (type: String, payloadJSON: String)? {
        try connection.query("SELECT type, payload::text FROM stripe_events WHERE id = $1", [id]).first.map {
            (try $0.string(0), try $0.string(1))
        }
    }

    /// Records that the worker handled the event; `note` says why it changed nothing, if it did not.
    public func markApplied(id: String, note: String?) throws {
        try connection.query("""
            UPDATE stripe_events SET attempts = attempts + 1, last_error = left($2, 2000), applied_at = coalesce(applied_at, now())
            WHERE id = $1
            """, [id, note])
    }

    /// How many stored events the worker has not applied yet.
    public func unappliedCount() throws -> Int {
        try connection.query("SELECT count(*) FROM stripe_events WHERE applied_at IS NULL").first!.int(0)
    }
}
