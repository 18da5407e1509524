import BookijiCore
import Testing

@testable import ICalendar

/// How correct-looking files whose meaning differs between clients are read (issue 15): stale
/// overrides, IANA TZIDs over an embedded VTIMEZONE, a DATE UNTIL on a timed series. Each
/// fixture in Fixtures/semantics was written by hand; the expected intervals are worked out in
/// the comments.
struct SemanticsTests {
    func expandFixture(_ name: String, from: String, to: String) throws -> CalendarExpansion {
        let document = try ICalendarDocument(bytes: fixture("semantics/" + name))
        return try document.expand(over: window(from, to))
    }

    @Test func overrideOfAnInstanceTheMasterNowExcludesDoesNotBringItBack() throws {
        let r = try expandFixture("deleted-instance-override.ics", from: "2024-03-01T00:00:00Z", to: "2024-06-01T00:00:00Z")
        // Stand-up: Mondays 09:00-10:00 Berlin (CET, +1, until 31 March), COUNT=4: 4, 11, 18, 25
        // March. 11 March was moved to Tuesday 12 March 14:00 (RECURRENCE-ID on line 19), then deleted by the
        // master's EXDATE: neither 11 March 08:00Z nor 12 March 13:00Z. 18 March moved to 11:00.
        // Review: daily 16:00Z, 6-8 May; the DATE EXDATE deletes 6 May, so the override that had
        // moved it to 08:00Z (line 45) goes too.
        #expect(r.intervals == [
            busy("2024-03-04T08:00:00Z", "2024-03-04T09:00:00Z", uid: "weekly-standup"),
            busy("2024-03-18T10:00:00Z", "2024-03-18T11:00:00Z", uid: "weekly-standup"),
            busy("2024-03-25T08:00:00Z", "2024-03-25T09:00:00Z", uid: "weekly-standup"),
            busy("2024-05-07T16:00:00Z", "2024-05-07T16:30:00Z", uid: "daily-review"),
            busy("2024-05-08T16:00:00Z", "2024-05-08T16:30:00Z", uid: "daily-review"),
        ])
        #expect(r.summary.repaired.map(\.line) == [19, 45])
        #expect(r.summary.repaired.allSatisfy { $0.kind == .staleOverride })
        #expect(r.summary.skipped.isEmpty)
    }

    @Test func lowerSequenceOverrideOutsideTheShortenedSeriesIsDroppedAndLiveOnesStillMove() throws {
        let r = try expandFixture("shortened-series-override.ics", from: "2024-03-01T00:00:00Z", to: "2024-07-01T00:00:00Z")
        // Course (SEQUENCE 2): Mondays 10:00-11:00Z, COUNT=3: 1, 8, 15 April.
        // - 8 April moved to 9 April 15:00Z by a SEQUENCE 0 override: the instance still exists,
        //   so it moves whatever its SEQUENCE.
        // - 29 April (SEQUENCE 1, RECURRENCE-ID on line 27): the series no longer reaches it: dropped.
        // - 6 May (SEQUENCE 2, equal to the master's): made with the current series,
        //   kept as an extra instance at 12:00Z.
        // Clinic (SEQUENCE 4): Fridays 09:00-11:00 New York (EDT, -4) until 17 May 13:00Z
        // inclusive: 3, 10, 17 May 13:00-15:00Z. The SEQUENCE 3 override of 24 May (line 54)
        // is beyond the new UNTIL: dropped.
        #expect(r.intervals == [
            busy("2024-04-01T10:00:00Z", "2024-04-01T11:00:00Z", uid: "course"),
            busy("2024-04-09T15:00:00Z", "2024-04-09T16:00:00Z", uid: "course"),
            busy("2024-04-15T10:00:00Z", "2024-04-15T11:00:00Z", uid: "course"),
            busy("2024-05-03T13:00:00Z", "2024-05-03T15:00:00Z", uid: "clinic"),
            busy("2024-05-06T12:00:00Z", "2024-05-06T13:00:00Z", uid: "course"),
            busy("2024-05-10T13:00:00Z", "2024-05-10T15:00:00Z", uid: "clinic"),
            busy("2024-05-17T13:00:00Z", "2024-05-17T15:00:00Z", uid: "clinic"),
        ])
        #expect(r.summary.repaired.map(\.line) == [27, 54])
        #expect(r.summary.repaired.allSatisfy { $0.kind == .staleOverride })
    }

    @Test func staleOverridesAreFoundWhenTheWindowOnlyHoldsTheMovedTime() throws {
        // The window holds neither the master's instances nor the dropped override's
        // RECURRENCE-ID, only where the stale override would have put it (30 April).
        let r = try expandFixture("shortened-series-override.ics", from: "2024-04-30T00:00:00Z", to: "2024-05-01T00:00:00Z")
        #expect(r.intervals.isEmpty)
        #expect(r.summary.repaired.map(\.line) == [27, 54])
    }

    @Test func staleOverridesAreErrorsInStrictMode() throws {
        let deleted = try ICalendarDocument(bytes: fixture("semantics/deleted-instance-override.ics"), strict: true)
        let error = expectError { _ = try deleted.expand(over: window("2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z")) }
        #expect(error?.line == 19)
        #expect(error?.message.contains("EXDATE") == true)
        let shortened = try ICalendarDocument(bytes: fixture("semantics/shortened-series-override.ics"), strict: true)
        let outdated = expectError { _ = try shortened.expand(over: window("2024-03-01T00:00:00Z", "2024-07-01T00:00:00Z")) }
        #expect(outdated?.line == 27)
        #expect(outdated?.message.contains("SEQUENCE") == true)
    }

    @Test(arguments: ["iana-tzid-truncated-vtimezone.ics", "date-until-timed-series.ics"])
    func strictModeReadsTheZoneAndUntilRulesTheSameWay(name: String) throws {
        // These are readings, not repairs: a strict read accepts the file and agrees.
        let w = window("2005-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
        let lenient = try ICalendarDocument(bytes: fixture("semantics/" + name)).expand(over: w)
        let strict = try ICalendarDocument(bytes: fixture("semantics/" + name), strict: true).expand(over: w)
        #expect(strict.intervals == lenient.intervals)
        #expect(strict.intervals.count >= 4)
    }

    @Test func ianaTZIDUsesTzdataOverATruncatedEmbeddedVTIMEZONE() throws {
        let r = try expandFixture("iana-tzid-truncated-vtimezone.ics", from: "2005-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z")
        // Both embedded VTIMEZONEs only have the US rules from 2007 on; before their first
        // observance libical reads them as EST (-5) all year.
        // - America/New_York, 11 July 2005 09:00: tzdata says EDT (-4): 13:00Z, not 14:00Z.
        // - America/New_York, 8 July 2024 09:00: EDT either way: 13:00Z.
        // - "Eastern Standard Time" is not an IANA name: its embedded definition rules: 14:00Z.
        // - "Pacific Standard Time" without a VTIMEZONE maps to America/Los_Angeles, PDT (-7): 16:00Z.
        #expect(r.intervals == [
            busy("2005-07-11T13:00:00Z", "2005-07-11T14:00:00Z", uid: "iana-2005"),
            busy("2005-07-11T14:00:00Z", "2005-07-11T15:00:00Z", uid: "windows-embedded-2005"),
            busy("2005-07-11T16:00:00Z", "2005-07-11T17:00:00Z", uid: "windows-mapped-2005"),
            busy("2024-07-08T13:00:00Z", "2024-07-08T14:00:00Z", uid: "iana-2024"),
        ])
        #expect(r.summary.repaired.isEmpty)
    }

    @Test func dateUntilEndsATimedSeriesAtTheStartOfThatDayInItsOwnZone() throws {
        let r = try expandFixture("date-until-timed-series.ics", from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z")
        // Evening: daily 20:00-21:00 New York (EST, -5), UNTIL=20240104: 1, 2, 3 January local
        // (01:00Z the next day); 4 January local is the UNTIL day: not included, although its
        // UTC start (5 January 01:00Z) is what a UTC reading of the date would compare.
        // Midnight: daily 00:00Z, UNTIL=20240112: 10 and 11 January; 12 January 00:00 is on the
        // UNTIL day: not included.
        // Holiday: an all-day series with a DATE UNTIL includes its last day: 20, 21, 22 January.
        #expect(r.intervals == [
            busy("2024-01-02T01:00:00Z", "2024-01-02T02:00:00Z", uid: "evening"),
            busy("2024-01-03T01:00:00Z", "2024-01-03T02:00:00Z", uid: "evening"),
            busy("2024-01-04T01:00:00Z", "2024-01-04T02:00:00Z", uid: "evening"),
            busy("2024-01-10T00:00:00Z", "2024-01-10T01:00:00Z", uid: "midnight"),
            busy("2024-01-11T00:00:00Z", "2024-01-11T01:00:00Z", uid: "midnight"),
            busy("2024-01-20T00:00:00Z", "2024-01-21T00:00:00Z", uid: "holiday"),
            busy("2024-01-21T00:00:00Z", "2024-01-22T00:00:00Z", uid: "holiday"),
            busy("2024-01-22T00:00:00Z", "2024-01-23T00:00:00Z", uid: "holiday"),
        ])
    }
}
