import BookijiCore
import Testing

@testable import ICalendar

/// Expansions from many threads at once give the same answers as one at a time (libical's
/// global state sits behind LibicalLock).
struct ConcurrencyTests {
    @Test func parallelExpansionsMatchSerialOnes() async throws {
        let texts = [FuzzTests.rich, String(decoding: fixture("outlook.ics"), as: UTF8.self), String(decoding: fixture("google.ics"), as: UTF8.self)]
        let window = window("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
        var expected: [[BusyInterval]] = []
        for text in texts {
            expected.append(try ICalendarDocument(text: text).expand(over: window).intervals)
        }
        let results = try await withThrowingTaskGroup(of: (Int, [BusyInterval]).self) { group in
            for task in 0..<24 {
                let index = task % texts.count
                let text = texts[index]
                group.addTask {
                    // Parse in each task too: document reading also resolves zones through libical.
                    (index, try ICalendarDocument(text: text).expand(over: window).intervals)
                }
            }
            var all: [(Int, [BusyInterval])] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 24)
        for (index, intervals) in results {
            #expect(intervals == expected[index])
        }
        // And a shared document used from several tasks.
        let shared = try ICalendarDocument(text: texts[0])
        try await withThrowingTaskGroup(of: [BusyInterval].self) { group in
            for _ in 0..<8 { group.addTask { try shared.expand(over: window).intervals } }
            for try await intervals in group { #expect(intervals == expected[0]) }
        }
    }
}
