/// A VEVENT reduced to what decides busy time.
struct EventComponent: Sendable {
    enum Status: Sendable { case confirmed, tentative, cancelled }

    enum End: Sendable {
        case none
        case dtend(DateTimeValue, line: Int)
        case duration(NominalDuration)
    }

    enum RDate: Sendable {
        case time(DateTimeValue)
        case period(PeriodValue)
    }

    var line: Int
    var uid: String?
    var sequence = 0
    var start: DateTimeValue?
    var end: End = .none
    var rules: [RecurrenceRule] = []
    var rdates: [RDate] = []
    var exdates: [DateTimeValue] = []
    var recurrenceID: DateTimeValue?
    var thisAndFuture = false
    var status: Status = .confirmed
    var transparent = false

    var isRecurring: Bool { !rules.isEmpty || !rdates.isEmpty }

    /// Every value that may carry a TZID, for resolving zones up front.
    var dateTimeValues: [DateTimeValue] {
        var out: [DateTimeValue] = []
        if let start { out.append(start) }
        if case .dtend(let v, _) = end { out.append(v) }
        if let recurrenceID { out.append(recurrenceID) }
        out.append(contentsOf: exdates)
        for r in rdates {
            switch r {
            case .time(let v): out.append(v)
            case .period(let p):
                out.append(p.start)
                if case .end(let e) = p.end { out.append(e) }
            }
        }
        return out
    }

    init(_ c: RawComponent) throws(ICalendarError) {
        line = c.beginLine
        var seen: [String: Int] = [:]
        func once(_ p: ContentLine) throws(ICalendarError) {
            if let first = seen[p.name] {
                throw ICalendarError(
                    .conflictingProperties, line: p.line,
                    "VEVENT has a second \(p.name) (the first is on line \(first)); it may appear only once")
            }
            seen[p.name] = p.line
        }
        var durationLine = 0
        for p in c.properties {
            switch p.name {
            case "UID":
                try once(p)
                uid = p.value
            case "SEQUENCE":
                try once(p)
                sequence = try ValueParser.integer(Substring(p.value), property: p.name, line: p.line)
            case "DTSTART":
                try once(p)
                start = try ValueParser.singleDateTime(p)
            case "DTEND":
                try once(p)
                end = .dtend(try ValueParser.singleDateTime(p), line: p.line)
            case "DURATION":
                try once(p)
                let d = try NominalDuration.parse(Substring(p.value), property: p.name, line: p.line)
                guard !d.isNegative else {
                    throw ICalendarError(.invalidValue, line: p.line, "DURATION '\(p.value)' is negative")
                }
                end = .duration(d)
                durationLine = p.line
            case "RRULE":
                rules.append(try RecurrenceRule.parse(p))
            case "RDATE":
                let isPeriod = p.parameter("VALUE")?.uppercased() == "PERIOD" || p.value.contains("/")
                if isPeriod {
                    for part in p.value.split(separator: ",") {
                        rdates.append(.period(try PeriodValue.parse(part, tzid: p.parameter("TZID"), property: p.name, line: p.line)))
                    }
                } else {
                    rdates.append(contentsOf: try ValueParser.dateTimes(p).map { RDate.time($0) })
                }
            case "EXDATE":
                exdates.append(contentsOf: try ValueParser.dateTimes(p))
            case "RECURRENCE-ID":
                try once(p)
                recurrenceID = try ValueParser.singleDateTime(p)
                thisAndFuture = p.parameter("RANGE")?.uppercased() == "THISANDFUTURE"
            case "STATUS":
                try once(p)
                switch p.value.uppercased() {
                case "CANCELLED": status = .cancelled
                case "TENTATIVE": status = .tentative
                default: status = .confirmed
                }
            case "TRANSP":
                try once(p)
                transparent = p.value.uppercased() == "TRANSPARENT"
            default:
                break
            }
        }
        if let dtendLine = seen["DTEND"], durationLine != 0 {
            throw ICalendarError(
                .conflictingProperties, line: max(dtendLine, durationLine),
                "VEVENT has both DTEND (line \(dtendLine)) and DURATION (line \(durationLine)); RFC 5545 allows only one")
        }
    }
}
