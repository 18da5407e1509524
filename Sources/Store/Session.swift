import Postgres

/// A connection to the system of record as the layers above Store see it: opened from a URL,
/// used by one thread at a time, with transactions, and errors that speak Store's codes
/// (``StoreError``) rather than libpq's.
///
/// The Coordinator checks a session out and decides where transactions begin and end; every
/// statement stays in Store. Work run through ``transaction(_:)`` or ``run(_:)`` throws a
/// ``StoreError`` for any database failure, so callers never see a `PGError`.
public final class Session {
    let connection: PGConnection

    /// Connects to `url` (a libpq connection URI or key/value string).
    public init(url: String) throws(StoreError) {
        do {
            connection = try PGConnection(url: url)
        } catch {
            throw StoreError(translating: error)
        }
    }

    /// Wraps an open connection (Store's own tests and tools).
    public init(_ connection: PGConnection) {
        self.connection = connection
    }

    /// Reconnects when the connection is known to be broken or the server closed it while idle.
    public func ensureConnected() throws(StoreError) {
        do {
            try connection.ensureConnected()
        } catch {
            throw StoreError(translating: error)
        }
    }

    /// Runs `body` inside BEGIN/COMMIT; a thrown error rolls back and is rethrown, database
    /// errors as ``StoreError``.
    public func transaction<T>(_ body: (Session) throws -> T) throws -> T {
        try Self.translating {
            try connection.transaction { _ in try body(self) }
        }
    }

    /// Whether a transaction opened by ``transaction(_:)`` is open on this session.
    public var isInTransaction: Bool { connection.isInTransaction }

    /// Runs `body` outside an explicit transaction (each statement commits by itself), with
    /// database errors as ``StoreError``.
    public func run<T>(_ body: (Session) throws -> T) throws -> T {
        try Self.translating { try body(self) }
    }

    /// The server process serving this session (tests terminate it to prove reconnection).
    public var backendPID: Int32 { connection.backendPID }

    /// Whether this session goes through a pooler in transaction mode (`--database-pooler
    /// transaction`), so keeps nothing between transactions: see ``Session/ownSessionURL(for:)``.
    public var isPooled: Bool { connection.isPooled }

    /// The URL to open a session on, in place of `url`, for work that needs a server session of
    /// its own (LISTEN, session advisory locks): the process's direct URL when it goes through a
    /// transaction pooler, else `url` itself.
    public static func ownSessionURL(for url: String) -> String {
        PGPooling.processDefault.sessionURL(for: url)
    }

    static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PGError {
            throw StoreError(translating: error)
        }
    }
}
