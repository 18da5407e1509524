/// An error from the database layer: a code saying what kind of failure it was, the server's
/// SQLSTATE where there is one, and a message fit for an operator's log.
///
/// `description` carries no query parameters (they may be personal data); the server's detail
/// text is kept apart in ``detail``.
public struct PGError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The server could not be reached, or the connection broke; worth retrying later.
        public static let connectionFailed = Code(name: "connectionFailed")
        /// The server ran the statement and refused it (see ``PGError/sqlState``).
        public static let server = Code(name: "server")
        /// A value in a result row was null where a value was required, or not of the expected type.
        public static let decoding = Code(name: "decoding")
        /// A statement was used in a way the wrapper does not allow (e.g. nested transactions).
        public static let misuse = Code(name: "misuse")
        public var description: String { name }
    }

    public var code: Code
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    /// The constraint named by an integrity violation, where the server names one.
    public var constraint: String?

    public init(code: Code, message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
    }

    /// True when retrying the same work later may succeed: a broken connection, a serialization
    /// failure (40001), a deadlock (40P01), a statement cancelled by `statement_timeout` (57014),
    /// or the server going away (class 08, 57P0x).
    public var isTransient: Bool {
        if code == .connectionFailed { return true }
        guard let state = sqlState else { return false }
        return state == "40001" || state == "40P01" || state == "57014" || state.hasPrefix("08") || state.hasPrefix("57P")
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isExclusionViolation: Bool { sqlState == "23P01" }

    public var description: String {
        var text = "PGError.\(code)"
        if let sqlState { text += " [\(sqlState)]" }
        return text + ": \(message)"
    }
}
