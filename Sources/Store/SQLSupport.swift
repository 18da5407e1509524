import BookijiCore
import Postgres
/// Small SQL fragments shared by the stores.
enum SQLTime {
    /// A timestamptz column as epoch milliseconds; ``text(_:_:)`` renders it as RFC 3339 UTC
    /// with milliseconds. Formatting in Swift is several times cheaper than `to_char` on the
    /// server, which showed on the hottest read (`GET /v1/vendors/{id}`).
    static func rfc3339(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000)::bigint"
    }

    /// The column written by ``rfc3339(_:)`` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func text(_ row: PGRow, _ column: Int) throws -> String {
        format(millis: try row.int64(column))
    }

    static func optionalText(_ row: PGRow, _ column: Int) throws -> String? {
        try row.optional(Int64.self, column).map { format(millis: $0) }
    }

    static func format(millis: Int64) -> String { RFC3339.format(millis: millis) }

    /// A timestamptz column as epoch microseconds, its full precision; ``microsText(_:_:)``
    /// renders it. A list cursor needs every digit: with milliseconds, rows created in the same
    /// millisecond after the cursor's row (but before it in the order) were skipped.
    static func micros(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    /// The column written by ``micros(_:)`` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    static func microsText(_ row: PGRow, _ column: Int) throws -> String {
        let micros = try row.int64(column)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let digits = String(micros - seconds * 1_000_000)
        return String(RFC3339.format(seconds).dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
