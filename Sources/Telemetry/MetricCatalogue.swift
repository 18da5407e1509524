/// Every metric Bookiji exports: its Prometheus name, type, help text and (for histograms) its
/// buckets. The recording functions (``BookijiMetrics``) use these names only; the exporter
/// (``PrometheusExport``) takes the help text and buckets from here, so the `/metrics` output
/// passes `promtool check metrics`; `scripts/check-dashboards` checks that alerts and dashboards
/// name nothing else.
///
/// Conventions: the `bookiji_` prefix, base units (seconds), `_total` on counters, and labels
/// with a small fixed set of values (states, outcomes, route templates, codes), never an id.
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public let name: String
    public let kind: Kind
    public let help: String
    /// Bucket upper bounds in seconds (histograms only).
    public let buckets: [Double]

    init(_ name: String, _ kind: Kind, _ help: String, buckets: [Double] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.buckets = buckets
    }
}

public enum MetricCatalogue {
    // MARK: Partner API (responder)

    public static let apiRequestDuration = MetricDefinition(
        "bookiji_api_request_duration_seconds", .histogram,
        "Time the responder took to answer a request, by method, route template and status class (2xx, 3xx, 4xx, 5xx).",
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    public static let apiErrors = MetricDefinition(
        "bookiji_api_errors_total", .counter, "Error answers of the partner API, by error code (the body's error.code).")
    public static let availabilityCacheLookups = MetricDefinition(
        "bookiji_availability_cache_lookups_total", .counter,
        "Availability answers looked up in the responder's cache, by result (hit, miss).")
    public static let availabilityRevisionNotifications = MetricDefinition(
        "bookiji_availability_revision_notifications_total", .counter,
        "Vendor revision changes the responder's revision listener heard (each stops that vendor's cached availability answers from being served).")

    public static let replicaLag = MetricDefinition(
        "bookiji_replica_lag_seconds", .gauge,
        "How far behind the primary the read replica (serve --read-database) was at its last measurement, in seconds; reads bypass it above --max-replica-lag.")
    public static let replicaRoutedReads = MetricDefinition(
        "bookiji_replica_routed_reads_total", .counter,
        "Reads that may use the read replica, by where they went (target: replica, primary) and why (reason: fresh, lag, unavailable, own_write, behind).")

    // MARK: Reservations and payments (responder and worker)

    public static let reservationsCreated = MetricDefinition(
        "bookiji_reservations_created_total", .counter, "Reservations created (holds placed).")
    public static let reservationTransitions = MetricDefinition(
        "bookiji_reservation_transitions_total", .counter,
        "Reservation state transitions written, by from and to state (counted when the statement that logs them succeeds).")
    public static let paymentAuthorizations = MetricDefinition(
        "bookiji_payment_authorizations_total", .counter,
        "Payment authorizations that ended, by side (vendor, requester) and outcome (authorized, failed, abandoned: expired or cancelled while awaited).")
    public static let commits = MetricDefinition(
        "bookiji_commits_total", .counter,
        "Commits that ended, by outcome (committed; failed: a capture failed; availability_changed: the final check found the slot taken).")
    public static let compensations = MetricDefinition(
        "bookiji_payment_compensations_total", .counter,
        "Compensating Stripe calls that succeeded, by action (release: an authorization canceled; refund: a capture refunded).")
    public static let databaseTransactionDuration = MetricDefinition(
        "bookiji_database_transaction_duration_seconds", .histogram,
        "Time spent in a database transaction of a use case, BEGIN to COMMIT or ROLLBACK, lock waits and collision retries included.",
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])

    // MARK: Worker

    public static let workerDatabaseWait = MetricDefinition(
        "bookiji_worker_database_wait_seconds", .histogram,
        "Time a worker job waited for one of its pooled database sessions to be free.",
        buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5])
    public static let outboxDepth = MetricDefinition(
        "bookiji_outbox_depth", .gauge, "Outbox rows neither delivered nor dead (due, backing off or claimed), sampled from the database.")
    public static let outboxOldestAge = MetricDefinition(
        "bookiji_outbox_oldest_age_seconds", .gauge, "Age of the oldest pending outbox row (0 when none is pending), sampled from the database.")
    public static let outboxDeadLetters = MetricDefinition(
        "bookiji_outbox_dead_letters", .gauge, "Outbox rows parked after running out of attempts, sampled from the database.")
    public static let webhookDeliveries = MetricDefinition(
        "bookiji_webhook_deliveries_total", .counter,
        "Webhook delivery attempts, by outcome (succeeded, failed, endpoint_refused).")
    public static let webhookDeliveryLag = MetricDefinition(
        "bookiji_webhook_delivery_lag_seconds", .histogram,
        "Time from a webhook delivery's creation to its successful attempt (whole seconds, as the database keeps them).",
        buckets: [1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 21600])
    public static let webhookPending = MetricDefinition(
        "bookiji_webhook_pending_deliveries", .gauge, "Webhook deliveries not yet succeeded or given up, sampled from the database.")
    public static let webhookOldestPendingAge = MetricDefinition(
        "bookiji_webhook_oldest_pending_age_seconds", .gauge,
        "Age of the oldest pending webhook delivery (0 when none is pending), sampled from the database.")
    public static let staleReservations = MetricDefinition(
        "bookiji_stale_reservations", .gauge,
        "Active reservations past their deadline that no sweep has moved on yet, sampled from the database.")

    /// Every definition, in the order the README lists them.
    public static let all: [MetricDefinition] = [
        apiRequestDuration, apiErrors, availabilityCacheLookups, availabilityRevisionNotifications, replicaLag, replicaRoutedReads,
        reservationsCreated, reservationTransitions, paymentAuthorizations, commits, compensations, databaseTransactionDuration,
        workerDatabaseWait, outboxDepth, outboxOldestAge, outboxDeadLetters, webhookDeliveries, webhookDeliveryLag, webhookPending,
        webhookOldestPendingAge, staleReservations,
    ]

    static let byName: [String: MetricDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
