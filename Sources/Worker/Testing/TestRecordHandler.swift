import BookijiCore
import Foundation
import Store

/// Test only, never registered by default (`bookiji worker --test-handlers`): delivers topic
/// `test.record` by sleeping, then writing (outbox id, worker pid, attempt, started, finished)
/// to `worker_test_deliveries`, a table the test creates. The payload may set `sleepMillis`
/// (else ``sleepMillis``) and `failAttempts` (the first N attempts throw).
///
/// It makes delivery observable for the tests of overlap, crash recovery and draining.
public struct TestRecordHandler: OutboxHandler {
    public static let topic = "test.record"

    public let topics = [TestRecordHandler.topic]
    public let retryPolicy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(200), maxDelay: .seconds(1), jitter: 0)
    let sleepMillis: Int
    let database: DatabaseExecutor

    public init(databaseURL: String, sleepMillis: Int) {
        self.sleepMillis = sleepMillis
        self.database = DatabaseExecutor(url: databaseURL, label: "test.record")
    }

    struct Payload: Decodable {
        var sleepMillis: Int?
        var failAttempts: Int?
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    public func handle(_ row: OutboxRow) async throws {
        let payload = (try? JSONDecoder().decode(Payload.self, from: Data(row.payloadJSON.utf8))) ?? Payload()
        let started = Date.nowSeconds
        try await Task.sleep(for: .milliseconds(payload.sleepMillis ?? sleepMillis))
        if row.attempt <= payload.failAttempts ?? 0 {
            throw Refused(description: "test.record refuses attempt \(row.attempt) as asked")
        }
        let finished = Date.nowSeconds
        let pid = getpid()
        try await database.run { session in
            try TestDeliveryStore(session: session).record(
                outboxID: row.id, workerPID: pid, attempt: row.attempt, startedAt: started, finishedAt: finished)
        }
    }
}

/// Test only (`--test-handlers`): the body of the `test.periodic` job, which just takes time,
/// so tests can see whether two workers ever run it at once (from `worker_job_runs`).
public enum TestPeriodicJob {
    public static let name = "test.periodic"

    public static func body(sleepMillis: Int) -> PeriodicJob.Body {
        { _ in try await Task.sleep(for: .milliseconds(sleepMillis)) }
    }
}

/// Test only (`--test-handlers`): topic `test.db-record`, the database-only twin of
/// ``TestRecordHandler``: writes the delivery to `worker_test_deliveries` inside the batch's
/// transaction, and throws for the first `failAttempts` attempts (from the payload), so tests
/// see a failing row rolled back with its batch and the rest delivered row by row.
public struct TestDatabaseRecordHandler: OutboxDatabaseHandler {
    public static let topic = "test.db-record"

    public let topics = [TestDatabaseRecordHandler.topic]
    public let retryPolicy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(200), maxDelay: .seconds(1), jitter: 0)

    public init() {}

    public func handle(_ row: OutboxRow, in session: Session) throws {
        let payload = (try? JSONDecoder().decode(TestRecordHandler.Payload.self, from: Data(row.payloadJSON.utf8))) ?? .init()
        let now = Date.nowSeconds
        try TestDeliveryStore(session: session).record(outboxID: row.id, workerPID: getpid(), attempt: row.attempt, startedAt: now, finishedAt: now)
        if row.attempt <= payload.failAttempts ?? 0 {
            throw TestRecordHandler.Refused(description: "test.db-record refuses attempt \(row.attempt) as asked")
        }
    }
}
