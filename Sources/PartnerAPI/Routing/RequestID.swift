import FastCGI

/// The id that ties a request's log lines and its answer together.
enum RequestID {
    /// The caller's `X-Request-Id` when it is 1 to 128 printable ASCII characters without
    /// spaces (so it cannot break a log line or a header), otherwise 16 random hex digits.
    static func of(_ request: HTTPRequest) -> String {
        if let given = request.header("x-request-id"), (1...128).contains(given.utf8.count),
           given.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return given
        }
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
