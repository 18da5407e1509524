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
///
/// Every wait for the server is bounded by ``timeouts``: connecting, and (when set) each answer.
/// libpq's blocking calls would wait forever on a server that accepted the connection and then
/// stopped answering, so statements go out with its asynchronous API and the socket is polled
/// against a deadline; a connection whose answer is overdue is dropped, never cancelled
/// (`PQcancel` itself blocks on a hung server).
///
/// Through a pooler in transaction mode (``isPooled``) nothing is kept in the server session:
/// statements go out unnamed with their parameters (parsed and planned on every run) and the
/// statement timeout is set per transaction (`SET LOCAL`); see ``PGPooling``.
public final class PGConnection {
    private(set) var conn: OpaquePointer?
    public let url: String
    public let timeouts: PGTimeouts
    /// Whether this connection goes through a pooler in transaction mode, so keeps nothing in
    /// its server session: no prepared statements, no session settings, no session advisory
    /// locks and no LISTEN (those throw ``PGError/Code/misuse``).
    public let isPooled: Bool
    private var prepared: [String: String] = [:]
    private var transactionDepth = 0

    /// Connects to `url` (a libpq connection URI or key/value string).
    /// - Parameters:
    ///   - timeouts: the bounds on every wait; ``PGTimeouts/processDefault`` when nil.
    ///   - pooled: whether `url` leads through a pooler in transaction mode; when nil,
    ///     ``PGPooling/processDefault`` decides from the URL.
    public init(url: String, timeouts: PGTimeouts? = nil, pooled: Bool? = nil) throws(PGError) {
        self.url = url
        self.timeouts = timeouts ?? PGTimeouts.processDefault
        self.isPooled = pooled ?? PGPooling.processDefault.isPooled(url)
        try connect()
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    private func connect() throws(PGError) {
        drop()
        transactionDepth = 0
        let deadline = Deadline(seconds: timeouts.connect)
        // The bounds first and the caller's URL last (expanded from `dbname`): libpq keeps the
        // last value of a repeated keyword, so a URL's own settings win.
        let parameters = timeouts.libpqParameters + [("dbname", url)]
        let started = Self.withCStrings(parameters.map { Optional($0.0) } + [nil]) { keywords in
            Self.withCStrings(parameters.map { Optional($0.1) } + [nil]) { values in PQconnectStartParams(keywords, values, 1) }
        }
        guard let newConn = started else {
            throw PGError(code: .connectionFailed, message: "cannot connect to PostgreSQL: out of memory")
        }
        conn = newConn
        // libpq's connect_timeout is enforced only by its blocking connect: poll here instead.
        var state = PGRES_POLLING_WRITING
        while PQstatus(newConn) != CONNECTION_BAD && state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED {
            let events = state == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
            guard Self.wait(PQsocket(newConn), events: events, until: deadline) != nil else {
                drop()
                throw PGError(
                    code: .connectionFailed,
                    message: "cannot connect to PostgreSQL: no answer within \(Self.seconds(timeouts.connect))")
            }
            state = PQconnectPoll(newConn)
        }
        guard PQstatus(newConn) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(newConn))
            drop()
            throw PGError(code: .connectionFailed, message: "cannot connect to PostgreSQL: \(message)")
        }
        // Sends never block: a server that stops reading cannot hold a thread in a write.
        PQsetnonblocking(newConn, 1)
        // Notices ("relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(newConn, { _, _ in }, nil)
        // A pooled connection's session is lent to other clients between transactions: nothing
        // to set up (the timeout goes with each transaction, see `transaction`).
        if isPooled { return }
        // Every statement is prepared once and run with parameters, and none needs its values
        // to find a good plan: each reaches its rows through an index on a key it is always
        // given, and the optional filters some have (`$2 IS NULL OR vendor_id = $2`) only narrow
        // what that index found (a partner's reservations, holds past their deadline, connected
        // calendars). PostgreSQL's default still plans some runs again for their values
        // ("custom plans"): pgbench ran the availability read at 35.9k statements/s so, and at
        // 52.5k with the prepared plan always reused.
        var setup = "SET plan_cache_mode = force_generic_plan"
        if let statement = timeouts.statement {
            setup += "; SET statement_timeout = \(max(1, Int((statement * 1000).rounded())))"
        }
        do {
            _ = try check(run(deadline: deadline) { PQsendQuery($0, setup) }, sql: setup)
        } catch {
            drop()
            throw PGError(code: .connectionFailed, message: "cannot set up the connection: \(error.message)")
        }
    }

    /// Closes the connection without waiting for anything; the next ``ensureConnected()``
    /// connects anew (the statement cache belonged to the old session).
    private func drop() {
        if let conn { PQfinish(conn) }
        conn = nil
        prepared.removeAll()
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
        let name = isPooled ? nil : try statementName(for: sql, parameterCount: parameters.count)
        let texts = parameters.map { $0?.pgText }
        // libpq reads parameters as C strings, so a NUL would silently cut the value short.
        // PostgreSQL text cannot hold NUL anyway; refuse it as the server would (22021).
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PGError(
                code: .misuse, message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                sqlState: "22021")
        }
        let result = try run(deadline: Deadline(seconds: timeouts.response)) { conn in
            Self.withCStrings(texts) { values in
                if let name { return PQsendQueryPrepared(conn, name, Int32(texts.count), values, nil, nil, 0) }
                // The unnamed statement: parsed, planned and run in one round trip, and gone
                // after it, so any server connection a pooler lends will do.
                return PQsendQueryParams(conn, sql, Int32(texts.count), nil, values, nil, nil, 0)
            }
        }
        return try check(result, sql: sql)
    }

    /// Runs SQL text that may hold several statements and takes no parameters (migrations, DDL).
    public func execute(script sql: String) throws(PGError) {
        _ = try simpleQuery(sql)
    }

    /// Runs SQL text without parameters with the simple query protocol and returns the last
    /// statement's rows: for consoles that speak only that protocol (PgBouncer's `SHOW POOLS`).
    public func simpleQuery(_ sql: String) throws(PGError) -> PGRows {
        try check(run(deadline: Deadline(seconds: timeouts.response)) { PQsendQuery($0, sql) }, sql: sql)
    }

    /// Runs `body` inside BEGIN/COMMIT; any error thrown rolls the transaction back and is rethrown.
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted,
        _ body: (PGConnection) throws -> T
    ) throws -> T {
        guard transactionDepth == 0 else {
            throw PGError(code: .misuse, message: "nested transactions are not supported")
        }
        try execute(script: beginScript(isolation))
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

    /// BEGIN, and on a pooled connection the statement timeout for this transaction only: sent
    /// as one message, so it costs no round trip, and the pooler lends the session to nobody
    /// else until COMMIT. (A session's `SET` would follow the server connection to other
    /// clients.) Statements outside a transaction get the role's or the pooler's setting.
    private func beginScript(_ isolation: IsolationLevel) -> String {
        var script = isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.sql)"
        if isPooled, let statement = timeouts.statement {
            script += "; SET LOCAL statement_timeout = \(max(1, Int((statement * 1000).rounded())))"
        }
        return script
    }

    /// Throws ``PGError/Code/misuse`` on a pooled connection for `what`, which needs a server
    /// session of its own (connect to ``PGPooling/directURL`` for it).
    func requireOwnSession(for what: String) throws(PGError) {
        guard isPooled else { return }
        throw PGError(
            code: .misuse,
            message: "\(what) needs a server session of its own, and this connection goes through a transaction pooler: open it on the direct URL (--direct-database)")
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

    private func statementName(for sql: String, parameterCount: Int) throws(PGError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        let result = try run(deadline: Deadline(seconds: timeouts.response)) { PQsendPrepare($0, name, sql, Int32(parameterCount), nil) }
        _ = try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    /// Sends one command with `send` (a `PQsend…` call) and collects its answer as `PQexec`
    /// would (the last result, or the first error), waiting for the server no later than
    /// `deadline`. An overdue answer drops the connection: what the server does with the
    /// statement is then its own business (a stopped server finds the connection closed when it
    /// resumes).
    private func run(deadline: Deadline, _ send: (OpaquePointer) -> Int32) throws(PGError) -> OpaquePointer? {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw PGError(code: .connectionFailed, message: "not connected to PostgreSQL")
        }
        guard send(conn) == 1 else { throw lost(conn, "cannot send to PostgreSQL") }
        while true {
            let flushed = PQflush(conn)
            if flushed == 0 { break }
            guard flushed == 1, let events = Self.wait(PQsocket(conn), events: Int16(POLLIN | POLLOUT), until: deadline) else {
                throw flushed == 1 ? overdue(deadline) : lost(conn, "cannot send to PostgreSQL")
            }
            // The server may be waiting for us to read before it reads more.
            if events & Int16(POLLIN) != 0, PQconsumeInput(conn) == 0 { throw lost(conn, "lost the connection to PostgreSQL") }
        }
        var kept: OpaquePointer?
        while true {
            while PQisBusy(conn) == 1 {
                guard Self.wait(PQsocket(conn), events: Int16(POLLIN), until: deadline) != nil else {
                    if let kept { PQclear(kept) }
                    throw overdue(deadline)
                }
                guard PQconsumeInput(conn) == 1 else {
                    if let kept { PQclear(kept) }
                    throw lost(conn, "lost the connection to PostgreSQL")
                }
            }
            guard let result = PQgetResult(conn) else { return kept }
            if let previous = kept, PQresultStatus(previous) == PGRES_FATAL_ERROR {
                PQclear(result)
            } else {
                if let kept { PQclear(kept) }
                kept = result
            }
        }
    }

    /// The connection broke while sending or reading: dropped, and reported as transient.
    private func lost(_ conn: OpaquePointer, _ what: String) -> PGError {
        let message = "\(what): \(Self.trimmed(PQerrorMessage(conn)))"
        drop()
        return PGError(code: .connectionFailed, message: message)
    }

    private func overdue(_ deadline: Deadline) -> PGError {
        drop()
        return PGError(
            code: .connectionFailed,
            message: "PostgreSQL did not answer within \(Self.seconds(deadline.seconds ?? 0)); the connection was dropped")
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes; the events that happened
    /// (errors and hang-ups included, for libpq to read), or nil on timeout.
    private static func wait(_ fd: Int32, events: Int16, until deadline: Deadline) -> Int16? {
        guard fd >= 0 else { return Int16(POLLERR) }
        while true {
            let milliseconds = deadline.remainingMilliseconds
            if milliseconds == 0 { return nil }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&pfd, 1, milliseconds)
            if ready > 0 { return pfd.revents }
            if ready < 0 && errno != EINTR { return Int16(POLLERR) }
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
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

    static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
        defer { pointers.forEach { free($0) } }
        let constPointers = pointers.map { UnsafePointer($0) }
        return constPointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

/// A point on the monotonic clock after which a wait gives up, or none.
struct Deadline {
    /// The bound it was made from, for messages.
    let seconds: Double?
    private let end: UInt64?

    init(seconds: Double?) {
        self.seconds = seconds
        end = seconds.map { Self.now() + UInt64(max(0, $0) * 1e9) }
    }

    /// Milliseconds left, rounded up (0 once passed); -1 (wait forever) without a deadline.
    var remainingMilliseconds: Int32 {
        guard let end else { return -1 }
        let now = Self.now()
        guard end > now else { return 0 }
        return Int32(min(UInt64(Int32.max), (end - now + 999_999) / 1_000_000))
    }

    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
