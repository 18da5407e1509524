import CLibical

/// Turns TZID strings into ``ZoneRules``: an IANA name the system zoneinfo knows (or a UTC alias)
/// from the system, even when the file embeds a VTIMEZONE of that name; otherwise the file's own
/// VTIMEZONE (RFC 5545), then Windows names (Outlook), then IANA names behind a vendor prefix such
/// as `/mozilla.org/20050126_1/Europe/Berlin`. A name none of these know is an error: libical
/// alone would silently read such times as floating.
///
/// Why tzdata over the file for IANA names: exporters embed truncated definitions (only the
/// rules in force since some recent year), so older events in the same file would shift by the
/// DST hour; Google, Apple and Thunderbird also read IANA TZIDs from their own tzdata.
///
/// Must be used with ``LibicalLock`` held.
struct TimeZoneResolver {
    private var vtimezones: [String: RawComponent]
    private var resolved: [String: ZoneRules] = [:]

    init(vtimezones: [RawComponent]) throws(ICalendarError) {
        var byTZID: [String: RawComponent] = [:]
        for component in vtimezones {
            guard let tzid = component.first("TZID")?.value, !tzid.isEmpty else {
                throw ICalendarError(.invalidValue, line: component.beginLine, "VTIMEZONE without a TZID")
            }
            try Self.validate(component)
            byTZID[tzid] = component
            // TZID is a TEXT value: Outlook escapes the commas of its display names there, while
            // the TZID parameters that refer to it carry them quoted and unescaped.
            let unescaped = tzid.replacing("\\,", with: ",").replacing("\\;", with: ";")
            if byTZID[unescaped] == nil { byTZID[unescaped] = component }
        }
        self.vtimezones = byTZID
    }

    /// The zone for `tzid`, or an ``ICalendarError/Code/unknownTimeZone`` error naming it.
    /// - Parameters:
    ///   - what: how to name the reference in the error (e.g. "TZID", "X-WR-TIMEZONE").
    mutating func resolve(_ tzid: String, line: Int?, what: String = "TZID") throws(ICalendarError) -> ZoneRules {
        if let known = resolved[tzid] { return known }
        let rules: ZoneRules
        if let system = Self.ianaZone(named: tzid) {
            rules = system
        } else if let component = vtimezones[tzid] {
            rules = try Self.makeZone(from: component, tzid: tzid)
        } else if let system = Self.systemZone(named: tzid) {
            rules = system
        } else {
            throw ICalendarError(
                .unknownTimeZone, line: line,
                "unknown time zone \(what) '\(tzid)': no VTIMEZONE with this TZID in the file, and it is neither an IANA zone (e.g. Europe/Berlin) nor a Windows zone name (e.g. W. Europe Standard Time)")
        }
        resolved[tzid] = rules
        return rules
    }

    /// A UTC alias or an IANA name as the system zoneinfo has it.
    static func ianaZone(named raw: String) -> ZoneRules? {
        let name = String(Substring(raw).trimmingSpaces)
        if utcAliases.contains(name.uppercased()) { return .utc }
        if let zone = builtin(name) { return ZoneRules(name: name, zone: zone, owned: false) }
        return nil
    }

    /// A zone known without the file: UTC aliases, IANA, Windows, or prefixed IANA names.
    static func systemZone(named raw: String) -> ZoneRules? {
        if let zone = ianaZone(named: raw) { return zone }
        let name = String(Substring(raw).trimmingSpaces)
        if let iana = WindowsZones.ianaName(for: name) {
            if utcAliases.contains(iana.uppercased()) { return .utc }
            if let zone = builtin(iana) { return ZoneRules(name: iana, zone: zone, owned: false) }
        }
        if name.hasPrefix("/") {
            let parts = name.split(separator: "/")
            for length in stride(from: min(3, parts.count - 1), through: 1, by: -1) {
                let candidate = parts.suffix(length).joined(separator: "/")
                if let zone = builtin(candidate) { return ZoneRules(name: candidate, zone: zone, owned: false) }
            }
        }
        return nil
    }

    private static let utcAliases: Set<String> = [
        "UTC", "GMT", "Z", "ZULU", "UCT", "UNIVERSAL", "GREENWICH", "GMT0", "ETC/UTC", "ETC/GMT", "ETC/ZULU",
        "ETC/UNIVERSAL", "ETC/UCT", "ETC/GMT0", "ETC/GREENWICH",
    ]

    /// libical's built-in lookup reads `/usr/share/zoneinfo/<name>`: only plain zone names are
    /// passed so that a TZID cannot point it at another file.
    private static func builtin(_ name: String) -> OpaquePointer? {
        guard !name.isEmpty, name.utf8.count <= 64, !name.hasPrefix("/"), !name.contains(".."),
            name.utf8.allSatisfy({ c in
                (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                    || c == UInt8(ascii: "/") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            })
        else { return nil }
        return icaltimezone_get_builtin_timezone(name)
    }

    /// Checks what libical would otherwise accept silently: each STANDARD/DAYLIGHT needs a valid
    /// DTSTART and both offsets.
    private static func validate(_ component: RawComponent) throws(ICalendarError) {
        var observances = 0
        for child in component.children where child.name == "STANDARD" || child.name == "DAYLIGHT" {
            observances += 1
            guard let dtstart = child.first("DTSTART") else {
                throw ICalendarError(.invalidValue, line: child.beginLine, "\(child.name) in VTIMEZONE has no DTSTART")
            }
            _ = try ValueParser.singleDateTime(dtstart)
            for name in ["TZOFFSETFROM", "TZOFFSETTO"] {
                guard let p = child.first(name) else {
                    throw ICalendarError(.invalidValue, line: child.beginLine, "\(child.name) in VTIMEZONE has no \(name)")
                }
                guard isUTCOffset(p.value) else {
                    throw ICalendarError(.invalidValue, line: p.line, "\(name): '\(p.value)' is not a UTC offset like +0100 or -0530")
                }
            }
            for p in child.properties {
                switch p.name {
                case "RRULE":
                    // libical expands observance rules eagerly up to 2037 when a zone is first
                    // used: a sub-yearly or time-of-day rule there would allocate without bound.
                    let rule = try RecurrenceRule.parse(p)
                    guard rule.frequency == .yearly, !rule.hasTimeFilters else {
                        throw ICalendarError(
                            .invalidRecurrenceRule, line: p.line,
                            "VTIMEZONE observance rules must be FREQ=YEARLY without BYHOUR/BYMINUTE/BYSECOND")
                    }
                case "RDATE": _ = try ValueParser.dateTimes(p)
                default: break
                }
            }
        }
        guard observances > 0 else {
            throw ICalendarError(.invalidValue, line: component.beginLine, "VTIMEZONE has neither STANDARD nor DAYLIGHT")
        }
    }

    private static func isUTCOffset(_ text: String) -> Bool {
        let b = Array(Substring(text).trimmingSpaces.utf8)
        guard b.count == 5 || b.count == 7, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-") else { return false }
        guard b.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        let hours = Int(b[1] - 48) * 10 + Int(b[2] - 48)
        let minutes = Int(b[3] - 48) * 10 + Int(b[4] - 48)
        return hours < 24 && minutes < 60
    }

    private static func makeZone(from component: RawComponent, tzid: String) throws(ICalendarError) -> ZoneRules {
        var text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bookiji//ics//EN\r\n"
        serialize(component, into: &text)
        text += "END:VCALENDAR\r\n"
        guard let calendar = icalparser_parse_string(text) else {
            throw ICalendarError(.invalidValue, line: component.beginLine, "libical could not read VTIMEZONE '\(tzid)'")
        }
        defer { icalcomponent_free(calendar) }
        guard let vtimezone = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT) else {
            throw ICalendarError(.invalidValue, line: component.beginLine, "libical could not read VTIMEZONE '\(tzid)'")
        }
        icalcomponent_remove_component(calendar, vtimezone)
        guard let zone = icaltimezone_new() else {
            icalcomponent_free(vtimezone)
            throw ICalendarError(.invalidValue, line: component.beginLine, "libical could not allocate a time zone")
        }
        // The zone takes ownership of the component.
        guard icaltimezone_set_component(zone, vtimezone) != 0 else {
            icalcomponent_free(vtimezone)
            icaltimezone_free(zone, 1)
            throw ICalendarError(.invalidValue, line: component.beginLine, "libical rejected VTIMEZONE '\(tzid)'")
        }
        return ZoneRules(name: tzid, zone: zone, owned: true)
    }

    private static func serialize(_ component: RawComponent, into text: inout String) {
        text += "BEGIN:" + component.name + "\r\n"
        for p in component.properties { text += p.serialized + "\r\n" }
        for child in component.children { serialize(child, into: &text) }
        text += "END:" + component.name + "\r\n"
    }
}
