import Logging
import Store

/// Keeps the transition log's monthly partitions ahead of time (migration 0020): the current
/// month (UTC) and the next ``monthsAhead`` exist after every run, so transitions land in their
/// month's partition rather than in the DEFAULT one. Leader-locked like every periodic job;
/// idempotent, so a run that finds them all present changes nothing.
///
/// Hourly, not monthly: a worker fleet that was down at a month's turn catches up within the hour,
/// and two months of slack mean even a week without workers leaves nothing in the DEFAULT
/// partition. A run that does create a month's partition briefly locks the log against inserts
/// (PostgreSQL's `CREATE TABLE … PARTITION OF` takes the parent's strongest lock); made two months
/// early, that happens while the month is still empty.
public enum TransitionPartitionsJob {
    public static let name = "transition-partitions"
    public static let monthsAhead = 2

    public static func make(every interval: Duration = .seconds(3600), databaseURL: String, logger: Logger) -> PeriodicJob {
        PeriodicJob.onSession(name: name, every: interval, databaseURL: databaseURL, logger: logger) { session, now in
            let created = try TransitionPartitionStore(session).ensureMonths(containing: now, ahead: monthsAhead)
            if !created.isEmpty {
                logger.info("transition log partitions created", metadata: ["months": "\(created.map(\.description))"])
            }
            return ["created": created.count]
        }
    }
}
