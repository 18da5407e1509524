import BookijiCore

/// What to compute: a window of instants, a slot length and the "now" that notice and horizon
/// are measured from. All instants are epoch seconds (UTC).
public struct AvailabilityQuery: Sendable, Hashable {
    /// Start of the window; slots start at or after it (rounded up to the granule).
    public var start: Int64
    /// End of the window; slots end at or before it (rounded down to the granule).
    public var end: Int64
    /// Slot length in minutes; nil uses the rules' `slotMinutes`.
    public var slotMinutes: Int?
    /// The instant the answer is for. Only the granule in which `now + notice` and
    /// `now + horizon` fall matters, and the version hash sees only that.
    public var now: Int64
    /// When true, unavailable slots are left out of the result.
    public var onlyAvailable: Bool
    /// When true, a given `slotMinutes` must be a whole number of the rules' `slotMinutes` (the
    /// unit the vendor sells), not only of its granule: the partner API asks this, so a 30-minute
    /// vendor is not offered 20-minute slots.
    public var wholeVendorSlots: Bool

    public init(
        start: Int64, end: Int64, slotMinutes: Int? = nil, now: Int64, onlyAvailable: Bool = false, wholeVendorSlots: Bool = false
    ) {
        self.start = start
        self.end = end
        self.slotMinutes = slotMinutes
        self.now = now
        self.onlyAvailable = onlyAvailable
        self.wholeVendorSlots = wholeVendorSlots
    }
}

/// One candidate booking `[start, end)`.
///
/// `isAvailable` is true exactly when `reasons` is empty, and then `confidence` is 1.0.
/// Otherwise every applicable reason is listed, most severe first (``SlotReasonCode`` order),
/// and `confidence` is the lowest confidence among them ("lowest wins").
public struct AvailabilitySlot: Sendable, Hashable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64
    public var isAvailable: Bool
    public var confidence: Double
    public var reasons: [SlotReason]

    public init(start: Int64, end: Int64, isAvailable: Bool, confidence: Double, reasons: [SlotReason]) {
        self.start = start
        self.end = end
        self.isAvailable = isAvailable
        self.confidence = confidence
        self.reasons = reasons
    }

    public var description: String {
        let why = reasons.isEmpty ? "available" : reasons.map(\.code).joined(separator: ",")
        return "\(UTCInterval(start: start, end: end)) \(confidence) \(why)"
    }
}

/// The reasons of one candidate slot: a set of ``SlotReasonCode``s in one byte.
public struct SlotReasonSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    /// Bits that stand for no code are dropped.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & UInt8(truncatingIfNeeded: (1 << SlotReasonCode.allCases.count) - 1)
    }

    public init(_ code: SlotReasonCode) {
        rawValue = 1 << UInt8(code.bit)
    }

    /// The codes in the set, most severe first.
    public var codes: [SlotReasonCode] { SlotReasonCode.allCases.filter { contains(SlotReasonSet($0)) } }

    /// The lowest confidence among the reasons ("lowest wins"; codes are in severity order, so it
    /// is the confidence of the lowest bit), 1.0 for none.
    public var confidence: Double {
        rawValue == 0 ? 1.0 : SlotReasonCode.allCases[rawValue.trailingZeroBitCount].confidence
    }
}

/// The engine's answer.
///
/// Each candidate is its start and its set of reasons, 16 bytes with nothing to count references
/// to: a week of 5-minute slots is 2,016 of them, rendered thousands of times a second. ``slots``
/// spells them out as ``AvailabilitySlot`` values.
public struct AvailabilityResult: Sendable, Hashable {
    /// One candidate slot `[start, start + slotMinutes)` and why it is not fully available
    /// (empty: it is available).
    public struct Candidate: Sendable, Hashable {
        public var start: Int64
        public var reasons: SlotReasonSet

        public init(start: Int64, reasons: SlotReasonSet) {
            self.start = start
            self.reasons = reasons
        }
    }

    /// Candidates in ascending start order (only available ones when the query asked).
    public var candidates: [Candidate]
    /// The human text, under the vendor's rules, of each reason code that some candidate has.
    public var messages: [SlotReasonCode: String]
    /// The first 128 bits of a SHA-256 over everything the answer depends on, in base64url
    /// (22 characters); see ``AvailabilityEngine/compute(rules:busy:reserved:query:)``.
    public var computedVersion: String
    /// The slot length actually used, in minutes.
    public var slotMinutes: Int
    /// The first instant after the query's `now` at which the same inputs may give another
    /// answer: minimum notice or the horizon reaches another granule among the slot starts (the
    /// version changes then; a slot's reasons change only if a candidate starts there). Nil when
    /// the passing of time alone never changes the answer.
    public var changesAt: Int64?

    public init(
        candidates: [Candidate], messages: [SlotReasonCode: String], computedVersion: String, slotMinutes: Int,
        changesAt: Int64? = nil
    ) {
        self.candidates = candidates
        self.messages = messages
        self.computedVersion = computedVersion
        self.slotMinutes = slotMinutes
        self.changesAt = changesAt
    }

    /// The candidates as slots with their end, availability, confidence and reasons.
    public var slots: [AvailabilitySlot] {
        let length = Int64(slotMinutes) * 60
        return candidates.map { candidate in
            AvailabilitySlot(
                start: candidate.start, end: candidate.start + length, isAvailable: candidate.reasons.isEmpty,
                confidence: candidate.reasons.confidence,
                reasons: candidate.reasons.codes.map { SlotReason(code: $0.rawValue, message: messages[$0] ?? "") })
        }
    }
}

/// Why the engine refused to compute. `code` is `invalid_rules` (the stored rules are bad: a
/// server-side data problem unless the caller just supplied them) or `invalid_query` (the
/// request's window or slot length; maps to HTTP 400).
public struct AvailabilityError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidRules = Code(rawValue: "invalid_rules")
        public static let invalidQuery = Code(rawValue: "invalid_query")
    }

    public var code: Code
    /// The offending field: a rules path (``RuleValidationError/field``) or a query parameter
    /// name (`start`, `end`, `slotMinutes`).
    public var field: String
    public var message: String
    /// The rules problem when `code` is `invalid_rules`.
    public var ruleError: RuleValidationError?

    public init(code: Code, field: String, message: String, ruleError: RuleValidationError? = nil) {
        self.code = code
        self.field = field
        self.message = message
        self.ruleError = ruleError
    }

    public var description: String { "\(code): \(field): \(message)" }
}
