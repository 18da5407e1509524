import CSlotEngine

/// A set of equally sized bitsets over one window, in a single allocation, with the C kernel's
/// operations as methods. Owns its memory: create one per query (one allocation), call
/// ``release()`` when done. Not shared between threads.
struct MaskWorkspace {
    /// Names the masks a query uses.
    enum Slot: Int, CaseIterable {
        case candidates, working, busy, tentative, reserved, blocking, bufferBefore, bufferAfter
    }

    let nbits: Int
    let words: Int
    private let storage: UnsafeMutablePointer<UInt64>

    init(nbits: Int) {
        self.nbits = nbits
        self.words = sle_words_for_bits(nbits)
        let total = max(1, words * Slot.allCases.count)
        storage = .allocate(capacity: total)
        storage.initialize(repeating: 0, count: total)
    }

    func release() { storage.deallocate() }

    /// The words of one mask.
    func mask(_ slot: Slot) -> UnsafeMutablePointer<UInt64> { storage + slot.rawValue * words }

    func setRange(_ slot: Slot, from: Int, to: Int) {
        guard from < to, to > 0, from < nbits else { return }
        sle_set_range(mask(slot), nbits, max(0, from), min(nbits, to))
    }

    func setBit(_ slot: Slot, _ index: Int) { sle_set_bit(mask(slot), nbits, index) }

    @inline(__always)
    func test(_ slot: Slot, _ index: Int) -> Bool {
        (mask(slot)[index &>> 6] &>> UInt64(index & 63)) & 1 != 0
    }

    func copy(_ dst: Slot, from src: Slot) { sle_copy(mask(dst), mask(src), nbits) }
    func or(_ dst: Slot, _ a: Slot, _ b: Slot) { sle_or(mask(dst), mask(a), mask(b), nbits) }
    func and(_ dst: Slot, _ a: Slot, _ b: Slot) { sle_and(mask(dst), mask(a), mask(b), nbits) }
    func andNot(_ dst: Slot, _ a: Slot, _ b: Slot) { sle_andnot(mask(dst), mask(a), mask(b), nbits) }
    func clear(_ slot: Slot) { sle_clear_all(mask(slot), nbits) }
    func clearRange(_ slot: Slot, from: Int, to: Int) {
        guard from < to, to > 0 else { return }
        sle_clear_range(mask(slot), nbits, max(0, from), to)
    }
    func windowAny(_ slot: Slot, length: Int) { sle_window_any(mask(slot), nbits, length) }
    func windowAll(_ slot: Slot, length: Int) { sle_window_all(mask(slot), nbits, length) }
    func shiftUp(_ slot: Slot, by shift: Int) { sle_shift_up(mask(slot), mask(slot), nbits, shift) }
    func shiftDown(_ slot: Slot, by shift: Int) { sle_shift_down(mask(slot), mask(slot), nbits, shift) }

    func count(_ slot: Slot) -> Int { sle_count(mask(slot), nbits) }

    /// Index of the first set bit at or after `from`, or `nbits`.
    func nextSet(_ slot: Slot, from: Int) -> Int { sle_next_set(mask(slot), nbits, from) }

    /// The mask's words as raw bytes (for hashing).
    func bytes(_ slot: Slot) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mask(slot), count: words * 8)
    }
}
