import FastCGI

/// The id that ties a request's log lines and its answer together.
///
/// nginx decides it (`$bookiji_request_id` in nginx/conf.d/bookiji.conf): the caller's
/// `X-Request-Id` when usable, otherwise nginx's `$request_id`, passed to the responder as the
/// `X-Request-Id` header in place of the caller's. nginx's own error answers carry the same id, so
/// one id finds a request's log lines whichever side answered it. The responder applies the same
/// rule itself, so that a request that reaches it without nginx's header (another front end, a
/// test over the socket) still gets an id of the same form.
enum RequestID {
    /// The longest id taken from a caller, as nginx's map allows.
    static let maximumLength = 128

    /// The request's `X-Request-Id` when it is 1 to ``maximumLength`` printable ASCII characters
    /// without spaces (so it cannot break a log line or a header), otherwise 32 random hex digits,
    /// the form of nginx's `$request_id`.
    static func of(_ request: HTTPRequest) -> String {
        if let given = request.header("x-request-id"), (1...maximumLength).contains(given.utf8.count),
           given.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return given
        }
        return generated()
    }

    /// 128 random bits as 32 lowercase hex digits, like nginx's `$request_id`.
    static func generated() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next() as UInt64) + hex(generator.next() as UInt64)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
