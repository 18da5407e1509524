import Foundation
import Postgres
import Store

/// A migrated database of its own on the shared cluster, and `bookiji worker` processes on it.
final class WorkerFixture: @unchecked Sendable {  // owned by one test at a time
    let cluster: PostgresCluster
    let database: String
    let directory: String
    private(set) var workers: [Daemon] = []

    var databaseURL: String { cluster.url(database: database) }

    init(cluster: PostgresCluster = .shared) throws {
        self.cluster = cluster
        database = try cluster.createDatabase()
        directory = try Paths.scratchDirectory("worker")
        try bookiji(["migrate", "--dir", Paths.repositoryRoot + "/migrations"])
        try TestDeliveryStore(session: Session(sql())).createTable()
    }

    /// Starts a `bookiji worker` with the test handlers (`test.record`, `test.periodic`).
    @discardableResult
    func startWorker(_ extra: [String] = []) throws -> Daemon {
        let daemon = try Daemon(Paths.bookiji, [
            "worker", "--database", databaseURL, "--test-handlers", "--poll-seconds", "1",
        ] + extra, logPath: directory + "/worker-\(workers.count).log")
        workers.append(daemon)
        return daemon
    }

    @discardableResult
    func bookiji(_ arguments: [String]) throws -> String {
        try run(Paths.bookiji, arguments, environment: ["BOOKIJI_DATABASE_URL": databaseURL])
    }

    func sql() throws -> PGConnection { try PGConnection(url: databaseURL) }

    /// Queues `count` rows of `topic` (`test.record` taking `sleepMillis` each, or the database
    /// handler's `test.db-record`); returns their ids.
    @discardableResult
    func enqueue(count: Int, sleepMillis: Int, failAttempts: Int = 0, topic: String = "test.record") throws -> [Int64] {
        try sql().query("""
            INSERT INTO outbox (topic, payload)
            SELECT $4, jsonb_build_object('sleepMillis', $2::int, 'failAttempts', $3::int)
            FROM generate_series(1, $1::int)
            RETURNING id
            """, [count, sleepMillis, failAttempts, topic]).map { try $0.int64(0) }
    }

    func scalar(_ query: String, _ parameters: [(any PGEncodable)?] = []) throws -> Int {
        try sql().query(query, parameters).first?.int(0) ?? 0
    }

    var logs: String { workers.map(\.log).joined(separator: "\n----\n") }

    func stop() {
        for worker in workers { worker.stop() }
        if ProcessInfo.processInfo.environment["BOOKIJI_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
        if let admin = try? PGConnection(url: cluster.url(database: "postgres")) {
            _ = try? admin.execute(script: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        }
    }
}
