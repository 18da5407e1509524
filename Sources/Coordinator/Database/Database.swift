import BookijiCore
import Store
import Telemetry

/// One caller's way into the system of record: a responder thread, a CLI command or a worker
/// job each hold their own. The session is opened on first use and reopened when the database
/// went away, so a restarted server costs at most the request that was running.
///
/// Use cases take a `Database` and decide where their transactions begin and end; nothing above
/// the Coordinator sees a connection. Database failures leave here as ``BookijiError``:
/// `service_unavailable` when retrying shortly may help, `internal_error` otherwise, with the
/// original error kept in ``BookijiError/underlying`` for the log.
public final class Database {
    public let url: String
    private var session: Session?

    public init(url: String) {
        self.url = url
    }

    /// A Database on a session its caller already holds and keeps using (a worker job that also
    /// works on Store directly): one connection, not two. Used from one thread at a time.
    public init(session: Session) {
        self.url = ""
        self.session = session
    }

    /// Whether the database answers a trivial statement (`GET /v1/health`).
    public func ping() throws {
        try read { try HealthStore($0).ping() }
    }

    /// Runs `body` in one transaction. A transaction that collided with another (deadlock,
    /// serialization failure) is run again, up to `attempts` times in all.
    ///
    /// On a session whose holder already opened a transaction (a worker handling a batch of
    /// outbox rows in the transaction that takes them), `body` joins it: it commits or rolls back
    /// with the holder's, and a collision is the holder's to retry.
    func transaction<T>(attempts: Int = 1, _ body: (Session) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                let session = try checkout()
                if session.isInTransaction { return try session.run(body) }
                return try BookijiMetrics.timingTransaction { try session.transaction(body) }
            } catch let error as StoreError where error.code == .conflict && attempt < attempts {
                attempt += 1
            } catch let error as StoreError {
                throw Self.translate(error)
            }
        }
    }

    /// Runs `body` outside an explicit transaction (each statement commits by itself).
    func read<T>(_ body: (Session) throws -> T) throws -> T {
        do {
            let value = try checkout().run(body)
            DatabaseOutage.recordSuccess()
            return value
        } catch let error as StoreError {
            throw Self.translate(error)
        }
    }

    private func checkout() throws -> Session {
        do {
            if let session {
                try session.ensureConnected()
                return session
            }
            let fresh = try Session(url: url)
            session = fresh
            return fresh
        } catch {
            throw Self.translate(error)
        }
    }

    /// The error a caller sees for a database failure; one that means the database cannot be
    /// reached also starts an outage (``DatabaseOutage``) if none is under way.
    static func translate(_ error: StoreError) -> BookijiError {
        if error.code == .unavailable { DatabaseOutage.recordFailure(error) }
        if error.code == .conflict {
            // A deadlock or serialization failure that outlived its retries: nothing was changed.
            return BookijiError(
                .serviceUnavailable, "the request collided with concurrent changes and was rolled back; retry shortly", retryAfter: 1,
                underlying: error)
        }
        if error.isTransient {
            return BookijiError(.serviceUnavailable, "the database is unavailable; retry shortly", retryAfter: 1, underlying: error)
        }
        return BookijiError(.internalError, "internal error; retry with backoff", retryAfter: 1, underlying: error)
    }
}
