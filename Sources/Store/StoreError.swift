import Postgres

/// A failure in the persistence layer that is not a plain database error.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable {
        let name: String
        public static let migration = Code(name: "migration")
        public static let invalidData = Code(name: "invalidData")
    }

    public var code: Code
    public var message: String
    public var underlying: PGError?

    public init(_ code: Code, _ message: String, underlying: PGError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
