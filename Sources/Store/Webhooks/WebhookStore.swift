import BookijiCore
import Postgres

/// SQL for partner webhook endpoints and their deliveries.
public struct WebhookStore {
    /// The channel a new or re-armed delivery notifies (migration 0012).
    public static let notificationChannel = "bookiji_webhooks"

    /// The `next_attempt_at` of a disabled endpoint's pending deliveries: past every claim's walk
    /// of the due index (migration 0016), which otherwise stepped over them at its front on every
    /// claim for as long as the endpoint stayed disabled. Enabling the endpoint makes them due at
    /// once (``setEnabled(id:partnerID:enabled:reason:)``); the claim still checks the endpoint.
    static let heldUntil = "infinity"

    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    // MARK: Endpoints

    public func createEndpoint(partnerID: String, url: String, events: [String]?, secret: String) throws -> WebhookEndpoint {
        try Self.endpoint(connection.query("""
            INSERT INTO webhook_endpoints (partner_id, url, events, secret) VALUES ($1::uuid, $2, $3::text[], $4)
            RETURNING \(Self.endpointColumns)
            """, [partnerID, url, events.map { PGArray($0) }, secret]).first!)
    }

    /// The partner's endpoints (not deleted), oldest first.
    public func endpoints(partnerID: String) throws -> [WebhookEndpoint] {
        try connection.query("""
            SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE partner_id = $1::uuid AND deleted_at IS NULL
            ORDER BY created_at, id
            """, [partnerID]).map(Self.endpoint)
    }

    /// One endpoint of the partner's (nil for another's, an unknown or a deleted one).
    public func endpoint(id: String, partnerID: String? = nil) throws -> WebhookEndpoint? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("""
            SELECT \(Self.endpointColumns) FROM webhook_endpoints
            WHERE id = $1::uuid AND ($2::uuid IS NULL OR partner_id = $2::uuid) AND deleted_at IS NULL
            """, [id, partnerID]).first.map(Self.endpoint)
    }

    /// Deletes the endpoint (kept for its deliveries' history); its pending deliveries fail.
    public func deleteEndpoint(id: String, partnerID: String) throws -> Bool {
        guard UUIDText.isValid(id) else { return false }
        let deleted = try connection.query("""
            WITH gone AS (
                UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, disabled_reason = 'deleted'
                WHERE id = $1::uuid AND partner_id = $2::uuid AND deleted_at IS NULL RETURNING id
            ), dropped AS (
                UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), last_error = 'endpoint deleted'
                WHERE endpoint_id IN (SELECT id FROM gone) AND status = 'pending'
            )
            SELECT 1 FROM gone
            """, [id, partnerID])
        return !deleted.isEmpty
    }

    /// A new secret; the previous one keeps signing until `previousUntil`.
    public func rotateSecret(id: String, partnerID: String, secret: String, previousUntil: Int64) throws -> WebhookEndpoint? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("""
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = to_timestamp($4), secret = $3
            WHERE id = $1::uuid AND partner_id = $2::uuid AND deleted_at IS NULL
            RETURNING \(Self.endpointColumns)
            """, [id, partnerID, secret, previousUntil]).first.map(Self.endpoint)
    }

    /// Enables or disables the endpoint; enabling clears the reason and the failure run, and its
    /// waiting deliveries fall due at once.
    public func setEnabled(id: String, partnerID: String?, enabled: Bool, reason: String?) throws -> WebhookEndpoint? {
        guard UUIDText.isValid(id) else { return nil }
        let row = try connection.query("""
            UPDATE webhook_endpoints
            SET enabled = $3, disabled_reason = CASE WHEN $3 THEN NULL ELSE $4 END,
                disabled_at = CASE WHEN $3 THEN NULL ELSE coalesce(disabled_at, now()) END,
                failing_since = CASE WHEN $3 THEN NULL ELSE failing_since END
            WHERE id = $1::uuid AND ($2::uuid IS NULL OR partner_id = $2::uuid) AND deleted_at IS NULL
            RETURNING \(Self.endpointColumns)
            """, [id, partnerID, enabled, reason]).first.map(Self.endpoint)
        if enabled, row != nil {
            try connection.query("""
                WITH due AS (
                    UPDATE webhook_deliveries SET next_attempt_at = least(next_attempt_at, now())
                    WHERE endpoint_id = $1::uuid AND status = 'pending' RETURNING 1
                )
                SELECT pg_notify('\(Self.notificationChannel)', '') FROM (SELECT 1 FROM due LIMIT 1) AS woken
                """, [id])
        } else if row != nil {
            try holdDeliveries(endpointID: id)
        }
        return row
    }

    /// Moves a disabled endpoint's pending deliveries out of the claims' way (``heldUntil``);
    /// does nothing while it is enabled.
    func holdDeliveries(endpointID: String) throws {
        try connection.query("""
            UPDATE webhook_deliveries SET next_attempt_at = '\(Self.heldUntil)'
            WHERE endpoint_id = $1::uuid AND status = 'pending' AND next_attempt_at < '\(Self.heldUntil)'
              AND NOT (SELECT e.enabled FROM webhook_endpoints e WHERE e.id = $1::uuid)
            """, [endpointID])
    }

    /// The URL partners see in reservation answers (`webhookUrl`): their oldest enabled endpoint's.
    public func primaryURL(partnerID: String) throws -> String? {
        try connection.query("""
            SELECT url FROM webhook_endpoints WHERE partner_id = $1::uuid AND deleted_at IS NULL AND enabled
            ORDER BY created_at LIMIT 1
            """, [partnerID]).first?.string(0)
    }

    // MARK: Deliveries

    /// Queues the event for each endpoint (once per endpoint and event id); a disabled endpoint's
    /// delivery is held (``heldUntil``).
    public func enqueue(
        endpointIDs: [String], eventID: String, eventType: String, reservationID: String?, sequence: Int64, body: String
    ) throws {
        guard !endpointIDs.isEmpty else { return }
        try connection.query("""
            INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_id, event_type, reservation_id, sequence, body, next_attempt_at)
            SELECT e.id, e.partner_id, $2, $3, $4::uuid, $5, $6, CASE WHEN e.enabled THEN now() ELSE '\(Self.heldUntil)' END
            FROM webhook_endpoints e WHERE e.id = ANY ($1::uuid[])
            FOR SHARE OF e
            ON CONFLICT (endpoint_id, event_id, partner_id) DO NOTHING
            """, [PGArray(endpointIDs), eventID, eventType, reservationID, sequence, body])
    }

    /// A reservation event ready to be queued: its body is the exact bytes every attempt sends.
    public struct QueuedEvent: Sendable, Hashable {
        public var eventID: String
        public var eventType: String
        public var reservationID: String
        public var sequence: Int64
        public var body: String

        public init(eventID: String, eventType: String, reservationID: String, sequence: Int64, body: String) {
            self.eventID = eventID
            self.eventType = eventType
            self.reservationID = reservationID
            self.sequence = sequence
            self.body = body
        }
    }

    /// Queues each event for every endpoint of its reservation's partner that takes its type
    /// (enabled or not: a disabled endpoint's deliveries are held, ``heldUntil``), once per
    /// endpoint and event id, in one statement whatever the number of events: the webhook fan-out
    /// queues a batch of outbox rows so. An event of an unknown reservation queues nothing.
    /// Deliveries are numbered in the order of `events`. Returns how many it queued.
    ///
    /// The endpoints are read `FOR SHARE` until the caller commits, so enabling or disabling one
    /// waits for the batch and then sees its deliveries (and holds or releases them); otherwise a
    /// batch that read "disabled" just before an enable committed would hold its deliveries for
    /// an endpoint that is enabled again, and nothing would ever send them.
    @discardableResult
    public func enqueue(_ events: [QueuedEvent]) throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try connection.query("""
            INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_id, event_type, reservation_id, sequence, body, next_attempt_at)
            SELECT e.id, e.partner_id, ev.event_id, ev.event_type, ev.reservation_id, ev.sequence, ev.body,
                   CASE WHEN e.enabled THEN now() ELSE '\(Self.heldUntil)' END
            FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bigint[], $5::text[])
                     WITH ORDINALITY AS ev (event_id, event_type, reservation_id, sequence, body, ordinal)
                JOIN reservations r ON r.id = ev.reservation_id
                JOIN webhook_endpoints e ON e.partner_id = r.partner_id AND e.deleted_at IS NULL
                                         AND (e.events IS NULL OR ev.event_type = ANY (e.events))
            ORDER BY ev.ordinal, e.created_at, e.id
            FOR SHARE OF e
            ON CONFLICT (endpoint_id, event_id, partner_id) DO NOTHING
            """, [
                PGArray(events.map(\.eventID)), PGArray(events.map(\.eventType)), PGArray(events.map(\.reservationID)),
                PGArray(events.map { String($0.sequence) }), PGArray(events.map(\.body)),
            ]).affectedRows
    }

    /// A delivery claimed for sending, with what sending needs.
    public struct Claimed: Sendable {
        public var delivery: WebhookDelivery
        public var endpoint: WebhookEndpoint
    }

    /// Claims up to `limit` due deliveries of enabled endpoints whose earlier events for the same
    /// reservation and endpoint are all settled, leasing them for `leaseSeconds`; the earliest due
    /// first.
    ///
    /// The claim walks webhook_deliveries_due_walk in its order and stops at `limit` (migration
    /// 0016), so it never sorts every pending delivery; each candidate's endpoint is one primary
    /// key probe, and its order check one probe of webhook_deliveries_order (the first pending
    /// sequence of its endpoint and reservation must be its own). Scalar subqueries stay per-row
    /// probes whatever the statistics say, where `NOT EXISTS` became a join the planner could
    /// turn into every pending delivery against every other (Benchmarks/webhooks: 12 s a claim).
    public func claim(worker: String, leaseSeconds: Double, limit: Int) throws -> [Claimed] {
        let rows = try connection.query("""
            WITH picked AS (
                SELECT d.id FROM webhook_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= statement_timestamp()
                  AND (d.locked_until IS NULL OR d.locked_until <= clock_timestamp())
                  AND (SELECT e.enabled AND e.deleted_at IS NULL FROM webhook_endpoints e WHERE e.id = d.endpoint_id)
                  AND (d.reservation_id IS NULL OR d.sequence = (
                      SELECT min(earlier.sequence) FROM webhook_deliveries earlier
                      WHERE earlier.endpoint_id = d.endpoint_id AND earlier.reservation_id = d.reservation_id
                        AND earlier.status = 'pending'))
                ORDER BY d.next_attempt_at, d.id
                LIMIT $3
                FOR UPDATE OF d SKIP LOCKED
            ), claimed AS (
                UPDATE webhook_deliveries d
                SET locked_until = clock_timestamp() + make_interval(secs => $2::float8), claimed_by = $1,
                    attempts = d.attempts + 1
                FROM picked WHERE d.id = picked.id
                RETURNING d.*
            )
            SELECT \(Self.deliveryColumns("c")), \(Self.qualifiedEndpointColumns("e"))
            FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id
            ORDER BY c.next_attempt_at, c.id
            """, [worker, leaseSeconds, limit])
        return try rows.map { row in
            Claimed(delivery: try Self.delivery(row), endpoint: try Self.endpoint(row, from: Self.deliveryColumnCount))
        }
    }

    /// How an attempt ended.
    public enum Outcome: Sendable {
        case succeeded(status: Int)
        /// Tried again after `retryInSeconds`, or failed for good when nil.
        case failed(status: Int?, error: String, retryInSeconds: Int64?)
        /// The endpoint is gone (410) or refused (its address is forbidden): the delivery fails
        /// and the endpoint is disabled with `reason`.
        case endpointRefused(status: Int?, error: String, reason: String)
    }

    /// Records an attempt's outcome, and the endpoint's health: a success ends its failure run;
    /// a failure starts one, and a run older than `disableAfterSeconds` disables it.
    ///
    /// It notifies nobody: the sender that records an outcome wakes its own claim loop when the
    /// reservation's next event may go now (``WebhookSender``). A NOTIFY in every outcome's
    /// transaction made each commit wait for PostgreSQL's notification queue lock, which a
    /// notifying transaction holds through its commit's WAL flush: every delivery's commit, the
    /// API's and the fan-out's queued one behind another (Benchmarks/webhooks: the lock was the
    /// most common wait, and a loaded machine sent 120-190 events a second).
    ///
    /// A failure to be tried again later moves the reservation's later events to this endpoint
    /// to its next attempt's time. The endpoint's row is written only when its health changes:
    /// every outcome wrote it, and concurrent outcomes for one endpoint queued on its row lock.
    public func record(_ delivery: WebhookDelivery, worker: String, outcome: Outcome, disableAfterSeconds: Int64) throws {
        switch outcome {
        case .succeeded(let status):
            try connection.query("""
                WITH done AS (
                    UPDATE webhook_deliveries SET status = 'succeeded', finished_at = now(), last_status = $3, last_error = NULL,
                        locked_until = NULL
                    WHERE id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING endpoint_id
                ), healthy AS (
                    UPDATE webhook_endpoints SET failing_since = NULL
                    WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
                )
                SELECT 1
                """, [delivery.id, worker, status])
        case .failed(let status, let error, let retry):
            // One update of the endpoint: a row updated in a WITH query is not updated again by
            // the statement's own UPDATE (it was skipped, so a failing run never disabled it).
            // Disabling it holds its other deliveries in a second statement, for the same reason.
            let disabled = try connection.query("""
                WITH done AS (
                    UPDATE webhook_deliveries
                    SET status = CASE WHEN $5::bigint IS NULL THEN 'failed' ELSE 'pending' END,
                        finished_at = CASE WHEN $5::bigint IS NULL THEN now() END,
                        -- Held if its endpoint was disabled while it was out (and its later events with it).
                        next_attempt_at = CASE WHEN $5::bigint IS NULL THEN next_attempt_at
                                               WHEN NOT (SELECT e.enabled FROM webhook_endpoints e WHERE e.id = endpoint_id)
                                                   THEN '\(Self.heldUntil)'
                                               ELSE clock_timestamp() + make_interval(secs => $5::float8) END,
                        last_status = $3, last_error = left($4, 1000), locked_until = NULL
                    WHERE id = $1 AND claimed_by = $2 AND status = 'pending'
                    RETURNING endpoint_id, reservation_id, sequence, next_attempt_at
                ), waiting AS (
                    -- The reservation's later events wait for this one: they fall due no sooner,
                    -- so a claim's walk of the due deliveries does not pass them meanwhile.
                    UPDATE webhook_deliveries later SET next_attempt_at = done.next_attempt_at
                    FROM done
                    WHERE $5::bigint IS NOT NULL AND later.endpoint_id = done.endpoint_id
                      AND later.reservation_id = done.reservation_id AND later.sequence > done.sequence
                      AND later.status = 'pending' AND later.next_attempt_at < done.next_attempt_at
                ), failing AS (
                    UPDATE webhook_endpoints e SET failing_since = coalesce(e.failing_since, now()),
                        enabled = e.enabled AND e.failing_since IS NULL,
                        disabled_at = CASE WHEN e.failing_since IS NULL THEN e.disabled_at ELSE now() END,
                        disabled_reason = CASE WHEN e.failing_since IS NULL THEN e.disabled_reason
                            ELSE 'every delivery failed since ' || to_char(e.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                 || ' (last: ' || left($4, 200) || ')' END
                    WHERE e.id IN (SELECT endpoint_id FROM done)
                      AND (e.failing_since IS NULL OR (e.enabled AND e.failing_since < now() - make_interval(secs => $6::float8)))
                    RETURNING e.enabled
                )
                SELECT count(*) FROM failing WHERE NOT failing.enabled
                """, [delivery.id, worker, status, error, retry, disableAfterSeconds])
            if try disabled.first?.int(0) ?? 0 > 0 { try holdDeliveries(endpointID: delivery.endpointID) }
        case .endpointRefused(let status, let error, let reason):
            try connection.query("""
                WITH done AS (
                    UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), last_status = $3, last_error = left($4, 1000),
                        locked_until = NULL
                    WHERE id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING endpoint_id
                ), refused AS (
                    UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = $5
                    WHERE id IN (SELECT endpoint_id FROM done)
                )
                SELECT 1
                """, [delivery.id, worker, status, error, reason])
            try holdDeliveries(endpointID: delivery.endpointID)
        }
    }

    /// Seconds until the next pending delivery of an enabled endpoint falls due, if one does within
    /// `within` seconds; nil when none does. Checks each candidate as ``claim(worker:leaseSeconds:limit:)``
    /// does (probes, whatever the statistics), and only those due within the window.
    public func secondsUntilNextDue(within: Double) throws -> Double? {
        try connection.query("""
            SELECT extract(epoch FROM min(greatest(d.next_attempt_at, coalesce(d.locked_until, d.next_attempt_at)))
                                      - clock_timestamp())::float8
            FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at < statement_timestamp() + make_interval(secs => $1::float8)
              AND (d.locked_until IS NULL OR d.locked_until < statement_timestamp() + make_interval(secs => $1::float8))
              AND (SELECT e.enabled FROM webhook_endpoints e WHERE e.id = d.endpoint_id)
              AND (d.reservation_id IS NULL OR d.sequence = (
                  SELECT min(earlier.sequence) FROM webhook_deliveries earlier
                  WHERE earlier.endpoint_id = d.endpoint_id AND earlier.reservation_id = d.reservation_id
                    AND earlier.status = 'pending'))
            """, [within]).first?.optional(Double.self, 0).map { max(0, $0) }
    }

    /// An endpoint's deliveries, newest first, before the cursor id.
    public func deliveries(endpointID: String, before: Int64?, limit: Int) throws -> [WebhookDelivery] {
        try connection.query("""
            SELECT \(Self.deliveryColumns("d")) FROM webhook_deliveries d
            WHERE d.endpoint_id = $1::uuid AND ($2::bigint IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3
            """, [endpointID, before, limit]).map(Self.delivery)
    }

    /// Sends a delivery again (whatever became of it): pending and due now.
    public func retry(deliveryID: Int64, endpointID: String) throws -> WebhookDelivery? {
        try connection.query("""
            UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(), finished_at = NULL, locked_until = NULL
            WHERE id = $1 AND endpoint_id = $2::uuid
            RETURNING \(Self.deliveryColumns("d"))
            """, [deliveryID, endpointID]).first.map(Self.delivery)
    }

    public func notifySender() throws {
        try connection.query("SELECT pg_notify('\(Self.notificationChannel)', '')")
    }

    // MARK: Rows

    static let endpointColumns = """
        id::text, partner_id::text, url, array_to_string(events, ','), secret, previous_secret, extract(epoch FROM previous_secret_until)::bigint,
        enabled, disabled_reason, extract(epoch FROM disabled_at)::bigint, extract(epoch FROM failing_since)::bigint,
        extract(epoch FROM created_at)::bigint
        """

    /// ``endpointColumns`` of `table` (an alias), for queries that join endpoints.
    static func qualifiedEndpointColumns(_ table: String) -> String {
        """
        \(table).id::text, \(table).partner_id::text, \(table).url, array_to_string(\(table).events, ','), \(table).secret,
        \(table).previous_secret, extract(epoch FROM \(table).previous_secret_until)::bigint, \(table).enabled,
        \(table).disabled_reason, extract(epoch FROM \(table).disabled_at)::bigint, extract(epoch FROM \(table).failing_since)::bigint,
        extract(epoch FROM \(table).created_at)::bigint
        """
    }

    static func endpoint(_ row: PGRow) throws -> WebhookEndpoint { try endpoint(row, from: 0) }

    /// The endpoint in `row`'s columns from `offset` on (``endpointColumns``).
    static func endpoint(_ row: PGRow, from offset: Int) throws -> WebhookEndpoint {
        let o = offset
        return WebhookEndpoint(
            id: try row.string(o), partnerID: try row.string(o + 1), url: try row.string(o + 2),
            events: try row.optional(String.self, o + 3).map { $0.split(separator: ",").map(String.init) },
            secret: try row.string(o + 4), previousSecret: try row.optional(String.self, o + 5),
            previousSecretUntil: try row.optional(Int64.self, o + 6), enabled: try row.bool(o + 7),
            disabledReason: try row.optional(String.self, o + 8), disabledAt: try row.optional(Int64.self, o + 9),
            failingSince: try row.optional(Int64.self, o + 10), createdAt: try row.int64(o + 11))
    }

    /// How many columns ``deliveryColumns(_:)`` lists.
    static let deliveryColumnCount = 14

    static func deliveryColumns(_ table: String) -> String {
        """
        \(table).id, \(table).endpoint_id::text, \(table).event_id, \(table).event_type, \(table).reservation_id::text,
        \(table).sequence, \(table).body, \(table).status, \(table).attempts,
        CASE WHEN \(table).status = 'pending' AND \(table).next_attempt_at < '\(heldUntil)' THEN extract(epoch FROM \(table).next_attempt_at)::bigint END,
        \(table).last_status, \(table).last_error, extract(epoch FROM \(table).created_at)::bigint,
        extract(epoch FROM \(table).finished_at)::bigint
        """
    }

    static func delivery(_ row: PGRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.int64(0), endpointID: try row.string(1), eventID: try row.string(2), eventType: try row.string(3),
            reservationID: try row.optional(String.self, 4), sequence: try row.int64(5), body: try row.string(6),
            status: WebhookDelivery.Status(rawValue: try row.string(7)) ?? .pending, attempts: try row.int(8),
            nextAttemptAt: try row.optional(Int64.self, 9), lastStatus: try row.optional(Int.self, 10),
            lastError: try row.optional(String.self, 11), createdAt: try row.int64(12), finishedAt: try row.optional(Int64.self, 13))
    }
}
