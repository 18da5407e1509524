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

    init(_ c: RawComponent, repairs: inout RepairLog) throws(ICalendarError) {
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
        var dtend: End?
        var duration: (value: NominalDuration, line: Int)?
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
                dtend = .dtend(try ValueParser.singleDateTime(p), line: p.line)
            case "DURATION":
                try once(p)
                let d = try NominalDuration.parse(Substring(p.value), property: p.name, line: p.line)
                guard !d.isNegative else {
                    throw ICalendarError(.invalidValue, line: p.line, "DURATION '\(p.value)' is negative")
                }
                duration = (d, p.line)
            case "RRULE":
                if p.value.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    try repairs.repair(
                        .emptyRecurrenceRule, line: p.line, "ignored an empty RRULE: the event has a single instance",
                        else: ICalendarError(.invalidRecurrenceRule, line: p.line, "RRULE '\(p.value)': FREQ is required"))
                    continue
                }
                rules.append(try RecurrenceRule.parse(p, repairs: &repairs))
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
        switch (dtend, duration) {
        case (let dtend?, let duration?):
            // Some clients write DURATION:PT0S beside the DTEND of moved instances.
            guard case .dtend(_, let dtendLine) = dtend else { break }
            try repairs.repair(
                .endAndDuration, line: duration.line,
                "VEVENT has both DTEND (line \(dtendLine)) and DURATION (line \(duration.line)): kept DTEND, dropped DURATION",
                else: ICalendarError(
                    .conflictingProperties, line: max(dtendLine, duration.line),
                    "VEVENT has both DTEND (line \(dtendLine)) and DURATION (line \(duration.line)); RFC 5545 allows only one"))
            end = dtend
        case (let dtend?, nil): end = dtend
        case (nil, let duration?): end = .duration(duration.value)
        case (nil, nil): end = .none
        }
    }
}

extension EventComponent {
    /// The event with DTSTART and DTEND exchanged when DTEND comes first, else the event itself.
    ///
    /// Needs the zones resolved (`instant`), so the expander calls it rather than the reader.
    /// The swapped event's recurrence set starts at the earlier time, as its author meant.
    func swappingReversedTimes(
        instant: (DateTimeValue) -> Int64, repairs: inout RepairLog
    ) throws(ICalendarError) -> EventComponent {
        guard let start, case .dtend(let endValue, let endLine) = end else { return self }
        let reversed = start.isDate && endValue.isDate
            ? endValue.local.dayNumber < start.local.dayNumber
            : instant(endValue) < instant(start)
        guard reversed else { return self }
        try repairs.repair(
            .endBeforeStart, line: endLine, "DTEND is before DTSTART (line \(start.line)): swapped them",
            else: ICalendarError(.invalidValue, line: endLine, "DTEND is before DTSTART (line \(start.line))"))
        var swapped = self
        swapped.start = endValue
        swapped.end = .dtend(start, line: start.line)
        return swapped
    }
}
