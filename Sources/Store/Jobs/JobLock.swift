import Postgres
import Synchronization

/// A fleet-wide lock for one periodic job: a PostgreSQL session advisory lock, so at most one
/// session on any machine holds it, and a killed holder's lock ends with its connection.
///
/// A session advisory lock belongs to a server session, which a pooler in transaction mode lends
/// to other clients between transactions: a lock taken there would be held by whoever gets that
/// server connection next, and its unlock could run on another. So when the job's session is
/// pooled, the lock is taken on the process's direct lock session instead (``DirectLockSessions``),
/// which ends with the process as the job's own session would.
public struct JobLock: Sendable, Hashable {
    /// The first key of every job lock ("Bkjw"); the job's name hashes to the second.
    static let classID: Int32 = 0x426B_6A77

    public let job: String
    let objectID: Int32

    public init(job: String) {
        self.job = job
        // FNV-1a: stable across processes and releases, unlike `Hasher`.
        var hash: UInt32 = 2_166_136_261
        for byte in job.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        objectID = Int32(bitPattern: hash)
    }

    /// Takes the lock for `session` if no session holds it; never waits.
    public func tryAcquire(on session: Session) throws -> Bool {
        let classID = Self.classID, objectID = objectID
        if session.isPooled {
            return try DirectLockSessions.shared.run(url: Session.ownSessionURL(for: session.connection.url)) { connection in
                try connection.tryAdvisoryLock(classID: classID, objectID: objectID)
            }
        }
        return try session.run { session in try session.connection.tryAdvisoryLock(classID: classID, objectID: objectID) }
    }

    /// Releases the lock taken by ``tryAcquire(on:)`` with the same `session`.
    public func release(on session: Session) throws {
        let classID = Self.classID, objectID = objectID
        if session.isPooled {
            _ = try DirectLockSessions.shared.run(url: Session.ownSessionURL(for: session.connection.url)) { connection in
                try connection.advisoryUnlock(classID: classID, objectID: objectID)
            }
            return
        }
        try session.run { session in _ = try session.connection.advisoryUnlock(classID: classID, objectID: objectID) }
    }
}

/// The connections that hold leader locks for pooled sessions: one per direct URL for the whole
/// process (in practice one), shared by every job, each statement under the lock. Its locks are
/// few and their statements tiny, so one connection serves them all.
final class DirectLockSessions: @unchecked Sendable {  // `connections` is touched only while holding `lock`
    static let shared = DirectLockSessions()

    private let lock = Mutex(())
    private var connections: [String: PGConnection] = [:]

    /// Runs `body` on the connection to `url`, reconnecting first when it broke (the server
    /// released its locks then, as it would a killed process's).
    func run(url: String, _ body: (PGConnection) throws -> Bool) throws -> Bool {
        try lock.withLock { _ in
            try Session.translating {
                let connection: PGConnection
                if let open = connections[url] {
                    try open.ensureConnected()
                    connection = open
                } else {
                    connection = try PGConnection(url: url)
                    connections[url] = connection
                }
                return try body(connection)
            }
        }
    }
}
