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
    /// False for the replica's and the replica monitor's connections: their failures are not an
    /// outage of the system of record (``DatabaseOutage``), and their successes do not end one.
    private let reportsOutages: Bool

    /// Where reads that may use a replica go (``readPreferringReplica(_:acceptable:onPrimary:)``);
    /// nil: every read on `url`.
    public let replicaRouting: ReplicaRouting?
    /// This thread's connection to the replica, opened on the first read sent there.
    private var replica: Database?

    /// Whose request this thread serves now (a partner, a vendor), for read-your-writes: reads
    /// go to the primary until the caller's last write through this process is on the replica.
    /// nil: nobody's (public routes).
    public var caller: String?

    public init(url: String, replicaRouting: ReplicaRouting? = nil) {
        self.url = url
        self.replicaRouting = replicaRouting
        self.reportsOutages = true
    }

    init(url: String, reportsOutages: Bool) {
        self.url = url
        self.replicaRouting = nil
        self.reportsOutages = reportsOutages
    }

    /// A Database on a session its caller already holds and keeps using (a worker job that also
    /// works on Store directly): one connection, not two. Used from one thread at a time.
    public init(session: Session) {
        self.url = ""
        self.session = session
        self.replicaRouting = nil
        self.reportsOutages = true
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
            if reportsOutages { DatabaseOutage.recordSuccess() }
            return value
        } catch let error as StoreError {
            throw translate(error)
        }
    }

    /// Runs the read `body` on the replica when ``replicaRouting`` says it is fresh enough for
    /// ``caller``, else on the primary; a result the replica gave that is not `acceptable` (a
    /// row it does not have yet, a revision older than one known) and any failure on the replica
    /// are read again on the primary, with `onPrimary` when given (a read that may also write,
    /// such as the lazy expiry a list does, which a standby refuses).
    func readPreferringReplica<T>(
        _ body: (Session) throws -> T, acceptable: (T) -> Bool = { _ in true }, onPrimary: ((Session) throws -> T)? = nil
    ) throws -> T {
        if let routing = replicaRouting {
            switch routing.decision(for: caller) {
            case .replica:
                let replica = self.replica ?? Database(url: routing.url, reportsOutages: false)
                self.replica = replica
                do {
                    let value = try replica.read(body)
                    if acceptable(value) {
                        BookijiMetrics.replicaRoutedRead(target: "replica", reason: "fresh")
                        return value
                    }
                    BookijiMetrics.replicaRoutedRead(target: "primary", reason: "behind")
                } catch let error as BookijiError where error.underlying is StoreError {
                    // The replica failed (stopped, unreachable, or a query cancelled by recovery):
                    // the primary answers, and the replica is bypassed until the monitor reaches it.
                    routing.replicaFailed(error.underlying ?? error)
                    BookijiMetrics.replicaRoutedRead(target: "primary", reason: "unavailable")
                }
            case .primary(let reason):
                BookijiMetrics.replicaRoutedRead(target: "primary", reason: reason)
            }
        }
        if let onPrimary { return try read(onPrimary) }
        return try read(body)
    }

    /// Whether a read by ``caller`` must go to the primary now because the caller's latest write
    /// may not be on the replica yet (false without a replica). A cached answer's trusted
    /// revision (noted, perhaps, from the replica) must not stand in for reading it then.
    public var callerWriteMayBeUnreplicated: Bool {
        guard let routing = replicaRouting else { return false }
        return routing.decision(for: caller) == .primary(reason: "own_write")
    }

    /// ``caller`` has just written through this Database: its reads stay on the primary until
    /// the replica holds the write.
    public func recordCallerWrite() {
        if let routing = replicaRouting, let caller { routing.recordWrite(by: caller) }
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
            throw translate(error)
        }
    }

    private func translate(_ error: StoreError) -> BookijiError {
        reportsOutages ? Self.translate(error) : Self.translateQuietly(error)
    }

    /// The error a caller sees for a database failure; one that means the database cannot be
    /// reached also starts an outage (``DatabaseOutage``) if none is under way.
    static func translate(_ error: StoreError) -> BookijiError {
        if error.code == .unavailable { DatabaseOutage.recordFailure(error) }
        return translateQuietly(error)
    }

    /// ``translate(_:)`` without starting an outage.
    static func translateQuietly(_ error: StoreError) -> BookijiError {
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
