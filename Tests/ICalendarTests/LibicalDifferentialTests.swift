import BookijiCore
import CLibical
import Foundation
import Testing

@testable import ICalendar

/// Our expander against libical's own expansion (`icalcomponent_foreach_recurrence`), over the
/// fixtures and the fuzz corpus: wherever both accept a file, both must give the same busy time
/// for every series, except in the cases named in ``LibicalReference/Difference``, where we
/// differ from libical on purpose.
///
/// libical expands one component at a time and knows nothing of RECURRENCE-ID overrides, so the
/// reference applies them the way libical-based clients do: the override with the highest
/// SEQUENCE (the later copy on a tie) replaces the master's instance that starts at its
/// RECURRENCE-ID, and blocks its own time.
struct LibicalDifferentialTests {
    static let wide = window("2000-01-01T00:00:00Z", "2030-01-01T00:00:00Z")

    static func fixtureNames() -> [String] {
        let semantics = (try? FileManager.default.contentsOfDirectory(atPath: fixturePath("semantics"))) ?? []
        return ["google.ics", "outlook.ics"] + semantics.filter { $0.hasSuffix(".ics") }.sorted().map { "semantics/" + $0 }
    }

    @Test func fixturesAgreeWithLibicalSeriesBySeries() throws {
        var tally = LibicalReference.Tally()
        let names = Self.fixtureNames()
        #expect(names.count >= 6)
        for name in names {
            let outcome = LibicalReference.compare(fixture(name), over: Self.wide, tally: &tally)
            #expect(outcome == .compared, "\(name): \(outcome)")
        }
        #expect(tally.mismatches.isEmpty, "\(tally.mismatches.joined(separator: "\n"))")
        // Every fixture series is compared, the stale overrides and the truncated VTIMEZONE included.
        #expect(tally.agreeingSeries == 17, "\(tally)")
        // The one series not compared: "Pacific Standard Time" without a VTIMEZONE, which we map
        // to America/Los_Angeles and libical reads as floating.
        #expect(tally.explained == [.unresolvedTZID: 1], "\(tally)")
        #expect(tally.staleOverridesRemoved == 4)
        #expect(tally.ianaBlocksStripped == 1)
    }

    @Test func fuzzCorpusAgreesWithLibicalWhereBothAcceptIt() throws {
        let corpus = [Array(FuzzTests.rich.utf8), fixture("outlook.ics"), fixture("google.ics")]
        var rng = FuzzTests.SeededRandom(state: 20_251_202)
        var tally = LibicalReference.Tally()
        var outcomes: [LibicalReference.Outcome: Int] = [:]
        for round in 0..<600 {
            let bytes = FuzzTests.mutate(corpus[round % corpus.count], &rng)
            outcomes[LibicalReference.compare(bytes, over: Self.wide, tally: &tally), default: 0] += 1
        }
        #expect(tally.mismatches.isEmpty, "\(tally.mismatches.prefix(20).joined(separator: "\n"))")
        // Enough of the corpus must be compared for the agreement to mean something.
        // Measured: 94 of 600 files compared (most mutations leave a file one of the two refuses
        // or that we repair), 290 series agreeing.
        #expect(outcomes[.compared, default: 0] >= 60, "\(outcomes)")
        #expect(tally.agreeingSeries >= 200, "\(tally)")
    }

    static let rules = [
        "FREQ=DAILY;COUNT=10", "FREQ=DAILY;INTERVAL=3;UNTIL=20240401T000000Z", "FREQ=WEEKLY;BYDAY=MO,WE,FR,SU;COUNT=20",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,SU;UNTIL=20240630", "FREQ=MONTHLY;BYMONTHDAY=9,10,27,31", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=14",
        "FREQ=MONTHLY;BYDAY=2TU,2SU,-1WE", "FREQ=MONTHLY;BYDAY=-1SU;UNTIL=20250101", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SU;BYSETPOS=-1",
        "FREQ=YEARLY;BYMONTH=1,3,10;BYDAY=-1SU,2TU", "FREQ=YEARLY;COUNT=3", "FREQ=DAILY;UNTIL=20240331", "FREQ=HOURLY;INTERVAL=5;COUNT=30",
        "FREQ=WEEKLY;UNTIL=20240325T090000Z", "FREQ=WEEKLY;UNTIL=20241103", "FREQ=DAILY;INTERVAL=2;BYMONTH=3,10,11",
    ]
    /// Starts and ends: an ordinary morning, an evening on the 31st, inside New York's spring gap,
    /// inside Berlin's autumn overlap, midnight.
    static let times = [
        ("20240109T090000", "20240109T100000"), ("20240131T170000", "20240131T183000"), ("20240310T023000", "20240310T040000"),
        ("20241027T023000", "20241027T031500"), ("20240107T000000", "20240107T010000"),
    ]
    static let customZone = """
        BEGIN:VTIMEZONE\r
        TZID:Custom\r
        BEGIN:STANDARD\r
        DTSTART:19701025T030000\r
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
        TZOFFSETFROM:+0200\r
        TZOFFSETTO:+0100\r
        END:STANDARD\r
        BEGIN:DAYLIGHT\r
        DTSTART:19700329T020000\r
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
        TZOFFSETFROM:+0100\r
        TZOFFSETTO:+0200\r
        END:DAYLIGHT\r
        END:VTIMEZONE\r

        """

    /// One calendar per zone and start, one series per rule: the recurrence engine itself, DST
    /// gaps and overlaps, DATE and DATE-TIME UNTIL, against libical.
    @Test func generatedSeriesAgreeWithLibical() throws {
        var tally = LibicalReference.Tally()
        let zones = ["Z", "", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "Custom"]
        var calendars = 0
        for zone in zones {
            for (start, end) in Self.times {
                var body = zone == "Custom" ? Self.customZone : ""
                func value(_ t: String) -> String { zone == "Z" ? ":\(t)Z" : zone.isEmpty ? ":\(t)" : ";TZID=\(zone):\(t)" }
                for (i, rule) in Self.rules.enumerated() {
                    let length = i % 2 == 0 ? "DURATION:PT90M" : "DTEND" + value(end)
                    body += "BEGIN:VEVENT\r\nUID:rule-\(i)\r\nDTSTART\(value(start))\r\n\(length)\r\nRRULE:\(rule)\r\nEND:VEVENT\r\n"
                }
                let outcome = LibicalReference.compare(Array(calendar(body).utf8), over: window("2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), tally: &tally)
                #expect(outcome == .compared, "\(zone) \(start): \(outcome)")
                calendars += 1
            }
        }
        #expect(tally.mismatches.isEmpty, "\(tally.mismatches.prefix(10).joined(separator: "\n"))")
        #expect(tally.agreeingSeries >= calendars * Self.rules.count / 2, "\(tally)")
    }

    @Test func libicalReadsATruncatedEmbeddedZoneWhereWeTrustTzdata() throws {
        // The named difference itself: with the file's own America/New_York block, libical puts
        // the 2005 event an hour late (its rules start in 2007); we read tzdata. Stripping the
        // block gives libical tzdata too, and then both agree (the fixture test above).
        let bytes = fixture("semantics/iana-tzid-truncated-vtimezone.ics")
        let reference = try #require(LibicalReference.expand(bytes, over: Self.wide, stripIANAZones: false))
        let libical2005 = reference.series["iana-2005"]?.map(\.interval)
        #expect(libical2005 == [busy("2005-07-11T14:00:00Z", "2005-07-11T15:00:00Z", uid: "iana-2005")])
        let ours = try ICalendarDocument(bytes: bytes).expand(over: Self.wide)
        #expect(ours.intervals.filter { $0.uid == "iana-2005" } == [busy("2005-07-11T13:00:00Z", "2005-07-11T14:00:00Z", uid: "iana-2005")])
    }

    @Test func libicalBringsBackStaleOverridesThatWeDrop() throws {
        let bytes = fixture("semantics/deleted-instance-override.ics")
        let reference = try #require(LibicalReference.expand(bytes, over: Self.wide, stripIANAZones: true))
        // The override of the deleted 11 March still blocks 12 March 13:00Z in the reference.
        #expect(reference.series["weekly-standup"]?.contains { $0.interval == busy("2024-03-12T13:00:00Z", "2024-03-12T14:00:00Z", uid: "weekly-standup") } == true)
        let ours = try ICalendarDocument(bytes: bytes).expand(over: Self.wide)
        #expect(!ours.intervals.contains { $0.interval.start == instant("2024-03-12T13:00:00Z") })
    }

    @Test func dateUntilOnATimedSeriesEndsWhereLibicalEndsIt() throws {
        let bytes = fixture("semantics/date-until-timed-series.ics")
        let reference = try #require(LibicalReference.expand(bytes, over: Self.wide, stripIANAZones: true))
        let ours = try ICalendarDocument(bytes: bytes).expand(over: Self.wide)
        for uid in ["evening", "midnight"] {
            let theirs = reference.series[uid]?.map(\.interval).sorted()
            #expect(theirs == ours.intervals.filter { $0.uid == uid }, "\(uid)")
            #expect(theirs?.count == 3 - (uid == "midnight" ? 1 : 0))
        }
    }
}
