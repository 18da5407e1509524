import BookijiCore
import Coordinator
import FastCGI
import Logging
import Telemetry

/// The one place that turns any error into the spec's error body and HTTP status:
/// `{"error":{"code","message","details"?,"retryable","retryAfter"?}}`.
public enum ErrorResponse {
    public static func make(_ error: BookijiError) -> HTTPResponse {
        BookijiMetrics.apiError(code: error.code.rawValue)
        var json = JSONWriter()
        json.objectStart()
        json.key("error")
        json.objectStart()
        json.field("code", error.code.rawValue)
        json.field("message", error.message)
        if !error.details.isEmpty {
            json.key("details")
            json.objectStart()
            for (name, value) in error.details.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .text(let text): json.field(name, text)
                case .number(let number): json.field(name, number)
                case .list(let list):
                    json.key(name)
                    json.arrayStart()
                    for item in list { json.string(item) }
                    json.arrayEnd()
                }
            }
            json.objectEnd()
        }
        json.field("retryable", error.code.isRetryable)
        if let retryAfter = error.retryAfter { json.field("retryAfter", retryAfter) }
        json.objectEnd()
        json.objectEnd()
        var response = HTTPResponse(status: error.code.httpStatus, json: json.bytes)
        if let retryAfter = error.retryAfter { response.addHeader("Retry-After", String(retryAfter)) }
        if error.code.httpStatus >= 500 || error.code.httpStatus == 429 { response.addHeader("Cache-Control", "no-store") }
        return response
    }

    /// A 401 with its RFC 6750 challenge: `WWW-Authenticate: Bearer realm="bookiji"`, plus
    /// `error="invalid_token"` when a credential was sent and is not a valid key, so a client
    /// library knows to ask for a new key rather than to send one.
    public static func challenge(_ error: BookijiError, keyGiven: Bool) -> HTTPResponse {
        var response = make(error)
        response.addHeader("WWW-Authenticate", keyGiven ? #"Bearer realm="bookiji", error="invalid_token""# : #"Bearer realm="bookiji""#)
        return response
    }

    /// Classifies an arbitrary error: a ``BookijiError`` is shown as it is; anything else was not
    /// anticipated and becomes 500. Failures on our side (5xx) are logged with their cause, on
    /// one line, except an unreachable database: ``DatabaseOutage`` logs when that starts and
    /// ends, and the request lines show which requests it failed.
    public static func classify(_ error: any Error, logger: Logger = Self.logger) -> BookijiError {
        guard let known = error as? BookijiError else {
            logger.error("unexpected error", metadata: ["error": "\(DatabaseOutage.oneLine(String(reflecting: error)))"])
            return BookijiError(.internalError, "internal error; retry with backoff", retryAfter: 1, underlying: error)
        }
        if (known.code == .internalError || known.code == .serviceUnavailable) && !known.isDatabaseOutage {
            logger.error("\(known.code.rawValue)", metadata: ["error": "\(DatabaseOutage.oneLine(known.debugDescription))"])
        }
        return known
    }

    public static let logger = Logger(label: "bookiji.api")
}
