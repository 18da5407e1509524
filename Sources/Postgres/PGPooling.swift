import Synchronization

/// Whether a process reaches PostgreSQL through a pooler in transaction mode (PgBouncer's
/// `pool_mode = transaction`), and where its connections that need a server session of their own
/// go instead.
///
/// Such a pooler lends a server connection to a client for one transaction at a time, so nothing
/// may be left in the server session between transactions: a named prepared statement is gone (or
/// someone else's) on the next one, a `SET` leaks into other clients, a session advisory lock is
/// held by whichever client's transaction ran last, and `LISTEN` hears nothing. A pooled
/// ``PGConnection`` therefore sends every statement unnamed with its parameters and sets nothing
/// on the session (see ``PGConnection/isPooled``); the few connections that need a real session
/// (LISTEN, leader locks) connect to ``directURL``, which bypasses the pooler.
public struct PGPooling: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Every connection is a server session of its own (directly, or through a pooler in
        /// session mode): statements are prepared once per session, settings made once at connect.
        case none
        /// Connections go through a pooler in transaction mode, except those to ``directURL``.
        case transaction
    }

    public var mode: Mode
    /// The URL that reaches the server itself, for connections that keep session state; the
    /// only URL whose connections are not pooled in ``Mode/transaction``.
    public var directURL: String?

    public init(mode: Mode = .none, directURL: String? = nil) {
        self.mode = mode
        self.directURL = directURL
    }

    /// Whether a connection to `url` shares its server session with other clients, so must keep
    /// nothing in it.
    public func isPooled(_ url: String) -> Bool {
        mode == .transaction && url != directURL
    }

    /// The URL a connection that needs a session of its own (LISTEN, session advisory locks)
    /// uses in place of `url`.
    public func sessionURL(for url: String) -> String {
        mode == .transaction ? directURL ?? url : url
    }

    /// The process's setting, read by every ``PGConnection`` opened without an explicit one.
    /// `bookiji serve` and `bookiji worker` set it once at startup from `--database-pooler` and
    /// `--direct-database`; everything else keeps the default (no pooler).
    public static var processDefault: PGPooling {
        get { current.withLock { $0 } ?? PGPooling() }
        set { current.withLock { $0 = newValue } }
    }

    /// nil until a process sets its own: see `PGTimeouts.current` for why not `Mutex(PGPooling())`.
    private static let current = Mutex<PGPooling?>(nil)
}
