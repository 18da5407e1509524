import BookijiCore

/// Turns the rules' wall-clock schedule into UTC granule masks for one window: which granules are
/// working time, and which granules are candidate slot starts (the grid described on
/// ``AvailabilityEngine``).
///
/// Walks the zone's constant-offset pieces; within a piece local time is UTC plus a constant, so
/// each local day's intervals map to one UTC range each. The instants at the start of a piece
/// that show wall times an earlier piece already showed (after a fall-back) are skipped, which
/// is what "counted once, at the first showing" means.
struct WorkingCalendar {
    private var weekly: [[LocalTimeRange]]  // sorted, indexed by Weekday.isoIndex
    private var overrides: [Int64: [LocalTimeRange]]  // sorted, keyed by days since epoch

    init(rules: VendorRules) {
        weekly = Weekday.allCases.map { rules.weeklyHours[$0].sorted() }
        overrides = [:]
        for o in rules.dateOverrides { overrides[o.date.daysSinceEpoch] = o.hours.sorted() }
    }

    /// Sorted working intervals of the local date `day` (days since epoch).
    func hours(onDay day: Int64) -> [LocalTimeRange] {
        if !overrides.isEmpty, let special = overrides[day] { return special }
        return weekly[Int(((day + 3) % 7 + 7) % 7)]
    }

    /// Fills `.working` (granules entirely within working hours) over `[windowStart, windowEnd)`
    /// and `.candidates` (slot starts in `firstStart...lastStart`), both relative to `base`.
    func fill(
        _ masks: MaskWorkspace, zone: ZoneInfo, base: Int64, granule: Int64, slotMinutes: Int,
        windowStart: Int64, windowEnd: Int64, firstStart: Int64, lastStart: Int64
    ) {
        var pendingStart: Int64 = 0, pendingEnd: Int64 = 0, pending = false
        // Working ranges arrive in ascending order; ranges that touch across a zone transition
        // are merged before rounding inwards, so a granule split by a transition is not lost.
        func flush() {
            guard pending else { return }
            let from = ceilDiv(pendingStart - base, granule), to = floorDiv(pendingEnd - base, granule)
            masks.setRange(.working, from: Int(from), to: Int(to))
        }
        func emit(_ a: Int64, _ b: Int64) {
            if pending && a <= pendingEnd {
                pendingEnd = max(pendingEnd, b)
            } else {
                flush()
                (pendingStart, pendingEnd, pending) = (a, b, true)
            }
        }
        let step = Int64(slotMinutes)
        func candidates(_ midnight: Int64, _ a: Int, _ b: Int, anchor: Int, _ lo: Int64, _ hi: Int64) {
            // First m >= a with (m - anchor) % step == 0.
            var m = Int64(anchor) + ceilDiv(Int64(a - anchor), step) * step
            while m < Int64(b) {
                let t = midnight + m * 60
                if t >= lo && t < hi && t >= firstStart && t <= lastStart {
                    let offset = t - base
                    if offset % granule == 0 { masks.setBit(.candidates, Int(offset / granule)) }
                }
                m += step
            }
        }

        // Start two days early so a fall-back just before the window is seen: the instants right
        // after it repeat wall times already shown, and only the first showing counts.
        var latestWall = Int64.min
        zone.forEachPiece(from: windowStart - 2 * 86_400, to: windowEnd) { pieceStart, pieceEnd, offset in
            let off = Int64(offset)
            let firstShowing = latestWall == Int64.min ? pieceStart : max(pieceStart, latestWall - off)
            latestWall = max(latestWall, pieceEnd + off)
            let lo = max(firstShowing, windowStart), hi = pieceEnd
            guard lo < hi else { return }
            let firstDay = floorDiv(lo + off, 86_400), lastDay = floorDiv(hi - 1 + off, 86_400)
            for day in firstDay...lastDay {
                let midnight = day * 86_400 - off  // the instant local 00:00 of `day` would have
                let hours = hours(onDay: day)
                var cursor = 0
                for range in hours {
                    let a = max(midnight + Int64(range.start.minutes) * 60, lo)
                    let b = min(midnight + Int64(range.end.minutes) * 60, hi)
                    if a < b { emit(a, b) }
                    if lastStart >= firstStart {
                        candidates(midnight, cursor, range.start.minutes, anchor: 0, lo, hi)
                        candidates(midnight, range.start.minutes, range.end.minutes, anchor: range.start.minutes, lo, hi)
                    }
                    cursor = range.end.minutes
                }
                if lastStart >= firstStart { candidates(midnight, cursor, 1440, anchor: 0, lo, hi) }
            }
        }
        flush()
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always)
func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
    -floorDiv(-a, b)
}
