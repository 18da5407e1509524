import BookijiCore

/// Merges intervals of the same status that overlap or touch.
public enum BusyIntervalMerger {
    /// Returns, per status, the union of the intervals as a sorted list of disjoint intervals
    /// without UIDs. Busy and tentative intervals are merged separately and may overlap each other.
    public static func merge(_ intervals: [BusyInterval]) -> [BusyInterval] {
        var out: [BusyInterval] = []
        for status in BusyStatus.allCases {
            let spans = intervals.filter { $0.status == status && !$0.interval.isEmpty }.map(\.interval).sorted()
            var current: UTCInterval?
            for span in spans {
                if var c = current, span.start <= c.end {
                    c.end = max(c.end, span.end)
                    current = c
                } else {
                    if let c = current { out.append(BusyInterval(interval: c, status: status)) }
                    current = span
                }
            }
            if let c = current { out.append(BusyInterval(interval: c, status: status)) }
        }
        return out.sorted()
    }
}
