import Testing
import BookijiCore

/// Reference instants below come from GNU `date -u -d @N` / `date -u -d TEXT +%s`.
struct RFC3339Tests {
    struct Known: Sendable, CustomTestStringConvertible {
        var epoch: Int64
        var text: String
        var testDescription: String { text }
    }

    static let known: [Known] = [
        Known(epoch: 0, text: "1970-01-01T00:00:00Z"),
        Known(epoch: -1, text: "1969-12-31T23:59:59Z"),
        Known(epoch: -86_400, text: "1969-12-31T00:00:00Z"),
        Known(epoch: -86_401, text: "1969-12-30T23:59:59Z"),
        Known(epoch: 951_782_400, text: "2000-02-29T00:00:00Z"),
        Known(epoch: 1_709_164_800, text: "2024-02-29T00:00:00Z"),
        Known(epoch: 1_772_355_600, text: "2026-03-01T09:00:00Z"),
        Known(epoch: -2_203_891_200, text: "1900-03-01T00:00:00Z"),
        Known(epoch: -62_167_219_200, text: "0000-01-01T00:00:00Z"),
        Known(epoch: 253_402_300_799, text: "9999-12-31T23:59:59Z"),
    ]

    @Test(arguments: known)
    func formatsAndParsesKnownInstants(_ known: Known) throws {
        #expect(RFC3339.format(known.epoch) == known.text)
        #expect(try RFC3339.parse(known.text) == known.epoch)
    }

    @Test func writeFillsTwentyBytesAtTheOffset() {
        var buffer = [UInt8](repeating: UInt8(ascii: "."), count: 24)
        RFC3339.write(-1, into: &buffer, at: 2)
        #expect(String(decoding: buffer, as: UTF8.self) == "..1969-12-31T23:59:59Z..")
    }

    @Test(arguments: [
        ("2024-02-29T00:00:00Z", true), ("2023-02-29T00:00:00Z", false), ("2000-02-29T00:00:00Z", true),
        ("1900-02-29T00:00:00Z", false), ("2100-02-29T00:00:00Z", false), ("0000-02-29T00:00:00Z", true),
        ("2023-02-28T00:00:00Z", true), ("2024-04-31T00:00:00Z", false), ("2024-12-31T00:00:00Z", true),
    ])
    func february29thOnlyInLeapYears(text: String, valid: Bool) {
        let parsed = try? RFC3339.parse(text)
        #expect((parsed != nil) == valid)
        if let parsed { #expect(RFC3339.format(parsed) == text) }
    }

    @Test(arguments: [
        ("2026-03-01T14:30:00+05:30", "2026-03-01T09:00:00Z"),
        ("2026-03-01T01:00:00-08:00", "2026-03-01T09:00:00Z"),
        ("2026-03-01T14:30:00+0530", "2026-03-01T09:00:00Z"),
        ("2026-03-01T09:00:00-00:00", "2026-03-01T09:00:00Z"),
        ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"),
        ("2024-02-28T20:00:00-05:00", "2024-02-29T01:00:00Z"),
        ("1970-01-01T00:00:00+00:01", "1969-12-31T23:59:00Z"),
        ("2026-03-01t09:00z", "2026-03-01T09:00:00Z"),
        ("2026-03-01 09:00:00Z", "2026-03-01T09:00:00Z"),
        ("2026-03-01T09:00:00.999999Z", "2026-03-01T09:00:00Z"),
        ("2026-03-01T09:00:00,5+01:00", "2026-03-01T08:00:00Z"),
        ("1969-12-31T23:59:59.9Z", "1969-12-31T23:59:59Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),
    ])
    func offsetsFractionsAndSeparatorsNormaliseToUTC(text: String, utc: String) throws {
        #expect(RFC3339.format(try RFC3339.parse(text)) == utc)
    }

    @Test(arguments: [
        ("", "year must be four digits"),
        ("26-03-01T09:00:00Z", "year must be four digits"),
        ("2026-13-01T09:00:00Z", "bad month"),
        ("2026-00-01T09:00:00Z", "bad month"),
        ("2026-3-01T09:00:00Z", "bad month"),
        ("2026-04-31T09:00:00Z", "bad day of month"),
        ("2026-03-00T09:00:00Z", "bad day of month"),
        ("2026-03-01", "missing 'T' between date and time"),
        ("2026-03-01X09:00:00Z", "missing 'T' between date and time"),
        ("2026-03-01T24:00:00Z", "bad hour"),
        ("2026-03-01T09:60:00Z", "bad minute"),
        ("2026-03-01T09Z", "bad minute"),
        ("2026-03-01T09:00:61Z", "bad second"),
        ("2026-03-01T09:00:00.Z", "empty fraction of a second"),
        ("2026-03-01T09:00:00", "missing zone designator ('Z' or ±HH:MM)"),
        ("2026-03-01T09:00:00 Z", "missing zone designator ('Z' or ±HH:MM)"),
        ("2026-03-01T09:00:00+24:00", "bad zone offset hours"),
        ("2026-03-01T09:00:00+05:60", "bad zone offset minutes"),
        ("2026-03-01T09:00:00+05", "bad zone offset minutes"),
        ("2026-03-01T09:00:00Z ", "unexpected text after the zone designator"),
        ("2026-03-01T09:00:00+01:00:00", "unexpected text after the zone designator"),
    ])
    func badInputsSayWhatIsWrong(text: String, reason: String) {
        #expect {
            _ = try RFC3339.parse(text)
        } throws: { error in
            let message = (error as? RFC3339.ParseError)?.message ?? ""
            return message == "'\(text)' is not an RFC 3339 timestamp: \(reason) (expected e.g. 2026-03-01T09:00:00Z)"
        }
    }

    /// Oracle: a naive day-by-day walk of the proleptic Gregorian calendar, with its own leap rule,
    /// over every day from 0000-01-01 to 9999-12-31.
    @Test func civilDaysMatchANaiveCalendarWalkForYears0To9999() {
        func isLeap(_ y: Int64) -> Bool { y % 400 == 0 || (y % 4 == 0 && y % 100 != 0) }
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var (y, m, d): (Int64, Int, Int) = (0, 1, 1)
        var day = RFC3339.daysFromCivil(0, 1, 1)
        #expect(day == -719_528)  // 1970-01-01 is day 0, 719_528 days after 0000-01-01
        var mismatches = 0
        var firstMismatch: String?
        while y < 10_000 {
            let civil = RFC3339.civilFromDays(day)
            if civil != (y, m, d) || RFC3339.daysFromCivil(y, m, d) != day {
                mismatches += 1
                if firstMismatch == nil { firstMismatch = "day \(day): expected \(y)-\(m)-\(d), got \(civil)" }
            }
            day += 1
            d += 1
            if d > (m == 2 && isLeap(y) ? 29 : lengths[m - 1]) {
                d = 1
                m += 1
                if m > 12 { m = 1; y += 1 }
            }
        }
        #expect(mismatches == 0, "\(firstMismatch ?? "")")
        #expect(day == RFC3339.daysFromCivil(10_000, 1, 1))
    }

    @Test func formatThenParseIsIdentityAcrossTheRepresentableRange() throws {
        // A deterministic spread of instants, both sides of the epoch, including odd seconds.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let low = RFC3339.daysFromCivil(0, 1, 1) * 86_400
        let high = RFC3339.daysFromCivil(10_000, 1, 1) * 86_400
        var failures: [Int64] = []
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let epoch = low + Int64((state >> 1) % UInt64(high - low))
            if (try? RFC3339.parse(RFC3339.format(epoch))) != epoch { failures.append(epoch) }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(3))")
    }
}
