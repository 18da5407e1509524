import Logging
import ServiceLifecycle
import Store
import Telemetry

/// Reads the backlog (outbox depth and oldest age, dead letters, pending webhook deliveries and
/// their oldest age, stale reservations) from the database every `interval` and sets the
/// gauges. Every worker samples (one cheap statement on partial indexes); the gauges are the
/// same for all of them, so dashboards and alerts take `max` across instances.
public struct BacklogSampler: Service {
    public let interval: Duration
    private let database: DatabaseExecutor
    private let logger: Logger

    public init(databaseURL: String, every interval: Duration = .seconds(15), logger: Logger) {
        self.interval = interval
        self.database = DatabaseExecutor(url: databaseURL, label: "metrics.backlog")
        self.logger = logger
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        await withGracefulShutdownHandler {
            var failing = false
            while !shutdown.isRaised {
                do {
                    let backlog = try await database.run { session in try BacklogStore(session: session).read() }
                    BookijiMetrics.backlog(BookijiMetrics.Backlog(
                        outboxDepth: backlog.outboxPending, outboxOldestAgeSeconds: backlog.outboxOldestAgeSeconds,
                        outboxDeadLetters: backlog.outboxDeadLetters, webhookPending: backlog.webhookPending,
                        webhookOldestPendingAgeSeconds: backlog.webhookOldestAgeSeconds, staleReservations: backlog.staleReservations))
                    if failing { logger.info("backlog sampling resumed") }
                    failing = false
                } catch {
                    // One line when sampling starts failing, not one per interval.
                    if !failing { logger.warning("backlog sampling failed", metadata: ["error": "\(oneLine(error))"]) }
                    failing = true
                }
                await shutdown.sleep(seconds: seconds)
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
    }
}
