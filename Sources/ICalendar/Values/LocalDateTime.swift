import BookijiCore

/// A wall-clock date and time with no zone attached (or a date at midnight).
struct LocalDateTime: Sendable, Hashable, Comparable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    /// Seconds since 1970-01-01T00:00:00 of the same wall-clock reading, as if it were UTC.
    /// Zone conversion subtracts an offset from this.
    var localSeconds: Int64 {
        RFC3339.daysFromCivil(Int64(year), month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    var dayNumber: Int64 { RFC3339.daysFromCivil(Int64(year), month, day) }

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    init(localSeconds: Int64) {
        let days = localSeconds >= 0 ? localSeconds / 86_400 : (localSeconds - 86_399) / 86_400
        let rest = Int(localSeconds - days * 86_400)
        let (y, m, d) = RFC3339.civilFromDays(days)
        self.init(year: Int(y), month: m, day: d, hour: rest / 3600, minute: rest / 60 % 60, second: rest % 60)
    }

    /// The same wall-clock time `days` calendar days later (nominal days, RFC 5545 3.3.6).
    func addingDays(_ days: Int) -> LocalDateTime {
        var copy = LocalDateTime(localSeconds: (dayNumber + Int64(days)) * 86_400)
        copy.hour = hour
        copy.minute = minute
        copy.second = second
        return copy
    }

    static func < (a: LocalDateTime, b: LocalDateTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }
}
