@testable import Availability
import BookijiCore
import Foundation
import Testing

/// The TZif reader against Foundation's TimeZone (ICU's own copy of the tz database).
struct ZoneInfoTests {
    static let zones = [
        "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Kiritimati",
        "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "Europe/London", "America/Los_Angeles",
        "Australia/Sydney", "America/Santiago", "Pacific/Auckland", "Asia/Tokyo", "UTC", "Europe/Dublin",
    ]

    @Test(arguments: zones)
    func offsetsAgreeWithFoundation(name: String) throws {
        let ours = try ZoneCache.shared.zone(named: name)
        let theirs = try #require(TimeZone(identifier: name))
        func foundation(_ t: Int64) -> Int { theirs.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))) }
        // Every 7h13m from 2005 to 2090, which lands on all hours of the day over time;
        // past 2037 the offsets come from the expanded footer rule.
        var t: Int64 = 1_104_537_600
        var checked = 0
        while t < 3_786_912_000 {
            #expect(ours.offset(at: t) == foundation(t), "\(name) at \(RFC3339.format(t))")
            t += 7 * 3600 + 13 * 60
            checked += 1
        }
        // Around each of our transitions in 2005...2090 (footer rules take over where the
        // file's explicit list ends), both sides must agree exactly.
        for at in ours.transitions where at > 1_104_537_600 && at < 3_786_912_000 {
            #expect(ours.offset(at: at - 1) == foundation(at - 1), "\(name) before \(RFC3339.format(at))")
            #expect(ours.offset(at: at) == foundation(at), "\(name) at \(RFC3339.format(at))")
        }
        #expect(checked > 100_000)
    }

    @Test func lordHoweShiftsByHalfAnHour() throws {
        let zone = try ZoneCache.shared.zone(named: "Australia/Lord_Howe")
        // 2026-10-04 02:00 local (+10:30) = 2026-10-03T15:30Z: clocks go to 02:30 (+11:00).
        let change = try RFC3339.parse("2026-10-03T15:30:00Z")
        #expect(zone.offset(at: change - 1) == 10 * 3600 + 1800)
        #expect(zone.offset(at: change) == 11 * 3600)
        #expect(zone.offsetsSince2000 == [37_800, 39_600])
    }

    @Test func posixFooterRulesParse() throws {
        let berlin = try #require(PosixTZRule("CET-1CEST,M3.5.0,M10.5.0/3"))
        #expect(berlin.standardOffset == 3600 && berlin.daylightOffset == 7200)
        let changes = berlin.transitions(in: 2026)
        #expect(changes.map(\.at) == [try RFC3339.parse("2026-03-29T01:00:00Z"), try RFC3339.parse("2026-10-25T01:00:00Z")])
        let lordHowe = try #require(PosixTZRule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"))
        #expect(lordHowe.standardOffset == 37_800 && lordHowe.daylightOffset == 39_600)
        let kolkata = try #require(PosixTZRule("IST-5:30"))
        #expect(kolkata.daylightOffset == nil && kolkata.transitions(in: 2026).isEmpty)
        let julian = try #require(PosixTZRule("XXX3YYY,J60/1:30,300/-1"))
        #expect(julian.dstStart == .init(day: .julianNoLeap(60), time: 5400))
        #expect(julian.dstEnd == .init(day: .zeroBased(300), time: -3600))
        // J60 is March 1 even in a leap year; zero-based 59 is February 29 in one.
        #expect(PosixTZRule.dayNumber(.julianNoLeap(60), year: 2028) == LocalDate(year: 2028, month: 3, day: 1).daysSinceEpoch)
        #expect(PosixTZRule.dayNumber(.zeroBased(59), year: 2028) == LocalDate(year: 2028, month: 2, day: 29).daysSinceEpoch)
        for bad in ["", "C", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "<CET-1"] {
            #expect(PosixTZRule(bad) == nil, "'\(bad)'")
        }
    }

    @Test(arguments: ["../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "Europe//Berlin", "", "Mars/Olympus_Mons", "Europe"])
    func unsafeOrUnknownNamesAreRefused(name: String) {
        #expect(throws: ZoneInfo.LoadError.self) { try ZoneCache.shared.zone(named: name) }
    }

    @Test func corruptFilesAreRefusedNotTrapped() throws {
        let good = try #require(FileManager.default.contents(atPath: "/usr/share/zoneinfo/Europe/Berlin"))
        let bytes = [UInt8](good)
        for cut in [0, 4, 30, 44, 100, bytes.count / 2, bytes.count - 20] {
            #expect(throws: ZoneInfo.LoadError.self) { try ZoneInfo.parse(identifier: "cut", tzif: Array(bytes[0..<cut])) }
        }
        #expect(throws: ZoneInfo.LoadError.self) { try ZoneInfo.parse(identifier: "text", tzif: Array("hello".utf8)) }
    }

    @Test func piecesCoverTheRangeWithTheRightOffsets() throws {
        let zone = try ZoneCache.shared.zone(named: "America/New_York")
        let from = try RFC3339.parse("2026-03-07T00:00:00Z"), to = try RFC3339.parse("2026-03-10T00:00:00Z")
        var pieces: [(Int64, Int64, Int)] = []
        zone.forEachPiece(from: from, to: to) { pieces.append(($0, $1, $2)) }
        let change = try RFC3339.parse("2026-03-08T07:00:00Z")
        #expect(pieces.count == 2)
        #expect(pieces.first.map { [$0.0, $0.1, Int64($0.2)] } == [from, change, -18_000])
        #expect(pieces.last.map { [$0.0, $0.1, Int64($0.2)] } == [change, to, -14_400])
    }
}
