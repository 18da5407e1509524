import BookijiCore

/// Turns events and free/busy periods into intervals over one window.
///
/// Runs with ``LibicalLock`` held (zone offsets and RRULE iteration call into libical).
struct CalendarExpander {
    let window: UTCInterval
    let floating: ZoneRules
    let zones: [String: ZoneRules]
    let limits: ExpansionLimits
    private(set) var intervals: [BusyInterval] = []
    private(set) var summary: ExpansionSummary
    private var totalOccurrences = 0

    /// How long one occurrence lasts.
    enum Span {
        /// Exact seconds (DTEND on a DATE-TIME event: RFC 5545 keeps the exact duration).
        case exact(Int64)
        /// Wall-clock days plus exact seconds (DURATION, and DATE events).
        case nominal(days: Int, seconds: Int64)

        var maximumSeconds: Int64 {
            switch self {
            case .exact(let s): return s
            case .nominal(let d, let s): return Int64(d) * 90_000 + s
            }
        }
    }

    init(window: UTCInterval, floating: ZoneRules, zones: [String: ZoneRules], limits: ExpansionLimits, summary: ExpansionSummary) {
        self.window = window
        self.floating = floating
        self.zones = zones
        self.limits = limits
        self.summary = summary
    }

    // MARK: Values

    func zone(of v: DateTimeValue) -> ZoneRules {
        if v.isDate { return floating }
        switch v.zone {
        case .utc: return .utc
        case .floating: return floating
        // Every TZID was resolved when the document was read.
        case .tzid(let t): return zones[t] ?? floating
        }
    }

    func instant(_ v: DateTimeValue) -> Int64 {
        zone(of: v).instant(forLocal: v.local.localSeconds)
    }

    func end(start: Int64, local: LocalDateTime, zone: ZoneRules, span: Span) -> Int64 {
        switch span {
        case .exact(let s):
            return start + s
        case .nominal(let days, let seconds):
            if days == 0 { return start + seconds }
            return zone.instant(forLocal: local.addingDays(days).localSeconds) + seconds
        }
    }

    /// RFC 5545 3.6.1: DTEND, or DURATION, or neither (a DATE lasts one day, a DATE-TIME none).
    func span(of e: EventComponent, start: DateTimeValue) throws(ICalendarError) -> Span {
        switch e.end {
        case .none:
            return start.isDate ? .nominal(days: 1, seconds: 0) : .exact(0)
        case .duration(let d):
            return .nominal(days: d.days, seconds: d.seconds)
        case .dtend(let end, let line):
            let span: Span
            if start.isDate, end.isDate {
                span = .nominal(days: Int(end.local.dayNumber - start.local.dayNumber), seconds: 0)
            } else {
                span = .exact(instant(end) - instant(start))
            }
            if span.maximumSeconds < 0 {
                throw ICalendarError(.invalidValue, line: line, "DTEND is before DTSTART (line \(start.line))")
            }
            return span
        }
    }

    // MARK: Events

    mutating func expand(events: [EventComponent], repairs: inout RepairLog) throws(ICalendarError) {
        summary.eventCount += events.count
        var events = events
        for i in events.indices {
            events[i] = try events[i].swappingReversedTimes(instant: instant, repairs: &repairs)
        }
        // Highest SEQUENCE wins per (UID, RECURRENCE-ID); on a tie the later copy wins.
        struct Key: Hashable {
            var uid: String
            var recurrence: Int64?
        }
        var chosen: [Key: Int] = [:]
        var order: [String] = []
        var seenUIDs = Set<String>()
        var standalone: [Int] = []
        for (i, e) in events.enumerated() {
            guard e.start != nil else {
                summary.skipped.append(SkippedItem(line: e.line, uid: e.uid, reason: .missingStart))
                continue
            }
            guard let uid = e.uid else {
                standalone.append(i)
                continue
            }
            let key = Key(uid: uid, recurrence: e.recurrenceID.map(instant))
            if let j = chosen[key] {
                let loser = e.sequence >= events[j].sequence ? j : i
                summary.skipped.append(SkippedItem(line: events[loser].line, uid: uid, reason: .superseded))
                if loser == j { chosen[key] = i }
            } else {
                chosen[key] = i
            }
            if seenUIDs.insert(uid).inserted { order.append(uid) }
        }
        var masters: [String: Int] = [:]
        var overrides: [String: [Int]] = [:]
        for (key, index) in chosen {
            if key.recurrence == nil { masters[key.uid] = index } else { overrides[key.uid, default: []].append(index) }
        }
        for uid in order {
            let master = masters[uid].map { events[$0] }
            var series = (overrides[uid] ?? []).sorted().map { events[$0] }
            if let master { series = try liveOverrides(series, of: master, repairs: &repairs) }
            try expandSeries(master: master, overrides: series)
        }
        for i in standalone {
            try expandSeries(master: events[i], overrides: [])
        }
    }

    private struct FutureOverride {
        var recurrence: Int64
        var delta: Int64
        var duration: Int64
        var blocks: BusyStatus?
    }

    /// A master (possibly recurring) with its RECURRENCE-ID overrides.
    private mutating func expandSeries(master: EventComponent?, overrides: [EventComponent]) throws(ICalendarError) {
        var replaced = Set<Int64>()
        var future: [FutureOverride] = []
        for o in overrides {
            guard let rid = o.recurrenceID, let start = o.start else { continue }
            let recurrence = instant(rid)
            replaced.insert(recurrence)
            let startInstant = instant(start)
            let overrideZone = zone(of: start)
            let endInstant = end(start: startInstant, local: start.local, zone: overrideZone, span: try span(of: o, start: start))
            let blocks = blocking(o, zeroLength: endInstant == startInstant)
            if let status = blocks {
                emit(start: startInstant, end: endInstant, status: status, uid: o.uid)
            }
            if o.thisAndFuture {
                future.append(FutureOverride(
                    recurrence: recurrence, delta: startInstant - recurrence, duration: endInstant - startInstant, blocks: blocks))
            }
        }
        guard let master, let start = master.start else { return }
        if master.isRecurring { summary.recurringEventCount += 1 }
        let span = try span(of: master, start: start)
        let masterZeroLength: Bool
        switch span {
        case .exact(let s): masterZeroLength = s == 0
        case .nominal(let d, let s): masterZeroLength = d == 0 && s == 0
        }
        let status = blocking(master, zeroLength: masterZeroLength && future.isEmpty)
        guard status != nil || !future.isEmpty else { return }
        future.sort { $0.recurrence < $1.recurrence }

        let masterZone = zone(of: start)
        let (exInstants, exDays) = exclusions(of: master, start: start)
        // Occurrences that start before `lower` or after `upper` cannot reach the window, even
        // when a THISANDFUTURE override moves or stretches them.
        var reach = span.maximumSeconds
        var earlier: Int64 = 0
        for f in future {
            reach = max(reach, f.delta + f.duration)
            earlier = max(earlier, -f.delta)
        }
        let lower = window.start - reach - 2 * 86_400
        let upper = window.end + earlier + 86_400

        // The recurrence set: DTSTART, every RRULE, every RDATE (RFC 5545 3.8.5).
        var candidates: [Candidate] = [
            Candidate(recurrence: masterZone.instant(forLocal: start.local.localSeconds), local: start.local, zone: masterZone, explicitEnd: nil)
        ]
        for rule in master.rules {
            try iterate(rule, start: start, zone: masterZone, lower: lower, upper: upper) { local, recurrence in
                candidates.append(Candidate(recurrence: recurrence, local: local, zone: masterZone, explicitEnd: nil))
            }
        }
        for r in master.rdates {
            switch r {
            case .time(let v):
                candidates.append(Candidate(recurrence: instant(v), local: v.local, zone: zone(of: v), explicitEnd: nil))
            case .period(let p):
                let s = instant(p.start)
                let e: Int64
                switch p.end {
                case .end(let v): e = instant(v)
                case .duration(let d):
                    e = end(start: s, local: p.start.local, zone: zone(of: p.start), span: .nominal(days: d.days, seconds: d.seconds))
                }
                candidates.append(Candidate(recurrence: s, local: p.start.local, zone: zone(of: p.start), explicitEnd: max(s, e)))
            }
        }

        var seen = Set<Int64>()
        for c in candidates {
            guard c.recurrence >= lower, c.recurrence <= upper, seen.insert(c.recurrence).inserted else { continue }
            if replaced.contains(c.recurrence) || exInstants.contains(c.recurrence) { continue }
            if !exDays.isEmpty, exDays.contains(LocalDateTime(localSeconds: masterZone.local(forInstant: c.recurrence)).dayNumber) {
                continue
            }
            if let f = lastFuture(future, atOrBefore: c.recurrence) {
                if let s = f.blocks {
                    emit(start: c.recurrence + f.delta, end: c.recurrence + f.delta + f.duration, status: s, uid: master.uid)
                }
                continue
            }
            guard let status else { continue }
            let endInstant = c.explicitEnd ?? end(start: c.recurrence, local: c.local, zone: c.zone, span: span)
            emit(start: c.recurrence, end: endInstant, status: status, uid: master.uid)
        }
    }

    /// EXDATE instants, and the days a DATE EXDATE removes from a timed series.
    private func exclusions(of master: EventComponent, start: DateTimeValue) -> (instants: Set<Int64>, days: Set<Int64>) {
        var instants = Set<Int64>()
        var days = Set<Int64>()
        for x in master.exdates {
            if x.isDate, !start.isDate { days.insert(x.local.dayNumber) } else { instants.insert(instant(x)) }
        }
        return (instants, days)
    }

    /// The overrides that still refer to an instance of `master`. A stale override is dropped
    /// (and reported) rather than left to bring back time its organizer removed:
    /// - its RECURRENCE-ID is in the master's EXDATE: the instance was deleted after it was moved;
    /// - its SEQUENCE is lower than the master's and the master's current recurrence set no longer
    ///   contains its RECURRENCE-ID: the series was edited (shortened) after the override was made.
    /// An override of an instance that still exists keeps moving it, whatever its SEQUENCE.
    private mutating func liveOverrides(
        _ overrides: [EventComponent], of master: EventComponent, repairs: inout RepairLog
    ) throws(ICalendarError) -> [EventComponent] {
        guard let start = master.start, !overrides.isEmpty else { return overrides }
        let masterZone = zone(of: start)
        let (exInstants, exDays) = exclusions(of: master, start: start)
        var live: [EventComponent] = []
        for o in overrides {
            guard let rid = o.recurrenceID else { continue }
            let recurrence = instant(rid)
            if exInstants.contains(recurrence)
                || (!exDays.isEmpty && exDays.contains(LocalDateTime(localSeconds: masterZone.local(forInstant: recurrence)).dayNumber))
            {
                try repairs.repair(
                    .staleOverride, line: rid.line,
                    "dropped the override: its RECURRENCE-ID is in the master's EXDATE (the instance was deleted; master on line \(master.line))",
                    else: ICalendarError(
                        .conflictingProperties, line: rid.line,
                        "RECURRENCE-ID overrides an instance that the master (line \(master.line)) excludes with EXDATE"))
                continue
            }
            if o.sequence < master.sequence, try !recurrenceSet(of: master, start: start, zone: masterZone, contains: recurrence) {
                try repairs.repair(
                    .staleOverride, line: rid.line,
                    "dropped the override: its SEQUENCE \(o.sequence) is below the master's \(master.sequence) (line \(master.line)), whose recurrence set no longer has this RECURRENCE-ID",
                    else: ICalendarError(
                        .conflictingProperties, line: rid.line,
                        "RECURRENCE-ID is not an instance of the master (line \(master.line)), which has a higher SEQUENCE (\(master.sequence) > \(o.sequence)): the override is stale"))
                continue
            }
            live.append(o)
        }
        return live
    }

    /// Whether DTSTART, an RDATE or an RRULE of `master` yields an occurrence starting at `recurrence`.
    private mutating func recurrenceSet(
        of master: EventComponent, start: DateTimeValue, zone: ZoneRules, contains recurrence: Int64
    ) throws(ICalendarError) -> Bool {
        if zone.instant(forLocal: start.local.localSeconds) == recurrence { return true }
        for r in master.rdates {
            switch r {
            case .time(let v): if instant(v) == recurrence { return true }
            case .period(let p): if instant(p.start) == recurrence { return true }
            }
        }
        for rule in master.rules {
            var found = false
            try iterate(rule, start: start, zone: zone, lower: recurrence, upper: recurrence) { _, instant in
                if instant == recurrence { found = true }
            }
            if found { return true }
        }
        return false
    }

    private struct Candidate {
        /// The occurrence's original start: its identity for EXDATE and RECURRENCE-ID.
        var recurrence: Int64
        var local: LocalDateTime
        var zone: ZoneRules
        var explicitEnd: Int64?
    }

    private func lastFuture(_ future: [FutureOverride], atOrBefore recurrence: Int64) -> FutureOverride? {
        var found: FutureOverride?
        for f in future {
            if f.recurrence <= recurrence { found = f } else { break }
        }
        return found
    }

    /// The status an event blocks time with, or `nil` (recording why) when it blocks none.
    private mutating func blocking(_ e: EventComponent, zeroLength: Bool) -> BusyStatus? {
        let reason: SkipReason?
        if e.status == .cancelled {
            reason = .cancelled
        } else if e.transparent {
            reason = .transparent
        } else if zeroLength {
            reason = .zeroLength
        } else {
            reason = nil
        }
        if let reason {
            summary.skipped.append(SkippedItem(line: e.line, uid: e.uid, reason: reason))
            return nil
        }
        return e.status == .tentative ? .tentative : .busy
    }

    /// Iterates one RRULE between `lower` and `upper` (instants), honouring UNTIL as an instant.
    private mutating func iterate(
        _ rule: RecurrenceRule, start: DateTimeValue, zone: ZoneRules, lower: Int64, upper: Int64,
        _ body: (LocalDateTime, Int64) -> Void
    ) throws(ICalendarError) {
        // Work on copies so that the closure below does not capture `self` while it is mutated.
        var beyondUntil: (LocalDateTime, Int64) -> Bool = { _, _ in false }
        if let until = rule.until {
            if until.isDate, start.isDate {
                let lastDay = until.local.dayNumber
                beyondUntil = { local, _ in local.dayNumber > lastDay }
            } else if until.isDate {
                // A DATE UNTIL on timed events (RFC 5545 wants a DATE-TIME there) ends the series
                // at the start of that day in the event's own wall clock, as libical reads it
                // (icaltime_compare puts a date before every time of its day): nothing on that day.
                let endDay = until.local.dayNumber
                beyondUntil = { local, _ in local.dayNumber >= endDay }
            } else {
                let limit = until.zone == .utc ? until.local.localSeconds : zone.instant(forLocal: until.local.localSeconds)
                beyondUntil = { _, instant in instant > limit }
            }
        }
        // Skipping ahead saves walking years of history; two days of margin cover any offset.
        let skipTo = LocalDateTime(localSeconds: lower - 86_400)
        var produced = 0
        var total = totalOccurrences
        let limits = self.limits
        defer { totalOccurrences = total }
        try RecurrenceIterator.forEach(rule, start: start.local, isDate: start.isDate, skipTo: skipTo) {
            (local: LocalDateTime) throws(ICalendarError) -> Bool in
            produced += 1
            total += 1
            if produced > limits.maxOccurrencesPerRule {
                throw ICalendarError(
                    .recurrenceTooLarge, line: rule.line,
                    "RRULE yields more than \(limits.maxOccurrencesPerRule) occurrences up to the end of the window; refusing to expand it")
            }
            if total > limits.maxTotalOccurrences {
                throw ICalendarError(
                    .recurrenceTooLarge, line: rule.line,
                    "the calendar's recurrences yield more than \(limits.maxTotalOccurrences) occurrences up to the end of the window; narrow the window")
            }
            let instant = zone.instant(forLocal: local.localSeconds)
            if beyondUntil(local, instant) || instant > upper { return false }
            body(local, instant)
            return true
        }
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: instants RFC 3339 output can show.
    static let earliestInstant: Int64 = -62_167_219_200
    static let latestInstant: Int64 = 253_402_300_799

    private mutating func emit(start: Int64, end: Int64, status: BusyStatus, uid: String?) {
        let end = min(end, Self.latestInstant)
        guard end > start, start >= Self.earliestInstant, start < window.end, end > window.start else { return }
        intervals.append(BusyInterval(start: start, end: end, status: status, uid: uid))
        summary.occurrenceCount += 1
    }

    // MARK: Free/busy

    mutating func expand(freeBusy: [FreeBusyPeriod]) {
        for f in freeBusy {
            let s = instant(f.period.start)
            let e: Int64
            switch f.period.end {
            case .end(let v): e = instant(v)
            case .duration(let d):
                e = end(start: s, local: f.period.start.local, zone: zone(of: f.period.start), span: .nominal(days: d.days, seconds: d.seconds))
            }
            let status: BusyStatus
            switch f.status {
            case .free: continue
            case .busy: status = .busy
            case .tentative: status = .tentative
            }
            let end = min(e, Self.latestInstant)
            guard end > s, s >= Self.earliestInstant, s < window.end, end > window.start else { continue }
            intervals.append(BusyInterval(start: s, end: end, status: status, uid: nil))
            summary.freeBusyPeriodCount += 1
        }
    }
}
