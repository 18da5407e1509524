import BookijiCore
import Testing

@testable import ICalendar

/// RRULE parts, RDATE (including PERIOD values) and EXDATE.
struct RecurrenceTests {
    func starts(_ body: String, from: String = "2024-01-01T00:00:00Z", to: String = "2025-01-01T00:00:00Z") throws -> [String] {
        let result = try expand(calendar("BEGIN:VEVENT\r\nUID:e\r\n" + body + "END:VEVENT\r\n"), from: from, to: to)
        return result.intervals.map { RFC3339.format($0.interval.start) }
    }

    @Test func countLimitsTheOccurrences() throws {
        #expect(try starts("DTSTART:20240102T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n") == [
            "2024-01-02T09:00:00Z", "2024-01-09T09:00:00Z", "2024-01-16T09:00:00Z",
        ])
    }

    @Test func untilIsInclusive() throws {
        #expect(try starts("DTSTART:20240101T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;UNTIL=20240103T090000Z\r\n") == [
            "2024-01-01T09:00:00Z", "2024-01-02T09:00:00Z", "2024-01-03T09:00:00Z",
        ])
    }

    @Test func untilInUTCBoundsALocalSeries() throws {
        // 09:00 Berlin is 08:00Z in winter: UNTIL 08:00Z on the 3rd includes the 3rd, 07:59Z not.
        let body = "DTSTART;TZID=Europe/Berlin:20240101T090000\r\nDURATION:PT1H\r\n"
        #expect(try starts(body + "RRULE:FREQ=DAILY;UNTIL=20240103T080000Z\r\n").count == 3)
        #expect(try starts(body + "RRULE:FREQ=DAILY;UNTIL=20240103T075900Z\r\n").count == 2)
    }

    @Test func untilAsADateEndsATimedSeriesAtTheStartOfThatDay() throws {
        // As libical reads it (SemanticsTests has the zoned cases): nothing on 2 January.
        #expect(try starts("DTSTART:20240101T180000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;UNTIL=20240102\r\n") == [
            "2024-01-01T18:00:00Z",
        ])
    }

    @Test func bySetPosPicksTheLastWorkdayOfEachMonth() throws {
        // 2024: Jan 31 is a Wednesday, Feb 29 a Thursday, Mar 29 a Friday (31st is Sunday),
        // Apr 30 a Tuesday.
        #expect(try starts(
            "DTSTART:20240131T170000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=4\r\n") == [
            "2024-01-31T17:00:00Z", "2024-02-29T17:00:00Z", "2024-03-29T17:00:00Z", "2024-04-30T17:00:00Z",
        ])
    }

    @Test func monthlyOrdinalWeekday() throws {
        // Second Tuesday: 9 Jan, 13 Feb, 12 Mar 2024.
        #expect(try starts("DTSTART:20240109T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3\r\n") == [
            "2024-01-09T10:00:00Z", "2024-02-13T10:00:00Z", "2024-03-12T10:00:00Z",
        ])
    }

    @Test func negativeMonthDay() throws {
        #expect(try starts("DTSTART:20240131T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3\r\n") == [
            "2024-01-31T10:00:00Z", "2024-02-29T10:00:00Z", "2024-03-31T10:00:00Z",
        ])
    }

    @Test func biweeklyWithSeveralDays() throws {
        // Mon 1 Jan 2024 start; every other week on Monday and Thursday.
        #expect(try starts("DTSTART:20240101T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5\r\n") == [
            "2024-01-01T10:00:00Z", "2024-01-04T10:00:00Z", "2024-01-15T10:00:00Z", "2024-01-18T10:00:00Z",
            "2024-01-29T10:00:00Z",
        ])
    }

    @Test func yearlyLeapDay() throws {
        #expect(try starts(
            "DTSTART:20200229T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29\r\n",
            from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") == [
            "2020-02-29T10:00:00Z", "2024-02-29T10:00:00Z", "2028-02-29T10:00:00Z",
        ])
    }

    @Test func dtstartNotMatchingTheRuleStillCounts() throws {
        // Starts on a Wednesday with BYDAY=MO: DTSTART is the first instance, then Mondays.
        #expect(try starts("DTSTART:20240103T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\r\n") == [
            "2024-01-03T10:00:00Z", "2024-01-08T10:00:00Z", "2024-01-15T10:00:00Z",
        ])
    }

    @Test func allDayRecurrence() throws {
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;VALUE=DATE:20240105
            DTEND;VALUE=DATE:20240106
            RRULE:FREQ=WEEKLY;COUNT=2
            END:VEVENT

            """), tz: "Europe/Berlin")
        #expect(r.intervals == [
            busy("2024-01-04T23:00:00Z", "2024-01-05T23:00:00Z"), busy("2024-01-11T23:00:00Z", "2024-01-12T23:00:00Z"),
        ])
    }

    @Test func rdateAddsInstancesWithTheMastersDuration() throws {
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART:20240301T090000Z
            DTEND:20240301T093000Z
            RDATE:20240305T140000Z,20240307T140000Z
            END:VEVENT

            """))
        #expect(r.intervals == [
            busy("2024-03-01T09:00:00Z", "2024-03-01T09:30:00Z"), busy("2024-03-05T14:00:00Z", "2024-03-05T14:30:00Z"),
            busy("2024-03-07T14:00:00Z", "2024-03-07T14:30:00Z"),
        ])
        #expect(r.summary.recurringEventCount == 1)
    }

    @Test func rdatePeriodsCarryTheirOwnEnd() throws {
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART:20240301T090000Z
            DTEND:20240301T093000Z
            RDATE;VALUE=PERIOD:20240310T100000Z/20240310T120000Z,20240311T100000Z/PT45M
            RDATE;TZID=America/New_York;VALUE=PERIOD:20240312T100000/PT1H
            END:VEVENT

            """))
        #expect(r.intervals == [
            busy("2024-03-01T09:00:00Z", "2024-03-01T09:30:00Z"), busy("2024-03-10T10:00:00Z", "2024-03-10T12:00:00Z"),
            busy("2024-03-11T10:00:00Z", "2024-03-11T10:45:00Z"), busy("2024-03-12T14:00:00Z", "2024-03-12T15:00:00Z"),
        ])
    }

    @Test func exdateRemovesInstancesWhateverZoneItIsWrittenIn() throws {
        // Daily 09:00 New York; the 2nd excluded by local time, the 3rd by its UTC instant.
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=America/New_York:20240101T090000
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=4
            EXDATE;TZID=America/New_York:20240102T090000
            EXDATE:20240103T140000Z
            END:VEVENT

            """))
        #expect(r.intervals == [busy("2024-01-01T14:00:00Z", "2024-01-01T15:00:00Z"), busy("2024-01-04T14:00:00Z", "2024-01-04T15:00:00Z")])
    }

    @Test func exdateAsADateRemovesThatLocalDay() throws {
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:e
            DTSTART;TZID=Asia/Kolkata:20240101T090000
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=3
            EXDATE;VALUE=DATE:20240102
            END:VEVENT

            """))
        #expect(r.intervals.map(\.interval.start) == [instant("2024-01-01T03:30:00Z"), instant("2024-01-03T03:30:00Z")])
    }

    @Test func exdateAlsoRemovesRdates() throws {
        #expect(try starts("""
            DTSTART:20240301T090000Z\r
            DURATION:PT1H\r
            RDATE:20240302T090000Z,20240303T090000Z\r
            EXDATE:20240302T090000Z\r

            """) == ["2024-03-01T09:00:00Z", "2024-03-03T09:00:00Z"])
    }

    @Test func skippingAheadGivesTheSameOccurrencesAsWalkingFromDtstart() throws {
        // The expander jumps libical's iterator close to the window when the rule has no COUNT.
        // Compare a late window with the same span cut out of a walk from DTSTART.
        let rules = [
            "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,FR", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
            "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31", "FREQ=DAILY;INTERVAL=9", "FREQ=YEARLY;BYMONTH=2,8;BYDAY=-1SU",
            "FREQ=HOURLY;INTERVAL=37", "FREQ=MINUTELY;INTERVAL=4999", "FREQ=WEEKLY;BYDAY=SA;UNTIL=20280101T000000Z",
            "FREQ=YEARLY;INTERVAL=7;BYMONTH=3;BYMONTHDAY=7", "FREQ=DAILY;INTERVAL=3;BYHOUR=9,15",
            "FREQ=DAILY;INTERVAL=11;BYMONTH=3,4", "FREQ=WEEKLY;INTERVAL=5;BYDAY=MO", "FREQ=MONTHLY;INTERVAL=7;BYDAY=-1FR",
            "FREQ=HOURLY;INTERVAL=5;BYDAY=WE",
        ]
        for rule in rules {
            let text = calendar("""
                BEGIN:VEVENT
                UID:e
                DTSTART;TZID=Europe/Berlin:20200107T093000
                DURATION:PT30M
                RRULE:\(rule)
                END:VEVENT

                """)
            let document = try ICalendarDocument(text: text)
            let all = try document.expand(over: window("2020-01-01T00:00:00Z", "2029-01-01T00:00:00Z")).intervals
            let late = window("2027-03-01T00:00:00Z", "2027-09-01T00:00:00Z")
            let skipped = try document.expand(over: late).intervals
            #expect(!skipped.isEmpty, "\(rule)")
            let walked = all.filter { $0.interval.overlaps(late) }
            let same = skipped == walked
            #expect(same, "\(rule): skipping ahead gave \(skipped.count) occurrences, walking \(walked.count)")
        }
    }

    @Test(arguments: [
        "FREQ=FORTNIGHTLY", "FREQ=DAILY;COUNT=2;UNTIL=20240101T000000Z", "FREQ=DAILY;INTERVAL=0", "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY;BYDAY=2MO", "FREQ=MONTHLY;BYWEEKNO=3", "FREQ=DAILY;BYYEARDAY=5", "COUNT=3",
        "FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;RSCALE=HEBREW", "FREQ=DAILY;BYSETPOS=1", "FREQ=DAILY;UNTIL=2024",
    ])
    func malformedRulesAreErrorsWithTheirLine(rule: String) {
        let error = expectError {
            _ = try ICalendarDocument(text: calendar("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T090000Z\r\nRRULE:\(rule)\r\nEND:VEVENT\r\n"))
        }
        #expect(error?.line == 7)
        #expect(error.map { [ICalendarError.Code.invalidRecurrenceRule, .invalidValue].contains($0.code) } == true)
    }

    @Test(arguments: [
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=SECONDLY;BYDAY=MO", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
    ])
    func rulesThatCannotMatchOrWouldSpinAreRefusedQuickly(rule: String) throws {
        let document = try ICalendarDocument(text: calendar(
            "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T090000Z\r\nDURATION:PT1S\r\nRRULE:\(rule)\r\nEND:VEVENT\r\n"))
        let clock = ContinuousClock()
        let started = clock.now
        let error = expectError { _ = try document.expand(over: window("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z")) }
        #expect(clock.now - started < .seconds(2))
        #expect(error?.line == 8)
        #expect(error.map { [ICalendarError.Code.invalidRecurrenceRule, .recurrenceTooLarge].contains($0.code) } == true)
    }

    @Test func occurrenceLimitsStopRunawayRules() throws {
        let document = try ICalendarDocument(text: calendar(
            "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T000000Z\r\nDURATION:PT1S\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n"))
        let error = expectError {
            _ = try document.expand(
                over: window("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"), limits: ExpansionLimits(maxOccurrencesPerRule: 10_000))
        }
        #expect(error?.code == .recurrenceTooLarge)
        // Within the limit the same rule expands.
        let day = try document.expand(over: window("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"))
        #expect(day.intervals.count == 60)
    }
}
