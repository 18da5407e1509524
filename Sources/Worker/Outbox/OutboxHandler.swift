import BookijiCore
import Store

/// Delivers outbox rows of some topics: a partner webhook, a vendor notice, a payment call.
///
/// Register handlers with ``BookijiWorker/Configuration/handlers``; the dispatcher claims only
/// rows of the topics some handler names. Delivery is at least once: a handler may see a row
/// again after a crash or a lapsed lease, so it should make the outside effect idempotent (for
/// instance with an idempotency key made from the row's id). Throwing schedules a retry under
/// the handler's ``retryPolicy``; a row that runs out of attempts is parked as a dead letter.
public protocol OutboxHandler: Sendable {
    /// The topics this handler delivers (`vendor.confirmation_requested`, …).
    var topics: [String] { get }
    /// How failed attempts are retried; ``RetryPolicy/standard`` unless the handler says.
    var retryPolicy: RetryPolicy { get }
    /// Rows of this handler's topics handled at once. 1 (the default) shares the worker's one
    /// in-order dispatcher; more gives the handler a dispatcher of its own with that many rows in
    /// flight (handlers that wait on the network).
    var concurrency: Int { get }
    /// Delivers one row; returns when the effect is done, throws when it should be retried.
    func handle(_ row: OutboxRow) async throws
}

extension OutboxHandler {
    public var retryPolicy: RetryPolicy { .standard }
    public var concurrency: Int { 1 }
}
