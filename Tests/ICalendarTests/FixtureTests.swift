import BookijiCore
import Testing

@testable import ICalendar

/// Realistic exports, expected intervals worked out by hand.
struct FixtureTests {
    @Test func outlookExportWithWindowsZoneExceptionsAndMovedOccurrence() throws {
        let document = try ICalendarDocument(bytes: fixture("outlook.ics"))
        let r = try document.expand(over: window("2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z"))
        let uid = "040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5"
        // Mondays 10:00-10:30 W. Europe time until 22 April (UNTIL is 10:00 CEST, inclusive):
        // 25 Mar is CET (+1), from 31 Mar CEST (+2); 8 Apr is an EXDATE; 15 Apr moved to 14:30.
        #expect(r.intervals == [
            busy("2024-03-25T09:00:00Z", "2024-03-25T09:30:00Z", uid: uid),
            busy("2024-04-01T08:00:00Z", "2024-04-01T08:30:00Z", uid: uid),
            tentative("2024-04-03T07:00:00Z", "2024-04-03T10:00:00Z", uid: "tentative-1"),
            busy("2024-04-15T12:30:00Z", "2024-04-15T13:00:00Z", uid: uid),
            busy("2024-04-22T08:00:00Z", "2024-04-22T08:30:00Z", uid: uid),
        ])
        #expect(r.summary.skipped == [SkippedItem(line: 54, uid: "holiday-1", reason: .transparent)])
        #expect(r.summary.eventCount == 4)
    }

    @Test func googleExportWithXWRTimezone() throws {
        let document = try ICalendarDocument(bytes: fixture("google.ics"))
        #expect(document.calendarTimeZone == "America/New_York")
        let r = try document.expand(over: window("2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z"))
        // Floating 13:30 New York: EDT on 2 Nov, EST on 3 Nov. The all-day 5 Nov is New York's day.
        #expect(r.intervals == [
            busy("2024-11-02T17:30:00Z", "2024-11-02T18:30:00Z", uid: "floating@google.com"),
            busy("2024-11-03T18:30:00Z", "2024-11-03T19:30:00Z", uid: "floating@google.com"),
            busy("2024-11-04T17:00:00Z", "2024-11-04T18:00:00Z", uid: "la@google.com"),
            busy("2024-11-05T05:00:00Z", "2024-11-06T05:00:00Z", uid: "allday@google.com"),
            busy("2024-11-06T15:00:00Z", "2024-11-06T16:00:00Z", uid: "utc@google.com"),
            busy("2024-11-06T15:30:00Z", "2024-11-06T17:00:00Z", uid: "overlap@google.com"),
        ])
    }

    @Test func truncatedFileIsRefusedNamingWhereTheOpenComponentBegan() {
        let bytes = fixture("truncated.ics")
        let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
        let error = expectError { _ = try ICalendarDocument(bytes: bytes) }
        #expect(error?.code == .unbalancedComponents)
        #expect(error?.line == lineCount)
        #expect(error?.message.contains("VEVENT begun at line 45") == true)
    }
}
