import Logging
import ServiceLifecycle
import Store

/// Drains the outbox: claims due rows of the handled topics in short transactions (leases, so a
/// killed worker's rows fall due again), hands each to its ``OutboxHandler``, and records the
/// outcome. Idle, it waits for a NOTIFY on `bookiji_outbox` naming one of its topics (through
/// the worker's ``NotificationHub``) until a row is written, the next retry falls due, or the
/// polling interval passes, whichever is first.
///
/// On graceful shutdown the row being handled finishes and is recorded; rows claimed but not
/// started are given back.
public struct OutboxDispatcher: Service {
    public struct Settings: Sendable {
        /// How long a claim lasts. Rows of a batch still waiting at half the lease are renewed
        /// before they start; one handler call must finish well within it, or its row may be
        /// claimed again by another worker while it runs.
        public var leaseSeconds: Double = 60
        /// Rows claimed per transaction.
        public var batchSize: Int = 10
        /// The longest wait without a notification (the fallback if one is missed).
        public var pollIntervalSeconds: Double = 5
        /// Rows handled at once. At 1 a claimed batch is handled in order; above 1 rows are
        /// claimed as slots free and each starts at once (handlers that wait on the network).
        public var concurrency: Int = 1
        public init() {}
    }

    private let handlers: [String: any OutboxHandler]
    private let settings: Settings
    private let database: DatabaseExecutor
    /// Records outcomes when rows run concurrently, so a completion never queues behind a claim.
    private let recorder: DatabaseExecutor
    private let idle: OutboxIdleWait
    private let worker: String
    private let logger: Logger

    public init(
        databaseURL: String, handlers: [any OutboxHandler], settings: Settings = Settings(), notifications: NotificationHub, logger: Logger
    ) {
        var byTopic: [String: any OutboxHandler] = [:]
        for handler in handlers {
            for topic in handler.topics { byTopic[topic] = handler }
        }
        self.handlers = byTopic
        self.settings = settings
        self.worker = WorkerIdentity.current
        self.logger = logger
        self.database = DatabaseExecutor(url: databaseURL, label: "outbox")
        self.idle = OutboxIdleWait(topics: byTopic.keys, notifications: notifications, pollSeconds: settings.pollIntervalSeconds)
        self.recorder = DatabaseExecutor(url: databaseURL, label: "outbox.recorder")
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        let topics = handlers.keys.sorted()
        guard !topics.isEmpty else {
            logger.info("outbox dispatcher idle: no handlers registered")
            await withGracefulShutdownHandler { await shutdown.waitUntilRaised() } onGracefulShutdown: { shutdown.raise() }
            return
        }
        logger.info("outbox dispatcher started", metadata: [
            "topics": "\(topics.joined(separator: ","))", "worker": "\(worker)", "concurrency": "\(settings.concurrency)",
        ])
        if settings.concurrency > 1 {
            await withGracefulShutdownHandler {
                await runConcurrently(topics: topics, shutdown: shutdown)
            } onGracefulShutdown: {
                shutdown.raise()
            }
            logger.info("outbox dispatcher stopped")
            return
        }
        await withGracefulShutdownHandler {
            while !shutdown.isRaised {
                do {
                    let claimed = try await claim(topics: topics)
                    if claimed.isEmpty {
                        try await idle.wait(on: database, shutdown: shutdown)
                    } else {
                        try await deliver(claimed, shutdown: shutdown)
                    }
                } catch {
                    logger.error("outbox dispatcher failed", metadata: ["error": "\(oneLine(error))"])
                    await shutdown.sleep(seconds: 1)
                }
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
        logger.info("outbox dispatcher stopped")
    }

    private func claim(topics: [String], limit: Int? = nil) async throws -> [OutboxRow] {
        let worker = self.worker, settings = self.settings
        return try await database.run { session in
            try OutboxStore(session: session).claim(
                topics: topics, worker: worker, leaseSeconds: settings.leaseSeconds, limit: limit ?? settings.batchSize)
        }
    }

    /// Up to `concurrency` rows in flight: rows are claimed as slots free and each starts at once,
    /// so no claimed row waits (and no lease needs renewing). At shutdown nothing new is claimed
    /// and the rows in flight finish.
    private func runConcurrently(topics: [String], shutdown: ShutdownFlag) async {
        await ClaimLoop(concurrency: settings.concurrency, shutdown: shutdown, logger: logger, label: "outbox dispatcher").run(
            claim: { free in try await claim(topics: topics, limit: min(free, settings.batchSize)) },
            wait: { try await idle.wait(on: database, shutdown: shutdown) },
            handle: { row in await deliverOne(row) })
    }

    /// Hands one row to its handler and records the outcome (retry, dead letter, delivered).
    private func deliverOne(_ row: OutboxRow) async {
        guard let handler = handlers[row.topic] else { return }
        let worker = self.worker, started = ContinuousClock.now
        do {
            do {
                try await handler.handle(row)
            } catch {
                try await recordFailure(row, error, handler: handler, started: started, on: recorder)
                return
            }
            let kept = try await recorder.run { session in try OutboxStore(session: session).markDelivered(row, worker: worker) }
            logger.debug("outbox row delivered", metadata: metadata(row, started: started, leaseKept: kept))
        } catch {
            // Recording failed (the database went away): the lease lapses and the row runs again.
            logger.error("outbox row outcome not recorded", metadata: ["id": "\(row.id)", "error": "\(oneLine(error))"])
        }
    }

    private func deliver(_ rows: [OutboxRow], shutdown: ShutdownFlag) async throws {
        let worker = self.worker, leaseSeconds = settings.leaseSeconds
        var leased = ContinuousClock.now
        var lost: Set<Int64> = []
        for (index, row) in rows.enumerated() {
            if shutdown.isRaised {
                let rest = Array(rows[index...])
                try await database.run { session in try OutboxStore(session: session).release(rest, worker: worker) }
                logger.info("outbox rows given back at shutdown", metadata: ["count": "\(rest.count)"])
                return
            }
            guard let handler = handlers[row.topic] else { continue }  // claimed only for handled topics
            // Rows wait here while the batch's earlier rows are handled; once half the lease has
            // gone, the waiting rows' leases are renewed, and a row whose lease lapsed and was
            // taken by another worker is left to it, so no row is ever handled twice at once.
            if Double(milliseconds(since: leased)) / 1000 > leaseSeconds / 2 {
                let waiting = Array(rows[index...])
                let kept = try await database.run { session in
                    try OutboxStore(session: session).renewLeases(waiting, worker: worker, leaseSeconds: leaseSeconds)
                }
                leased = ContinuousClock.now
                lost.formUnion(waiting.map(\.id).filter { !kept.contains($0) })
            }
            if lost.contains(row.id) {
                logger.warning("outbox row left: its lease lapsed before it was started", metadata: ["id": "\(row.id)"])
                continue
            }
            let started = ContinuousClock.now
            do {
                try await handler.handle(row)
                let kept = try await database.run { session in try OutboxStore(session: session).markDelivered(row, worker: worker) }
                logger.info("outbox row delivered", metadata: metadata(row, started: started, leaseKept: kept))
            } catch {
                try await recordFailure(row, error, handler: handler, started: started, on: database)
            }
        }
    }

    /// Records a failed attempt under the handler's retry policy: due again after its backoff, or
    /// parked as a dead letter once the policy is exhausted.
    private func recordFailure(
        _ row: OutboxRow, _ error: any Error, handler: any OutboxHandler, started: ContinuousClock.Instant, on executor: DatabaseExecutor
    ) async throws {
        try await recordOutboxFailure(
            row, error, policy: handler.retryPolicy, worker: worker, on: executor, idle: idle, logger: logger,
            details: metadata(row, started: started, leaseKept: true))
    }

    private func metadata(_ row: OutboxRow, started: ContinuousClock.Instant, leaseKept: Bool) -> Logger.Metadata {
        var details: Logger.Metadata = [
            "id": "\(row.id)", "topic": "\(row.topic)", "attempt": "\(row.attempt)",
            "ms": "\(milliseconds(since: started))",
        ]
        if !leaseKept { details["leaseLost"] = "true" }
        return details
    }
}
