import BookijiCore

/// Feeds the answer-relevant inputs of a query into SHA-256 in one canonical byte form:
/// fixed-width little-endian integers, length-prefixed strings, sorted collections. Every field
/// is preceded by a one-byte tag so that no two different inputs can share an encoding.
struct VersionHasher {
    private var sha = SHA256()
    private var buffer: [UInt8] = []

    init(engineVersion: String) {
        buffer.reserveCapacity(512)
        string(0x01, "bookiji-availability-engine/" + engineVersion)
    }

    mutating func int(_ tag: UInt8, _ value: Int64) {
        buffer.append(tag)
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    mutating func string(_ tag: UInt8, _ value: String) {
        int(tag, Int64(value.utf8.count))
        buffer.append(contentsOf: value.utf8)
    }

    /// Rules in canonical form: intervals sorted, overrides sorted by date.
    mutating func rules(_ rules: VendorRules) {
        string(0x10, rules.timeZone)
        for day in Weekday.allCases {
            ranges(0x11, rules.weeklyHours[day].sorted())
        }
        let overrides = rules.dateOverrides.sorted { $0.date < $1.date }
        int(0x12, Int64(overrides.count))
        for o in overrides {
            int(0x13, o.date.daysSinceEpoch)
            ranges(0x14, o.hours.sorted())
        }
        int(0x15, Int64(rules.slotMinutes))
        int(0x16, Int64(rules.bufferBeforeMinutes))
        int(0x17, Int64(rules.bufferAfterMinutes))
        int(0x18, Int64(rules.minimumNoticeMinutes))
        int(0x19, Int64(rules.bookingHorizonDays))
        int(0x1a, Int64(rules.granuleMinutes))
    }

    private mutating func ranges(_ tag: UInt8, _ list: [LocalTimeRange]) {
        int(tag, Int64(list.count))
        for r in list {
            int(0x20, Int64(r.start.minutes))
            int(0x21, Int64(r.end.minutes))
        }
    }

    /// A mask's words as they are in memory, after a length; masks are little-endian on every
    /// platform Swift on Linux and Apple runs on, and the engine version pins the layout.
    mutating func mask(_ tag: UInt8, _ bytes: UnsafeRawBufferPointer) {
        int(tag, Int64(bytes.count))
        flush()
        sha.update(bytes)
    }

    private mutating func flush() {
        buffer.withUnsafeBytes { sha.update($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finalize() -> String {
        flush()
        // 128 bits of the digest: collisions stay out of reach, and the version is repeated
        // in every slot of an answer (the spec's slot shape), so its length counts.
        return sha.finalize().base64URL(prefix: 16)
    }
}
