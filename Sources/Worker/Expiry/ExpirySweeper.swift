import Foundation
import Logging
import ServiceLifecycle
import Store

/// Moves reservations out of their state when their deadline passes, continuously: it sleeps
/// until the nearest deadline of any active reservation, but at most `maxIdleSeconds` (30), then
/// runs the Coordinator's sweep. A deadline set sooner than that wakes it through a NOTIFY on
/// `bookiji_deadlines` (through the worker's ``NotificationHub``; migration 0005 notifies only for those; the spec's deadlines are 10
/// minutes or more away when set, so holds notify nothing and their commits stay independent).
///
/// The sweep takes whole seconds and moves what is due at or before them, so the sweeper
/// wakes at the first whole second at or after the deadline: a reservation moves less than a
/// second after its deadline, plus the sweep's own time. Any number of workers may run it (the
/// sweep claims rows with SKIP LOCKED). Sweeps that move something or fail are recorded in
/// `worker_jobs` as `expiry`, idle ones once a minute.
public struct ExpirySweeper: Service {
    public static let jobName = "expiry"

    /// The longest sleep without a notification. Migration 0005 notifies only for deadlines
    /// sooner than 30 s: keep this at 30 or less.
    private let maxIdleSeconds: Double
    private let database: DatabaseExecutor
    private let signals: Subscription
    private let reservations: ReservationSweep
    private let worker: String
    private let logger: Logger

    public init(databaseURL: String, maxIdleSeconds: Double = 30, notifications: NotificationHub, logger: Logger) {
        self.maxIdleSeconds = maxIdleSeconds
        self.worker = WorkerIdentity.current
        self.logger = logger
        self.reservations = ReservationSweep(databaseURL: databaseURL)
        self.database = DatabaseExecutor(url: databaseURL, label: "expiry")
        self.signals = notifications.subscribe { $0.channel == DeadlineStore.notificationChannel }
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        logger.info("expiry sweeper started")
        await withGracefulShutdownHandler {
            var lastRecorded: ContinuousClock.Instant?
            while !shutdown.isRaised {
                do {
                    // Idle sweeps are recorded once a minute, so status shows the sweeper alive.
                    let heartbeatDue = lastRecorded.map { ContinuousClock.now - $0 >= .seconds(60) } ?? true
                    if try await sweep(recordingIdle: heartbeatDue) { lastRecorded = .now }
                    try await waitForNextDeadline(shutdown: shutdown)
                } catch {
                    logger.error("expiry sweep failed", metadata: ["error": "\(oneLine(error))"])
                    await shutdown.sleep(seconds: 1)
                }
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
        logger.info("expiry sweeper stopped")
    }

    /// One sweep; true when it was recorded in `worker_jobs`.
    private func sweep(recordingIdle: Bool) async throws -> Bool {
        let (worker, reservations) = (self.worker, self.reservations)
        let started = ContinuousClock.now
        let now = Int64(Date.nowSeconds.rounded(.down))
        let (result, recorded): (Result<Int, any Error>, Bool) = try await database.run { session in
            let outcome = Result { try reservations.expireAll(now: now) }
            let seconds = Double(milliseconds(since: started)) / 1000
            // Sweeps that moved something or failed are recorded; idle ones only when asked.
            switch outcome {
            case .success(0) where !recordingIdle:
                return (outcome, false)
            case .success:
                try JobRunStore(session: session).recordRun(job: Self.jobName, worker: worker, seconds: seconds, error: nil)
            case .failure(let error):
                try? JobRunStore(session: session).recordRun(job: Self.jobName, worker: worker, seconds: seconds, error: oneLine(error))
            }
            return (outcome, true)
        }
        let moved = try result.get()
        if moved > 0 {
            logger.info("expired reservations", metadata: ["count": "\(moved)", "ms": "\(milliseconds(since: started))"])
        }
        return recorded
    }

    /// Waits until the first whole second at or after the nearest deadline, a notification of a
    /// new deadline, or `maxIdleSeconds`; in slices, so shutdown is noticed.
    private func waitForNextDeadline(shutdown: ShutdownFlag) async throws {
        let nearest = try await database.run { session in try DeadlineStore(session: session).nearestDeadline() }
        let wakeAt = Date.nowSeconds + maxIdleSeconds
        let target = nearest.map { min($0.rounded(.up), wakeAt) } ?? wakeAt
        let remaining = target - Date.nowSeconds
        if remaining > 0 { await signals.wait(seconds: remaining, shutdown: shutdown) }
    }
}
