import Postgres

/// A fleet-wide lock for one periodic job: a PostgreSQL session advisory lock, so at most one
/// session on any machine holds it, and a killed holder's lock ends with its connection.
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

    /// Takes the lock on `session` if no session holds it; never waits.
    public func tryAcquire(on session: Session) throws -> Bool {
        try session.run { session in try session.connection.tryAdvisoryLock(classID: Self.classID, objectID: objectID) }
    }

    /// Releases the lock held by `session`.
    public func release(on session: Session) throws {
        try session.run { session in _ = try session.connection.advisoryUnlock(classID: Self.classID, objectID: objectID) }
    }
}
