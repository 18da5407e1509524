/// The statements that tell how far a streaming replica has applied the primary's write-ahead
/// log: what read routing (the Coordinator's ``ReplicaRouting``) measures replica lag with.
/// Positions are WAL byte offsets (an LSN minus `0/0`), so they compare as numbers.
public struct ReplicationStore {
    let session: Session

    public init(_ session: Session) {
        self.session = session
    }

    /// On the primary: where the next WAL record will be inserted, and the WAL page size.
    ///
    /// The insert position, not `pg_current_wal_lsn()` (the write position): a commit made with
    /// `synchronous_commit = off` is acknowledged while its record may still sit in the WAL
    /// buffers, behind the write position but never behind the insert position.
    public func primaryInsertPosition() throws -> (position: Int64, pageSize: Int64) {
        let row = try session.connection.query(
            "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint, current_setting('wal_block_size')::bigint")[0]
        return (try row.int64(0), try row.int64(1))
    }

    /// What a standby has applied; see ``ReplayState``.
    public func replayState() throws -> ReplayState {
        let row = try session.connection.query("""
            SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint,
                   extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
            """)[0]
        return ReplayState(
            inRecovery: try row.decode(Bool.self, 0), replayedPosition: try row.optional(Int64.self, 1),
            newestAppliedCommitAge: try row.optional(Double.self, 2))
    }
}

/// How far a standby has applied the primary's WAL.
public struct ReplayState: Sendable, Equatable {
    /// False on a server that is not (or no longer) a standby.
    public var inRecovery: Bool
    /// The end of the last WAL record applied (nil on a primary).
    public var replayedPosition: Int64?
    /// Seconds, on the standby's clock, since the primary committed the newest transaction the
    /// standby has applied; nil when it has applied none since it started.
    public var newestAppliedCommitAge: Double?

    public init(inRecovery: Bool, replayedPosition: Int64?, newestAppliedCommitAge: Double?) {
        self.inRecovery = inRecovery
        self.replayedPosition = replayedPosition
        self.newestAppliedCommitAge = newestAppliedCommitAge
    }
}
