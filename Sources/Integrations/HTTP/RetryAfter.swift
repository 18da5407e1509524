import BookijiCore

/// Reads an HTTP `Retry-After` value (RFC 9110 §10.2.3): either a number of seconds or an
/// HTTP-date, which may be in any of the three formats recipients must accept (§5.6.7).
public enum RetryAfter {
    /// The delay the header asks for, in seconds from `now` (epoch seconds), never negative;
    /// nil when the value is not a valid `Retry-After`.
    public static func delay(_ value: String, now: Double) -> Double? {
        let text = value.trimmingSpaces()
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            // A huge digit string is still "wait a long time", not garbage.
            return Double(text) ?? Double.greatestFiniteMagnitude
        }
        guard let date = httpDate(text) else { return nil }
        return max(0, Double(date) - now)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Epoch seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), an obsolete RFC 850
    /// date (`Sunday, 06-Nov-94 08:49:37 GMT`) or an asctime date (`Sun Nov  6 08:49:37 1994`).
    public static func httpDate(_ text: String) -> Int64? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        var day: Int?, month: Int?, year: Int?, clock: (Int, Int, Int)?
        switch tokens.count {
        case 6 where tokens[5] == "GMT":  // IMF-fixdate
            day = Int(tokens[1])
            month = monthNumber(tokens[2])
            year = Int(tokens[3])
            clock = time(tokens[4])
        case 4 where tokens[3] == "GMT":  // RFC 850
            let parts = tokens[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let twoDigit = Int(parts[2]) else { return nil }
            day = Int(parts[0])
            month = monthNumber(parts[1])
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century;
            // free/busy only runs after 2000, so 00-69 is 20xx.
            year = twoDigit < 70 ? 2000 + twoDigit : 1900 + twoDigit
            clock = time(tokens[2])
        case 5:  // asctime
            month = monthNumber(tokens[1])
            day = Int(tokens[2])
            clock = time(tokens[3])
            year = Int(tokens[4])
        default:
            return nil
        }
        guard let day, let month, let year, let clock, (1...31).contains(day),
            day <= RFC3339.daysInMonth(year: year, month: month)
        else { return nil }
        let days = RFC3339.daysFromCivil(Int64(year), month, day)
        return days * 86_400 + Int64(clock.0 * 3600 + clock.1 * 60 + clock.2)
    }

    private static func monthNumber(_ token: String) -> Int? {
        months.firstIndex(of: token.lowercased()).map { $0 + 1 }
    }

    private static func time(_ token: String) -> (Int, Int, Int)? {
        let parts = token.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 3, parts[0] < 24, parts[1] < 60, parts[2] < 61 else { return nil }
        return (parts[0], parts[1], min(parts[2], 59))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
