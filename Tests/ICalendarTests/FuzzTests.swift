import BookijiCore
import Testing

@testable import ICalendar

/// Mutated and truncated calendars must end in a result or a clean ``ICalendarError`` quickly:
/// never a crash, a hang, or an error pointing outside the file.
struct FuzzTests {
    /// SplitMix64: small, seedable, the same sequence on every platform.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let rich = calendar("""
        BEGIN:VTIMEZONE
        TZID:Custom
        BEGIN:STANDARD
        DTSTART:19701025T030000
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
        TZOFFSETFROM:+0200
        TZOFFSETTO:+0100
        END:STANDARD
        BEGIN:DAYLIGHT
        DTSTART:19700329T020000
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
        TZOFFSETFROM:+0100
        TZOFFSETTO:+0200
        END:DAYLIGHT
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:r
        SEQUENCE:3
        DTSTART;TZID=Custom:20240105T090000
        DURATION:PT1H30M
        RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=FR,MO;UNTIL=20241231T000000Z
        EXDATE;TZID=Custom:20240119T090000
        RDATE;VALUE=PERIOD:20240301T100000Z/PT2H
        END:VEVENT
        BEGIN:VEVENT
        UID:r
        RECURRENCE-ID;TZID=Custom;RANGE=THISANDFUTURE:20240607T090000
        DTSTART;TZID=Custom:20240607T110000
        DTEND;TZID=Custom:20240607T113000
        STATUS:TENTATIVE
        END:VEVENT
        BEGIN:VEVENT
        UID:m
        DTSTART;TZID=America/New_York:20240131T170000
        DTEND;TZID=America/New_York:20240131T180000
        RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=12
        END:VEVENT
        BEGIN:VEVENT
        UID:d
        DTSTART;VALUE=DATE:20240704
        TRANSP:OPAQUE
        END:VEVENT
        BEGIN:VFREEBUSY
        FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240801T100000Z/PT1H,20240802T100000Z/20240802T120000Z
        END:VFREEBUSY

        """, calendarProperties: "X-WR-TIMEZONE:Europe/Berlin\r\n")

    static let hostileRules = [
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MINUTELY;BYDAY=MO;BYMONTH=2;BYMONTHDAY=29", "FREQ=SECONDLY",
        "FREQ=DAILY;COUNT=9999999", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO", "FREQ=HOURLY;INTERVAL=1;BYSETPOS=-1;BYMINUTE=5",
        "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2", "FREQ=WEEKLY;INTERVAL=999999", "FREQ=DAILY;UNTIL=19000101T000000Z",
    ]

    static let interesting: [UInt8] = Array(":;=,\"\r\n \t09ZTP-/+\\".utf8) + [0x00, 0x7F, 0xFF, 0xC3]

    static func mutate(_ input: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !bytes.isEmpty else { break }
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            switch Int.random(in: 0..<9, using: &rng) {
            case 0:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = interesting.randomElement(using: &rng)!
            case 1:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...20, using: &rng)))
            case 3:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 4:
                let i = Int.random(in: 0..<lines.count, using: &rng)
                lines.insert(lines[i], at: Int.random(in: 0...lines.count, using: &rng))
                bytes = Array(lines.joined(separator: [0x0A]))
            case 5:
                lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
                bytes = Array(lines.joined(separator: [0x0A]))
            case 6:
                lines.swapAt(Int.random(in: 0..<lines.count, using: &rng), Int.random(in: 0..<lines.count, using: &rng))
                bytes = Array(lines.joined(separator: [0x0A]))
            case 7:
                let ruleLines = lines.indices.filter { lines[$0].starts(with: Array("RRULE:".utf8)) }
                if let i = ruleLines.randomElement(using: &rng) {
                    lines[i] = Array(("RRULE:" + hostileRules.randomElement(using: &rng)! + "\r").utf8)
                    bytes = Array(lines.joined(separator: [0x0A]))
                }
            default:
                let i = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: Array(String(Int.random(in: 0...99_999_999, using: &rng)).utf8), at: i)
            }
        }
        return bytes
    }

    @Test(.timeLimit(.minutes(2)))
    func mutatedCalendarsFailCleanlyOrExpandSanely() throws {
        let corpus = [Array(Self.rich.utf8), fixture("outlook.ics"), fixture("google.ics")]
        let clock = ContinuousClock()
        let window = window("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
        var rng = SeededRandom(state: 20_240_301)
        var failures = 0
        var successes = 0
        for round in 0..<600 {
            let seed = corpus[round % corpus.count]
            let bytes = Self.mutate(seed, &rng)
            let lineCount = bytes.split(omittingEmptySubsequences: false) { $0 == 0x0A || $0 == 0x0D }.count
            let started = clock.now
            do {
                let document = try ICalendarDocument(bytes: bytes)
                let result = try document.expand(over: window, floatingTimeZone: "Asia/Kolkata")
                successes += 1
                #expect(result.intervals == result.intervals.sorted(), "round \(round)")
                #expect(result.intervals.allSatisfy { $0.interval.end > $0.interval.start && $0.interval.overlaps(window) }, "round \(round)")
            } catch {
                failures += 1
                #expect(!error.message.isEmpty, "round \(round)")
                if let line = error.line {
                    #expect(line >= 1 && line <= lineCount, "round \(round): line \(line) of \(lineCount)")
                }
            }
            // Generous: the point is "never hangs"; CI runs this beside heavy end-to-end tests.
            #expect(clock.now - started < .seconds(20), "round \(round) took too long")
        }
        // The mutations must exercise both outcomes, or the test proves little.
        #expect(failures > 50)
        #expect(successes > 50)
    }

    @Test func everyTruncationOfAValidFileIsRefusedOrComplete() {
        // Cutting the file anywhere before END:VCALENDAR must never pass as a complete calendar.
        let bytes = Array(Self.rich.utf8)
        let endMarker = Array("END:VCALENDAR".utf8)
        var accepted = 0
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let prefix = Array(bytes.prefix(cut))
            let hasEnd = prefix.count >= endMarker.count && prefix.suffix(from: prefix.count - endMarker.count).elementsEqual(endMarker) || prefix.firstRange(of: endMarker) != nil
            do {
                _ = try ICalendarDocument(bytes: prefix)
                accepted += 1
                #expect(hasEnd, "a file cut at byte \(cut) was accepted")
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(accepted <= 1)
    }
}
