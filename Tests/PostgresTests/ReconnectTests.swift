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

    /// A server that accepts the connection and never answers (a hung host, a proxy that
    /// forwards nothing) costs the connect timeout, not forever.
    @Test func silentServerFailsToConnectWithinTheConnectTimeout() throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let started = ContinuousClock.now
        let error = #expect(throws: PGError.self) {
            try PGConnection(url: "postgresql://postgres@127.0.0.1:\(silent.port)/bookiji", timeouts: PGTimeouts(connect: 1))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .connectionFailed)
        #expect(error?.isTransient == true)
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .milliseconds(1800), "connecting to a silent server took \(elapsed)")
    }

    /// An answer later than the response deadline drops the connection (the thread is free
    /// again), and the next check connects anew.
    @Test func overdueAnswerDropsTheConnectionAndTheNextCheckReconnects() throws {
        let database = try TestDatabase()
        let connection = try PGConnection(url: database.url, timeouts: PGTimeouts(response: 1))
        let oldPID = connection.backendPID
        let started = ContinuousClock.now
        let error = #expect(throws: PGError.self) { try connection.query("SELECT pg_sleep(5)") }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .connectionFailed)
        #expect(error?.isTransient == true)
        #expect(elapsed < .milliseconds(1800), "the overdue statement held the thread for \(elapsed)")
        #expect(!connection.isConnected)

        try connection.ensureConnected()
        #expect(connection.backendPID != oldPID)
        #expect(try connection.query("SELECT $1::int * 2", [21]).first?.int(0) == 42)
    }

    /// Inside a transaction an overdue answer fails the transaction; nothing hangs on ROLLBACK.
    @Test func overdueAnswerInsideATransactionFailsItPromptly() throws {
        let database = try TestDatabase()
        let connection = try PGConnection(url: database.url, timeouts: PGTimeouts(response: 1))
        let started = ContinuousClock.now
        #expect(throws: PGError.self) {
            try connection.transaction { try $0.query("SELECT pg_sleep(5)") }
        }
        #expect(ContinuousClock.now - started < .milliseconds(1800))
        #expect(!connection.isInTransaction)
        try connection.ensureConnected()
        #expect(try connection.query("SELECT 1").first?.int(0) == 1)
    }

    /// The server cancels a statement past `statement_timeout` (57014, worth retrying) and
    /// the connection stays usable.
    @Test func statementTimeoutCancelsOnTheServerAndKeepsTheConnection() throws {
        let database = try TestDatabase()
        let connection = try PGConnection(url: database.url, timeouts: PGTimeouts(statement: 0.3, response: 3))
        let pid = connection.backendPID
        let started = ContinuousClock.now
        let error = #expect(throws: PGError.self) { try connection.query("SELECT pg_sleep(5)") }
        #expect(ContinuousClock.now - started < .milliseconds(1500))
        #expect(error?.sqlState == "57014")
        #expect(error?.isTransient == true)
        #expect(connection.isConnected)
        #expect(connection.backendPID == pid)
        #expect(try connection.query("SHOW statement_timeout").first?.string(0) == "300ms")
    }

    /// A connection opened without timeouts takes the process's (what `bookiji serve` sets from
    /// its options): the session's statement_timeout and the client's deadline above it.
    @Test func processDefaultAppliesToConnectionsOpenedWithoutTimeouts() throws {
        let database = try TestDatabase()
        let saved = PGTimeouts.processDefault
        PGTimeouts.processDefault = .requestPath(connect: 2, statement: 3)
        defer { PGTimeouts.processDefault = saved }
        let connection = try PGConnection(url: database.url)
        #expect(connection.timeouts == .requestPath(connect: 2, statement: 3))
        #expect(connection.timeouts.response == 4)
        #expect(try connection.query("SHOW statement_timeout").first?.string(0) == "3s")
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

/// A loopback TCP port that completes connections (the kernel's backlog does) and never reads
/// or answers: a database host that hangs.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw PGError(code: .misuse, message: "cannot listen on loopback")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }
}
