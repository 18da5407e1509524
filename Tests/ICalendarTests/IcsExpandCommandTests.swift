import BookijiCore
import Testing

@testable import ICalendar

/// `bookiji ics expand`, driven through its library entry point.
struct IcsExpandCommandTests {
    let google = fixturePath("google.ics")

    func run(_ arguments: [String], stdin: [UInt8] = []) -> IcsExpandCommand.Output {
        IcsExpandCommand.run(arguments: arguments, stdin: { stdin })
    }

    @Test func printsOneJSONArrayOfUTCIntervals() {
        let out = run([google, "--from", "2024-11-01T00:00:00Z", "--to", "2024-11-05T00:00:00Z"])
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
        let out = run([google, "--from=2024-11-06T06:00:00Z", "--to=2024-11-07", "--merge"])
        #expect(out.exitCode == 0)
        #expect(out.stdout == """
            [
              {"start":"2024-11-06T15:00:00Z","end":"2024-11-06T17:00:00Z","status":"busy"}
            ]

            """)
    }

    @Test func textFormat() {
        let out = run([google, "--from", "2024-11-04", "--to", "2024-11-05", "--format", "text"])
        #expect(out.exitCode == 0)
        #expect(out.stdout == "2024-11-04T17:00:00Z  2024-11-04T18:00:00Z  busy  la@google.com\n")
    }

    @Test func readsStandardInputForDash() {
        let ics = calendar("BEGIN:VEVENT\r\nUID:a\"b\r\nDTSTART:20240301T090000\r\nDURATION:PT1H\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n")
        let out = run(["-", "--from", "2024-03-01", "--to", "2024-03-02", "--tz", "Asia/Kolkata"], stdin: Array(ics.utf8))
        #expect(out.exitCode == 0)
        #expect(out.stdout == "[\n  {\"start\":\"2024-03-01T03:30:00Z\",\"end\":\"2024-03-01T04:30:00Z\",\"status\":\"tentative\",\"uid\":\"a\\\"b\"}\n]\n")
        #expect(out.stderr.contains("Asia/Kolkata (--tz)"))
    }

    @Test func emptyResultIsAnEmptyArray() {
        let out = run([google, "--from", "2030-01-01", "--to", "2030-02-01"])
        #expect(out.exitCode == 0)
        #expect(out.stdout == "[]\n")
    }

    @Test func malformedInputFailsWithTheLineAndPrintsNothing() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:2024-03-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let out = run(["-", "--from", "2024-01-01", "--to", "2025-01-01"], stdin: Array(ics.utf8))
        #expect(out.exitCode == IcsExpandCommand.ExitCode.dataError)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.hasPrefix("error: <stdin>:8: DTSTART"))
    }

    @Test func truncatedFileFailsWithNoPartialOutput() {
        let out = run([fixturePath("truncated.ics"), "--from", "2024-01-01", "--to", "2025-01-01"])
        #expect(out.exitCode == 65)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("truncated.ics:52:"))
    }

    @Test func unknownTZIDFailsNamingIt() {
        let ics = calendar("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Moon/Base:20240301T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
        let out = run(["-", "--from", "2024-01-01", "--to", "2025-01-01"], stdin: Array(ics.utf8))
        #expect(out.exitCode == 65)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains(":6:"))
        #expect(out.stderr.contains("Moon/Base"))
    }

    @Test(arguments: [
        ([], "missing FILE"),
        (["x.ics", "--to", "2024-01-02"], "missing --from"),
        (["x.ics", "--from", "2024-01-01"], "missing --to"),
        (["x.ics", "--from", "2024-01-02", "--to", "2024-01-01"], "--to must be after --from"),
        (["x.ics", "--from", "yesterday", "--to", "2024-01-01"], "--from"),
        (["x.ics", "--from", "2024-01-01T00:00:00", "--to", "2024-01-02"], "zone designator"),
        (["x.ics", "--from", "2024-01-01", "--to", "2024-01-02", "--format", "xml"], "--format"),
        (["x.ics", "y.ics", "--from", "2024-01-01", "--to", "2024-01-02"], "only one FILE"),
        (["x.ics", "--from", "2024-01-01", "--to", "2024-01-02", "--verbose"], "unknown option"),
        (["x.ics", "--from", "2024-01-01", "--to"], "--to needs a value"),
        (["x.ics", "--from", "2024-01-01", "--to", "2024-01-02", "--tz", "Nowhere/City"], "unknown time zone"),
    ])
    func badArgumentsAreUsageErrors(arguments: [String], message: String) {
        let out = run(arguments)
        #expect(out.exitCode == IcsExpandCommand.ExitCode.usage)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains(message))
    }

    @Test func helpIsPrintedAndSucceeds() {
        let out = run(["--help"])
        #expect(out.exitCode == 0)
        #expect(out.stdout.hasPrefix(IcsExpandCommand.usage))
        #expect(out.stdout.contains("--merge"))
        #expect(run(["x.ics", "-h"]).exitCode == 0)
    }

    @Test func unreadableFileIsNoInput() {
        let out = run(["/nonexistent/calendar.ics", "--from", "2024-01-01", "--to", "2025-01-01"])
        #expect(out.exitCode == IcsExpandCommand.ExitCode.noInput)
        #expect(out.stderr.contains("/nonexistent/calendar.ics"))
        #expect(out.stdout.isEmpty)
    }

    @Test func optionsParseBothSpellings() throws {
        let a = try #require(try IcsExpandOptions.parse(["f.ics", "--from", "2024-01-01", "--to=2024-02-01T12:00:00+01:00", "--tz=Europe/Berlin", "--merge", "--format", "TEXT"]))
        #expect(a.file == "f.ics")
        #expect(a.window == UTCInterval(start: instant("2024-01-01T00:00:00Z"), end: instant("2024-02-01T11:00:00Z")))
        #expect(a.timeZone == "Europe/Berlin")
        #expect(a.merge)
        #expect(a.format == .text)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(IntervalFormatter.jsonString("a\"b\\c\nd\u{1}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}
