// Engine-alone benchmark (issue 3, point 8): one vendor, a 90-day window, 5-minute granules,
// 2,000 busy intervals, 30-minute slots. Times the production path: the engine's candidates
// (what `AvailabilityService` hands the Partner API) and those candidates rendered as the API's
// `slots` array (PartnerAPI's `SlotArrayJSON`, compiled in from its source), not the
// compatibility `slots` accessor, which spells every slot out as a struct with its reason
// texts. Prints time per query and the speed-up over the naive oracle on the same inputs, after
// checking both give the same answer. Build and run with Benchmarks/engine/run.sh (release).
import Availability
import BookijiCore
import Foundation

let days = 90
let busyCount = 2000
let engineRuns = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 2000
let oracleRuns = 3

// A weekday vendor in a zone whose window crosses a DST change (2026-03-08 in New York).
let rules = VendorRules(
    timeZone: "America/New_York",
    weeklyHours: {
        var week = WeeklyHours([LocalTimeRange("09:00", "12:00"), LocalTimeRange("13:00", "18:00")],
                               on: [.monday, .tuesday, .wednesday, .thursday, .friday])
        week.saturday = [LocalTimeRange("10:00", "14:00")]
        return week
    }(),
    dateOverrides: [.closed(LocalDate(year: 2026, month: 2, day: 16)),
                    DateOverride(date: LocalDate(year: 2026, month: 4, day: 3), hours: [LocalTimeRange("09:00", "12:00")])],
    slotMinutes: 30, bufferBeforeMinutes: 10, bufferAfterMinutes: 10, minimumNoticeMinutes: 120,
    bookingHorizonDays: 60, granuleMinutes: 5)

let windowStart = try RFC3339.parse("2026-02-01T05:00:00Z")
let windowEnd = windowStart + Int64(days) * 86_400
var rng = SplitMix64(seed: 2026)
let busy: [BusyInterval] = (0..<busyCount).map { _ in
    let start = rng.int64(windowStart...(windowEnd - 3600))
    let minutes = Int64(rng.pick([15, 30, 30, 45, 60, 60, 90, 120, 180]))
    return BusyInterval(start: start, end: start + minutes * 60, status: rng.chance(0.8) ? .busy : .tentative)
}
let reserved: [UTCInterval] = (0..<50).map { _ in
    let start = rng.int64(windowStart...(windowEnd - 3600)) / 1800 * 1800
    return UTCInterval(start: start, end: start + 1800)
}
let now = windowStart + 3 * 86_400 + 1234
let allQuery = AvailabilityQuery(start: windowStart, end: windowEnd, now: now)
let availableQuery = AvailabilityQuery(start: windowStart, end: windowEnd, now: now, onlyAvailable: true)
let engine = AvailabilityEngine()

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Runs `body` `runs` times (after 10% warm-up) and returns per-run durations in seconds, sorted.
func measure(runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
    let clock = ContinuousClock()
    for _ in 0..<max(1, runs / 10) { try body() }
    var samples: [Double] = []
    samples.reserveCapacity(runs)
    for _ in 0..<runs {
        let t0 = clock.now
        try body()
        samples.append(seconds(clock.now - t0))
    }
    return samples.sorted()
}

func describe(_ s: [Double]) -> String {
    let mean = s.reduce(0, +) / Double(s.count)
    let p = { (q: Double) in s[min(s.count - 1, Int(Double(s.count) * q))] * 1e6 }
    return String(format: "median %.1f µs, mean %.1f µs, p90 %.1f µs, p99 %.1f µs (n=%d)", p(0.5), mean * 1e6, p(0.9), p(0.99), s.count)
}

// Correctness first: the same inputs through both implementations.
let fast = try engine.compute(rules: rules, busy: busy, reserved: reserved, query: allQuery)
let naive = NaiveAvailability(rules: rules).slots(busy: busy, reserved: reserved, query: allQuery)
guard fast.slots == naive else {
    print("MISMATCH: engine \(fast.slots.count) slots, oracle \(naive.count) slots")
    exit(1)
}
let availableCount = fast.slots.filter(\.isAvailable).count
print("inputs: \(days)-day window \(RFC3339.format(windowStart)) .. \(RFC3339.format(windowEnd)), \(rules.timeZone), "
      + "granule \(rules.granuleMinutes) min, slot \(rules.slotMinutes) min, \(busy.count) busy/tentative, \(reserved.count) reserved")
print("answer: \(fast.slots.count) candidate slots, \(availableCount) available; engine == oracle: yes")

var sink = 0
// What the API renders every slot with; the stamp's instant and version are this answer's.
let slotJSON = SlotArrayJSON(computedAt: now, computedVersion: fast.computedVersion, includeConfidence: false)
let rendered = slotJSON.render(fast).json
let all = try measure(runs: engineRuns) {
    sink &+= try engine.compute(rules: rules, busy: busy, reserved: reserved, query: allQuery).candidates.count
}
let available = try measure(runs: engineRuns) {
    sink &+= try engine.compute(rules: rules, busy: busy, reserved: reserved, query: availableQuery).candidates.count
}
let allRendered = try measure(runs: engineRuns) {
    let result = try engine.compute(rules: rules, busy: busy, reserved: reserved, query: allQuery)
    sink &+= slotJSON.render(result).json.count
}
let oracle = measure(runs: oracleRuns) {
    sink &+= NaiveAvailability(rules: rules).slots(busy: busy, reserved: reserved, query: allQuery).count
}
// The version hash is part of every query; its throughput bounds what hashing the masks costs.
let hashInput = [UInt8](repeating: 0xa5, count: 16_384)
let hashing = measure(runs: 500) {
    var h = SHA256()
    h.update(hashInput)
    sink &+= Int(h.finalize().bytes[0])
}
let allMedian = all[all.count / 2], availableMedian = available[available.count / 2], oracleMedian = oracle[oracle.count / 2]

let renderedMedian = allRendered[allRendered.count / 2]

print("engine, every slot with reasons:  " + describe(all))
print("engine, onlyAvailable:            " + describe(available))
print("engine + slots JSON, every slot:  " + describe(allRendered) + ", \(rendered.count) bytes")
print(String(format: "oracle (naive), every slot:       median %.1f ms (n=%d)", oracleMedian * 1e3, oracle.count))
print(String(format: "SHA-256 (version hash):           %.0f MB/s", Double(hashInput.count) / hashing[hashing.count / 2] / 1e6))
print(String(format: "speed-up over oracle (medians):   %.0fx", oracleMedian / allMedian))
print(String(format: "target <= 200 µs per query:       %@ (%.1f µs every slot, %.1f µs onlyAvailable; %.1f µs with the JSON)",
             allMedian <= 200e-6 ? "met" : "NOT met", allMedian * 1e6, availableMedian * 1e6, renderedMedian * 1e6))
print(String(format: "target >= 20x over oracle:        %@", oracleMedian / allMedian >= 20 ? "met" : "NOT met"))
if sink == 42 { print("") }  // keeps the optimiser from dropping the work
