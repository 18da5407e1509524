import Postgres

/// A failure in the persistence layer, in terms the layers above can act on: a code, a message
/// fit for an operator's log (no query parameters), and the SQLSTATE where the server gave one.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The database could not be reached or the connection broke; retrying later may work.
        public static let unavailable = Code(name: "unavailable")
        /// Two transactions collided (deadlock 40P01, serialization failure 40001); running the
        /// same work again may succeed.
        public static let conflict = Code(name: "conflict")
        /// An exclusion constraint refused the row (23P01): capacity 1 held by the database.
        public static let exclusionViolation = Code(name: "exclusionViolation")
        /// A unique constraint refused the row (23505).
        public static let uniqueViolation = Code(name: "uniqueViolation")
        /// The server refused a statement for another reason.
        public static let database = Code(name: "database")
        /// A hold on a vendor that has no payment settings.
        public static let notBookable = Code(name: "notBookable")
        public static let migration = Code(name: "migration")
        public static let invalidData = Code(name: "invalidData")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The five-character SQLSTATE, where the server gave one.
    public var sqlState: String?
    /// The constraint an integrity violation names, where the server names one.
    public var constraint: String?
    public var underlying: PGError?

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public init(_ code: Code, _ message: String, underlying: PGError?) {
        self.init(code, message, sqlState: underlying?.sqlState)
        self.underlying = underlying
        self.constraint = underlying?.constraint
    }

    /// The database error in Store's terms.
    init(translating error: PGError) {
        let code: Code
        if error.code == .connectionFailed || error.sqlState.map({ $0.hasPrefix("08") || $0.hasPrefix("57P") }) == true {
            code = .unavailable
        } else if error.sqlState == "40001" || error.sqlState == "40P01" {
            code = .conflict
        } else if error.isExclusionViolation {
            code = .exclusionViolation
        } else if error.isUniqueViolation {
            code = .uniqueViolation
        } else {
            code = .database
        }
        self.init(code, error.description, underlying: error)
    }

    /// True when the same work may succeed later: the database was unreachable, or the
    /// transaction collided with another.
    public var isTransient: Bool {
        code == .unavailable || code == .conflict || underlying?.isTransient == true
    }

    public var description: String { message }
}
