import Postgres

/// Test only: the `test.record` outbox handler writes each delivery here, so tests can check
/// that no row is delivered twice at once and none is lost. The table exists only where a test
/// created it (``createTable()``); no migration makes it.
public struct TestDeliveryStore {
    let session: Session

    public init(session: Session) {
        self.session = session
    }

    public func createTable() throws {
        try session.run { session in
            _ = try session.connection.execute(script: """
                CREATE TABLE IF NOT EXISTS worker_test_deliveries (
                    outbox_id   bigint NOT NULL,
                    worker_pid  integer NOT NULL,
                    attempt     integer NOT NULL,
                    started_at  timestamptz NOT NULL,
                    finished_at timestamptz NOT NULL
                )
                """)
        }
    }

    public func record(outboxID: Int64, workerPID: Int32, attempt: Int, startedAt: Double, finishedAt: Double) throws {
        try session.run { session in
            _ = try session.connection.query("""
                INSERT INTO worker_test_deliveries (outbox_id, worker_pid, attempt, started_at, finished_at)
                VALUES ($1, $2, $3, to_timestamp($4::float8), to_timestamp($5::float8))
                """, [outboxID, workerPID, attempt, startedAt, finishedAt])
        }
    }
}
