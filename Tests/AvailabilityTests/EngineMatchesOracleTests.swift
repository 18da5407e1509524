import Availability
import BookijiCore
import Testing

/// Property tests: the bitset engine must give exactly the naive model's slots, confidences and
/// reasons for random vendors, rules, calendars, zones and windows (many around DST changes).
struct EngineMatchesOracleTests {
    static func mismatch(_ scenario: RandomScenario) -> String? {
        let engine = AvailabilityEngine()
        let fast: [AvailabilitySlot]
        do {
            fast = try engine.compute(
                rules: scenario.rules, busy: scenario.busy, reserved: scenario.reserved, query: scenario.query
            ).slots
        } catch {
            return "\(scenario): engine threw \(error)"
        }
        let naive = NaiveAvailability(rules: scenario.rules)
            .slots(busy: scenario.busy, reserved: scenario.reserved, query: scenario.query)
        if fast == naive { return nil }
        let fastByStart = Dictionary(fast.map { ($0.start, $0) }, uniquingKeysWith: { a, _ in a })
        let naiveByStart = Dictionary(naive.map { ($0.start, $0) }, uniquingKeysWith: { a, _ in a })
        for start in Set(fastByStart.keys).union(naiveByStart.keys).sorted() where fastByStart[start] != naiveByStart[start] {
            return "\(scenario)\n  at \(RFC3339.format(start)): engine \(fastByStart[start].map(String.init(describing:)) ?? "none") "
                + "oracle \(naiveByStart[start].map(String.init(describing:)) ?? "none") (engine \(fast.count) slots, oracle \(naive.count))"
        }
        return "\(scenario): same slots by start but arrays differ (order?)"
    }

    /// 640 scenarios of up to 8 days and 40 calendar intervals, in 16 parallel batches.
    @Test(arguments: 0..<16)
    func randomScenariosMatchTheNaiveModel(batch: Int) {
        var failures: [String] = []
        var slotsSeen = 0
        for i in 0..<40 {
            let scenario = RandomScenario(seed: UInt64(batch * 1000 + i) &* 0x9E37_79B9 &+ 17)
            if let problem = Self.mismatch(scenario) { failures.append(problem) }
            slotsSeen += (try? AvailabilityEngine().compute(
                rules: scenario.rules, busy: scenario.busy, reserved: scenario.reserved, query: scenario.query
            ).slots.count) ?? 0
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches; first: \(failures.first ?? "")")
        #expect(slotsSeen > 0, "the generator produced no slots at all")
    }

    /// Fewer, larger cases: month-long windows with hundreds of intervals, so masks span many
    /// words and runs cross word boundaries everywhere.
    @Test func longWindowsMatchTheNaiveModel() {
        var failures: [String] = []
        for i in 0..<6 {
            let scenario = RandomScenario(seed: 7_000_000 + UInt64(i), maxDays: 35, maxBusy: 400)
            if let problem = Self.mismatch(scenario) { failures.append(problem) }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches; first: \(failures.first ?? "")")
    }
}
