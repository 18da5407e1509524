import BookijiCore
import Testing

@testable import ICalendar

/// Damage real-world exporters leave: repaired and reported with its line by default, refused
/// naming that line when strict. Each fixture in Fixtures/repairs holds one kind of damage; the
/// expected intervals below are worked out by hand from the file.
struct RepairTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var fixture: String
        /// What a lenient read blocks over March 2024.
        var intervals: [BusyInterval]
        var repairs: [(line: Int, kind: RepairKind)]
        /// What a strict read refuses the file with.
        var strictCode: ICalendarError.Code
        var strictLine: Int

        var testDescription: String { fixture }
    }

    static let cases: [Case] = [
        // Line 8 `RRULE:` is empty: the event is its DTSTART..DTEND only, 4 March 09:00-10:00 UTC.
        Case(
            fixture: "empty-rrule.ics",
            intervals: [busy("2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", uid: "empty-rrule")],
            repairs: [(8, .emptyRecurrenceRule)], strictCode: .invalidRecurrenceRule, strictLine: 8),
        // Line 8 `FREQ=DAILY;UNTIL=20240306T090000Z;COUNT=-1`: COUNT dropped, UNTIL (inclusive) ends
        // it: daily 09:00-10:00 UTC (DURATION PT1H) on 4, 5 and 6 March.
        Case(
            fixture: "count-with-until.ics",
            intervals: [
                busy("2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", uid: "count-until"),
                busy("2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", uid: "count-until"),
                busy("2024-03-06T09:00:00Z", "2024-03-06T10:00:00Z", uid: "count-until"),
            ],
            repairs: [(8, .countWithUntil)], strictCode: .invalidRecurrenceRule, strictLine: 8),
        // Lines 6-7: 11:00 to 10:00 Berlin on 4 March, swapped: 10:00-11:00 CET (UTC+1) is
        // 09:00-10:00 UTC. Lines 11-13: 17:00 to 16:30 UTC, daily twice, swapped: the series starts
        // at 16:30, so 16:30-17:00 UTC on 5 and 6 March.
        Case(
            fixture: "dtend-before-dtstart.ics",
            intervals: [
                busy("2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", uid: "swapped"),
                busy("2024-03-05T16:30:00Z", "2024-03-05T17:00:00Z", uid: "swapped-series"),
                busy("2024-03-06T16:30:00Z", "2024-03-06T17:00:00Z", uid: "swapped-series"),
            ],
            repairs: [(7, .endBeforeStart), (12, .endBeforeStart)], strictCode: .invalidValue, strictLine: 7),
        // Daily 09:00-10:00 UTC 4-6 March; the 5 March instance moved to 14:00 with DTEND 15:30
        // (line 14) and DURATION:PT0S (line 15): DTEND kept, so 14:00-15:30, not zero-length.
        Case(
            fixture: "dtend-and-duration.ics",
            intervals: [
                busy("2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", uid: "moved"),
                busy("2024-03-05T14:00:00Z", "2024-03-05T15:30:00Z", uid: "moved"),
                busy("2024-03-06T09:00:00Z", "2024-03-06T10:00:00Z", uid: "moved"),
            ],
            repairs: [(15, .endAndDuration)], strictCode: .conflictingProperties, strictLine: 15),
        // Line 7 `END:VTOOD` closes the VTODO (ignored, blocks nothing); line 12 `END:VEVNT` closes
        // the first VEVENT, 4 March 09:00-10:00 UTC; the next VEVENT is read as usual, 5 March
        // 09:00-09:30 UTC.
        Case(
            fixture: "mismatched-end.ics",
            intervals: [
                busy("2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", uid: "after-todo"),
                busy("2024-03-05T09:00:00Z", "2024-03-05T09:30:00Z", uid: "last"),
            ],
            repairs: [(7, .mismatchedEnd), (12, .mismatchedEnd)], strictCode: .unbalancedComponents, strictLine: 7),
        // Line 8 is the rest of a DESCRIPTION whose fold lost its leading space: skipped; the DTEND
        // after it still counts, 4 March 09:00-10:30 UTC.
        Case(
            fixture: "unparsable-line.ics",
            intervals: [busy("2024-03-04T09:00:00Z", "2024-03-04T10:30:00Z", uid: "lost-fold")],
            repairs: [(8, .unparsableLine)], strictCode: .malformedLine, strictLine: 8),
    ]

    static let march = window("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")

    @Test(arguments: cases)
    func lenientReadRepairsAndReportsTheLine(_ c: Case) throws {
        let r = try ICalendarDocument(bytes: fixture("repairs/" + c.fixture)).expand(over: Self.march)
        #expect(r.intervals == c.intervals)
        #expect(r.summary.repaired.map(\.line) == c.repairs.map(\.line))
        #expect(r.summary.repaired.map(\.kind) == c.repairs.map(\.kind))
        #expect(r.summary.repaired.allSatisfy { !$0.message.isEmpty })
        #expect(r.summary.skipped.isEmpty)
    }

    @Test(arguments: cases)
    func strictReadRefusesNamingTheLine(_ c: Case) {
        let error = expectError {
            _ = try ICalendarDocument(bytes: fixture("repairs/" + c.fixture), strict: true).expand(over: Self.march)
        }
        #expect(error?.code == c.strictCode)
        #expect(error?.line == c.strictLine)
    }

    @Test func repairsDoNotChangeWhatTheSummaryCounts() throws {
        let empty = try ICalendarDocument(bytes: fixture("repairs/empty-rrule.ics")).expand(over: Self.march)
        #expect(empty.summary.recurringEventCount == 0)
        let ends = try ICalendarDocument(bytes: fixture("repairs/mismatched-end.ics")).expand(over: Self.march)
        #expect(ends.summary.eventCount == 2)
        #expect(ends.summary.ignoredComponents == ["VTODO": 1])
    }

    @Test func endOfAnOuterComponentClosesTheUnclosedOnesInside() throws {
        // BEGIN:VALARM (line 8) is never closed; END:VEVENT on line 10 closes both. The event blocks
        // 1 March 09:00-10:00 UTC, and the next one is read as usual.
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240301T090000Z\r\nDTEND:20240301T100000Z\r\n"
                + "BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nEND:VEVENT\r\n"
                + "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20240302T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
        let r = try expand(text)
        #expect(r.intervals == [
            busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z", uid: "e"),
            busy("2024-03-02T09:00:00Z", "2024-03-02T10:00:00Z", uid: "f"),
        ])
        #expect(r.summary.repaired.map(\.line) == [10])
        #expect(r.summary.repaired.map(\.kind) == [.mismatchedEnd])
        #expect(r.summary.repaired.first?.message.contains("VALARM from line 8") == true)
        let strict = expectError { _ = try ICalendarDocument(text: text, strict: true) }
        #expect(strict?.code == .unbalancedComponents)
        #expect(strict?.line == 10)
    }

    @Test func countBelowOneWithoutUntilIsStillRefused() {
        for strict in [false, true] {
            let error = expectError {
                _ = try ICalendarDocument(
                    text: calendar("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=DAILY;COUNT=-1\r\nEND:VEVENT\r\n"),
                    strict: strict)
            }
            #expect(error?.code == .invalidRecurrenceRule)
            #expect(error?.line == 7)
        }
    }

    /// Damage that leaves nothing to trust is refused with its line whether or not the read is strict.
    @Test(arguments: [false, true])
    func structuralDamageFailsInBothModes(strict: Bool) {
        func refusal(_ text: String) -> ICalendarError? {
            expectError { _ = try ICalendarDocument(bytes: Array(text.utf8), strict: strict) }
        }
        // No BEGIN:VCALENDAR: a bare VEVENT, a web page, a line that does not parse before the calendar.
        let bare = refusal("BEGIN:VEVENT\r\nUID:e\r\nEND:VEVENT\r\n")
        #expect(bare?.code == .notACalendar)
        #expect(bare?.line == 1)
        let html = refusal("<!DOCTYPE html>\n<html><body>Not found</body></html>\n")
        #expect(html?.code == .malformedLine)
        #expect(html?.line == 1)
        let preamble = refusal("Calendar export\r\n" + calendar(""))
        #expect(preamble?.line == 1)
        // Binary data: a NUL byte on line 5 (here inside a VEVENT, where a bad line would be skipped).
        let binary = refusal("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e\r\nDESCRIPTION:\u{0}\u{1}PK\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        #expect(binary?.code == .notACalendar)
        #expect(binary?.line == 5)
        // UTF-16 text is full of NULs: refused at its first line.
        let utf16 = Array("BEGIN:VCALENDAR\r\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(expectError { _ = try ICalendarDocument(bytes: utf16, strict: strict) }?.line == 1)
        // A file cut short inside a component, a stray END with only the calendar open, content after it.
        let cut = expectError { _ = try ICalendarDocument(bytes: fixture("truncated.ics"), strict: strict) }
        #expect(cut?.code == .unbalancedComponents)
        let stray = refusal(calendar("BEGIN:VEVENT\r\nUID:e\r\nEND:VEVENT\r\nEND:VEVENT\r\n"))
        #expect(stray?.code == .unbalancedComponents)
        #expect(stray?.line == 7)
        let after = refusal(calendar("") + "UID:stray\r\n")
        #expect(after?.code == .unbalancedComponents)
        #expect(after?.line == 5)
    }

    @Test func commandPrintsTheRepairsAndStrictRefuses() {
        let path = fixturePath("repairs/mismatched-end.ics")
        let lenient = IcsExpandCommand.run(
            IcsExpandOptions(file: path, window: Self.march, format: .text), stdin: { [] })
        #expect(lenient.exitCode == IcsExpandCommand.ExitCode.success)
        #expect(lenient.stdout.split(separator: "\n").count == 2)
        #expect(lenient.stderr.contains("repaired 2 problems instead of refusing the file (--strict refuses): 2 mismatched-end\n"))
        #expect(lenient.stderr.contains("  line 7: mismatched-end: END:VTOOD does not close BEGIN:VTODO from line 4: closed VTODO\n"))
        #expect(lenient.stderr.contains("  line 12: mismatched-end: "))
        let strict = IcsExpandCommand.run(
            IcsExpandOptions(file: path, window: Self.march, format: .text, strict: true), stdin: { [] })
        #expect(strict.exitCode == IcsExpandCommand.ExitCode.dataError)
        #expect(strict.stdout.isEmpty)
        #expect(strict.stderr.hasPrefix("error: \(path):7: END:VTOOD does not close BEGIN:VTODO"))
    }

    @Test func aCleanFileReportsNoRepairs() throws {
        let r = try ICalendarDocument(bytes: fixture("outlook.ics")).expand(over: window("2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z"))
        #expect(r.summary.repaired.isEmpty)
        let out = IcsExpandCommand.run(
            IcsExpandOptions(file: fixturePath("outlook.ics"), window: Self.march), stdin: { [] })
        #expect(!out.stderr.contains("repaired"))
    }
}
