/// A vendor's booking rules: when they work, how long a slot is, and the booking-window policy.
///
/// This is the document partners and the CLI see, stored as JSON. The complete shape:
/// ```json
/// {
///   "timeZone": "Europe/Berlin",
///   "weeklyHours": {
///     "monday":  [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
///     "tuesday": [{"start": "09:00", "end": "17:00"}]
///   },
///   "dateOverrides": [
///     {"date": "2026-12-24", "hours": []},
///     {"date": "2026-12-31", "hours": [{"start": "10:00", "end": "14:00"}]}
///   ],
///   "slotMinutes": 30,
///   "bufferBeforeMinutes": 0,
///   "bufferAfterMinutes": 10,
///   "minimumNoticeMinutes": 120,
///   "bookingHorizonDays": 60,
///   "granuleMinutes": 5
/// }
/// ```
/// `timeZone`, `weeklyHours` and `slotMinutes` are required; the other keys default to
/// `dateOverrides: []`, buffers `0`, `minimumNoticeMinutes: 0`, `bookingHorizonDays: 365`,
/// `granuleMinutes: 5`. Unknown keys are rejected when decoding. Decoding checks only the shape
/// (`"HH:MM"`, `"YYYY-MM-DD"`); call ``validate()`` for the rules themselves.
///
/// Local times are wall-clock times in `timeZone` (an IANA name read from the system tzdata).
/// An instant is *within working hours* when its wall-clock date and time in that zone fall in
/// one of the intervals for that date (the date's override if it has one, else its weekday's
/// hours), counting each wall-clock time once, at its first showing. So 09:00-17:00 is eight
/// real hours on both DST change days; wall times that a spring-forward skips are never worked
/// (01:00-04:00 is two hours that night); and after a fall-back the repeated hour is not worked
/// a second time (00:00-03:00 is three hours that night, with a one-hour hole where the clock
/// shows 01:00-02:00 again). RFC 5545 resolves ambiguous local times to the first occurrence too.
public struct VendorRules: Sendable, Hashable, Codable {
    /// IANA zone name, e.g. `"America/New_York"`.
    public var timeZone: String
    /// The recurring weekly schedule.
    public var weeklyHours: WeeklyHours
    /// Dates whose hours replace the weekly schedule (closed days, special hours). One per date.
    public var dateOverrides: [DateOverride]
    /// Default slot length when a query does not give one. A multiple of `granuleMinutes`.
    public var slotMinutes: Int
    /// Free time the vendor needs before each booking; busy, tentative or reserved time there
    /// makes the slot a ``SlotReasonCode/bufferConflict``. A multiple of `granuleMinutes`.
    public var bufferBeforeMinutes: Int
    /// Free time the vendor needs after each booking. A multiple of `granuleMinutes`.
    public var bufferAfterMinutes: Int
    /// A slot must start at least this long after "now" to be bookable.
    public var minimumNoticeMinutes: Int
    /// A slot must start less than this many days (of 24 hours) after "now" to be bookable.
    public var bookingHorizonDays: Int
    /// Resolution of the engine's time grid, in minutes; must divide 60. Slot starts, working-hour
    /// boundaries and buffers are multiples of it; busy time is rounded outwards to it.
    public var granuleMinutes: Int

    public static let defaultGranuleMinutes = 5
    public static let defaultBookingHorizonDays = 365

    public init(
        timeZone: String,
        weeklyHours: WeeklyHours,
        dateOverrides: [DateOverride] = [],
        slotMinutes: Int,
        bufferBeforeMinutes: Int = 0,
        bufferAfterMinutes: Int = 0,
        minimumNoticeMinutes: Int = 0,
        bookingHorizonDays: Int = VendorRules.defaultBookingHorizonDays,
        granuleMinutes: Int = VendorRules.defaultGranuleMinutes
    ) {
        self.timeZone = timeZone
        self.weeklyHours = weeklyHours
        self.dateOverrides = dateOverrides
        self.slotMinutes = slotMinutes
        self.bufferBeforeMinutes = bufferBeforeMinutes
        self.bufferAfterMinutes = bufferAfterMinutes
        self.minimumNoticeMinutes = minimumNoticeMinutes
        self.bookingHorizonDays = bookingHorizonDays
        self.granuleMinutes = granuleMinutes
    }

    /// The intervals worked on a local date: its override when there is one, else its weekday's.
    public func hours(on date: LocalDate) -> [LocalTimeRange] {
        if let override = dateOverrides.first(where: { $0.date == date }) { return override.hours }
        return weeklyHours[date.weekday]
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeZone, weeklyHours, dateOverrides, slotMinutes, bufferBeforeMinutes, bufferAfterMinutes
        case minimumNoticeMinutes, bookingHorizonDays, granuleMinutes
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.reject(unknownIn: decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            timeZone: try c.decode(String.self, forKey: .timeZone),
            weeklyHours: try c.decode(WeeklyHours.self, forKey: .weeklyHours),
            dateOverrides: try c.decodeIfPresent([DateOverride].self, forKey: .dateOverrides) ?? [],
            slotMinutes: try c.decode(Int.self, forKey: .slotMinutes),
            bufferBeforeMinutes: try c.decodeIfPresent(Int.self, forKey: .bufferBeforeMinutes) ?? 0,
            bufferAfterMinutes: try c.decodeIfPresent(Int.self, forKey: .bufferAfterMinutes) ?? 0,
            minimumNoticeMinutes: try c.decodeIfPresent(Int.self, forKey: .minimumNoticeMinutes) ?? 0,
            bookingHorizonDays: try c.decodeIfPresent(Int.self, forKey: .bookingHorizonDays)
                ?? VendorRules.defaultBookingHorizonDays,
            granuleMinutes: try c.decodeIfPresent(Int.self, forKey: .granuleMinutes)
                ?? VendorRules.defaultGranuleMinutes
        )
    }

    /// Writes every key, defaults included, so stored rules are explicit.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeZone, forKey: .timeZone)
        try c.encode(weeklyHours, forKey: .weeklyHours)
        try c.encode(dateOverrides, forKey: .dateOverrides)
        try c.encode(slotMinutes, forKey: .slotMinutes)
        try c.encode(bufferBeforeMinutes, forKey: .bufferBeforeMinutes)
        try c.encode(bufferAfterMinutes, forKey: .bufferAfterMinutes)
        try c.encode(minimumNoticeMinutes, forKey: .minimumNoticeMinutes)
        try c.encode(bookingHorizonDays, forKey: .bookingHorizonDays)
        try c.encode(granuleMinutes, forKey: .granuleMinutes)
    }
}
