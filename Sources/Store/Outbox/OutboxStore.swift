import Postgres

/// One outbox row claimed for delivery.
public struct OutboxRow: Sendable, Hashable {
    public var id: Int64
    public var topic: String
    public var reservationID: String?
    /// The payload as JSON text.
    public var payloadJSON: String
    /// This attempt's number, counting from 1 (counted when the row was claimed).
    public var attempt: Int
    /// When the row was written, in epoch seconds.
    public var createdAt: Double
    /// Signals folded into the row when it was claimed (`payment.advance`): one more arriving
    /// while it is handled makes the row run again instead of being marked delivered.
    public var wakeups: Int = 0
}

/// How many rows wait in the outbox, for `bookiji worker status`.
public struct OutboxDepth: Sendable, Hashable {
    /// Neither delivered nor dead: due, backing off, or claimed.
    public var pending: Int
    /// Claimed by a worker whose lease has not lapsed.
    public var inFlight: Int
    /// Parked after running out of attempts.
    public var deadLetters: Int
    /// Seconds since the oldest pending row was written; nil when nothing is pending.
    public var oldestPendingAgeSeconds: Double?
}

/// The worker's side of the transactional outbox: claims (leases) due rows, records each
/// attempt's outcome, and reports the queue's depth. Rows are written by the use cases
/// (``ReservationStore/enqueue(topic:reservationID:payloadJSON:)``); a trigger NOTIFYs
/// ``notificationChannel`` for every insert.
public struct OutboxStore {
    /// The channel the insert trigger notifies (migration 0005); the payload is the topic.
    public static let notificationChannel = "bookiji_outbox"

    let session: Session

    public init(session: Session) {
        self.session = session
    }

    /// Claims up to `limit` due rows of `topics` for `worker`, leasing them for `leaseSeconds`
    /// and counting the attempt, in one short transaction. Rows another worker is claiming at
    /// the same moment are skipped, not waited for.
    public func claim(topics: [String], worker: String, leaseSeconds: Double, limit: Int) throws -> [OutboxRow] {
        try session.run { session in
            try session.connection.query("""
                UPDATE outbox o
                SET locked_until = clock_timestamp() + make_interval(secs => $3::float8),
                    claimed_by = $2, attempts = o.attempts + 1, last_attempt_at = clock_timestamp()
                WHERE o.id IN (
                    SELECT id FROM outbox
                    WHERE delivered_at IS NULL AND dead_at IS NULL AND topic = ANY ($1::text[])
                      AND available_at <= clock_timestamp()
                      AND (locked_until IS NULL OR locked_until <= clock_timestamp())
                    ORDER BY available_at, id
                    LIMIT $4
                    FOR UPDATE SKIP LOCKED)
                RETURNING o.id, o.topic, o.reservation_id::text, o.payload::text, o.attempts,
                          extract(epoch FROM o.created_at)::float8, o.wakeups
                """, [PGArray(topics), worker, leaseSeconds, limit]
            ).map(Self.row).sorted { $0.id < $1.id }
        }
    }

    private static func row(_ row: PGRow) throws -> OutboxRow {
        OutboxRow(
            id: try row.int64(0), topic: try row.string(1), reservationID: try row.optional(String.self, 2),
            payloadJSON: try row.string(3), attempt: try row.int(4), createdAt: try row.double(5), wakeups: try row.int(6))
    }

    /// Takes up to `limit` due rows of `topics` and records them delivered by `worker` (the
    /// attempt counted), for a handler whose work is database work only: the caller handles them
    /// in the same transaction, so they are delivered exactly when that work commits. Call it
    /// inside ``Session/transaction(_:)``; rows another transaction holds are skipped.
    ///
    /// A reservation's rows are taken in order: a row waits while an earlier row of the same
    /// reservation and topics is pending (due later, or in another worker's batch not committed
    /// yet), so its effects never overtake the earlier one's. The check is a scalar subquery, a
    /// probe of `outbox_pending_by_reservation` per candidate whatever the statistics say (as
    /// `NOT EXISTS` it averaged 58 ms a take in Benchmarks/webhooks).
    public func take(topics: [String], worker: String, limit: Int) throws -> [OutboxRow] {
        try session.run { session in
            try session.connection.query("""
            UPDATE outbox o
            SET delivered_at = clock_timestamp(), claimed_by = $2, attempts = o.attempts + 1,
                last_attempt_at = clock_timestamp(), locked_until = NULL, last_error = NULL
            WHERE o.id IN (
                SELECT id FROM outbox c
                WHERE delivered_at IS NULL AND dead_at IS NULL AND topic = ANY ($1::text[])
                  AND available_at <= clock_timestamp()
                  AND (locked_until IS NULL OR locked_until <= clock_timestamp())
                  AND (c.reservation_id IS NULL OR c.id = (
                      SELECT min(earlier.id) FROM outbox earlier
                      WHERE earlier.reservation_id = c.reservation_id
                        AND earlier.delivered_at IS NULL AND earlier.dead_at IS NULL AND earlier.topic = ANY ($1::text[])))
                ORDER BY available_at, id
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.topic, o.reservation_id::text, o.payload::text, o.attempts,
                      extract(epoch FROM o.created_at)::float8, o.wakeups
            """, [PGArray(topics), worker, limit]
            ).map(Self.row).sorted { $0.id < $1.id }
        }
    }

    /// Extends `worker`'s lease on claimed rows to `leaseSeconds` from now; returns the ids it
    /// still held. A row missing from the answer had its lease lapse and was claimed by another
    /// worker: it is that worker's now.
    public func renewLeases(_ rows: [OutboxRow], worker: String, leaseSeconds: Double) throws -> Set<Int64> {
        guard !rows.isEmpty else { return [] }
        return try session.run { session in
            Set(try session.connection.query("""
                UPDATE outbox o SET locked_until = clock_timestamp() + make_interval(secs => $4::float8)
                FROM unnest($1::bigint[], $3::int[]) AS c (id, attempts)
                WHERE o.id = c.id AND o.attempts = c.attempts AND o.claimed_by = $2
                  AND o.delivered_at IS NULL AND o.dead_at IS NULL
                RETURNING o.id
                """, [PGArray(rows.map { String($0.id) }), worker, PGArray(rows.map { String($0.attempt) }), leaseSeconds]
            ).map { try $0.int64(0) })
        }
    }

    /// Records a delivery. False when `worker` no longer holds the row's lease (it lapsed and
    /// another worker claimed the row): the row stays with that worker.
    @discardableResult
    public func markDelivered(_ row: OutboxRow, worker: String) throws -> Bool {
        try session.run { session in
            // A wake-up that arrived while the row was handled: due again at once, attempts
            // counted afresh, instead of delivered.
            try session.connection.query("""
                UPDATE outbox SET delivered_at = CASE WHEN wakeups = $4 THEN clock_timestamp() END,
                    locked_until = NULL, last_error = NULL,
                    attempts = CASE WHEN wakeups = $4 THEN attempts ELSE 0 END,
                    available_at = CASE WHEN wakeups = $4 THEN available_at ELSE clock_timestamp() END
                WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND delivered_at IS NULL
                RETURNING CASE WHEN delivered_at IS NULL THEN pg_notify('\(Self.notificationChannel)', topic)::text END
                """, [row.id, worker, row.attempt, row.wakeups]).count == 1
        }
    }

    /// Records a failed attempt: the row falls due again after `retryAfterSeconds`, or is parked
    /// as a dead letter when `dead`. False when `worker` no longer holds the lease.
    @discardableResult
    public func markFailed(_ row: OutboxRow, worker: String, error: String, retryAfterSeconds: Double, dead: Bool) throws -> Bool {
        try session.run { session in
            try session.connection.query("""
                UPDATE outbox
                SET locked_until = NULL, last_error = left($4, 2000),
                    available_at = CASE WHEN wakeups = $7 THEN clock_timestamp() + make_interval(secs => $5::float8)
                                        ELSE clock_timestamp() END,
                    dead_at = CASE WHEN $6::bool AND wakeups = $7 THEN clock_timestamp() END
                WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND delivered_at IS NULL
                """, [row.id, worker, row.attempt, error, retryAfterSeconds, dead, row.wakeups]).affectedRows == 1
        }
    }

    /// Gives back claimed rows whose handler never started (a worker shutting down), without
    /// counting the attempt, so they are due again at once.
    public func release(_ rows: [OutboxRow], worker: String) throws {
        guard !rows.isEmpty else { return }
        try session.run { session in
            _ = try session.connection.query("""
                UPDATE outbox SET locked_until = NULL, attempts = attempts - 1
                WHERE id = ANY ($1::bigint[]) AND claimed_by = $2 AND delivered_at IS NULL
                  AND locked_until > clock_timestamp()
                """, [PGArray(rows.map { String($0.id) }), worker])
        }
    }

    /// Seconds until the next row of `topics` falls due (a backoff ends or a lease lapses);
    /// 0 when one is due now, nil when none is pending.
    public func secondsUntilNextDue(topics: [String]) throws -> Double? {
        try session.run { session in
            // Clamped here, not with SQL's greatest(0, ...): that ignores a NULL and answered 0
            // for an empty queue, and the dispatcher then claimed again at once, without end.
            try session.connection.query("""
                SELECT extract(epoch FROM min(greatest(available_at, coalesce(locked_until, available_at)))
                                          - clock_timestamp())::float8
                FROM outbox
                WHERE delivered_at IS NULL AND dead_at IS NULL AND topic = ANY ($1::text[])
                """, [PGArray(topics)]).first?.optional(Double.self, 0).map { max(0, $0) }
        }
    }

    /// Deletes rows delivered more than `seconds` ago (dead letters stay for an operator).
    @discardableResult
    public func purgeDelivered(olderThan seconds: Double) throws -> Int {
        try session.run { session in
            try session.connection.query("""
                DELETE FROM outbox WHERE delivered_at < clock_timestamp() - make_interval(secs => $1::float8) RETURNING 1
                """, [seconds]).count
        }
    }

    /// The queue's depth right now.
    public func depth() throws -> OutboxDepth {
        try session.run { session in
            let row = try session.connection.query("""
                SELECT count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL),
                       count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL AND locked_until > clock_timestamp()),
                       count(*) FILTER (WHERE dead_at IS NOT NULL),
                       extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL))::float8
                FROM outbox
                WHERE delivered_at IS NULL
                """).first
            return OutboxDepth(
                pending: try row?.int(0) ?? 0, inFlight: try row?.int(1) ?? 0, deadLetters: try row?.int(2) ?? 0,
                oldestPendingAgeSeconds: try row?.optional(Double.self, 3))
        }
    }
}
