import BookijiCore
import Testing

@testable import ICalendar

/// RECURRENCE-ID overrides (moved, cancelled, RANGE=THISANDFUTURE) and duplicate UIDs.
struct OverrideTests {
    /// Daily 10:00-11:00 UTC, 1-5 March 2024.
    let master = """
        BEGIN:VEVENT
        UID:s
        SEQUENCE:0
        DTSTART:20240301T100000Z
        DTEND:20240301T110000Z
        RRULE:FREQ=DAILY;COUNT=5
        END:VEVENT

        """

    func run(_ components: String) throws -> CalendarExpansion {
        try expand(calendar(components))
    }

    @Test func movedOccurrenceReplacesTheOriginal() throws {
        let r = try run(master + """
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID:20240302T100000Z
            DTSTART:20240302T150000Z
            DTEND:20240302T163000Z
            END:VEVENT

            """)
        #expect(r.intervals == [
            busy("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", uid: "s"),
            busy("2024-03-02T15:00:00Z", "2024-03-02T16:30:00Z", uid: "s"),
            busy("2024-03-03T10:00:00Z", "2024-03-03T11:00:00Z", uid: "s"),
            busy("2024-03-04T10:00:00Z", "2024-03-04T11:00:00Z", uid: "s"),
            busy("2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z", uid: "s"),
        ])
    }

    @Test func overrideBeforeItsMasterAndInAnotherZoneStillMatches() throws {
        // RECURRENCE-ID 11:00 Berlin (CET) is 10:00Z on 3 March; written before the master.
        let r = try run("""
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID;TZID=Europe/Berlin:20240303T110000
            DTSTART:20240303T120000Z
            DTEND:20240303T130000Z
            STATUS:TENTATIVE
            END:VEVENT

            """ + master)
        #expect(r.intervals.count == 5)
        #expect(r.intervals.contains(tentative("2024-03-03T12:00:00Z", "2024-03-03T13:00:00Z", uid: "s")))
        #expect(!r.intervals.contains { $0.interval.start == instant("2024-03-03T10:00:00Z") })
    }

    @Test func cancelledOccurrenceDisappears() throws {
        let r = try run(master + """
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID:20240304T100000Z
            DTSTART:20240304T100000Z
            DTEND:20240304T110000Z
            STATUS:CANCELLED
            END:VEVENT

            """)
        #expect(r.intervals.map(\.interval.start) == [
            instant("2024-03-01T10:00:00Z"), instant("2024-03-02T10:00:00Z"), instant("2024-03-03T10:00:00Z"),
            instant("2024-03-05T10:00:00Z"),
        ])
        #expect(r.summary.skipped == [SkippedItem(line: 11, uid: "s", reason: .cancelled)])
    }

    @Test func thisAndFutureShiftsTheRestOfTheSeries() throws {
        // From the 3rd on: 2 hours later and 30 minutes long; the 5th is separately moved back.
        let r = try run(master + """
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID;RANGE=THISANDFUTURE:20240303T100000Z
            DTSTART:20240303T120000Z
            DTEND:20240303T123000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID:20240305T100000Z
            DTSTART:20240305T080000Z
            DTEND:20240305T090000Z
            END:VEVENT

            """)
        #expect(r.intervals == [
            busy("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", uid: "s"),
            busy("2024-03-02T10:00:00Z", "2024-03-02T11:00:00Z", uid: "s"),
            busy("2024-03-03T12:00:00Z", "2024-03-03T12:30:00Z", uid: "s"),
            busy("2024-03-04T12:00:00Z", "2024-03-04T12:30:00Z", uid: "s"),
            busy("2024-03-05T08:00:00Z", "2024-03-05T09:00:00Z", uid: "s"),
        ])
    }

    @Test func cancelledThisAndFutureEndsTheSeries() throws {
        let r = try run(master + """
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID;RANGE=THISANDFUTURE:20240303T100000Z
            DTSTART:20240303T100000Z
            DTEND:20240303T110000Z
            STATUS:CANCELLED
            END:VEVENT

            """)
        #expect(r.intervals.map(\.interval.start) == [instant("2024-03-01T10:00:00Z"), instant("2024-03-02T10:00:00Z")])
    }

    @Test func overrideMovedIntoTheWindowFromOutsideIsFound() throws {
        // The original occurrence (1 March) is before the window; the moved one is inside.
        let text = calendar(master + """
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID:20240301T100000Z
            DTSTART:20240310T100000Z
            DTEND:20240310T110000Z
            END:VEVENT

            """)
        let r = try expand(text, from: "2024-03-06T00:00:00Z", to: "2024-03-20T00:00:00Z")
        #expect(r.intervals == [busy("2024-03-10T10:00:00Z", "2024-03-10T11:00:00Z", uid: "s")])
    }

    @Test func orphanOverrideWithoutMasterStillBlocks() throws {
        let r = try run("""
            BEGIN:VEVENT
            UID:invited-once
            RECURRENCE-ID:20240302T100000Z
            DTSTART:20240302T100000Z
            DTEND:20240302T110000Z
            END:VEVENT

            """)
        #expect(r.intervals == [busy("2024-03-02T10:00:00Z", "2024-03-02T11:00:00Z", uid: "invited-once")])
    }

    @Test func highestSequenceWinsWhateverTheOrder() throws {
        let old = "BEGIN:VEVENT\r\nUID:d\r\nSEQUENCE:1\r\nDTSTART:20240301T090000Z\r\nDTEND:20240301T100000Z\r\nEND:VEVENT\r\n"
        let new = "BEGIN:VEVENT\r\nUID:d\r\nSEQUENCE:2\r\nDTSTART:20240301T140000Z\r\nDTEND:20240301T150000Z\r\nEND:VEVENT\r\n"
        for text in [calendar(old + new), calendar(new + old)] {
            let r = try expand(text)
            #expect(r.intervals == [busy("2024-03-01T14:00:00Z", "2024-03-01T15:00:00Z", uid: "d")])
            #expect(r.summary.skipped.map(\.reason) == [.superseded])
        }
    }

    @Test func equalSequenceLaterCopyWins() throws {
        let a = "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20240301T090000Z\r\nDTEND:20240301T100000Z\r\nEND:VEVENT\r\n"
        let b = "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20240301T140000Z\r\nDTEND:20240301T150000Z\r\nEND:VEVENT\r\n"
        let r = try expand(calendar(a + b))
        #expect(r.intervals == [busy("2024-03-01T14:00:00Z", "2024-03-01T15:00:00Z", uid: "d")])
        #expect(r.summary.skipped == [SkippedItem(line: 4, uid: "d", reason: .superseded)])
    }

    @Test func higherSequenceOverrideReplacesAnOlderOverride() throws {
        let r = try run(master + """
            BEGIN:VEVENT
            UID:s
            SEQUENCE:1
            RECURRENCE-ID:20240302T100000Z
            DTSTART:20240302T150000Z
            DTEND:20240302T160000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            SEQUENCE:0
            RECURRENCE-ID:20240302T100000Z
            DTSTART:20240302T180000Z
            DTEND:20240302T190000Z
            END:VEVENT

            """)
        #expect(r.intervals.contains(busy("2024-03-02T15:00:00Z", "2024-03-02T16:00:00Z", uid: "s")))
        #expect(r.intervals.count == 5)
    }
}
