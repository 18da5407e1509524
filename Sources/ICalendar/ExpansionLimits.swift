/// Bounds that keep a hostile or broken feed from making the expander run for minutes.
public struct ExpansionLimits: Sendable, Hashable {
    /// Occurrences one RRULE may generate up to the window's end (including ones before the
    /// window when COUNT prevents skipping ahead).
    public var maxOccurrencesPerRule: Int
    /// Occurrences all RRULEs of the calendar may generate together.
    public var maxTotalOccurrences: Int

    public init(maxOccurrencesPerRule: Int = 200_000, maxTotalOccurrences: Int = 5_000_000) {
        self.maxOccurrencesPerRule = maxOccurrencesPerRule
        self.maxTotalOccurrences = maxTotalOccurrences
    }
}
