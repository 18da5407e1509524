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

    static func format(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = Int(millis - seconds * 1000)
        var text = RFC3339.format(seconds)
        text.removeLast()  // "Z"
        let digits = String(fraction)
        return text + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

/// Checks ids before they reach SQL, so a malformed id is "not found" rather than a cast error.
public enum UUIDText {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                let isHex = (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
                guard isHex else { return false }
            }
        }
        return true
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
