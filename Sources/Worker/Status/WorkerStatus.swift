import Store

/// What `bookiji worker status` shows: every job's latest run and the outbox's depth.
public struct WorkerStatus: Sendable {
    public var jobs: [JobStatus]
    public var outbox: OutboxDepth

    /// Reads the status from the database at `databaseURL`.
    public static func read(databaseURL: String) throws -> WorkerStatus {
        let session = try Session(url: databaseURL)
        return WorkerStatus(jobs: try JobRunStore(session: session).statuses(), outbox: try OutboxStore(session: session).depth())
    }
}
