/// Why a key could not be loaded or a sealed token could not be opened.
public struct TokenSealingError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The key's environment variable is not set or empty.
        public static let missingKey = Code("missing_key")
        /// The key is not base64 or not 32 bytes.
        public static let invalidKey = Code("invalid_key")
        /// The text is not something ``TokenSealer/seal(_:context:)`` produced.
        public static let malformed = Code("malformed")
        /// Sealed under a different key (its key id differs): rotated or misconfigured key.
        public static let wrongKey = Code("wrong_key")
        /// The key matches but the authentication tag does not: the stored value was altered,
        /// or opened with a different context than it was sealed with.
        public static let authenticationFailed = Code("authentication_failed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
