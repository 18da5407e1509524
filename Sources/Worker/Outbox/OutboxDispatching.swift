import BookijiCore
import Logging
import Store
import Synchronization

/// When a dispatcher's next pending row falls due, asked of the database at most once a second.
///
/// Under load most claims come back empty (the rows due are in other hands) and each is followed
/// by a wait, whose length depends on the next-due query, which steps over every pending row of
/// the topics: asked every time, it ran about 140 times a second in `Benchmarks/bookings`. A new
/// row wakes the dispatcher by notification anyway; only backoffs and lapsing leases need the
/// query, and they are not that urgent. A failure the dispatcher records (a new backoff) makes
/// it ask again.
final class NextDue: Sendable {
    private let known = Mutex<(askedAt: ContinuousClock.Instant, dueAt: ContinuousClock.Instant?)?>(nil)
    private let maxAge: Duration

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    /// Seconds until the next row falls due (0 when one is due now), nil when none is pending.
    func seconds(asking query: () async throws -> Double?) async throws -> Double? {
        let now = ContinuousClock.now
        if let known = known.withLock({ $0 }), now - known.askedAt < maxAge {
            return known.dueAt.map { max(0, Self.seconds(now.duration(to: $0))) }
        }
        let seconds = try await query()
        known.withLock { $0 = (now, seconds.map { now + .milliseconds(Int64($0 * 1000)) }) }
        return seconds
    }

    /// Forgets the last answer: the next wait asks again.
    func forget() {
        known.withLock { $0 = nil }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// How an outbox dispatcher waits after an empty claim: until a NOTIFY names one of its topics
/// (through the worker's ``NotificationHub``), its next row falls due (``NextDue``), or the
/// polling interval passes, whichever is first.
struct OutboxIdleWait: Sendable {
    private let topics: [String]
    private let signals: Subscription
    private let nextDue = NextDue()
    private let pollSeconds: Double

    init(topics: some Collection<String>, notifications: NotificationHub, pollSeconds: Double) {
        let topics = Set(topics)
        self.topics = topics.sorted()
        self.signals = notifications.subscribe { $0.channel == OutboxStore.notificationChannel && topics.contains($0.payload) }
        self.pollSeconds = pollSeconds
    }

    /// Waits, asking `database` when the next row falls due if the last answer is old.
    func wait(on database: DatabaseExecutor, shutdown: ShutdownFlag) async throws {
        let topics = self.topics
        let due = try await nextDue.seconds {
            try await database.run { session in try OutboxStore(session: session).secondsUntilNextDue(topics: topics) }
        }
        await signals.wait(seconds: min(pollSeconds, due ?? pollSeconds), shutdown: shutdown)
    }

    /// A failure was recorded (a row backs off): the next wait asks when it falls due.
    func failureRecorded() {
        nextDue.forget()
    }
}

/// Records a failed attempt of `row` under `policy` on `executor`: due again after its backoff,
/// or parked as a dead letter once the policy is exhausted; logs it with `details`. Both outbox
/// dispatchers record failures so. Returns whether `worker` still held the row's lease.
@discardableResult
func recordOutboxFailure(
    _ row: OutboxRow, _ error: any Error, policy: RetryPolicy, worker: String, on executor: DatabaseExecutor,
    idle: OutboxIdleWait, logger: Logger, details: Logger.Metadata
) async throws -> Bool {
    let dead = policy.isExhausted(afterAttempt: row.attempt)
    let delay = policy.delaySeconds(afterAttempt: row.attempt)
    let message = oneLine(error)
    idle.failureRecorded()
    let kept = try await executor.run { session in
        try OutboxStore(session: session).markFailed(row, worker: worker, error: message, retryAfterSeconds: delay, dead: dead)
    }
    var details = details
    details["error"] = "\(message)"
    if !kept { details["leaseLost"] = "true" }
    if dead {
        logger.error("outbox row parked as a dead letter", metadata: details)
    } else {
        details["retryInSeconds"] = "\((delay * 10).rounded() / 10)"
        logger.warning("outbox row failed; will retry", metadata: details)
    }
    return kept
}
