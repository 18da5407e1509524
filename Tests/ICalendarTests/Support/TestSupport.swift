import BookijiCore
import Testing

@testable import ICalendar

/// Wraps VEVENT/VTIMEZONE/... text in a VCALENDAR. `calendarProperties` go before the components.
func calendar(_ components: String, calendarProperties: String = "") -> String {
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bookiji//tests//EN\r\n" + calendarProperties + components + "END:VCALENDAR\r\n"
}

func instant(_ text: String) -> Int64 {
    do {
        return try RFC3339.parse(text)
    } catch {
        Issue.record("bad timestamp in test: \(text)")
        return 0
    }
}

func window(_ from: String, _ to: String) -> UTCInterval {
    UTCInterval(start: instant(from), end: instant(to))
}

func busy(_ start: String, _ end: String, uid: String? = "e") -> BusyInterval {
    BusyInterval(start: instant(start), end: instant(end), status: .busy, uid: uid)
}

func tentative(_ start: String, _ end: String, uid: String? = "e") -> BusyInterval {
    BusyInterval(start: instant(start), end: instant(end), status: .tentative, uid: uid)
}

/// Parses and expands `text` over `[from, to)`.
func expand(
    _ text: String, from: String = "2024-01-01T00:00:00Z", to: String = "2025-01-01T00:00:00Z", tz: String? = nil
) throws(ICalendarError) -> CalendarExpansion {
    let document = try ICalendarDocument(text: text)
    return try document.expand(over: window(from, to), floatingTimeZone: tz)
}

/// The ICalendarError `body` throws, or `nil` (recording an issue) when it throws none.
func expectError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ICalendarError? {
    do {
        try body()
        Issue.record("expected an ICalendarError", sourceLocation: sourceLocation)
        return nil
    } catch let error as ICalendarError {
        return error
    } catch {
        Issue.record("expected an ICalendarError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Bytes of a file in Tests/ICalendarTests/Fixtures (located through #filePath because the test
/// target declares no resources).
func fixture(_ name: String) -> [UInt8] {
    let path = fixturePath(name)
    switch IcsExpandCommand.readWholeFile(path) {
    case .success(let bytes): return bytes
    case .failure(let error):
        Issue.record("cannot read fixture \(name): \(error.message)")
        return []
    }
}

func fixturePath(_ name: String) -> String {
    // This file is .../Tests/ICalendarTests/Support/TestSupport.swift.
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)
    return parts.joined(separator: "/") + "/Fixtures/" + name
}
