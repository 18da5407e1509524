import BookijiCore
import Postgres

/// SQL for Stripe events received by the webhook endpoint.
public struct StripeEventStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// Stores the event unless its id is already stored; true when it was new.
    @discardableResult
    public func record(id: String, type: String, payloadJSON: String) throws -> Bool {
        !(try connection.query("""
            INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """, [id, type, payloadJSON])).isEmpty
    }

    /// How many stored events the worker has not applied yet.
    public func unappliedCount() throws -> Int {
        try connection.query("SELECT count(*) FROM stripe_events WHERE applied_at IS NULL").first!.int(0)
    }
}
