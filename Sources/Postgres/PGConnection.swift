import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection, used by one thread at a time (each responder thread owns one).
///
/// Statements are prepared once per connection and reused, and every value travels as a
/// parameter. A broken connection is noticed before the next statement (``ensureConnected()``)
/// and re-established, so a restarted server or a terminated backend costs at most the request
/// that was running when it happened.
public final class PGConnection {
    private(set) var conn: OpaquePointer?
    public let url: String
    private var prepared: [String: String] = [:]
    private var transactionDepth = 0

    /// Connects to `url` (a libpq connection URI or key/value string).
    public init(url: String) throws(PGError) {
        self.url = url
        try connect()
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    private func connect() throws(PGError) {
        if let conn { PQfinish(conn) }
        prepared.removeAll()
        transactionDepth = 0
        let newConn = PQconnectdb(url)
        conn = newConn
        guard let newConn, PQstatus(newConn) == CONNECTION_OK else {
            let message = newConn.map { Self.trimmed(PQerrorMessage($0)) } ?? "out of memory"
            throw PGError(code: .connectionFailed, message: "cannot connect to PostgreSQL: \(message)")
        }
        // Notices ("relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(newConn, { _, _ in }, nil)
        // Every statement is prepared once and run with parameters, and none needs its values
        // to find a good plan: each reaches its rows through an index on a key it is always
        // given, and the optional filters some have (`$2 IS NULL OR vendor_id = $2`) only narrow
        // what that index found (a partner's reservations, holds past their deadline, connected
        // calendars). PostgreSQL's default still plans some runs again for their values
        // ("custom plans"): pgbench ran the availability read at 35.9k statements/s so, and at
        // 52.5k with the prepared plan always reused.
        let set = PQexec(newConn, "SET plan_cache_mode = force_generic_plan")
        defer { PQclear(set) }
        guard PQresultStatus(set) == PGRES_COMMAND_OK else {
            throw PGError(code: .connectionFailed, message: "cannot set up the connection: \(Self.trimmed(PQerrorMessage(newConn)))")
        }
    }

    /// True when the last known state of the connection is healthy.
    public var isConnected: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Makes sure the connection is usable before work starts: reconnects if it is known to be
    /// broken, or if the server has sent something while we were idle (a terminated backend sends
    /// a FATAL message and closes, which we would otherwise learn only by failing a statement).
    ///
    /// So it is not for a LISTEN session, whose notifications arrive while idle too. Inside a
    /// transaction it never reconnects (the transaction's work would go on outside it): a broken
    /// connection throws.
    public func ensureConnected() throws(PGError) {
        guard let conn, PQstatus(conn) == CONNECTION_OK, PQsocket(conn) >= 0, !Self.isReadable(PQsocket(conn)) else {
            try reconnectUnlessInTransaction()
            return
        }
    }

    private func reconnectUnlessInTransaction() throws(PGError) {
        guard transactionDepth == 0 else {
            throw PGError(code: .connectionFailed, message: "the connection to PostgreSQL was lost inside a transaction")
        }
        try connect()
    }

    private static func isReadable(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0
    }

    /// Runs one statement with parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PGEncodable)?] = []) throws(PGError) -> PGRows {
        guard let conn else { throw PGError(code: .connectionFailed, message: "not connected to PostgreSQL") }
        let name = try statementName(for: sql, parameterCount: parameters.count, conn: conn)
        let texts = parameters.map { $0?.pgText }
        // libpq reads parameters as C strings, so a NUL would silently cut the value short.
        // PostgreSQL text cannot hold NUL anyway; refuse it as the server would (22021).
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PGError(
                code: .misuse, message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                sqlState: "22021")
        }
        let result = Self.withCStrings(texts) { values in
            PQexecPrepared(conn, name, Int32(texts.count), values, nil, nil, 0)
        }
        return try check(result, sql: sql)
    }

    /// Runs SQL text that may hold several statements and takes no parameters (migrations, DDL).
    public func execute(script sql: String) throws(PGError) {
        guard let conn else { throw PGError(code: .connectionFailed, message: "not connected to PostgreSQL") }
        _ = try check(PQexec(conn, sql), sql: sql)
    }

    /// Runs `body` inside BEGIN/COMMIT; any error thrown rolls the transaction back and is rethrown.
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted,
        _ body: (PGConnection) throws -> T
    ) throws -> T {
        guard transactionDepth == 0 else {
            throw PGError(code: .misuse, message: "nested transactions are not supported")
        }
        try execute(script: isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.sql)")
        transactionDepth = 1
        do {
            let value = try body(self)
            transactionDepth = 0
            try execute(script: "COMMIT")
            return value
        } catch {
            transactionDepth = 0
            if isConnected { try? execute(script: "ROLLBACK") }
            throw error
        }
    }

    /// Whether a transaction opened by ``transaction(isolation:_:)`` is open.
    public var isInTransaction: Bool { transactionDepth > 0 }

    public enum IsolationLevel: Sendable {
        case readCommitted, repeatableRead, serializable
        var sql: String {
            switch self {
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        }
    }

    /// The server process id serving this connection (for `pg_terminate_backend` in tests).
    public var backendPID: Int32 {
        conn.map { PQbackendPID($0) } ?? 0
    }

    // MARK: - Internals

    private func statementName(for sql: String, parameterCount: Int, conn: OpaquePointer) throws(PGError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(conn, name, sql, Int32(parameterCount), nil)
        _ = try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(PGError) -> PGRows {
        guard let result else {
            let message = conn.map { Self.trimmed(PQerrorMessage($0)) } ?? "no connection"
            throw PGError(code: .connectionFailed, message: message)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGRows(result: result)
        default:
            let field = { (code: UInt8) -> String? in
                guard let text = PQresultErrorField(result, Int32(code)) else { return nil }
                return String(cString: text)
            }
            let state = field(UInt8(ascii: "C"))
            let message = field(UInt8(ascii: "M")) ?? Self.trimmed(PQresultErrorMessage(result))
            let error = PGError(
                code: (conn.map { PQstatus($0) != CONNECTION_OK } ?? true) && state == nil ? .connectionFailed : .server,
                message: message,
                sqlState: state,
                detail: field(UInt8(ascii: "D")),
                constraint: field(UInt8(ascii: "n"))
            )
            PQclear(result)
            // A statement that failed to prepare is not cached; one that broke the connection
            // leaves the cache to be cleared on reconnect.
            throw error
        }
    }

    private static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        var s = String(cString: text)
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }

    private static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
        defer { pointers.forEach { free($0) } }
        let constPointers = pointers.map { UnsafePointer($0) }
        return constPointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
