import BookijiCore

/// Advisory locks per (vendor, 5-minute granule) of a slot, taken in sorted key order inside
/// the inserting transaction (by `lock_slot_granules`, in the statement that reads the
/// partner's limits).
///
/// The lock granule is fixed at five minutes whatever the vendor's rules say, so two requests
/// for overlapping slots always share at least one key (they share an instant, and so the
/// granule holding it) even if the rules changed between them. Adjacent slots that meet inside
/// a granule share a key too; that only makes them queue, never double-book.
public enum SlotLocks {
    public static let granuleSeconds: Int64 = 300

    /// The sorted, distinct lock keys for `slot` of `vendorID`.
    public static func keys(vendorID: String, slot: UTCInterval) -> [Int64] {
        let first = floorDiv(slot.start, granuleSeconds)
        let last = floorDiv(slot.end - 1, granuleSeconds)
        var keys: [Int64] = []
        for granule in first...last {
            let digest = SHA256.hash(Array("bookiji-slot:\(vendorID):\(granule)".utf8)).bytes
            var key: UInt64 = 0
            for byte in digest.prefix(8) { key = key << 8 | UInt64(byte) }
            keys.append(Int64(bitPattern: key))
        }
        return Array(Set(keys)).sorted()
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
