import BookijiCore
import Testing

@testable import ICalendar

/// DATE versus DATE-TIME, and DTEND, DURATION or neither (RFC 5545 3.6.1).
struct DurationTests {
    func single(_ lines: String, tz: String? = nil) throws -> CalendarExpansion {
        try expand(calendar("BEGIN:VEVENT\r\nUID:e\r\n" + lines + "END:VEVENT\r\n"), tz: tz)
    }

    @Test func dtendGivesTheEnd() throws {
        let r = try single("DTSTART:20240301T090000Z\r\nDTEND:20240301T103000Z\r\n")
        #expect(r.intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:30:00Z")])
    }

    @Test func durationGivesTheEnd() throws {
        let r = try single("DTSTART:20240301T090000Z\r\nDURATION:PT1H30M\r\n")
        #expect(r.intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:30:00Z")])
    }

    @Test func durationInDaysIsNominalAcrossDST() throws {
        // P1D from 12:00 EST on 9 March ends at 12:00 EDT on 10 March: 23 hours.
        let r = try single("DTSTART;TZID=America/New_York:20240309T120000\r\nDURATION:P1D\r\n")
        #expect(r.intervals == [busy("2024-03-09T17:00:00Z", "2024-03-10T16:00:00Z")])
        // PT24H is exact: 24 hours.
        let exact = try single("DTSTART;TZID=America/New_York:20240309T120000\r\nDURATION:PT24H\r\n")
        #expect(exact.intervals == [busy("2024-03-09T17:00:00Z", "2024-03-10T17:00:00Z")])
    }

    @Test func dateTimeWithoutEndOrDurationBlocksNothing() throws {
        let r = try single("DTSTART:20240301T090000Z\r\n")
        #expect(r.intervals.isEmpty)
        #expect(r.summary.skipped == [SkippedItem(line: 4, uid: "e", reason: .zeroLength)])
    }

    @Test func dateWithoutEndOrDurationLastsOneDay() throws {
        let r = try single("DTSTART;VALUE=DATE:20240301\r\n")
        #expect(r.intervals == [busy("2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z")])
    }

    @Test func dateWithDtendIsExclusiveOfTheEndDate() throws {
        let r = try single("DTSTART;VALUE=DATE:20240301\r\nDTEND;VALUE=DATE:20240304\r\n", tz: "America/New_York")
        // Three local days, 1-3 March, in EST.
        #expect(r.intervals == [busy("2024-03-01T05:00:00Z", "2024-03-04T05:00:00Z")])
    }

    @Test func zeroLengthEventsBlockNothing() throws {
        let r = try single("DTSTART:20240301T090000Z\r\nDTEND:20240301T090000Z\r\n")
        #expect(r.intervals.isEmpty)
        #expect(r.summary.skipped.map(\.reason) == [.zeroLength])
        let duration = try single("DTSTART:20240301T090000Z\r\nDURATION:PT0S\r\n")
        #expect(duration.intervals.isEmpty)
    }

    /// The event read strictly (a lenient read repairs these, see RepairTests).
    func strictSingle(_ lines: String) throws {
        _ = try ICalendarDocument(text: calendar("BEGIN:VEVENT\r\nUID:e\r\n" + lines + "END:VEVENT\r\n"), strict: true)
            .expand(over: window("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"))
    }

    @Test func dtendBeforeDtstartIsAnErrorWhenStrict() {
        let error = expectError { try strictSingle("DTSTART:20240301T090000Z\r\nDTEND:20240301T080000Z\r\n") }
        #expect(error?.code == .invalidValue)
        #expect(error?.line == 7)
    }

    @Test func dtendAndDurationTogetherAreAnErrorWhenStrict() {
        let error = expectError { try strictSingle("DTSTART:20240301T090000Z\r\nDTEND:20240301T100000Z\r\nDURATION:PT1H\r\n") }
        #expect(error?.code == .conflictingProperties)
        #expect(error?.line == 8)
    }

    @Test func eventOverlappingTheWindowEdgeIsReturnedWhole() throws {
        let r = try expand(
            calendar("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20231231T230000Z\r\nDTEND:20240101T010000Z\r\nEND:VEVENT\r\n"))
        #expect(r.intervals == [busy("2023-12-31T23:00:00Z", "2024-01-01T01:00:00Z")])
        let outside = try expand(
            calendar("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20231231T220000Z\r\nDTEND:20240101T000000Z\r\nEND:VEVENT\r\n"))
        #expect(outside.intervals.isEmpty)
    }
}
