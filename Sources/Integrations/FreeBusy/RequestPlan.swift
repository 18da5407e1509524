import BookijiCore

/// Splits a free/busy question into requests that respect a provider's documented limits.
struct RequestPlan: Sendable, Equatable {
    /// Calendar ids in the caller's order, duplicates removed, at most `maxCalendars` per batch.
    var batches: [[String]]
    /// Consecutive chunks of the window, each at most `maxWindow` seconds long.
    var chunks: [UTCInterval]

    init(calendars: [String], window: UTCInterval, maxCalendars: Int, maxWindow: Int64) {
        precondition(maxCalendars > 0 && maxWindow > 0, "limits must be positive")
        var seen = Set<String>()
        let unique = calendars.filter { seen.insert($0).inserted }
        batches = stride(from: 0, to: unique.count, by: maxCalendars).map {
            Array(unique[$0..<min($0 + maxCalendars, unique.count)])
        }
        var chunks: [UTCInterval] = []
        var start = window.start
        while start < window.end {
            let end = min(window.end, start + maxWindow)
            chunks.append(UTCInterval(start: start, end: end))
            start = end
        }
        self.chunks = chunks
    }

    var requestCount: Int { batches.count * chunks.count }
}

/// Collects per-chunk answers into a ``FreeBusyResult``.
struct FreeBusyAccumulator {
    let window: UTCInterval
    private var intervals: [String: [BusyInterval]] = [:]
    private var errors: [String: [CalendarFetchError]] = [:]

    init(window: UTCInterval, calendars: [String]) {
        self.window = window
        for id in calendars {
            intervals[id] = []
            errors[id] = []
        }
    }

    /// Adds an interval, clipped to the requested window; empty remnants are dropped.
    mutating func add(_ calendar: String, start: Int64, end: Int64, status: BusyStatus) {
        let clipped = UTCInterval(start: max(start, window.start), end: min(end, window.end))
        guard !clipped.isEmpty else { return }
        intervals[calendar, default: []].append(BusyInterval(interval: clipped, status: status))
    }

    mutating func fail(_ calendar: String, _ error: CalendarFetchError) {
        errors[calendar, default: []].append(error)
    }

    func result() -> FreeBusyResult {
        var calendars: [String: CalendarFreeBusy] = [:]
        for (id, list) in intervals {
            calendars[id] = CalendarFreeBusy(intervals: Self.merge(list), errors: errors[id] ?? [])
        }
        return FreeBusyResult(window: window, calendars: calendars)
    }

    /// Sorts and merges overlapping or touching intervals of the same status. Chunk boundaries
    /// cut events in two (Google clips to the query window) and Graph repeats an event in every
    /// chunk it overlaps; merging undoes both. Busy and tentative stay separate intervals.
    static func merge(_ list: [BusyInterval]) -> [BusyInterval] {
        var merged: [BusyInterval] = []
        for status in BusyStatus.allCases {
            var current: UTCInterval?
            for item in list.filter({ $0.status == status }).sorted() {
                if let open = current, item.interval.start <= open.end {
                    current = UTCInterval(start: open.start, end: max(open.end, item.interval.end))
                } else {
                    if let open = current { merged.append(BusyInterval(interval: open, status: status)) }
                    current = item.interval
                }
            }
            if let open = current { merged.append(BusyInterval(interval: open, status: status)) }
        }
        return merged.sorted()
    }
}
