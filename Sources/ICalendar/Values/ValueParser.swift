import BookijiCore

/// Parsers for the value types the expander reads, with errors that name the line.
enum ValueParser {
    /// Parses one DATE (`YYYYMMDD`) or DATE-TIME (`YYYYMMDDTHHMMSS[Z]`) value.
    /// - Parameters:
    ///   - valueType: the `VALUE` parameter, if any (`DATE` or `DATE-TIME`).
    ///   - tzid: the `TZID` parameter, if any.
    static func dateTime(
        _ text: Substring, valueType: String?, tzid: String?, property: String, line: Int
    ) throws(ICalendarError) -> DateTimeValue {
        let b = Array(text.utf8)
        func fail(_ why: String) -> ICalendarError {
            ICalendarError(.invalidValue, line: line, "\(property): '\(text)' is not a valid date or date-time (\(why))")
        }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for k in from..<(from + count) {
                let c = b[k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 8, let year = number(0, 4), let month = number(4, 2), let day = number(6, 2) else {
            throw fail("expected YYYYMMDD")
        }
        guard (1...12).contains(month) else { throw fail("month \(month)") }
        guard day >= 1, day <= RFC3339.daysInMonth(year: year, month: month) else { throw fail("day \(day)") }
        if b.count == 8 {
            if let valueType, valueType.uppercased() == "DATE-TIME" { throw fail("VALUE=DATE-TIME needs a time") }
            return DateTimeValue(local: LocalDateTime(year: year, month: month, day: day), isDate: true, zone: .floating, line: line)
        }
        if let valueType, valueType.uppercased() == "DATE" { throw fail("VALUE=DATE must be YYYYMMDD") }
        guard b.count == 15 || b.count == 16, b[8] == UInt8(ascii: "T") || b[8] == UInt8(ascii: "t"),
            let hour = number(9, 2), let minute = number(11, 2), let second = number(13, 2)
        else { throw fail("expected YYYYMMDDTHHMMSS with an optional Z") }
        guard hour < 24, minute < 60, second <= 60 else { throw fail("time out of range") }
        var zone: ZoneReference = .floating
        if b.count == 16 {
            guard b[15] == UInt8(ascii: "Z") || b[15] == UInt8(ascii: "z") else { throw fail("only 'Z' may follow the time") }
            zone = .utc
        } else if let tzid {
            zone = .tzid(tzid)
        }
        // A leap second (60) is read as :59; calendars never mean a real leap second.
        let local = LocalDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        return DateTimeValue(local: local, isDate: false, zone: zone, line: line)
    }

    /// Parses a property holding one or more comma-separated DATE/DATE-TIME values.
    static func dateTimes(_ p: ContentLine) throws(ICalendarError) -> [DateTimeValue] {
        var out: [DateTimeValue] = []
        let tzid = p.parameter("TZID")
        let valueType = p.parameter("VALUE")
        for part in p.value.split(separator: ",", omittingEmptySubsequences: false) {
            out.append(try dateTime(part, valueType: valueType, tzid: tzid, property: p.name, line: p.line))
        }
        return out
    }

    /// Parses the single DATE/DATE-TIME value of `p`.
    static func singleDateTime(_ p: ContentLine) throws(ICalendarError) -> DateTimeValue {
        try dateTime(Substring(p.value), valueType: p.parameter("VALUE"), tzid: p.parameter("TZID"), property: p.name, line: p.line)
    }

    /// Parses a signed integer value (SEQUENCE, COUNT...).
    static func integer(_ text: Substring, property: String, line: Int) throws(ICalendarError) -> Int {
        guard let v = Int(text.trimmingSpaces), v > Int(Int32.min), v < Int(Int32.max) else {
            throw ICalendarError(.invalidValue, line: line, "\(property): '\(text)' is not an integer")
        }
        return v
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
