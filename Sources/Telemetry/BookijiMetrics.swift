import BookijiCore
import CoreMetrics

/// What the code records, one function per event, so a hook in a use case is one line and every
/// name and label comes from ``MetricCatalogue``. Handles are kept per label values
/// (``HandleCache``); the responder's per-request histogram keeps its own per thread
/// (``RequestLatencyRecorder``). Gauges are set every 15 seconds and made afresh.
public enum BookijiMetrics {
    // MARK: Reservations and payments

    /// A hold was placed: its reservation row and its first two transitions were written.
    public static func reservationCreated() {
        counters[Series(MetricCatalogue.reservationsCreated.name)].increment()
        transition(from: .intentCreated, to: .held)
        transition(from: .held, to: .awaitingVendorConfirmation)
    }

    /// A reservation moved from `from` to `to`; also counts the authorization or commit that
    /// the move ends, so those rates come from the one place every transition passes through.
    public static func transition(from: ReservationState, to: ReservationState) {
        counters[Series(MetricCatalogue.reservationTransitions.name, ["from": from.rawValue, "to": to.rawValue])].increment()
        if let (side, outcome) = authorizationOutcome(from: from, to: to) {
            counters[Series(MetricCatalogue.paymentAuthorizations.name, ["side": side, "outcome": outcome])].increment()
        }
        if let outcome = commitOutcome(from: from, to: to) {
            counters[Series(MetricCatalogue.commits.name, ["outcome": outcome])].increment()
        }
    }

    /// Transitions written by one statement (the bulk expiry), as (from, to) raw state names.
    public static func transitions(_ moves: [(from: String, to: String)]) {
        for move in moves {
            guard let from = ReservationState(rawValue: move.from), let to = ReservationState(rawValue: move.to) else { continue }
            transition(from: from, to: to)
        }
    }

    /// The side and outcome of the payment authorization a move ends, if it ends one.
    static func authorizationOutcome(from: ReservationState, to: ReservationState) -> (side: String, outcome: String)? {
        let side: String
        switch from {
        case .awaitingVendorAuth: side = "vendor"
        case .awaitingRequesterAuth: side = "requester"
        default: return nil
        }
        switch to {
        case .vendorAuthorized, .authorizedBoth: return (side, "authorized")
        case .failedVendorAuth, .failedRequesterAuth: return (side, "failed")
        default: return (side, "abandoned")
        }
    }

    /// The outcome of the commit a move ends, if it ends one.
    static func commitOutcome(from: ReservationState, to: ReservationState) -> String? {
        switch (from, to) {
        case (.commitInProgress, .committed): "committed"
        case (.commitInProgress, .failedCommit): "failed"
        case (.authorizedBoth, .failedAvailabilityChanged): "availability_changed"
        default: nil
        }
    }

    public enum Compensation: String, Sendable {
        /// An uncaptured authorization canceled.
        case release
        /// A captured payment refunded.
        case refund
    }

    /// A compensating Stripe call succeeded.
    public static func compensated(_ action: Compensation) {
        counters[Series(MetricCatalogue.compensations.name, ["action": action.rawValue])].increment()
    }

    /// Runs a use case's transaction and records how long it took, BEGIN to COMMIT or ROLLBACK.
    public static func timingTransaction<T>(_ body: () throws -> T) rethrows -> T {
        let started = ContinuousClock.now
        defer {
            timers[Series(MetricCatalogue.databaseTransactionDuration.name)].recordNanoseconds(nanoseconds(ContinuousClock.now - started))
        }
        return try body()
    }

    // MARK: Partner API

    /// An error answer with `code` (the body's `error.code`).
    public static func apiError(code: String) {
        counters[Series(MetricCatalogue.apiErrors.name, ["code": code])].increment()
    }

    /// An availability request found its answer in the cache, or did not.
    public static func availabilityCacheLookup(hit: Bool) {
        counters[Series(MetricCatalogue.availabilityCacheLookups.name, ["result": hit ? "hit" : "miss"])].increment()
    }

    /// The revision listener heard that a vendor's revision changed.
    public static func availabilityRevisionNotification() {
        counters[Series(MetricCatalogue.availabilityRevisionNotifications.name)].increment()
    }

    /// The read replica's lag as last measured (seconds).
    public static func replicaLag(seconds: Double) {
        Gauge(label: MetricCatalogue.replicaLag.name).record(seconds)
    }

    /// A read that may use the replica went to `target` ("replica" or "primary") for `reason`.
    public static func replicaRoutedRead(target: String, reason: String) {
        counters[Series(MetricCatalogue.replicaRoutedReads.name, ["target": target, "reason": reason])].increment()
    }

    // MARK: Worker

    /// A worker job waited `duration` for a pooled database session.
    public static func workerDatabaseWait(_ duration: Duration) {
        timers[Series(MetricCatalogue.workerDatabaseWait.name)].recordNanoseconds(nanoseconds(duration))
    }

    public enum WebhookOutcome: String, Sendable {
        case succeeded, failed
        case endpointRefused = "endpoint_refused"
    }

    /// A webhook delivery attempt ended; `lagSeconds` (from the delivery's creation) when it succeeded.
    public static func webhookAttempt(_ outcome: WebhookOutcome, lagSeconds: Int64? = nil) {
        counters[Series(MetricCatalogue.webhookDeliveries.name, ["outcome": outcome.rawValue])].increment()
        if let lagSeconds {
            timers[Series(MetricCatalogue.webhookDeliveryLag.name)].recordSeconds(max(0, lagSeconds))
        }
    }

    /// What the worker's sampler read from the database.
    public struct Backlog: Sendable {
        public var outboxDepth: Int
        public var outboxOldestAgeSeconds: Double
        public var outboxDeadLetters: Int
        public var webhookPending: Int
        public var webhookOldestPendingAgeSeconds: Double
        public var staleReservations: Int

        public init(
            outboxDepth: Int, outboxOldestAgeSeconds: Double, outboxDeadLetters: Int, webhookPending: Int,
            webhookOldestPendingAgeSeconds: Double, staleReservations: Int
        ) {
            self.outboxDepth = outboxDepth
            self.outboxOldestAgeSeconds = outboxOldestAgeSeconds
            self.outboxDeadLetters = outboxDeadLetters
            self.webhookPending = webhookPending
            self.webhookOldestPendingAgeSeconds = webhookOldestPendingAgeSeconds
            self.staleReservations = staleReservations
        }
    }

    /// Sets the backlog gauges.
    public static func backlog(_ backlog: Backlog) {
        Gauge(label: MetricCatalogue.outboxDepth.name).record(backlog.outboxDepth)
        Gauge(label: MetricCatalogue.outboxOldestAge.name).record(backlog.outboxOldestAgeSeconds)
        Gauge(label: MetricCatalogue.outboxDeadLetters.name).record(backlog.outboxDeadLetters)
        Gauge(label: MetricCatalogue.webhookPending.name).record(backlog.webhookPending)
        Gauge(label: MetricCatalogue.webhookOldestPendingAge.name).record(backlog.webhookOldestPendingAgeSeconds)
        Gauge(label: MetricCatalogue.staleReservations.name).record(backlog.staleReservations)
    }

    /// A metric's name and label values: the key its handle is kept under.
    struct Series: Hashable, Sendable {
        var name: String
        var labels: [String: String]

        init(_ name: String, _ labels: [String: String] = [:]) {
            self.name = name
            self.labels = labels
        }

        /// Labels in a fixed order (the exposition keeps the order it is given).
        var dimensions: [(String, String)] { labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    static let counters = HandleCache<Series, Counter> { Counter(label: $0.name, dimensions: $0.dimensions) }
    static let timers = HandleCache<Series, CoreMetrics.Timer> { CoreMetrics.Timer(label: $0.name, dimensions: $0.dimensions) }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
