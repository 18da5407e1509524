import Logging
import ServiceLifecycle
import Store

/// Drains the rows of ``OutboxDatabaseHandler``s: takes a batch of due rows, hands each handler
/// its rows at once and records them delivered, all in one transaction; idle, it waits for a NOTIFY of its topics
/// like ``OutboxDispatcher``.
///
/// When a batch throws, its transaction rolls back (nothing of it happened) and its rows are
/// claimed and handled one at a time, each in a transaction with its delivery record: the rows
/// that work are delivered, the failing one is retried after its handler's backoff or parked as
/// a dead letter. On graceful shutdown the batch in hand commits or rolls back, then it stops.
public struct OutboxBatchDispatcher: Service {
    private let handlers: [String: any OutboxDatabaseHandler]
    private let settings: OutboxDispatcher.Settings
    private let database: DatabaseExecutor
    private let idle: OutboxIdleWait
    private let worker: String
    private let logger: Logger

    public init(
        databaseURL: String, handlers: [any OutboxDatabaseHandler], settings: OutboxDispatcher.Settings, notifications: NotificationHub,
        logger: Logger
    ) {
        var byTopic: [String: any OutboxDatabaseHandler] = [:]
        for handler in handlers {
            for topic in handler.topics { byTopic[topic] = handler }
        }
        self.handlers = byTopic
        self.settings = settings
        self.worker = WorkerIdentity.current
        self.logger = logger
        self.database = DatabaseExecutor(url: databaseURL, label: "outbox.batch")
        self.idle = OutboxIdleWait(topics: byTopic.keys, notifications: notifications, pollSeconds: settings.pollIntervalSeconds)
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        let topics = handlers.keys.sorted()
        guard !topics.isEmpty else { return }
        logger.info("outbox batch dispatcher started", metadata: ["topics": "\(topics.joined(separator: ","))", "worker": "\(worker)"])
        await withGracefulShutdownHandler {
            while !shutdown.isRaised {
                do {
                    if try await takeBatch(topics: topics) == 0 {
                        try await idle.wait(on: database, shutdown: shutdown)
                    }
                } catch {
                    logger.warning("outbox batch failed; handling its rows one at a time", metadata: ["error": "\(oneLine(error))"])
                    do {
                        try await handleOneByOne(topics: topics)
                    } catch {
                        logger.error("outbox batch dispatcher failed", metadata: ["error": "\(oneLine(error))"])
                        await shutdown.sleep(seconds: 1)
                    }
                }
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
        logger.info("outbox batch dispatcher stopped")
    }

    /// Takes, handles and delivers one batch in one transaction; returns how many rows it held.
    private func takeBatch(topics: [String]) async throws -> Int {
        let handlers = self.handlers, worker = self.worker, limit = settings.batchSize
        return try await database.run { session in
            try session.transaction { session in
                let rows = try OutboxStore(session: session).take(topics: topics, worker: worker, limit: limit)
                // One call per handler with its rows in id order (a handler has several topics;
                // its first names it), handlers in the order of their first row.
                var order: [String] = []
                var rowsOfHandler: [String: [OutboxRow]] = [:]
                for row in rows {
                    guard let name = handlers[row.topic]?.topics.first else { continue }
                    if rowsOfHandler[name] == nil { order.append(name) }
                    rowsOfHandler[name, default: []].append(row)
                }
                for name in order { try handlers[name]?.handle(rowsOfHandler[name] ?? [], in: session) }
                return rows.count
            }
        }
    }

    /// Claims a batch (leases) and handles each row in a transaction of its own with its delivery
    /// record; a row that throws is recorded as failed under its handler's retry policy.
    private func handleOneByOne(topics: [String]) async throws {
        let worker = self.worker, settings = self.settings
        let rows = try await database.run { session in
            try OutboxStore(session: session).claim(
                topics: topics, worker: worker, leaseSeconds: settings.leaseSeconds, limit: settings.batchSize)
        }
        for row in rows {
            guard let handler = handlers[row.topic] else { continue }
            do {
                try await database.run { session in
                    try session.transaction { session in
                        try handler.handle(row, in: session)
                        try OutboxStore(session: session).markDelivered(row, worker: worker)
                    }
                }
            } catch {
                try await recordOutboxFailure(
                    row, error, policy: handler.retryPolicy, worker: worker, on: database, idle: idle, logger: logger,
                    details: ["id": "\(row.id)", "topic": "\(row.topic)", "attempt": "\(row.attempt)"])
            }
        }
    }
}
