import Postgres

/// The queues and stragglers the worker's metrics sampler reports: one statement, each part on a
/// partial index (`outbox_pending`, `webhook_deliveries_due`, `reservations_active_deadline`).
public struct BacklogStore {
    let session: Session

    public init(session: Session) {
        self.session = session
    }

    public struct Backlog: Sendable, Hashable {
        /// Outbox rows neither delivered nor dead.
        public var outboxPending: Int
        /// Seconds since the oldest of them was written; 0 when none.
        public var outboxOldestAgeSeconds: Double
        public var outboxDeadLetters: Int
        /// Webhook deliveries still pending.
        public var webhookPending: Int
        /// Seconds since the oldest of them was created; 0 when none.
        public var webhookOldestAgeSeconds: Double
        /// Active reservations whose deadline has passed (no sweep has moved them on yet).
        public var staleReservations: Int
    }

    /// The backlog right now (the database's clock).
    public func read() throws -> Backlog {
        try session.run { session in
            let row = try session.connection.query("""
                SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL),
                       (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8
                        FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL),
                       (SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL),
                       (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                       (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8
                        FROM webhook_deliveries WHERE status = 'pending'),
                       (SELECT count(*) FROM reservations WHERE deadline IS NOT NULL AND deadline <= clock_timestamp())
                """).first
            guard let row else { throw StoreError(.invalidData, "the backlog query returned no row") }
            return Backlog(
                outboxPending: try row.int(0), outboxOldestAgeSeconds: try row.double(1),
                outboxDeadLetters: try row.int(2), webhookPending: try row.int(3),
                webhookOldestAgeSeconds: try row.double(4), staleReservations: try row.int(5))
        }
    }
}
