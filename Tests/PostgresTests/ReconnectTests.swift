import Postgres
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A dropped connection is noticed and re-established before the next piece of work.
struct ReconnectTests {
    @Test func ensureConnectedReconnectsAfterBackendIsTerminated() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let sql = "SELECT $1::int + 1"
        #expect(try connection.query(sql, [1]).first?.int(0) == 2)  // prepared in the old session
        let oldPID = connection.backendPID

        try terminate(oldPID, in: database)
        try connection.ensureConnected()

        #expect(connection.isConnected)
        #expect(connection.backendPID != oldPID)
        // The statement cache belonged to the old session: the same SQL is prepared anew.
        #expect(try connection.query(sql, [41]).first?.int(0) == 42)
    }

    @Test func statementOnDroppedConnectionFailsTransientlyAndNextCheckRecovers() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let oldPID = connection.backendPID
        try terminate(oldPID, in: database)

        let error = #expect(throws: PGError.self) { try connection.query("SELECT 1") }
        #expect(error?.isTransient == true)

        try connection.ensureConnected()
        #expect(connection.backendPID != oldPID)
        #expect(try connection.query("SELECT 1").first?.int(0) == 1)
    }

    @Test func healthyIdleConnectionIsKept() throws {
        let connection = try TestDatabase().connect()
        let pid = connection.backendPID
        try connection.ensureConnected()
        try connection.ensureConnected()
        #expect(connection.backendPID == pid)
    }

    @Test func unreachableServerIsConnectionFailedAndTransient() {
        let error = #expect(throws: PGError.self) {
            try PGConnection(url: "postgresql://postgres@/bookiji?host=/nonexistent/bookiji-test-socket&port=5432")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isTransient == true)
        #expect(error?.sqlState == nil)
        #expect(error?.message.contains("cannot connect") == true)
    }

    /// Terminates a backend and waits until the server has really let it go.
    private func terminate(_ pid: Int32, in database: TestDatabase) throws {
        let admin = try database.connect()
        #expect(try admin.query("SELECT pg_terminate_backend($1)", [pid]).first?.bool(0) == true)
        for _ in 0..<250 {
            let alive = try admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [pid]).first?.int(0)
            if alive == 0 { return }
            usleep(20_000)
        }
        Issue.record("backend \(pid) still alive 5 s after pg_terminate_backend")
    }
}
