import BookijiCore

/// The POSIX TZ string at the end of a TZif file (RFC 8536 §3.3), e.g.
/// `CET-1CEST,M3.5.0,M10.5.0/3` or `<+1030>-10:30<+11>-11,M10.1.0,M4.1.0`. It gives the zone's
/// rule for every year after the file's last explicit transition.
struct PosixTZRule: Sendable, Equatable {
    /// When in a year a change happens.
    enum Day: Sendable, Equatable {
        /// `Jn`: day 1...365, February 29 never counted.
        case julianNoLeap(Int)
        /// `n`: day 0...365, February 29 counted in leap years.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (1...5, 5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    struct Change: Sendable, Equatable {
        var day: Day
        /// Local wall-clock seconds after midnight (may be negative or past 24h, RFC 8536).
        var time: Int
    }

    /// UTC offset of standard time, seconds east of Greenwich.
    var standardOffset: Int
    /// UTC offset during DST, when the zone has DST.
    var daylightOffset: Int?
    var dstStart: Change?
    var dstEnd: Change?

    /// Parses the TZ string; nil for malformed text.
    init?(_ text: String) {
        var p = Parser(bytes: Array(text.utf8))
        guard p.skipName(), let std = p.offset() else { return nil }
        standardOffset = -std
        guard !p.atEnd else { return }
        guard p.skipName() else { return nil }
        var dst = standardOffset + 3600
        if !p.atEnd && p.peek != UInt8(ascii: ",") {
            guard let explicit = p.offset() else { return nil }
            dst = -explicit
        }
        daylightOffset = dst
        if p.atEnd {
            // POSIX leaves the default rule to the implementation; tzcode uses the US rule.
            dstStart = Change(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200)
            dstEnd = Change(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
            return
        }
        guard p.eat(","), let start = p.change(), p.eat(","), let end = p.change(), p.atEnd else { return nil }
        dstStart = start
        dstEnd = end
    }

    /// The offset changes this rule makes during `year`, in UTC, as (instant, offset after).
    func transitions(in year: Int) -> [(at: Int64, offset: Int)] {
        guard let dst = daylightOffset, let start = dstStart, let end = dstEnd else { return [] }
        // A change's wall time is read on the clock that was in force just before it.
        let on = Self.dayNumber(start.day, year: year) * 86_400 + Int64(start.time) - Int64(standardOffset)
        let off = Self.dayNumber(end.day, year: year) * 86_400 + Int64(end.time) - Int64(dst)
        return [(on, dst), (off, standardOffset)]
    }

    /// Days since 1970-01-01 of the rule's day in `year`.
    static func dayNumber(_ day: Day, year: Int) -> Int64 {
        let jan1 = RFC3339.daysFromCivil(Int64(year), 1, 1)
        let leap = RFC3339.daysInMonth(year: year, month: 2) == 29
        switch day {
        case .julianNoLeap(let n):
            return jan1 + Int64(n - 1) + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            return jan1 + Int64(n)
        case .monthWeekDay(let month, let week, let weekday):
            let first = RFC3339.daysFromCivil(Int64(year), month, 1)
            let firstWeekday = Int(((first + 4) % 7 + 7) % 7)  // 0 = Sunday; 1970-01-01 was a Thursday
            var day = first + Int64((weekday - firstWeekday + 7) % 7) + Int64((week - 1) * 7)
            let length = Int64(RFC3339.daysInMonth(year: year, month: month))
            while day >= first + length { day -= 7 }
            return day
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8 { bytes[i] }

        mutating func eat(_ c: Character) -> Bool {
            guard !atEnd, peek == c.asciiValue! else { return false }
            i += 1
            return true
        }

        /// `<...>` or three or more letters.
        mutating func skipName() -> Bool {
            if eat("<") {
                while !atEnd && peek != UInt8(ascii: ">") { i += 1 }
                return eat(">")
            }
            let start = i
            while !atEnd, (peek | 0x20) >= UInt8(ascii: "a"), (peek | 0x20) <= UInt8(ascii: "z") { i += 1 }
            return i - start >= 3
        }

        mutating func number() -> Int? {
            let start = i
            var v = 0
            while !atEnd, peek >= 48, peek <= 57 {
                v = v * 10 + Int(peek - 48)
                i += 1
            }
            return i > start ? v : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds, sign as written.
        mutating func offset() -> Int? {
            var sign = 1
            if eat("-") { sign = -1 } else { _ = eat("+") }
            guard let h = number(), h <= 167 else { return nil }
            var seconds = h * 3600
            if eat(":") {
                guard let m = number(), m < 60 else { return nil }
                seconds += m * 60
                if eat(":") {
                    guard let s = number(), s < 60 else { return nil }
                    seconds += s
                }
            }
            return sign * seconds
        }

        mutating func change() -> Change? {
            let day: Day
            if eat("J") {
                guard let n = number(), (1...365).contains(n) else { return nil }
                day = .julianNoLeap(n)
            } else if eat("M") {
                guard let m = number(), (1...12).contains(m), eat("."), let w = number(), (1...5).contains(w),
                      eat("."), let d = number(), (0...6).contains(d) else { return nil }
                day = .monthWeekDay(month: m, week: w, weekday: d)
            } else {
                guard let n = number(), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var time = 7200
            if eat("/") {
                guard let t = offset() else { return nil }
                time = t
            }
            return Change(day: day, time: time)
        }
    }
}
