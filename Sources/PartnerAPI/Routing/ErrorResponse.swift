import BookijiCore
import FastCGI
import Postgres
import Store

/// The one place that turns any error into the spec's error body and HTTP status:
/// `{"error":{"code","message","details"?,"retryable","retryAfter"?}}`.
public enum ErrorResponse {
    public static func make(_ error: BookijiError) -> HTTPResponse {
        var json = JSONWriter()
        json.objectStart()
        json.key("error")
        json.objectStart()
        json.field("code", error.code.rawValue)
        json.field("message", error.message)
        if !error.details.isEmpty {
            json.key("details")
            json.objectStart()
            for (name, value) in error.details.sorted(by: { $0.key < $1.key }) { json.field(name, value) }
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

    /// Classifies an arbitrary error. Database outages become 503 (retry shortly); anything we
    /// did not anticipate becomes 500 and is logged with its full description.
    public static func classify(_ error: any Error) -> BookijiError {
        switch error {
        case let error as BookijiError:
            return error
        case let error as PGError where error.isTransient:
            Log.error("transient database error: \(error)")
            return BookijiError(.serviceUnavailable, "the database is unavailable; retry shortly", retryAfter: 1)
        case let error as StoreError where error.underlying?.isTransient == true:
            return BookijiError(.serviceUnavailable, "the database is unavailable; retry shortly", retryAfter: 1)
        default:
            Log.error("unexpected error: \(String(reflecting: error))")
            return BookijiError(.internalError, "internal error; retry with backoff", retryAfter: 1)
        }
    }
}
