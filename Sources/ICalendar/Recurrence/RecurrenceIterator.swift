import CLibical

/// Walks the start times an RRULE produces, through libical's iterator.
///
/// Must be used with ``LibicalLock`` held. libical's iterator neither applies EXDATE nor UNTIL
/// here (UNTIL is stripped from ``RecurrenceRule/libicalText``): the expander does both.
enum RecurrenceIterator {
    /// Calls `body` with each start in wall-clock order until it returns `false` or the rule
    /// ends. DTSTART itself is not reported unless the rule matches it.
    /// - Parameters:
    ///   - skipTo: when given (and the rule has no COUNT), iteration starts at the first
    ///     occurrence at or after this wall-clock time instead of at DTSTART.
    static func forEach(
        _ rule: RecurrenceRule, start: LocalDateTime, isDate: Bool, skipTo: LocalDateTime?,
        _ body: (LocalDateTime) throws(ICalendarError) -> Bool
    ) throws(ICalendarError) {
        try RecurrenceCostGuard.check(rule, start: start)
        var first = start
        var useSetStart = false
        if let skipTo, rule.count == nil, start < skipTo {
            let unit = Int64(86_400 / rule.frequency.unitsPerDay)
            if rule.frequency.unitsPerDay > 1 {
                // libical's set_start loses the INTERVAL phase of sub-daily rules (measured:
                // HOURLY;INTERVAL=37 comes out shifted), so move DTSTART forward by whole
                // intervals instead: that is the same recurrence set from that point on.
                let step = unit * Int64(rule.interval)
                let jumps = (skipTo.localSeconds - start.localSeconds) / step
                first = LocalDateTime(localSeconds: start.localSeconds + jumps * step)
            } else {
                useSetStart = true
            }
        }
        let recurrence = icalrecurrencetype_from_string(rule.libicalText)
        guard let iterator = icalrecur_iterator_new(recurrence, icalTime(first, isDate: isDate)) else {
            throw ICalendarError(
                .invalidRecurrenceRule, line: rule.line,
                "libical cannot expand this RRULE (no date can match it, or its parts contradict each other)")
        }
        defer { icalrecur_iterator_free(iterator) }
        if useSetStart, let skipTo {
            _ = icalrecur_iterator_set_start(iterator, icalTime(skipTo, isDate: isDate))
        }
        while true {
            let t = icalrecur_iterator_next(iterator)
            if icaltime_is_null_time(t) != 0 { return }
            let local = LocalDateTime(
                year: Int(t.year), month: Int(t.month), day: Int(t.day),
                hour: isDate ? 0 : Int(t.hour), minute: isDate ? 0 : Int(t.minute), second: isDate ? 0 : Int(t.second))
            guard try body(local) else { return }
        }
    }

    private static func icalTime(_ local: LocalDateTime, isDate: Bool) -> icaltimetype {
        var t = icaltime_null_time()
        t.year = Int32(local.year)
        t.month = Int32(local.month)
        t.day = Int32(local.day)
        t.hour = isDate ? 0 : Int32(local.hour)
        t.minute = isDate ? 0 : Int32(local.minute)
        t.second = isDate ? 0 : Int32(local.second)
        t.is_date = isDate ? 1 : 0
        return t
    }
}
