/// The stable machine codes that explain why a slot is not fully available, with the confidence
/// each one implies. Declaration order is severity order: it is the order reasons are listed in.
///
/// | code | confidence | when |
/// |---|---|---|
/// | `reserved` | 0.0 | the slot overlaps an active hold or booking made through Bookiji |
/// | `calendar_busy` | 0.0 | the slot overlaps time the vendor's calendar marks busy |
/// | `calendar_tentative` | 0.2 | the slot overlaps time the calendar marks tentative |
/// | `outside_working_hours` | 0.4 | some instant of the slot is outside the vendor's working hours |
/// | `min_notice` | 0.6 | the slot starts before now + minimum notice (this includes past slots) |
/// | `beyond_horizon` | 0.6 | the slot starts at or after now + booking horizon |
/// | `buffer_conflict` | 0.8 | the slot is free but *near a buffer zone*: busy, tentative or reserved time lies within `bufferBeforeMinutes` before its start or `bufferAfterMinutes` after its end |
///
/// Busy, tentative and reserved intervals are treated as blocking at granule resolution: an
/// interval blocks every granule it touches, so a slot "overlaps" it when they share a granule.
public enum SlotReasonCode: String, Sendable, Hashable, CaseIterable, Comparable {
    case reserved
    case calendarBusy = "calendar_busy"
    case calendarTentative = "calendar_tentative"
    case outsideWorkingHours = "outside_working_hours"
    case minNotice = "min_notice"
    case beyondHorizon = "beyond_horizon"
    case bufferConflict = "buffer_conflict"

    /// The slot's confidence when this is its most severe reason (see the table above).
    public var confidence: Double {
        switch self {
        case .reserved, .calendarBusy: 0.0
        case .calendarTentative: 0.2
        case .outsideWorkingHours: 0.4
        case .minNotice, .beyondHorizon: 0.6
        case .bufferConflict: 0.8
        }
    }

    /// Position in severity order; also the bit used for this code inside the engine.
    var bit: Int {
        switch self {
        case .reserved: 0
        case .calendarBusy: 1
        case .calendarTentative: 2
        case .outsideWorkingHours: 3
        case .minNotice: 4
        case .beyondHorizon: 5
        case .bufferConflict: 6
        }
    }

    public static func < (lhs: SlotReasonCode, rhs: SlotReasonCode) -> Bool { lhs.bit < rhs.bit }

    /// Human text for this reason under the given rules, fit to show an end user.
    public func message(rules: VendorRules) -> String {
        switch self {
        case .reserved:
            return "Already held or booked through Bookiji."
        case .calendarBusy:
            return "Overlaps time marked busy on the vendor's calendar."
        case .calendarTentative:
            return "Overlaps time marked tentative on the vendor's calendar; it may still become busy."
        case .outsideWorkingHours:
            return "Not entirely within the vendor's working hours (\(rules.timeZone))."
        case .minNotice:
            if rules.minimumNoticeMinutes == 0 { return "Starts in the past." }
            let notice = Self.duration(minutes: rules.minimumNoticeMinutes)
            return "Starts too soon: the vendor needs at least \(notice) notice."
        case .beyondHorizon:
            let days = rules.bookingHorizonDays
            return "Too far ahead: the vendor takes bookings at most \(days) day\(days == 1 ? "" : "s") ahead."
        case .bufferConflict:
            var needs: [String] = []
            if rules.bufferBeforeMinutes > 0 { needs.append("\(Self.duration(minutes: rules.bufferBeforeMinutes)) before") }
            if rules.bufferAfterMinutes > 0 { needs.append("\(Self.duration(minutes: rules.bufferAfterMinutes)) after") }
            return "Too close to other commitments: the vendor keeps \(needs.joined(separator: " and ")) each booking free."
        }
    }

    /// "45 minutes", "2 hours", "1 day", "1 hour 30 minutes".
    static func duration(minutes: Int) -> String {
        func unit(_ n: Int, _ name: String) -> String { "\(n) \(name)\(n == 1 ? "" : "s")" }
        if minutes % 1440 == 0 { return unit(minutes / 1440, "day") }
        if minutes % 60 == 0 { return unit(minutes / 60, "hour") }
        if minutes < 60 { return unit(minutes, "minute") }
        return unit(minutes / 60, "hour") + " " + unit(minutes % 60, "minute")
    }
}

/// One explanation attached to a slot: a stable `code` (a ``SlotReasonCode`` raw value) for
/// machines and a `message` for people.
public struct SlotReason: Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public init(_ code: SlotReasonCode, rules: VendorRules) {
        self.init(code: code.rawValue, message: code.message(rules: rules))
    }

    public var description: String { "\(code): \(message)" }
}
