import BookijiCore
import Testing

@testable import ICalendar

/// Malformed input is refused with the line at fault, never half-read (strict reads: a lenient
/// read repairs some of these, see RepairTests).
struct ParseErrorTests {
    /// The error for a VEVENT whose lines are `body` (the VEVENT begins on line 4), read strictly.
    func error(inEvent body: String) -> ICalendarError? {
        expectError { _ = try ICalendarDocument(text: calendar("BEGIN:VEVENT\r\nUID:e\r\n" + body + "END:VEVENT\r\n"), strict: true) }
    }

    @Test(arguments: [
        ("DTSTART20240101T090000Z\r\n", ICalendarError.Code.malformedLine),
        ("DTSTART;TZID:20240101T090000\r\n", .malformedLine),
        ("DTSTART;TZID=\"Europe/Berlin:20240101T090000\r\n", .malformedLine),
        (";X=1:foo\r\n", .malformedLine),
        ("DTSTART:20241301T090000Z\r\n", .invalidValue),
        ("DTSTART:20240230T090000Z\r\n", .invalidValue),
        ("DTSTART:20240101T250000Z\r\n", .invalidValue),
        ("DTSTART:20240101T0900\r\n", .invalidValue),
        ("DTSTART:20240101T090000X\r\n", .invalidValue),
        ("DTSTART;VALUE=DATE:20240101T090000\r\n", .invalidValue),
        ("DURATION:PT1X\r\n", .invalidValue),
        ("DURATION:P\r\n", .invalidValue),
        ("DURATION:-PT1H\r\n", .invalidValue),
        ("SEQUENCE:abc\r\n", .invalidValue),
        ("EXDATE:20240101T090000Z,garbage\r\n", .invalidValue),
        ("RDATE;VALUE=PERIOD:20240101T090000Z/\r\n", .invalidValue),
        ("RECURRENCE-ID:2024\r\n", .invalidValue),
    ])
    func badLinesAreReportedAtTheirLine(line: String, code: ICalendarError.Code) {
        let e = error(inEvent: line)
        #expect(e?.code == code)
        #expect(e?.line == 6)
        #expect(e?.message.isEmpty == false)
    }

    @Test func secondDtstartIsAnError() {
        let e = error(inEvent: "DTSTART:20240101T090000Z\r\nDTSTART:20240102T090000Z\r\n")
        #expect(e?.code == .conflictingProperties)
        #expect(e?.line == 7)
    }

    @Test func lineNumbersCountPhysicalLinesAcrossFolding() {
        // A DESCRIPTION folded over three physical lines (6-8), then a bad DTSTART on line 9.
        let e = error(inEvent: "DESCRIPTION:one\r\n two\r\n\tthree\r\nDTSTART:2024XX01T090000Z\r\n")
        #expect(e?.line == 9)
        // The same with LF line endings.
        let lf = expectError {
            _ = try ICalendarDocument(text: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDESCRIPTION:a\n b\nDTSTART:bad\nEND:VEVENT\nEND:VCALENDAR\n")
        }
        #expect(lf?.line == 5)
    }

    @Test func foldedPropertiesAreUnfolded() throws {
        let r = try expand(calendar("BEGIN:VEVENT\r\nUID:fol\r\n ded\r\nDTSTART:2024030\r\n 1T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"))
        #expect(r.intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z", uid: "folded")])
    }

    @Test func mismatchedEndNamesBothLines() {
        let e = expectError { _ = try ICalendarDocument(text: calendar("BEGIN:VEVENT\r\nUID:e\r\nEND:VTODO\r\n"), strict: true) }
        #expect(e?.code == .unbalancedComponents)
        #expect(e?.line == 6)
        #expect(e?.message.contains("line 4") == true)
    }

    @Test func endWithoutBegin() {
        let e = expectError { _ = try ICalendarDocument(text: calendar("END:VEVENT\r\n")) }
        #expect(e?.code == .unbalancedComponents)
        #expect(e?.line == 4)
    }

    @Test func fileCutShortInsideAComponent() {
        let e = expectError {
            _ = try ICalendarDocument(text: "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T090000Z\r\n")
        }
        #expect(e?.code == .unbalancedComponents)
        #expect(e?.line == 4)
        #expect(e?.message.contains("VEVENT begun at line 2") == true)
    }

    @Test func notACalendarAtAll() {
        #expect(expectError { _ = try ICalendarDocument(text: "") }?.code == .notACalendar)
        #expect(expectError { _ = try ICalendarDocument(text: "\r\n  \r\n") }?.code == .notACalendar)
        let html = expectError { _ = try ICalendarDocument(text: "<html>\n<body>404</body>\n</html>\n") }
        #expect(html?.code == .malformedLine)
        #expect(html?.line == 1)
        let vcard = expectError { _ = try ICalendarDocument(text: "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n") }
        #expect(vcard?.code == .notACalendar)
        #expect(vcard?.line == 1)
    }

    @Test func continuationWithoutAContentLine() {
        let e = expectError { _ = try ICalendarDocument(text: " BEGIN:VCALENDAR\r\n") }
        #expect(e?.code == .malformedLine)
        #expect(e?.line == 1)
    }

    @Test func contentAfterTheCalendarIsAnError() {
        let e = expectError { _ = try ICalendarDocument(text: calendar("") + "UID:stray\r\n") }
        #expect(e?.code == .unbalancedComponents)
        #expect(e?.line == 5)
    }

    @Test func concatenatedCalendarsAreAllRead() throws {
        let one = calendar("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
        let two = calendar("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240302T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
        let r = try expand(one + two)
        #expect(r.intervals.map(\.uid) == ["a", "b"])
    }

    @Test func byteOrderMarkAndBlankLinesAreTolerated() throws {
        let text = "\u{FEFF}" + calendar("BEGIN:VEVENT\r\nUID:e\r\n\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n") + "\r\n\r\n"
        #expect(try expand(text).intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z")])
    }

    @Test func brokenVTimezoneIsReportedAtItsLine() {
        let e = expectError {
            _ = try ICalendarDocument(text: calendar("""
                BEGIN:VTIMEZONE
                TZID:Broken
                BEGIN:STANDARD
                DTSTART:19700101T000000
                TZOFFSETFROM:+0100
                TZOFFSETTO:one hour
                END:STANDARD
                END:VTIMEZONE

                """))
        }
        #expect(e?.code == .invalidValue)
        #expect(e?.line == 9)
    }

    @Test func errorDescriptionLeadsWithTheLine() {
        let e = ICalendarError(.invalidValue, line: 12, "DTSTART: bad")
        #expect(e.description == "line 12: DTSTART: bad")
    }
}
