import BookijiCore
import Store

/// Handles outbox rows whose work is database work only (a reservation event fanned out to
/// webhook deliveries, a Stripe event applied to its payment leg).
///
/// Its rows are taken a batch at a time by ``OutboxBatchDispatcher`` and handled inside the one
/// transaction that records them delivered: a row costs a few statements, not a claim, a
/// transaction and a delivery record of its own, and it is delivered exactly when its work
/// commits. A batch whose handling throws is rolled back and handled again row by row, each in
/// its own transaction, so only the failing row is retried under ``retryPolicy``.
public protocol OutboxDatabaseHandler: Sendable {
    /// The topics this handler handles.
    var topics: [String] { get }
    /// How a row that failed on its own is retried; ``RetryPolicy/standard`` unless the handler says.
    var retryPolicy: RetryPolicy { get }
    /// Rows per transaction; nil for the worker's `--batch-size`. 1 for work that locks rows
    /// others write often (a batch holds every lock it took until it commits).
    var batchSize: Int? { get }
    /// Does the row's work on `session`, inside the caller's transaction; throws to roll it back.
    func handle(_ row: OutboxRow, in session: Session) throws
    /// Does the work of a batch's rows of this handler's topics, in id order, inside the caller's
    /// transaction; throws to roll it back. A reservation's rows come one batch at a time, in
    /// order (``OutboxStore/take(topics:worker:limit:)``), so a batch holds at most one of them.
    /// By default ``handle(_:in:)`` for each row; a handler whose rows' work can be done as one
    /// statement does it so.
    func handle(_ rows: [OutboxRow], in session: Session) throws
}

extension OutboxDatabaseHandler {
    public var retryPolicy: RetryPolicy { .standard }
    public var batchSize: Int? { nil }

    public func handle(_ rows: [OutboxRow], in session: Session) throws {
        for row in rows { try handle(row, in: session) }
    }
}
