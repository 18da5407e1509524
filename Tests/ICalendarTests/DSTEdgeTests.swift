import BookijiCore
import Testing

@testable import ICalendar

/// Wall-clock times around DST changes, worked out by hand from each zone's rules.
/// RFC 5545 3.3.5: a time in a gap uses the offset before the gap; an ambiguous time in an
/// overlap means its first occurrence.
struct DSTEdgeTests {
    func starts(_ zone: String, _ dtstart: String, _ rule: String, minutes: Int = 60) throws -> [Int64] {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=\(zone):\(dtstart)
            DURATION:PT\(minutes)M
            RRULE:\(rule)
            END:VEVENT

            """))
        return result.intervals.map(\.interval.start)
    }

    // MARK: America/New_York: EST -5, EDT -4; 2024-03-10 02:00 -> 03:00, 2024-11-03 02:00 -> 01:00

    @Test func newYorkDailyMeetingKeepsWallClockAcrossSpringForward() throws {
        #expect(try starts("America/New_York", "20240309T090000", "FREQ=DAILY;COUNT=3") == [
            instant("2024-03-09T14:00:00Z"), instant("2024-03-10T13:00:00Z"), instant("2024-03-11T13:00:00Z"),
        ])
    }

    @Test func newYorkTimeInTheSpringGapUsesTheOffsetBeforeTheGap() throws {
        // 02:30 on 10 March does not exist; read with EST (-5) it is 07:30Z (03:30 EDT).
        #expect(try starts("America/New_York", "20240309T023000", "FREQ=DAILY;COUNT=3") == [
            instant("2024-03-09T07:30:00Z"), instant("2024-03-10T07:30:00Z"), instant("2024-03-11T06:30:00Z"),
        ])
    }

    @Test func newYorkAmbiguousTimeInTheFallOverlapIsTheFirstOne() throws {
        // 01:30 on 3 November happens twice; the first is EDT (-4): 05:30Z.
        #expect(try starts("America/New_York", "20241102T013000", "FREQ=DAILY;COUNT=3") == [
            instant("2024-11-02T05:30:00Z"), instant("2024-11-03T05:30:00Z"), instant("2024-11-04T06:30:00Z"),
        ])
    }

    @Test func newYorkEventSpanningTheChangeKeepsItsExactDuration() throws {
        // DTEND gives an exact duration: 01:00 EST-> 04:00 EDT is 2 hours of real time.
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=America/New_York:20240310T010000
            DTEND;TZID=America/New_York:20240310T040000
            END:VEVENT

            """))
        #expect(result.intervals == [busy("2024-03-10T06:00:00Z", "2024-03-10T08:00:00Z")])
    }

    // MARK: Europe/Berlin: CET +1, CEST +2; 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00

    @Test func berlinWeeklyMeetingAcrossBothChanges() throws {
        #expect(try starts("Europe/Berlin", "20240324T100000", "FREQ=WEEKLY;COUNT=2") == [
            instant("2024-03-24T09:00:00Z"), instant("2024-03-31T08:00:00Z"),
        ])
        #expect(try starts("Europe/Berlin", "20241020T100000", "FREQ=WEEKLY;COUNT=2") == [
            instant("2024-10-20T08:00:00Z"), instant("2024-10-27T09:00:00Z"),
        ])
    }

    @Test func berlinGapAndOverlap() throws {
        // 02:30 on 31 March is in the gap: CET gives 01:30Z. 02:30 on 27 October is ambiguous:
        // the first (CEST) is 00:30Z.
        #expect(try starts("Europe/Berlin", "20240331T023000", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;COUNT=2") == [
            instant("2024-03-31T01:30:00Z"), instant("2024-10-27T00:30:00Z"),
        ])
    }

    @Test func berlinAllDayEventOnTheShortDayLasts23Hours() throws {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;VALUE=DATE:20240331
            END:VEVENT

            """), tz: "Europe/Berlin")
        #expect(result.intervals == [busy("2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z")])
    }

    // MARK: Australia/Lord_Howe: +10:30 standard, +11 daylight (a 30-minute shift);
    // 2024-04-07 02:00 -> 01:30, 2024-10-06 02:00 -> 02:30

    @Test func lordHoweDailyMeetingAcrossBothHalfHourChanges() throws {
        #expect(try starts("Australia/Lord_Howe", "20240406T090000", "FREQ=DAILY;COUNT=2") == [
            instant("2024-04-05T22:00:00Z"), instant("2024-04-06T22:30:00Z"),
        ])
        #expect(try starts("Australia/Lord_Howe", "20241005T090000", "FREQ=DAILY;COUNT=2") == [
            instant("2024-10-04T22:30:00Z"), instant("2024-10-05T22:00:00Z"),
        ])
    }

    @Test func lordHoweHalfHourOverlapAndGap() throws {
        // 01:45 on 7 April happens twice (+11 then +10:30): the first is 14:45Z on the 6th.
        #expect(try starts("Australia/Lord_Howe", "20240407T014500", "FREQ=DAILY;COUNT=1") == [instant("2024-04-06T14:45:00Z")])
        // 02:15 on 6 October does not exist: read with +10:30 it is 15:45Z on the 5th.
        #expect(try starts("Australia/Lord_Howe", "20241006T021500", "FREQ=DAILY;COUNT=1") == [instant("2024-10-05T15:45:00Z")])
    }

    // MARK: Asia/Kolkata: +05:30 all year, no DST

    @Test func kolkataHasNoShiftOnOtherZonesChangeDates() throws {
        // Weekly across the US (10 Mar) and EU (31 Mar) changes: always 09:00 IST = 03:30Z.
        #expect(try starts("Asia/Kolkata", "20240303T090000", "FREQ=WEEKLY;COUNT=6") == [
            instant("2024-03-03T03:30:00Z"), instant("2024-03-10T03:30:00Z"), instant("2024-03-17T03:30:00Z"),
            instant("2024-03-24T03:30:00Z"), instant("2024-03-31T03:30:00Z"), instant("2024-04-07T03:30:00Z"),
        ])
    }

    @Test func kolkataAllDayEventStartsAtLocalMidnight() throws {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;VALUE=DATE:20240701
            DTEND;VALUE=DATE:20240703
            END:VEVENT

            """), tz: "Asia/Kolkata")
        #expect(result.intervals == [busy("2024-06-30T18:30:00Z", "2024-07-02T18:30:00Z")])
    }

    // MARK: Zone offsets straight from ZoneRules

    @Test(arguments: [
        ("America/New_York", "2024-03-10T02:30:00", "2024-03-10T07:30:00Z"),
        ("America/New_York", "2024-11-03T01:30:00", "2024-11-03T05:30:00Z"),
        ("Europe/Berlin", "2024-03-31T02:30:00", "2024-03-31T01:30:00Z"),
        ("Europe/Berlin", "2024-10-27T02:30:00", "2024-10-27T00:30:00Z"),
        ("Australia/Lord_Howe", "2024-04-07T01:45:00", "2024-04-06T14:45:00Z"),
        ("Australia/Lord_Howe", "2024-10-06T02:15:00", "2024-10-05T15:45:00Z"),
        ("Asia/Kolkata", "2024-03-10T02:30:00", "2024-03-09T21:00:00Z"),
    ])
    func zoneRulesFollowRFC5545ForGapsAndOverlaps(zone: String, local: String, expected: String) throws {
        let rules = try #require(LibicalLock.withLock { TimeZoneResolver.systemZone(named: zone) })
        let localSeconds = instant(local + "Z")
        let utc = LibicalLock.withLock { rules.instant(forLocal: localSeconds) }
        #expect(utc == instant(expected))
    }
}
