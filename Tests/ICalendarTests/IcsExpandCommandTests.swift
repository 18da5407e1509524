import BookijiCore
import Testing

@testable import ICalendar

/// `bookiji ics expand`, driven through its library entry point with options already parsed
/// (the executable reads the command line with swift-argument-parser).
struct IcsExpandCommandTests {
    let google = fixturePath("google.ics")

    func run(
        _ file: String, from: String, to: String, timeZone: String? = nil,
        format: IcsExpandOptions.Format = .json, merge: Bool = false, stdin: [UInt8] = []
    ) -> IcsExpandCommand.Output {
        let options = IcsExpandOptions(
            file: file, window: UTCInterval(start: instant(from), end: instant(to)), timeZone: timeZone,
            format: format, merge: merge)
        return IcsExpandCommand.run(options, stdin: { stdin })
    }

    @Test func printsOneJSONArrayOfUTCIntervals() {
        let out = run(google, from: "2024-11-01T00:00:00Z", to: "2024-11-05T00:00:00Z")
        #expect(out.exitCode == 0)
        #expect(out.stdout == """
            [
              {"start":"2024-11-02T17:30:00Z","end":"2024-11-02T18:30:00Z","status":"busy","uid":"floating@google.com"},
              {"start":"2024-11-03T18:30:00Z","end":"2024-11-03T19:30:00Z","status":"busy","uid":"floating@google.com"},
              {"start":"2024-11-04T17:00:00Z","end":"2024-11-04T18:00:00Z","status":"busy","uid":"la@google.com"}
            ]

            """)
        #expect(out.stderr.contains("3 occurrences"))
    }

    @Test func mergeJoinsOverlapsAndDropsUIDs() {
        let out = run(google, from: "2024-11-06T06:00:00Z", to: "2024-11-07T00:00:00Z", merge: true)
        #expect(out.exitCode == 0)
        #expect(out.stdout == """
            [
              {"start":"2024-11-06T15:00:00Z","end":"2024-11-06T17:00:00Z","status":"busy"}
            ]

            """)
    }

    @Test func textFormat() {
        let out = run(google, from: "2024-11-04T00:00:00Z", to: "2024-11-05T00:00:00Z", format: .text)
        #expect(out.exitCode == 0)
        #expect(out.stdout == "2024-11-04T17:00:00Z  2024-11-04T18:00:00Z  busy  la@google.com\n")
    }

    @Test func readsStandardInputForDash() {
        let ics = calendar("BEGIN:VEVENT\r\nUID:a\"b\r\nDTSTART:20240301T090000\r\nDURATION:PT1H\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n")
        let out = run("-", from: "2024-03-01T00:00:00Z", to: "2024-03-02T00:00:00Z", timeZone: "Asia/Kolkata", stdin: Array(ics.utf8))
        #expect(out.exitCode == 0)
        #expect(out.stdout == "[\n  {\"start\":\"2024-03-01T03:30:00Z\",\"end\":\"2024-03-01T04:30:00Z\",\"status\":\"tentative\",\"uid\":\"a\\\"b\"}\n]\n")
        #expect(out.stderr.contains("Asia/Kolkata (--tz)"))
    }

    @Test func emptyResultIsAnEmptyArray() {
        let out = run(google, from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z")
        #expect(out.exitCode == 0)
        #expect(out.stdout == "[]\n")
    }

    @Test func malformedInputFailsWithTheLineAndPrintsNothing() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:2024-03-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let out = run("-", from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z", stdin: Array(ics.utf8))
        #expect(out.exitCode == IcsExpandCommand.ExitCode.dataError)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.hasPrefix("error: <stdin>:8: DTSTART"))
    }

    @Test func truncatedFileFailsWithNoPartialOutput() {
        let out = run(fixturePath("truncated.ics"), from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z")
        #expect(out.exitCode == 65)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("truncated.ics:52:"))
    }

    @Test func unknownTZIDFailsNamingIt() {
        let ics = calendar("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Moon/Base:20240301T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
        let out = run("-", from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z", stdin: Array(ics.utf8))
        #expect(out.exitCode == 65)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains(":6:"))
        #expect(out.stderr.contains("Moon/Base"))
    }

    /// A zone libical does not know is refused before the file is read: a typo would otherwise
    /// shift every floating time silently.
    @Test func unknownZoneIsAUsageError() {
        let out = run(google, from: "2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z", timeZone: "Nowhere/City")
        #expect(out.exitCode == IcsExpandCommand.ExitCode.usage)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("unknown time zone 'Nowhere/City'"))
    }

    @Test func unreadableFileIsNoInput() {
        let out = run("/nonexistent/calendar.ics", from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z")
        #expect(out.exitCode == IcsExpandCommand.ExitCode.noInput)
        #expect(out.stderr.contains("/nonexistent/calendar.ics"))
        #expect(out.stdout.isEmpty)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(IntervalFormatter.jsonString("a\"b\\c\nd\u{1}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}
