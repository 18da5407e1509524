/// Why a connector sync or connect could not start (nothing was fetched or written).
///
/// A sync that started and then failed is not thrown: it comes back as a
/// ``ConnectorSyncReport`` with outcome `failed`, after being recorded on the source.
public struct ConnectorSyncError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A bad flag value: unknown provider, no calendars, empty window.
        public static let invalidArgument = Code("invalid-argument")
        public static let vendorNotFound = Code("vendor-not-found")
        public static let sourceNotFound = Code("source-not-found")
        /// The named source exists with another kind.
        public static let sourceKindMismatch = Code("source-kind-mismatch")
        /// The source was never connected (no usable config).
        public static let notConnected = Code("not-connected")
        /// `BOOKIJI_TOKEN_KEY` missing or malformed, or an environment variable named for a secret unset.
        public static let configuration = Code("configuration")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
