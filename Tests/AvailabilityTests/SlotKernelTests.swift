import CSlotEngine
import Testing

/// The C kernel against a Bool-array model, on random masks of awkward sizes.
struct SlotKernelTests {
    /// A mask as C sees it plus the same bits as [Bool].
    struct Pair {
        var words: [UInt64]
        var bits: [Bool]
        var n: Int { bits.count }

        init(_ bits: [Bool]) {
            self.bits = bits
            words = [UInt64](repeating: 0, count: sle_words_for_bits(bits.count))
            for (i, b) in bits.enumerated() where b { words[i / 64] |= 1 << UInt64(i % 64) }
        }

        func decoded() -> [Bool] {
            (0..<n).map { words[$0 / 64] >> UInt64($0 % 64) & 1 == 1 }
        }

        /// Bits past n must stay zero (the kernel's invariant).
        var tailIsClean: Bool {
            guard n % 64 != 0, let last = words.last else { return true }
            return last >> UInt64(n % 64) == 0
        }
    }

    static func random(_ n: Int, density: Double, _ rng: inout SplitMix64) -> [Bool] {
        (0..<n).map { _ in rng.chance(density) }
    }

    static let sizes = [0, 1, 63, 64, 65, 127, 200, 640, 1000]

    @Test func rangesSetAndClearExactly() {
        var rng = SplitMix64(seed: 1)
        for n in Self.sizes where n > 0 {
            for _ in 0..<50 {
                var model = Self.random(n, density: 0.5, &rng)
                var pair = Pair(model)
                let from = rng.int(0...(n + 5)), to = rng.int(0...(n + 70))
                let set = rng.chance(0.5)
                pair.words.withUnsafeMutableBufferPointer {
                    if set { sle_set_range($0.baseAddress!, n, from, to) } else { sle_clear_range($0.baseAddress!, n, from, to) }
                }
                if from < min(to, n) { for i in from..<min(to, n) { model[i] = set } }
                #expect(pair.decoded() == model, "n \(n) [\(from), \(to)) set \(set)")
                #expect(pair.tailIsClean)
            }
        }
    }

    @Test func windowAnyAndAllMatchTheDefinition() {
        var rng = SplitMix64(seed: 2)
        for n in Self.sizes {
            for length in [0, 1, 2, 3, 5, 8, 13, 36, 64, 65, 130] {
                let model = Self.random(n, density: length > 8 ? 0.97 : 0.6, &rng)
                var any = Pair(model), all = Pair(model)
                any.words.withUnsafeMutableBufferPointer { sle_window_any($0.baseAddress, n, length) }
                all.words.withUnsafeMutableBufferPointer { sle_window_all($0.baseAddress, n, length) }
                let expectAny = (0..<n).map { i in (i..<min(n, i + length)).contains { model[$0] } }
                let expectAll = (0..<n).map { i in i + length <= n && (i..<(i + length)).allSatisfy { model[$0] } }
                #expect(any.decoded() == expectAny, "any n \(n) length \(length)")
                #expect(all.decoded() == expectAll, "all n \(n) length \(length)")
                #expect(any.tailIsClean && all.tailIsClean)
            }
        }
    }

    @Test func shiftsAndDilationMatchTheDefinition() {
        var rng = SplitMix64(seed: 3)
        for n in Self.sizes {
            for shift in [0, 1, 7, 63, 64, 65, 129, 2000] {
                let model = Self.random(n, density: 0.3, &rng)
                var down = Pair(model), up = Pair(model)
                down.words.withUnsafeMutableBufferPointer { sle_shift_down($0.baseAddress, $0.baseAddress, n, shift) }
                up.words.withUnsafeMutableBufferPointer { sle_shift_up($0.baseAddress, $0.baseAddress, n, shift) }
                #expect(down.decoded() == (0..<n).map { $0 + shift < n && model[$0 + shift] }, "down n \(n) by \(shift)")
                #expect(up.decoded() == (0..<n).map { $0 >= shift && model[$0 - shift] }, "up n \(n) by \(shift)")
                #expect(up.tailIsClean && down.tailIsClean)

                let lo = rng.int(0...70), hi = rng.int(0...70)
                var dilated = Pair(model)
                dilated.words.withUnsafeMutableBufferPointer { sle_dilate($0.baseAddress, n, lo, hi) }
                let expected = (0..<n).map { i in (max(0, i - hi)...min(n - 1 + 1, i + lo)).contains { $0 < n && model[$0] } }
                #expect(dilated.decoded() == expected, "dilate n \(n) down \(lo) up \(hi)")
                #expect(dilated.tailIsClean)
            }
        }
    }

    @Test func booleanOpsCountAndIteration() {
        var rng = SplitMix64(seed: 4)
        for n in Self.sizes {
            let a = Self.random(n, density: 0.5, &rng), b = Self.random(n, density: 0.5, &rng)
            let pa = Pair(a), pb = Pair(b)
            var out = Pair([Bool](repeating: false, count: n))
            func run(_ op: (UnsafeMutablePointer<UInt64>?, UnsafePointer<UInt64>?, UnsafePointer<UInt64>?, Int) -> Void) -> [Bool] {
                out.words.withUnsafeMutableBufferPointer { o in
                    pa.words.withUnsafeBufferPointer { x in
                        pb.words.withUnsafeBufferPointer { y in op(o.baseAddress, x.baseAddress, y.baseAddress, n) }
                    }
                }
                return out.decoded()
            }
            #expect(run(sle_and) == zip(a, b).map { $0 && $1 })
            #expect(run(sle_or) == zip(a, b).map { $0 || $1 })
            #expect(run(sle_andnot) == zip(a, b).map { $0 && !$1 })
            var negated = Pair(a)
            negated.words.withUnsafeMutableBufferPointer { sle_not($0.baseAddress, $0.baseAddress, n) }
            #expect(negated.decoded() == a.map { !$0 })
            #expect(negated.tailIsClean)

            #expect(pa.words.withUnsafeBufferPointer { sle_count($0.baseAddress, n) } == a.filter { $0 }.count)
            let expectedIndices = a.indices.filter { a[$0] }
            var viaNext: [Int] = []
            var i = pa.words.withUnsafeBufferPointer { sle_next_set($0.baseAddress, n, 0) }
            while i < n {
                viaNext.append(i)
                i = pa.words.withUnsafeBufferPointer { sle_next_set($0.baseAddress, n, i + 1) }
            }
            #expect(viaNext == expectedIndices)
            // Collect in small batches to exercise resumption.
            var collected: [Int] = []
            var buffer = [UInt32](repeating: 0, count: 7)
            var from = 0
            while true {
                let got = pa.words.withUnsafeBufferPointer { w in
                    buffer.withUnsafeMutableBufferPointer { sle_collect(w.baseAddress, n, from, $0.baseAddress, 7) }
                }
                collected += buffer[0..<got].map(Int.init)
                if got < 7 { break }
                from = Int(buffer[6]) + 1
            }
            #expect(collected == expectedIndices)
        }
    }
}
