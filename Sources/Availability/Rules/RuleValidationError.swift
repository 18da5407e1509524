/// Why ``VendorRules`` were refused. `field` is a path into the JSON shape
/// (`weeklyHours.monday[1]`, `dateOverrides[0].hours[2]`, `granuleMinutes`) and `message` says
/// what is wrong and what would be accepted; `description` joins them:
/// `weeklyHours.monday[1]: end 09:00 is before start 10:00`.
public struct RuleValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable machine code for the kind of problem.
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The zone name is malformed or not in the system tzdata.
        public static let unknownTimeZone = Code(rawValue: "unknown_time_zone")
        /// A time of day outside 00:00...24:00.
        public static let invalidTimeOfDay = Code(rawValue: "invalid_time_of_day")
        /// An interval whose end is not after its start.
        public static let invalidInterval = Code(rawValue: "invalid_interval")
        /// Two intervals of the same day overlap.
        public static let overlappingIntervals = Code(rawValue: "overlapping_intervals")
        /// A time or duration is not a multiple of `granuleMinutes`.
        public static let misalignedToGranule = Code(rawValue: "misaligned_to_granule")
        /// `granuleMinutes` does not divide 60 or the zone's UTC offset.
        public static let invalidGranule = Code(rawValue: "invalid_granule")
        /// A number outside its allowed range.
        public static let outOfRange = Code(rawValue: "out_of_range")
        /// An impossible calendar date.
        public static let invalidDate = Code(rawValue: "invalid_date")
        /// Two overrides for the same date.
        public static let duplicateDate = Code(rawValue: "duplicate_date")
    }

    public var code: Code
    /// Where in the rules document the problem is.
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    public init(code: Code, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
