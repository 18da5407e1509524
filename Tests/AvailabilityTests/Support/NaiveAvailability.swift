import Availability
import BookijiCore
import Foundation

/// The reference model for the engine: a deliberately naive, obviously-correct reading of the
/// rules, written without the engine's machinery. It asks Foundation's `TimeZone` (ICU's zone
/// data, not our TZif reader) for offsets, finds working time by walking each interval minute by
/// minute in wall-clock time and converting each minute to UTC (first showing only), tests every
/// granule instant against the slot-grid rule, and checks overlaps against plain interval lists
/// in seconds: no masks, no rounding, no caching.
/// It is slow on purpose; the benchmark reports the engine's speed-up over it.
struct NaiveAvailability {
    let rules: VendorRules
    private let zone: TimeZone

    init(rules: VendorRules) {
        self.rules = rules
        self.zone = TimeZone(identifier: rules.timeZone)!
    }

    // Spelled out here rather than taken from SlotReasonCode, so the oracle checks the order.
    private static let table: [(code: SlotReasonCode, confidence: Double)] = [
        (.reserved, 0.0), (.calendarBusy, 0.0), (.calendarTentative, 0.2), (.outsideWorkingHours, 0.4),
        (.minNotice, 0.6), (.beyondHorizon, 0.6), (.bufferConflict, 0.8),
    ]

    func slots(busy: [BusyInterval], reserved: [UTCInterval], query: AvailabilityQuery) -> [AvailabilitySlot] {
        let g = Int64(rules.granuleMinutes * 60)
        let slotMinutes = query.slotMinutes ?? rules.slotMinutes
        let length = Int64(slotMinutes) * 60
        let windowStart = Self.ceil(query.start, g), windowEnd = Self.floor(query.end, g)
        let working = workingMinutes(
            firstDay: Self.floor(windowStart, 86_400) / 86_400 - 2, lastDay: Self.floor(windowEnd, 86_400) / 86_400 + 2)
        var out: [AvailabilitySlot] = []
        var t = windowStart
        while t + length <= windowEnd {
            if isCandidate(t, slotMinutes: slotMinutes) {
                let slot = evaluate(start: t, length: length, busy: busy, reserved: reserved, now: query.now, working: working)
                if !query.onlyAvailable || slot.isAvailable { out.append(slot) }
            }
            t += g
        }
        return out
    }

    func evaluate(
        start t: Int64, length: Int64, busy: [BusyInterval], reserved: [UTCInterval], now: Int64, working: Set<Int64>
    ) -> AvailabilitySlot {
        let end = t + length
        func overlaps(_ a: Int64, _ b: Int64, _ from: Int64, _ to: Int64) -> Bool { a < to && from < b && from < to }
        var applies: [SlotReasonCode: Bool] = [:]
        applies[.reserved] = reserved.contains { overlaps($0.start, $0.end, t, end) }
        applies[.calendarBusy] = busy.contains { $0.status == .busy && overlaps($0.interval.start, $0.interval.end, t, end) }
        applies[.calendarTentative] = busy.contains {
            $0.status == .tentative && overlaps($0.interval.start, $0.interval.end, t, end)
        }
        applies[.outsideWorkingHours] = !stride(from: t, to: end, by: 60).allSatisfy { working.contains($0) }
        applies[.minNotice] = t < now + Int64(rules.minimumNoticeMinutes) * 60
        applies[.beyondHorizon] = t >= now + Int64(rules.bookingHorizonDays) * 86_400
        let blocking = busy.map(\.interval) + reserved
        let before = (t - Int64(rules.bufferBeforeMinutes) * 60, t)
        let after = (end, end + Int64(rules.bufferAfterMinutes) * 60)
        applies[.bufferConflict] = blocking.contains {
            overlaps($0.start, $0.end, before.0, before.1) || overlaps($0.start, $0.end, after.0, after.1)
        }
        var reasons: [SlotReason] = []
        var confidence = 1.0
        for entry in Self.table where applies[entry.code] == true {
            reasons.append(SlotReason(entry.code, rules: rules))
            confidence = min(confidence, entry.confidence)
        }
        return AvailabilitySlot(start: t, end: end, isAvailable: reasons.isEmpty, confidence: confidence, reasons: reasons)
    }

    func offset(at t: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
    }

    /// Every instant at which the wall clock shows `wall` (local seconds since the epoch),
    /// earliest first: none in a spring-forward gap, two in a repeated hour. Tries each offset
    /// the zone uses within a day either side.
    func instants(showing wall: Int64) -> [Int64] {
        let offsets = Set((-2...2).map { offset(at: wall + Int64($0) * 43_200) })
        return offsets.map { wall - $0 }.filter { $0 + offset(at: $0) == wall }.sorted()
    }

    /// Start instants of every working minute whose wall clock falls on local dates `firstDay...lastDay`:
    /// walk each interval minute by minute in wall-clock time and keep the first showing.
    func workingMinutes(firstDay: Int64, lastDay: Int64) -> Set<Int64> {
        var minutes = Set<Int64>()
        for day in firstDay...lastDay {
            for r in rules.hours(on: LocalDate(daysSinceEpoch: day)) {
                for m in r.start.minutes..<r.end.minutes {
                    if let first = instants(showing: day * 86_400 + Int64(m) * 60).first { minutes.insert(first) }
                }
            }
        }
        return minutes
    }

    /// The slot grid rule, read literally for one instant.
    func isCandidate(_ t: Int64, slotMinutes: Int) -> Bool {
        let wall = t + offset(at: t)
        guard instants(showing: wall).first == t else { return false }  // a repeated wall time
        let day = Self.floor(wall, 86_400) / 86_400
        let second = wall - day * 86_400
        guard second % 60 == 0 else { return false }
        let m = Int(second / 60)
        let hours = rules.hours(on: LocalDate(daysSinceEpoch: day))
        if let r = hours.first(where: { $0.start.minutes <= m && m < $0.end.minutes }) {
            return (m - r.start.minutes) % slotMinutes == 0
        }
        return m % slotMinutes == 0
    }

    static func floor(_ a: Int64, _ g: Int64) -> Int64 { (a >= 0 ? a / g : (a - g + 1) / g) * g }
    static func ceil(_ a: Int64, _ g: Int64) -> Int64 { -floor(-a, g) }
}
