import Logging
import ServiceLifecycle
import Store

/// The `bookiji worker` process: one ``ServiceGroup`` holding the expiry sweeper, the outbox
/// dispatcher and every periodic job. SIGTERM or SIGINT shuts the group down gracefully: each
/// service finishes what it is doing (a handler call, a sweep, a job run) and stops; then
/// ``run()`` returns.
///
/// Register outbox handlers and periodic jobs in ``Configuration``:
/// ```swift
/// var configuration = BookijiWorker.Configuration(databaseURL: url)
/// configuration.handlers.append(WebhookHandler(...))            // an OutboxHandler
/// configuration.jobs.append(PeriodicJob(name: "calendar-sync", every: .seconds(60),
///                                       databaseURL: url, logger: logger) { now in ... })
/// try await BookijiWorker(configuration).run()
/// ```
public struct BookijiWorker: Sendable {
    public struct Configuration: Sendable {
        public var databaseURL: String
        /// Outbox handlers; the dispatcher claims rows of their topics only.
        public var handlers: [any OutboxHandler] = []
        /// Outbox handlers whose work is database work only, run a batch per transaction.
        public var databaseHandlers: [any OutboxDatabaseHandler] = []
        /// Leader-locked periodic jobs.
        public var jobs: [PeriodicJob] = []
        /// Other long-running services (the webhook sender), by name.
        public var services: [(name: String, service: any Service)] = []
        public var outbox = OutboxDispatcher.Settings()
        /// Runs the expiry sweeper (on by default).
        public var expiry = true
        public var logger = Logger(label: "bookiji.worker")
        /// The worker's one LISTEN session, for every loop that waits on a channel (the
        /// sweeper, the dispatchers, the webhook sender: pass it to services you add).
        public let notifications: NotificationHub

        public init(databaseURL: String) {
            self.databaseURL = databaseURL
            self.notifications = NotificationHub(
                databaseURL: databaseURL,
                channels: [OutboxStore.notificationChannel, DeadlineStore.notificationChannel, WebhookStore.notificationChannel],
                logger: Logger(label: "bookiji.worker"))
        }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs until SIGTERM/SIGINT, then drains and returns.
    public func run() async throws {
        let c = configuration
        typealias Entry = ServiceGroupConfiguration.ServiceConfiguration
        // The listener first: the group stops services in reverse order, so it stops last.
        var services: [Entry] = [Entry(service: c.notifications, serviceName: "notifications")]
        if c.expiry {
            services.append(Entry(
                service: ExpirySweeper(databaseURL: c.databaseURL, notifications: c.notifications, logger: c.logger), serviceName: "expiry"))
        }
        services.append(Entry(
            service: OutboxDispatcher(
                databaseURL: c.databaseURL, handlers: c.handlers.filter { $0.concurrency <= 1 }, settings: c.outbox,
                notifications: c.notifications, logger: c.logger),
            serviceName: "outbox"))
        for handler in c.handlers where handler.concurrency > 1 {
            var settings = c.outbox
            settings.concurrency = handler.concurrency
            services.append(Entry(
                service: OutboxDispatcher(
                    databaseURL: c.databaseURL, handlers: [handler], settings: settings, notifications: c.notifications, logger: c.logger),
                serviceName: "outbox.\(handler.topics.joined(separator: ","))"))
        }
        // One batch dispatcher per batch size (a handler that asks for its own gets its own).
        let byBatchSize = Dictionary(grouping: c.databaseHandlers) { $0.batchSize ?? c.outbox.batchSize }
        for (batchSize, handlers) in byBatchSize.sorted(by: { $0.key < $1.key }) {
            var settings = c.outbox
            settings.batchSize = batchSize
            services.append(Entry(
                service: OutboxBatchDispatcher(
                    databaseURL: c.databaseURL, handlers: handlers, settings: settings, notifications: c.notifications, logger: c.logger),
                serviceName: "outbox.batch.\(batchSize)"))
        }
        services.append(contentsOf: c.jobs.map { Entry(service: $0, serviceName: "job.\($0.name)") })
        services.append(contentsOf: c.services.map { Entry(service: $0.service, serviceName: $0.name) })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: c.logger))
        c.logger.info("worker started", metadata: ["services": "\(services.count)", "handlers": "\((c.handlers.flatMap(\.topics) + c.databaseHandlers.flatMap(\.topics)).sorted())"])
        try await group.run()
        c.logger.info("worker stopped")
    }
}
