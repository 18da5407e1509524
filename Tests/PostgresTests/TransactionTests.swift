import Postgres
import Testing

/// `transaction` commits what the body did, or rolls all of it back when the body throws.
struct TransactionTests {
    struct Abort: Error, Equatable {}

    private func setUp() throws -> (TestDatabase, PGConnection) {
        let database = try TestDatabase()
        let connection = try database.connect()
        try connection.execute(script: "CREATE TABLE t (id int PRIMARY KEY, note text)")
        return (database, connection)
    }

    private func count(_ connection: PGConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM t").first!.int(0)
    }

    @Test func commitsAndReturnsTheBodysValue() throws {
        let (database, connection) = try setUp()
        let value = try connection.transaction { conn in
            try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "one"])
            try conn.query("INSERT INTO t VALUES ($1, $2)", [2, "two"])
            return "done"
        }
        #expect(value == "done")
        // Visible from another session: really committed.
        #expect(try count(database.connect()) == 2)
    }

    @Test func swiftErrorRollsBackAndIsRethrownUnchanged() throws {
        let (database, connection) = try setUp()
        #expect(throws: Abort()) {
            try connection.transaction { conn in
                try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "one"])
                throw Abort()
            }
        }
        #expect(try count(connection) == 0)
        #expect(try count(database.connect()) == 0)
    }

    @Test func sqlErrorRollsBackEarlierStatementsAndLeavesConnectionUsable() throws {
        let (_, connection) = try setUp()
        let error = #expect(throws: PGError.self) {
            try connection.transaction { conn in
                try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "one"])
                try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "duplicate"])
            }
        }
        #expect(error?.sqlState == "23505")
        #expect(try count(connection) == 0)
        // Not left inside an aborted transaction (that would be 25P02 on every statement).
        try connection.transaction { conn in _ = try conn.query("INSERT INTO t VALUES ($1, $2)", [2, "two"]) }
        #expect(try count(connection) == 1)
    }

    @Test func nestedTransactionIsRefusedAndOuterRollsBack() throws {
        let (_, connection) = try setUp()
        let error = #expect(throws: PGError.self) {
            try connection.transaction { conn in
                try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "outer"])
                try conn.transaction { inner in _ = try inner.query("INSERT INTO t VALUES ($1, $2)", [2, "inner"]) }
            }
        }
        #expect(error?.code == .misuse)
        #expect(try count(connection) == 0)
        // The refusal leaves no state behind: the next transaction works.
        try connection.transaction { conn in _ = try conn.query("INSERT INTO t VALUES ($1, $2)", [3, "after"]) }
        #expect(try count(connection) == 1)
    }

    @Test func isolationLevelIsApplied() throws {
        let (_, connection) = try setUp()
        let level = try connection.transaction(isolation: .serializable) { conn in
            try conn.query("SHOW transaction_isolation").first!.string(0)
        }
        #expect(level == "serializable")
        let repeatable = try connection.transaction(isolation: .repeatableRead) { conn in
            try conn.query("SHOW transaction_isolation").first!.string(0)
        }
        #expect(repeatable == "repeatable read")
        #expect(try connection.query("SHOW transaction_isolation").first?.string(0) == "read committed")
    }

    /// A constraint checked at COMMIT fails the commit; nothing of the transaction survives.
    @Test func failedCommitIsReportedAndRolledBack() throws {
        let (_, connection) = try setUp()
        try connection.execute(script: """
            CREATE TABLE d (id int, CONSTRAINT d_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)
            """)
        let error = #expect(throws: PGError.self) {
            try connection.transaction { conn in
                try conn.query("INSERT INTO t VALUES ($1, $2)", [1, "one"])
                try conn.query("INSERT INTO d VALUES ($1), ($1)", [7])
            }
        }
        #expect(error?.sqlState == "23505")
        #expect(try count(connection) == 0)
        #expect(try connection.query("SELECT count(*) FROM d").first?.int(0) == 0)
    }
}
