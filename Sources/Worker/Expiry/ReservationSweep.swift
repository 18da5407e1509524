import Coordinator

/// The expiry use case as the worker runs it: the Coordinator's sweep on a ``Database`` of its
/// own, opened from the same URL as the sweeper's session.
// @unchecked Sendable: the Coordinator's Database is used only inside the expiry executor's
// serial queue (``DatabaseExecutor/run(_:)``), one call at a time.
final class ReservationSweep: @unchecked Sendable {
    private let database: Database

    init(databaseURL: String) {
        database = Database(url: databaseURL)
    }

    /// Moves every active reservation whose deadline is at or before `now` (epoch seconds) where
    /// its deadline takes it; returns how many moved.
    func expireAll(now: Int64) throws -> Int {
        try ReservationCoordinator(database: database).expireAll(now: now)
    }
}
