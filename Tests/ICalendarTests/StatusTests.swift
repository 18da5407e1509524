import BookijiCore
import Testing

@testable import ICalendar

/// STATUS, TRANSP and VFREEBUSY decide whether and how an interval blocks time.
struct StatusTests {
    func event(_ extra: String) -> String {
        calendar("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240301T090000Z\r\nDTEND:20240301T100000Z\r\n" + extra + "END:VEVENT\r\n")
    }

    @Test func confirmedAndUnmarkedEventsAreBusy() throws {
        #expect(try expand(event("")).intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z")])
        #expect(try expand(event("STATUS:CONFIRMED\r\n")).intervals == [busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z")])
    }

    @Test func tentativeEventsAreTentative() throws {
        #expect(try expand(event("STATUS:TENTATIVE\r\n")).intervals == [tentative("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z")])
    }

    @Test func cancelledEventsBlockNothing() throws {
        let r = try expand(event("STATUS:CANCELLED\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"))
        #expect(r.intervals.isEmpty)
        #expect(r.summary.skipped == [SkippedItem(line: 4, uid: "e", reason: .cancelled)])
    }

    @Test func transparentEventsBlockNothing() throws {
        let r = try expand(event("TRANSP:TRANSPARENT\r\n"))
        #expect(r.intervals.isEmpty)
        #expect(r.summary.skipped.map(\.reason) == [.transparent])
        #expect(try expand(event("TRANSP:OPAQUE\r\n")).intervals.count == 1)
    }

    @Test func freeBusyTypesMapToStatuses() throws {
        let r = try expand(calendar("""
            BEGIN:VFREEBUSY
            UID:fb
            DTSTART:20240301T000000Z
            DTEND:20240302T000000Z
            FREEBUSY:20240301T080000Z/20240301T090000Z
            FREEBUSY;FBTYPE=BUSY:20240301T100000Z/PT30M,20240301T110000Z/20240301T113000Z
            FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240301T120000Z/PT1H
            FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240301T140000Z/PT2H
            FREEBUSY;FBTYPE=FREE:20240301T170000Z/PT1H
            FREEBUSY;FBTYPE=X-OUT-OF-OFFICE:20240301T190000Z/PT1H
            END:VFREEBUSY

            """))
        #expect(r.intervals == [
            busy("2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z", uid: nil),
            busy("2024-03-01T10:00:00Z", "2024-03-01T10:30:00Z", uid: nil),
            busy("2024-03-01T11:00:00Z", "2024-03-01T11:30:00Z", uid: nil),
            tentative("2024-03-01T12:00:00Z", "2024-03-01T13:00:00Z", uid: nil),
            busy("2024-03-01T14:00:00Z", "2024-03-01T16:00:00Z", uid: nil),
            // RFC 5545 3.2.9: unknown types are treated as BUSY.
            busy("2024-03-01T19:00:00Z", "2024-03-01T20:00:00Z", uid: nil),
        ])
        #expect(r.summary.freeBusyPeriodCount == 6)
        #expect(r.summary.occurrenceCount == 0)
    }

    @Test func otherComponentsAreCountedAsIgnored() throws {
        let r = try expand(calendar("BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nBEGIN:VJOURNAL\r\nUID:j\r\nEND:VJOURNAL\r\n"))
        #expect(r.summary.ignoredComponents == ["VTODO": 1, "VJOURNAL": 1])
        #expect(r.intervals.isEmpty)
    }

    @Test func summaryCountsEventsOccurrencesAndSkips() throws {
        let r = try expand(calendar("""
            BEGIN:VEVENT
            UID:a
            DTSTART:20240301T090000Z
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=3
            END:VEVENT
            BEGIN:VEVENT
            UID:b
            DTSTART:20240301T090000Z
            DURATION:PT1H
            STATUS:CANCELLED
            END:VEVENT
            BEGIN:VEVENT
            UID:c
            DURATION:PT1H
            END:VEVENT

            """))
        #expect(r.summary.eventCount == 3)
        #expect(r.summary.recurringEventCount == 1)
        #expect(r.summary.occurrenceCount == 3)
        #expect(r.summary.skipped == [
            SkippedItem(line: 10, uid: "b", reason: .cancelled), SkippedItem(line: 16, uid: "c", reason: .missingStart),
        ])
    }
}
