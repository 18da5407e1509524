import BookijiCore
import Testing

@testable import ICalendar

/// Which zone a DATE-TIME is read in: the file's VTIMEZONE, IANA, Windows names, X-WR-TIMEZONE,
/// UTC, floating, and the error for a zone nobody knows.
struct TimeZoneTests {
    @Test func ianaTZIDIsReadFromSystemZoneinfo() throws {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=America/New_York:20240115T090000
            DTEND;TZID=America/New_York:20240115T100000
            END:VEVENT

            """))
        // January: EST, UTC-5.
        #expect(result.intervals == [busy("2024-01-15T14:00:00Z", "2024-01-15T15:00:00Z")])
    }

    @Test func vtimezoneInTheFileDefinesItsTZID() throws {
        // A custom zone at a fixed +03:00 under an invented name.
        let result = try expand(calendar("""
            BEGIN:VTIMEZONE
            TZID:Custom Plus Three
            BEGIN:STANDARD
            DTSTART:19700101T000000
            TZOFFSETFROM:+0300
            TZOFFSETTO:+0300
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=Custom Plus Three:20240701T090000
            DTEND;TZID=Custom Plus Three:20240701T100000
            END:VEVENT

            """))
        #expect(result.intervals == [busy("2024-07-01T06:00:00Z", "2024-07-01T07:00:00Z")])
    }

    @Test func ianaZoneWinsOverAVTIMEZONEOfTheSameName() throws {
        // The file says "Europe/Berlin" is +03:00 all year; tzdata says CEST (+2) in July, and
        // tzdata wins for IANA names (SemanticsTests: exporters embed truncated definitions).
        let result = try expand(calendar("""
            BEGIN:VTIMEZONE
            TZID:Europe/Berlin
            BEGIN:STANDARD
            DTSTART:19700101T000000
            TZOFFSETFROM:+0300
            TZOFFSETTO:+0300
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=Europe/Berlin:20240701T090000
            DURATION:PT1H
            END:VEVENT

            """))
        #expect(result.intervals == [busy("2024-07-01T07:00:00Z", "2024-07-01T08:00:00Z")])
    }

    @Test func vtimezoneWithDaylightRulesFollowsThem() throws {
        // Outlook style: the display name as TZID, rules from 1601.
        let result = try expand(calendar("""
            BEGIN:VTIMEZONE
            TZID:(UTC+01:00) Amsterdam\\, Berlin\\, Bern\\, Rome\\, Stockholm\\, Vienna
            BEGIN:STANDARD
            DTSTART:16010101T030000
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
            END:STANDARD
            BEGIN:DAYLIGHT
            DTSTART:16010101T020000
            TZOFFSETFROM:+0100
            TZOFFSETTO:+0200
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
            END:DAYLIGHT
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240115T090000
            DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240115T100000
            RRULE:FREQ=MONTHLY;COUNT=7
            END:VEVENT

            """))
        #expect(result.intervals.map(\.interval.start) == [
            instant("2024-01-15T08:00:00Z"), instant("2024-02-15T08:00:00Z"), instant("2024-03-15T08:00:00Z"),
            instant("2024-04-15T07:00:00Z"), instant("2024-05-15T07:00:00Z"), instant("2024-06-15T07:00:00Z"),
            instant("2024-07-15T07:00:00Z"),
        ])
    }

    @Test(arguments: [
        ("W. Europe Standard Time", "2024-07-01T07:00:00Z", "2024-01-15T08:00:00Z"),
        ("Eastern Standard Time", "2024-07-01T13:00:00Z", "2024-01-15T14:00:00Z"),
        ("India Standard Time", "2024-07-01T03:30:00Z", "2024-01-15T03:30:00Z"),
        ("Lord Howe Standard Time", "2024-06-30T22:30:00Z", "2024-01-14T22:00:00Z"),
    ])
    func windowsZoneNamesMapThroughCLDR(zone: String, summerStart: String, winterStart: String) throws {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:s
            DTSTART;TZID=\(zone):20240701T090000
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:w
            DTSTART;TZID=\(zone):20240115T090000
            DURATION:PT1H
            END:VEVENT

            """))
        #expect(Set(result.intervals.map(\.interval.start)) == [instant(summerStart), instant(winterStart)])
    }

    @Test func cldrTableCoversTheCommonOutlookNames() {
        #expect(WindowsZones.ianaName(for: "W. Europe Standard Time") == "Europe/Berlin")
        #expect(WindowsZones.ianaName(for: "Pacific Standard Time") == "America/Los_Angeles")
        #expect(WindowsZones.ianaName(for: "GMT Standard Time") == "Europe/London")
        #expect(WindowsZones.ianaName(for: "Tokyo Standard Time") == "Asia/Tokyo")
        #expect(WindowsZones.ianaName(for: "No Such Standard Time") == nil)
        #expect(WindowsZones.table.count > 130)
    }

    @Test func vendorPrefixedIANANamesResolve() throws {
        let result = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=/mozilla.org/20050126_1/America/Argentina/Buenos_Aires:20240701T090000
            DURATION:PT1H
            END:VEVENT

            """))
        #expect(result.intervals == [busy("2024-07-01T12:00:00Z", "2024-07-01T13:00:00Z")])
    }

    @Test func xWRTimezoneAnchorsFloatingTimes() throws {
        let text = calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART:20240701T090000
            DTEND:20240701T100000
            END:VEVENT

            """, calendarProperties: "X-WR-TIMEZONE:Europe/Berlin\r\n")
        let result = try expand(text)
        #expect(result.intervals == [busy("2024-07-01T07:00:00Z", "2024-07-01T08:00:00Z")])
        #expect(result.summary.floatingTimeZoneSource == .calendar)
        // The calendar's own zone wins over the caller's.
        let withTZ = try expand(text, tz: "America/New_York")
        #expect(withTZ.intervals == result.intervals)
    }

    @Test func floatingTimesUseTheCallersZoneElseUTC() throws {
        let text = calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART:20240701T090000
            DTEND:20240701T100000
            END:VEVENT
            BEGIN:VEVENT
            UID:u
            DTSTART:20240701T090000Z
            DTEND:20240701T100000Z
            END:VEVENT

            """)
        let newYork = try expand(text, tz: "America/New_York")
        #expect(newYork.intervals == [
            busy("2024-07-01T09:00:00Z", "2024-07-01T10:00:00Z", uid: "u"),
            busy("2024-07-01T13:00:00Z", "2024-07-01T14:00:00Z", uid: "e"),
        ])
        #expect(newYork.summary.floatingTimeZoneSource == .caller)
        let utc = try expand(text)
        #expect(utc.intervals == [
            busy("2024-07-01T09:00:00Z", "2024-07-01T10:00:00Z", uid: "e"),
            busy("2024-07-01T09:00:00Z", "2024-07-01T10:00:00Z", uid: "u"),
        ])
        #expect(utc.summary.floatingTimeZoneSource == .defaultUTC)
    }

    @Test func unknownTZIDIsAnErrorNamingItAndItsLine() {
        let error = expectError {
            _ = try expand(calendar("""
                BEGIN:VEVENT
                UID:e
                DTSTART;TZID=Mars/Olympus_Mons:20240701T090000
                DURATION:PT1H
                END:VEVENT

                """))
        }
        #expect(error?.code == .unknownTimeZone)
        #expect(error?.line == 6)
        #expect(error?.message.contains("Mars/Olympus_Mons") == true)
    }

    @Test func unknownTZIDOnAnExdateIsAnErrorToo() {
        let error = expectError {
            _ = try ICalendarDocument(text: calendar("""
                BEGIN:VEVENT
                UID:e
                DTSTART:20240701T090000Z
                DURATION:PT1H
                RRULE:FREQ=DAILY;COUNT=3
                EXDATE;TZID=Nowhere/Land:20240702T090000
                END:VEVENT

                """))
        }
        #expect(error?.code == .unknownTimeZone)
        #expect(error?.line == 9)
    }

    @Test func unknownXWRTimezoneAndUnknownCallerZoneAreErrors() {
        let bad = expectError {
            _ = try ICalendarDocument(text: calendar("", calendarProperties: "X-WR-TIMEZONE:Atlantis/Capital\r\n"))
        }
        #expect(bad?.code == .unknownTimeZone)
        #expect(bad?.line == 4)
        let caller = expectError {
            _ = try expand(calendar(""), tz: "Not/AZone")
        }
        #expect(caller?.code == .unknownTimeZone)
    }

    @Test func zoneNamesCannotReachOtherFiles() {
        #expect(TimeZoneResolver.systemZone(named: "../../etc/passwd") == nil)
        #expect(TimeZoneResolver.systemZone(named: "zone.tab") == nil)
        #expect(TimeZoneResolver.systemZone(named: "Europe/Berlin") != nil)
    }
}
