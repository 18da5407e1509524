import BookijiCore

/// The fake server's busy data, computed independently in Swift so tests know what a correct
/// connector must return (see the formula in `Tests/Fakes/fake_calendar_apis.py`).
enum FakeCalendarData {
    static let day: Int64 = 86_400
    static let hour: Int64 = 3_600

    static func key(_ id: String) -> Int64 { Int64(id.utf8.reduce(0) { $0 + Int($1) } % 8) }

    /// What the Google connector should report for `id` over `window`: all busy.
    static func google(_ id: String, _ window: UTCInterval) -> [BusyInterval] {
        var raw: [(Int64, Int64, BusyStatus)] = []
        for d in days(window) {
            let base = d * day
            raw.append((base + (9 + key(id)) * hour, base + (10 + key(id)) * hour, .busy))
            if d % 3 == 0 { raw.append((base + 14 * hour, base + 15 * hour, .busy)) }
            if d % 7 == 0 { raw.append((base + 22 * hour, base + day + 2 * hour, .busy)) }
        }
        return normalise(raw, window)
    }

    /// What the Graph connector should report with the default status mapping: busy and oof as
    /// busy, tentative as tentative, workingElsewhere and free as nothing.
    static func graph(_ id: String, _ window: UTCInterval, workingElsewhere: BusyStatus? = nil) -> [BusyInterval] {
        var raw: [(Int64, Int64, BusyStatus)] = []
        for d in days(window) {
            let base = d * day
            raw.append((base + (9 + key(id)) * hour, base + (10 + key(id)) * hour, .busy))
            if d % 3 == 0 { raw.append((base + 14 * hour, base + 15 * hour, .tentative)) }
            if d % 5 == 0 { raw.append((base + 16 * hour, base + 17 * hour, .busy)) }  // oof
            if d % 4 == 0, let workingElsewhere { raw.append((base + 7 * hour, base + 8 * hour, workingElsewhere)) }
            if d % 7 == 0 { raw.append((base + 22 * hour, base + day + 2 * hour, .busy)) }
        }
        return normalise(raw, window)
    }

    private static func days(_ window: UTCInterval) -> ClosedRange<Int64> {
        (window.start / day - 1)...(window.end / day)
    }

    /// Clips to the window and merges same-status intervals that overlap or touch: the shape a
    /// connector must produce whatever the chunking.
    private static func normalise(_ raw: [(Int64, Int64, BusyStatus)], _ window: UTCInterval) -> [BusyInterval] {
        var out: [BusyInterval] = []
        for status in BusyStatus.allCases {
            let spans = raw.filter { $0.2 == status }
                .map { (max($0.0, window.start), min($0.1, window.end)) }
                .filter { $0.0 < $0.1 }
                .sorted { $0 < $1 }
            var current: (Int64, Int64)?
            for span in spans {
                if let open = current, span.0 <= open.1 {
                    current = (open.0, max(open.1, span.1))
                } else {
                    if let open = current { out.append(BusyInterval(start: open.0, end: open.1, status: status)) }
                    current = span
                }
            }
            if let open = current { out.append(BusyInterval(start: open.0, end: open.1, status: status)) }
        }
        return out.sorted()
    }
}
