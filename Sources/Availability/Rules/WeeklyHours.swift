/// Day of the week, Monday first (ISO 8601). JSON keys are the lowercase English names.
public enum Weekday: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    /// The weekday of a date given as days since 1970-01-01 (a Thursday).
    public init(daysSinceEpoch days: Int64) {
        let index = Int(((days + 3) % 7 + 7) % 7)
        self = Weekday.allCases[index]
    }

    /// 0 for Monday ... 6 for Sunday.
    public var isoIndex: Int { Weekday.allCases.firstIndex(of: self)! }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.isoIndex < rhs.isoIndex }
}

/// The recurring weekly schedule: for each weekday, the local intervals the vendor works.
///
/// JSON: an object with up to seven keys `monday` ... `sunday`, each an array of
/// ``LocalTimeRange``; a missing key or `[]` means closed that day. Unknown keys are rejected
/// (a misspelt weekday must not silently close a day).
/// ```json
/// {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
///  "saturday": [{"start": "10:00", "end": "14:00"}]}
/// ```
public struct WeeklyHours: Sendable, Hashable, Codable {
    public var monday: [LocalTimeRange]
    public var tuesday: [LocalTimeRange]
    public var wednesday: [LocalTimeRange]
    public var thursday: [LocalTimeRange]
    public var friday: [LocalTimeRange]
    public var saturday: [LocalTimeRange]
    public var sunday: [LocalTimeRange]

    public init(
        monday: [LocalTimeRange] = [], tuesday: [LocalTimeRange] = [], wednesday: [LocalTimeRange] = [],
        thursday: [LocalTimeRange] = [], friday: [LocalTimeRange] = [], saturday: [LocalTimeRange] = [],
        sunday: [LocalTimeRange] = []
    ) {
        self.monday = monday
        self.tuesday = tuesday
        self.wednesday = wednesday
        self.thursday = thursday
        self.friday = friday
        self.saturday = saturday
        self.sunday = sunday
    }

    /// The same intervals on each of the given days (e.g. Monday to Friday 09:00-17:00).
    public init(_ hours: [LocalTimeRange], on days: [Weekday]) {
        self.init()
        for day in days { self[day] = hours }
    }

    public subscript(day: Weekday) -> [LocalTimeRange] {
        get {
            switch day {
            case .monday: monday
            case .tuesday: tuesday
            case .wednesday: wednesday
            case .thursday: thursday
            case .friday: friday
            case .saturday: saturday
            case .sunday: sunday
            }
        }
        set {
            switch day {
            case .monday: monday = newValue
            case .tuesday: tuesday = newValue
            case .wednesday: wednesday = newValue
            case .thursday: thursday = newValue
            case .friday: friday = newValue
            case .saturday: saturday = newValue
            case .sunday: sunday = newValue
            }
        }
    }

    private struct DayKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.reject(unknownIn: decoder, allowed: Weekday.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: DayKey.self)
        self.init()
        for day in Weekday.allCases {
            self[day] = try c.decodeIfPresent([LocalTimeRange].self, forKey: DayKey(stringValue: day.rawValue)) ?? []
        }
    }

    /// Always writes all seven days so the stored JSON reads as a complete week.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DayKey.self)
        for day in Weekday.allCases {
            try c.encode(self[day], forKey: DayKey(stringValue: day.rawValue))
        }
    }
}

/// Hours for one specific local date that replace the weekly schedule for that date.
/// JSON: `{"date": "2026-12-24", "hours": []}` (closed all day) or
/// `{"date": "2026-12-31", "hours": [{"start": "10:00", "end": "14:00"}]}` (special hours).
public struct DateOverride: Sendable, Hashable, Codable {
    public var date: LocalDate
    /// The intervals worked on `date`; empty means closed that day.
    public var hours: [LocalTimeRange]

    public init(date: LocalDate, hours: [LocalTimeRange]) {
        self.date = date
        self.hours = hours
    }

    /// A closed day.
    public static func closed(_ date: LocalDate) -> DateOverride { DateOverride(date: date, hours: []) }

    private enum CodingKeys: String, CodingKey, CaseIterable { case date, hours }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.reject(unknownIn: decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        date = try c.decode(LocalDate.self, forKey: .date)
        hours = try c.decode([LocalTimeRange].self, forKey: .hours)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(date, forKey: .date)
        try c.encode(hours, forKey: .hours)
    }
}

/// Rejects JSON objects with keys the type does not know, so typos fail loudly at decode time.
enum StrictKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) {
            self.stringValue = String(intValue)
            self.intValue = intValue
        }
    }

    static func reject(unknownIn decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown key '\(key.stringValue)'; expected one of: \(allowed.joined(separator: ", "))"))
        }
    }
}
