import Coordinator
import Store

// The worker's only calls into the Coordinator live in this file: the Coordinator's API is
// moving from a connection to a database handle, and this is the one place to adapt.

/// The expiry use case as the worker runs it.
struct ReservationSweep {
    let session: Session

    /// Moves every active reservation whose deadline is at or before `now` (epoch seconds) out
    /// of its state; returns how many moved.
    func expireAll(now: Int64) throws -> Int {
        try ReservationCoordinator(connection: session.connection).expireAll(now: now)
    }
}
