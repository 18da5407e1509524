import BookijiCore

/// The busy time of one calendar over a window, and an account of how it was derived.
public struct CalendarExpansion: Sendable, Hashable {
    /// Busy and tentative intervals that overlap the window, sorted, not merged and not clipped
    /// to the window (an event that started before the window keeps its real start).
    public var intervals: [BusyInterval]
    public var summary: ExpansionSummary

    public init(intervals: [BusyInterval], summary: ExpansionSummary) {
        self.intervals = intervals
        self.summary = summary
    }
}
