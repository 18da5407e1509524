import Synchronization

/// How long a ``PGConnection`` waits for the server, so a database that hangs (stopped, or
/// reachable but silent) or cannot be reached costs a caller a bounded wait instead of forever.
///
/// The server enforces ``statement`` itself and cancels the statement cleanly; ``response`` is
/// the client's own deadline for an answer, for the cases the server cannot enforce anything (its
/// processes stopped, a network path that swallows packets), after which the connection is
/// dropped and the next piece of work connects anew. Keep ``response`` above ``statement`` so a
/// slow statement is cancelled by the server before the client gives up on the connection.
public struct PGTimeouts: Sendable, Hashable {
    /// Longest wait, in seconds, to connect: socket, authentication and the session's setup.
    public var connect: Double
    /// The session's `statement_timeout` in seconds; nil keeps the server's setting. Through a
    /// transaction pooler (``PGConnection/isPooled``) it is set per transaction instead, and
    /// statements outside one keep the role's setting.
    public var statement: Double?
    /// Longest wait, in seconds, for the answer to one statement; nil waits as long as it takes.
    public var response: Double?
    /// TCP keepalives (libpq's `keepalives_idle`, `keepalives_interval`, `keepalives_count`):
    /// an idle connection whose peer vanished is noticed after idle + interval × count seconds.
    /// Unix sockets have none; libpq ignores them there.
    public var keepaliveIdle: Int
    public var keepaliveInterval: Int
    public var keepaliveCount: Int
    /// libpq's `tcp_user_timeout`: how long sent data may stay unacknowledged, in milliseconds.
    public var tcpUserTimeoutMilliseconds: Int

    public init(
        connect: Double = 10, statement: Double? = nil, response: Double? = nil, keepaliveIdle: Int = 10,
        keepaliveInterval: Int = 5, keepaliveCount: Int = 3, tcpUserTimeoutMilliseconds: Int = 15_000
    ) {
        self.connect = connect
        self.statement = statement
        self.response = response
        self.keepaliveIdle = keepaliveIdle
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveCount = keepaliveCount
        self.tcpUserTimeoutMilliseconds = tcpUserTimeoutMilliseconds
    }

    /// For request paths: the server cancels a statement after `statement` seconds, the client
    /// gives up on a silent server one second later, and connecting takes at most `connect`.
    public static func requestPath(connect: Double, statement: Double) -> PGTimeouts {
        PGTimeouts(connect: connect, statement: statement, response: statement + 1)
    }

    /// What connections opened without explicit timeouts use: a bounded connect and keepalives,
    /// no statement or answer deadline (migrations and batch work may run long). A process sets
    /// its own once at startup (`bookiji serve` does, from its options).
    public static var processDefault: PGTimeouts {
        get { current.withLock { $0 } ?? PGTimeouts() }
        set { current.withLock { $0 = newValue } }
    }

    /// nil until a process sets its own. Not `Mutex(PGTimeouts())`: Swift 6.3.1 with `-O`
    /// initialises that static as all zeros (a connect bound of 0 s, so every CLI command of a
    /// release build failed at once with "cannot reach the database"; debug builds were right).
    /// Reproduced outside the project with a struct whose `init` has default arguments.
    private static let current = Mutex<PGTimeouts?>(nil)

    /// libpq connection keywords for these bounds. They come before the caller's URL, so a URL
    /// that names its own keepalives or timeouts wins.
    var libpqParameters: [(String, String)] {
        [
            ("connect_timeout", String(max(2, Int(connect.rounded(.up))))),
            ("keepalives", "1"),
            ("keepalives_idle", String(keepaliveIdle)),
            ("keepalives_interval", String(keepaliveInterval)),
            ("keepalives_count", String(keepaliveCount)),
            ("tcp_user_timeout", String(tcpUserTimeoutMilliseconds)),
        ]
    }
}
