import BookijiCore
import CLibical
import Testing

@testable import ICalendar

/// libical's expansion of a file, series by series, with the overrides applied.
enum LibicalReference {
    /// Where we differ from libical on purpose; a series showing one is not compared.
    enum Difference: String, CaseIterable {
        /// libical's foreach_recurrence knows no overrides, and the reference applies them one
        /// instance at a time: RANGE=THISANDFUTURE shifts are ours alone.
        case thisAndFuture = "RANGE=THISANDFUTURE"
        /// A TZID libical cannot resolve (a Windows name such as "W. Europe Standard Time" without
        /// a VTIMEZONE, a prefixed IANA name) is silently floating (UTC) in libical; we map it.
        case unresolvedTZID = "TZID libical reads as floating"
        /// "TODO: We do not handle RDATEs with explicit periods" (libical's header).
        case rdatePeriod = "RDATE;VALUE=PERIOD"
        /// libical applies the first instance's length in seconds to every instance; a DURATION
        /// with days or weeks is nominal (RFC 5545 3.3.6): across a DST change we keep the wall
        /// clock length.
        case nominalDuration = "DURATION in days across DST"
        /// A DTSTART its RRULE does not yield (BYMINUTE=5 on a 10:00 start, an UNTIL before
        /// DTSTART, a rule no date matches): RFC 5545 3.8.5.3 leaves that set undefined. We keep
        /// DTSTART as the first instance (as dateutil and recurring-ical-events do); libical 3.0
        /// leaves it out.
        case unsynchronizedStart = "DTSTART its RRULE does not yield"
        /// A DTSTART or DTEND wall-clock time that falls into a DST gap or overlap on some day of
        /// the window. RFC 5545 3.3.5: a time in a gap is read with the offset before it, an
        /// ambiguous one is its first occurrence. libical 3.0 reads an ambiguous time as the
        /// second occurrence, and once its iterator meets the gap it keeps every later instance
        /// an hour late (02:30 becomes 03:30 for the rest of the series).
        case wallClockInDSTTransition = "wall-clock time in a DST gap or overlap"
    }

    struct Occurrence {
        var interval: BusyInterval
        /// Line of the BEGIN:VEVENT that produced it.
        var line: Int
    }

    struct Expansion {
        /// By UID ("" for events without one).
        var series: [String: [Occurrence]] = [:]
        var differences: [String: Set<Difference>] = [:]
        var ianaBlocksStripped = 0
        var text = ""
        /// Zoned DTSTART/DTEND times of day (seconds after local midnight), by UID.
        var wallClocks: [String: [(zone: String, secondOfDay: Int64)]] = [:]

        /// Whether a wall-clock time of the series falls into a DST gap or overlap of an IANA
        /// zone within `window` (only asked when a series differs: it scans the window by day).
        func touchesDSTTransition(_ uid: String, within window: UTCInterval) -> Bool {
            LibicalLock.withLock {
                guard let calendar = icalparser_parse_string(text) else { return false }
                defer { icalcomponent_free(calendar) }
                for (name, secondOfDay) in wallClocks[uid] ?? [] {
                    let embedded = icalcomponent_get_timezone(calendar, name).map { ZoneRules(name: name, zone: $0, owned: false) }
                    guard let zone = TimeZoneResolver.ianaZone(named: name) ?? embedded else { continue }
                    var t = window.start - 86_400
                    while t < window.end + 86_400 {
                        let before = zone.offset(atUTC: t)
                        let after = zone.offset(atUTC: t + 86_400)
                        if before != after {
                            var lo = t
                            var hi = t + 86_400
                            while hi - lo > 1 {
                                let mid = lo + (hi - lo) / 2
                                if zone.offset(atUTC: mid) == before { lo = mid } else { hi = mid }
                            }
                            // Local readings [from, to) are skipped (gap) or repeated (overlap).
                            let from = hi + min(before, after)
                            let to = hi + max(before, after)
                            let day = from >= 0 ? from / 86_400 : (from - 86_399) / 86_400
                            for d in [day, day + 1] where (from..<to).contains(d * 86_400 + secondOfDay) { return true }
                        }
                        t += 86_400
                    }
                }
                return false
            }
        }
    }

    enum Outcome: Hashable, CustomStringConvertible {
        case compared
        case oursRefused
        case oursRepaired
        case libicalRefused
        var description: String {
            switch self {
            case .compared: return "compared"
            case .oursRefused: return "we refuse it"
            case .oursRepaired: return "we repair it (libical reads the damage its own way)"
            case .libicalRefused: return "libical reports errors"
            }
        }
    }

    struct Tally: CustomStringConvertible {
        var agreeingSeries = 0
        var explained: [Difference: Int] = [:]
        var staleOverridesRemoved = 0
        var ianaBlocksStripped = 0
        var mismatches: [String] = []
        var description: String {
            "agreeing series \(agreeingSeries), explained \(explained.map { "\($0.key.rawValue): \($0.value)" }), stale overrides \(staleOverridesRemoved), IANA blocks stripped \(ianaBlocksStripped)"
        }
    }

    /// Expands `bytes` with both and compares each series, recording the result in `tally`.
    ///
    /// Both read the file without `X-WR-TIMEZONE` (libical ignores it; floating times are UTC in
    /// both) and without VFREEBUSY (not part of libical's recurrence expansion), and libical
    /// without VTIMEZONE blocks whose TZID is an IANA name (we read those from tzdata: see
    /// ``SemanticsTests``).
    static func compare(_ input: [UInt8], over window: UTCInterval, tally: inout Tally) -> Outcome {
        var inFreeBusy = false
        let bytes = removingLines(input) { line in
            if line.starts(with: Array("BEGIN:VFREEBUSY".utf8)) { inFreeBusy = true }
            defer { if line.starts(with: Array("END:VFREEBUSY".utf8)) { inFreeBusy = false } }
            return inFreeBusy || line.starts(with: Array("X-WR-TIMEZONE".utf8))
        }
        let ours: CalendarExpansion
        do {
            ours = try ICalendarDocument(bytes: bytes).expand(over: window)
        } catch {
            return .oursRefused
        }
        if ours.summary.repaired.contains(where: { $0.kind != .staleOverride }) { return .oursRepaired }
        guard let reference = expand(bytes, over: window, stripIANAZones: true) else { return .libicalRefused }
        tally.ianaBlocksStripped += reference.ianaBlocksStripped
        // A stale override is reported on its RECURRENCE-ID line: find the VEVENT holding it.
        let begins = beginLines(bytes)
        let stale = Set(ours.summary.repaired.filter { $0.kind == .staleOverride }.compactMap { item in begins.last { $0 <= item.line } })
        var ourSeries: [String: [BusyInterval]] = [:]
        for i in ours.intervals { ourSeries[i.uid ?? "", default: []].append(i) }
        for uid in Set(ourSeries.keys).union(reference.series.keys).sorted() {
            let occurrences = reference.series[uid] ?? []
            let theirs = occurrences.filter { !stale.contains($0.line) }.map(\.interval).sorted()
            tally.staleOverridesRemoved += Set(occurrences.filter { stale.contains($0.line) }.map(\.line)).count
            let mine = (ourSeries[uid] ?? []).sorted()
            var why = reference.differences[uid] ?? []
            if mine != theirs, why.isEmpty, reference.touchesDSTTransition(uid, within: window) { why.insert(.wallClockInDSTTransition) }
            if mine == theirs {
                tally.agreeingSeries += 1
            } else if !why.isEmpty {
                for d in why { tally.explained[d, default: 0] += 1 }
            } else {
                tally.mismatches.append("""
                    series '\(uid)': ours \(mine.map(show)) libical \(theirs.map(show)) in:
                    \(String(decoding: bytes, as: UTF8.self))
                    """)
            }
        }
        return .compared
    }

    static func show(_ i: BusyInterval) -> String {
        "\(RFC3339.format(i.interval.start))/\(RFC3339.format(i.interval.end))\(i.status == .tentative ? "?" : "")"
    }

    static func removingLines(_ bytes: [UInt8], where drop: (ArraySlice<UInt8>) -> Bool) -> [UInt8] {
        Array(bytes.split(separator: 0x0A, omittingEmptySubsequences: false).filter { !drop($0) }.joined(separator: [0x0A]))
    }

    /// libical's reading, or `nil` when libical reports errors in the file.
    static func expand(_ bytes: [UInt8], over window: UTCInterval, stripIANAZones: Bool) -> Expansion? {
        let text = String(decoding: bytes, as: UTF8.self)
        return LibicalLock.withLock { () -> Expansion? in
            guard let calendar = icalparser_parse_string(text) else { return nil }
            defer { icalcomponent_free(calendar) }
            guard icalcomponent_isa(calendar) == ICAL_VCALENDAR_COMPONENT, icalcomponent_count_errors(calendar) == 0 else { return nil }
            var result = Expansion()
            result.text = text
            if stripIANAZones {
                var iana: [OpaquePointer] = []
                var z = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT)
                while let zone = z {
                    if let p = icalcomponent_get_first_property(zone, ICAL_TZID_PROPERTY), let tzid = icalproperty_get_tzid(p),
                        TimeZoneResolver.ianaZone(named: String(cString: tzid)) != nil
                    {
                        iana.append(zone)
                    }
                    z = icalcomponent_get_next_component(calendar, ICAL_VTIMEZONE_COMPONENT)
                }
                for zone in iana {
                    icalcomponent_remove_component(calendar, zone)
                    icalcomponent_free(zone)
                }
                result.ianaBlocksStripped = iana.count
            }
            let lines = beginLines(bytes)
            var events: [Event] = []
            var e = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT)
            while let event = e {
                events.append(Event(event, calendar: calendar, line: events.count < lines.count ? lines[events.count] : 0))
                e = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)
            }
            // Highest SEQUENCE per (UID, RECURRENCE-ID); the later copy on a tie.
            struct Key: Hashable {
                var uid: String
                var recurrence: Int64?
            }
            var chosen: [Key: Int] = [:]
            var standalone: [Int] = []
            for (i, event) in events.enumerated() where event.hasStart {
                guard let uid = event.uid else {
                    standalone.append(i)
                    continue
                }
                let key = Key(uid: uid, recurrence: event.recurrenceID)
                if let j = chosen[key], events[j].sequence > event.sequence { continue }
                chosen[key] = i
            }
            let lower = window.start - 86_400
            let upper = window.end + 86_400
            var replaced: [String: Set<Int64>] = [:]
            for (key, _) in chosen { if let r = key.recurrence { replaced[key.uid, default: []].insert(r) } }
            for (key, i) in chosen.sorted(by: { $0.value < $1.value }) {
                let event = events[i]
                result.differences[key.uid, default: []].formUnion(event.differences)
                result.wallClocks[key.uid, default: []] += event.wallClocks
                let removed = key.recurrence == nil ? replaced[key.uid] ?? [] : []
                let spans = event.spans(lower: lower, upper: upper).filter { !removed.contains($0.start) }
                result.series[key.uid, default: []] += event.occurrences(spans, window: window)
            }
            for i in standalone {
                let event = events[i]
                result.differences["", default: []].formUnion(event.differences)
                result.series["", default: []] += event.occurrences(event.spans(lower: lower, upper: upper), window: window)
            }
            result.series = result.series.filter { !$0.value.isEmpty }
            return result
        }
    }

    /// Physical line numbers of the BEGIN:VEVENT lines, in file order.
    static func beginLines(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = []
        for (n, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var l = line
            if l.last == 0x0D { l = l.dropLast() }
            if l.elementsEqual("BEGIN:VEVENT".utf8) { out.append(n + 1) }
        }
        return out
    }

    /// One VEVENT as libical reads it.
    struct Event {
        let component: OpaquePointer
        let line: Int
        let uid: String?
        let sequence: Int
        let recurrenceID: Int64?
        let hasStart: Bool
        let isDate: Bool
        let hasEnd: Bool
        let status: BusyStatus?
        var differences = Set<Difference>()
        var wallClocks: [(zone: String, secondOfDay: Int64)] = []

        init(_ c: OpaquePointer, calendar: OpaquePointer, line: Int) {
            component = c
            self.line = line
            uid = icalcomponent_get_uid(c).map { String(cString: $0) }
            sequence = Int(icalcomponent_get_sequence(c))
            let start = icalcomponent_get_dtstart(c)
            hasStart = icaltime_is_null_time(start) == 0
            isDate = icaltime_is_date(start) != 0
            hasEnd = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY) != nil
                || icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY) != nil
            var rid: Int64?
            if let p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY) {
                rid = Self.instant(icalproperty_get_datetime_with_component(p, c), property: p)
                if let range = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER),
                    icalparameter_get_range(range) == ICAL_RANGE_THISANDFUTURE
                {
                    differences.insert(.thisAndFuture)
                }
            }
            recurrenceID = rid
            let transparent = icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY).map {
                icalproperty_get_transp($0) == ICAL_TRANSP_TRANSPARENT
            } ?? false
            switch icalcomponent_get_status(c) {
            case ICAL_STATUS_CANCELLED: status = nil
            case _ where transparent: status = nil
            case ICAL_STATUS_TENTATIVE: status = .tentative
            default: status = .busy
            }
            var r = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY)
            while let rule = r {
                if let iterator = icalrecur_iterator_new(icalproperty_get_rrule(rule), start) {
                    let first = icalrecur_iterator_next(iterator)
                    if icaltime_is_null_time(first) != 0 || icaltime_compare(first, start) != 0 { differences.insert(.unsynchronizedStart) }
                    icalrecur_iterator_free(iterator)
                } else {
                    differences.insert(.unsynchronizedStart)
                }
                r = icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY)
            }
            var p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY)
            while let property = p {
                if let tz = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER), let name = icalparameter_get_tzid(tz) {
                    let tzid = String(cString: name)
                    let kind = icalproperty_isa(property)
                    if kind == ICAL_DTSTART_PROPERTY || kind == ICAL_DTEND_PROPERTY {
                        let t = kind == ICAL_DTSTART_PROPERTY ? icalproperty_get_dtstart(property) : icalproperty_get_dtend(property)
                        wallClocks.append((tzid, Int64(t.hour) * 3_600 + Int64(t.minute) * 60 + Int64(t.second)))
                    }
                    if icalcomponent_get_timezone(calendar, tzid) == nil, TimeZoneResolver.ianaZone(named: tzid) == nil {
                        differences.insert(.unresolvedTZID)
                    }
                }
                if icalproperty_isa(property) == ICAL_RDATE_PROPERTY, icaltime_is_null_time(icalproperty_get_rdate(property).time) != 0 {
                    differences.insert(.rdatePeriod)
                }
                if icalproperty_isa(property) == ICAL_DURATION_PROPERTY {
                    let d = icalproperty_get_duration(property)
                    if d.days != 0 || d.weeks != 0 { differences.insert(.nominalDuration) }
                }
                p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)
            }
        }

        static func instant(_ t: icaltimetype, property: OpaquePointer) -> Int64? {
            guard icaltime_is_null_time(t) == 0 else { return nil }
            if let zone = t.zone { return Int64(icaltime_as_timet_with_zone(t, zone)) }
            if let tz = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER), let name = icalparameter_get_tzid(tz),
                TimeZoneResolver.ianaZone(named: String(cString: name)) != nil,
                let zone = icaltimezone_get_builtin_timezone(name)
            {
                return Int64(icaltime_as_timet_with_zone(t, zone))
            }
            return Int64(icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()))
        }

        /// libical's spans for this component between `lower` and `upper` (UTC seconds).
        func spans(lower: Int64, upper: Int64) -> [(start: Int64, end: Int64)] {
            let box = SpanCollector()
            let utc = icaltimezone_get_utc_timezone()
            icalcomponent_foreach_recurrence(
                component, icaltime_from_timet_with_zone(time_t(lower), 0, utc), icaltime_from_timet_with_zone(time_t(upper), 0, utc),
                { _, span, data in
                    guard let span, let data else { return }
                    Unmanaged<SpanCollector>.fromOpaque(data).takeUnretainedValue().spans.append((Int64(span.pointee.start), Int64(span.pointee.end)))
                }, Unmanaged.passUnretained(box).toOpaque())
            var seen = Set<Int64>()
            // "We do not filter out duplicate RRULES/RDATES" (libical's header): an instance that
            // both DTSTART and an RDATE yield is one instance (RFC 5545 3.8.5.2).
            return box.spans.filter { seen.insert($0.start).inserted }.map { s in
                guard isDate else { return s }
                // libical stretches DATE spans to 23:59:59 of their last day: DTEND is exclusive
                // (RFC 5545 3.6.1), and an all-day event without DTEND lasts one day.
                return hasEnd ? (s.start, s.end - 86_399) : (s.start, s.start + 86_400)
            }
        }

        func occurrences(_ spans: [(start: Int64, end: Int64)], window: UTCInterval) -> [Occurrence] {
            guard let status else { return [] }
            return spans.filter { $0.end > $0.start && $0.start < window.end && $0.end > window.start }.map {
                Occurrence(interval: BusyInterval(start: $0.start, end: $0.end, status: status, uid: uid), line: line)
            }
        }
    }
}

/// Receives libical's spans through the C callback's context pointer.
final class SpanCollector {
    var spans: [(start: Int64, end: Int64)] = []
}
