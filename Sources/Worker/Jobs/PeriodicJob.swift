import Foundation
import Logging
import ServiceLifecycle
import Store

/// A job run every `interval` by at most one worker at a time across the fleet.
///
/// Every worker that runs the job tries, each interval, to take the job's leader lock (a
/// PostgreSQL session advisory lock on the job's own session, see ``JobLock``) without waiting.
/// The one that gets it checks that no worker started the job less than an interval ago, runs
/// the body, records the run, and unlocks; the others skip the turn. A killed leader's lock ends
/// with its connection. Each run is recorded in `worker_job_runs` and `worker_jobs` (outcome,
/// error) for `bookiji worker status`.
///
/// ```swift
/// PeriodicJob(name: "calendar-sync", every: .seconds(60), databaseURL: url, logger: logger) { now in
///     try await calendars.syncDue(now: now)
/// }
/// ```
public struct PeriodicJob: Service {
    /// The work: given the run's start in epoch seconds; throwing records a failed run.
    public typealias Body = @Sendable (_ now: Int64) async throws -> Void
    /// Work that reports what it did, as counts by name (shown by `bookiji worker status`).
    public typealias ReportingBody = @Sendable (_ now: Int64) async throws -> [String: Int]
    /// Database-only work, run on the job's own session and serial queue (libpq blocks its
    /// thread, and Swift's cooperative pool has as few threads as the machine has cores).
    public typealias SessionBody = @Sendable (_ session: Session, _ now: Int64) throws -> [String: Int]

    public let name: String
    public let interval: Duration
    private let work: Work
    private let database: DatabaseExecutor
    private let worker: String
    private let logger: Logger

    public init(name: String, every interval: Duration, databaseURL: String, logger: Logger, body: @escaping Body) {
        self.init(name: name, interval: interval, databaseURL: databaseURL, logger: logger, reporting: { now in
            try await body(now)
            return [:]
        })
    }

    /// A job whose runs report what they did (kept as the last report and added to totals).
    public static func reporting(
        name: String, every interval: Duration, databaseURL: String, logger: Logger, body: @escaping ReportingBody
    ) -> PeriodicJob {
        PeriodicJob(name: name, interval: interval, databaseURL: databaseURL, logger: logger, work: .async(body))
    }

    /// A job that only works on the database: its body runs on the job's own session (the one
    /// holding the leader lock), on that session's serial queue, never on the cooperative pool.
    public static func onSession(
        name: String, every interval: Duration, databaseURL: String, logger: Logger, body: @escaping SessionBody
    ) -> PeriodicJob {
        PeriodicJob(name: name, interval: interval, databaseURL: databaseURL, logger: logger, work: .session(body))
    }

    private enum Work: Sendable {
        case async(ReportingBody)
        case session(SessionBody)
    }

    private init(name: String, interval: Duration, databaseURL: String, logger: Logger, reporting body: @escaping ReportingBody) {
        self.init(name: name, interval: interval, databaseURL: databaseURL, logger: logger, work: .async(body))
    }

    private init(name: String, interval: Duration, databaseURL: String, logger: Logger, work: Work) {
        self.name = name
        self.interval = interval
        self.work = work
        self.worker = WorkerIdentity.current
        self.logger = logger
        self.database = DatabaseExecutor(url: databaseURL, label: "job.\(name)")
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        let intervalSeconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        logger.info("periodic job scheduled", metadata: ["job": "\(name)", "everySeconds": "\(intervalSeconds)"])
        await withGracefulShutdownHandler {
            while !shutdown.isRaised {
                let turnStarted = ContinuousClock.now
                var led = false
                do {
                    led = try await takeTurn(intervalSeconds: intervalSeconds)
                } catch {
                    logger.error("periodic job turn failed", metadata: ["job": "\(name)", "error": "\(oneLine(error))"])
                }
                // The worker that ran the job waits a whole interval after it, so the next turn
                // is open to the others; one that skipped keeps to its schedule.
                let elapsedSeconds = Double(milliseconds(since: turnStarted)) / 1000
                await shutdown.sleep(seconds: led ? intervalSeconds : intervalSeconds - elapsedSeconds)
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
        logger.info("periodic job stopped", metadata: ["job": "\(name)"])
    }

    /// One interval's turn: lead and run the job (true), or skip (false).
    private func takeTurn(intervalSeconds: Double) async throws -> Bool {
        let name = self.name, worker = self.worker
        let lock = JobLock(job: name)
        // Whether this worker leads this turn; if so, the run's id.
        let run: Int64? = try await database.run { session in
            guard try lock.tryAcquire(on: session) else { return nil }
            do {
                let store = JobRunStore(session: session)
                // Another worker ran it this interval (the lock alone would let each worker
                // run it in turn, one after the other).
                if let since = try store.secondsSinceLastStart(job: name), since < intervalSeconds * 0.95 {
                    try lock.release(on: session)
                    return nil
                }
                return try store.start(job: name, worker: worker)
            } catch {
                try? lock.release(on: session)
                throw error
            }
        }
        guard let run else { return false }
        logger.info("periodic job started", metadata: ["job": "\(name)", "run": "\(run)"])
        let started = ContinuousClock.now
        var failure: String?
        var counts: [String: Int] = [:]
        do {
            let now = Int64(Date.nowSeconds)
            switch work {
            case .async(let body): counts = try await body(now)
            case .session(let body): counts = try await database.run { session in try body(session, now) }
            }
        } catch {
            failure = oneLine(error)
        }
        let error = failure, report = counts
        try await database.run { session in
            defer { try? lock.release(on: session) }
            try JobRunStore(session: session).finish(run: run, job: name, error: error, report: report)
        }
        var details: Logger.Metadata = ["job": "\(name)", "run": "\(run)", "ms": "\(milliseconds(since: started))"]
        if let error {
            details["error"] = "\(error)"
            logger.error("periodic job failed", metadata: details)
        } else {
            logger.info("periodic job finished", metadata: details)
        }
        return true
    }
}
