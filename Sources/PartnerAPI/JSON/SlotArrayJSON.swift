import Availability
import BookijiCore

/// The `slots` array of an availability answer, written straight into the answer's buffer.
///
/// An answer for a week of 30-minute slots is 336 objects and about 60 KB, and it is written
/// for every answer not served from the cache, so this skips the general JSON writer. A slot is
/// its two instants between constant pieces: the part from `isAvailable` to the end of `reasons`
/// is encoded once per distinct (availability, confidence, reasons) and copied after that, the
/// date part of an instant is copied from the previous one of the same day, and the
/// `computedAt`/`computedVersion` stamp is the same for every slot.
struct SlotArrayJSON {
    /// `,"computedAt":"…","computedVersion":"…"}`: the same for every slot of an answer.
    let stamp: [UInt8]
    let includeConfidence: Bool

    init(computedAt: Int64, computedVersion: String, includeConfidence: Bool) {
        var stamp = Array(#","computedAt":""#.utf8)
        stamp += repeatElement(0, count: 20)
        RFC3339.write(computedAt, into: &stamp, at: stamp.count - 20)
        stamp += Array(#"","computedVersion":""#.utf8) + Array(computedVersion.utf8) + Array(#""}"#.utf8)
        self.stamp = stamp
        self.includeConfidence = includeConfidence
    }

    private static let startKey: StaticString = #"{"startTime":""#
    private static let endKey: StaticString = #"","endTime":""#
    /// Bytes of a slot besides its middle: the keys, two 20-byte instants and the stamp.
    private var fixedCount: Int { Self.startKey.utf8CodeUnitCount + 20 + Self.endKey.utf8CodeUnitCount + 20 + stamp.count }

    /// The array alone, and each reason code that occurs with its message (first one seen).
    func render(_ slots: [AvailabilitySlot]) -> (json: [UInt8], reasons: [(code: String, message: String)]) {
        var json = JSONWriter(capacity: 2 + slots.count * (fixedCount + 128))
        let reasons = write(slots, into: &json)
        return (json.bytes, reasons)
    }

    /// Appends the array to `json` as one value, keeping room for `extra` bytes after it; returns
    /// each reason code that occurs with its message (first one seen).
    func write(
        _ slots: [AvailabilitySlot], into json: inout JSONWriter, thenRoomFor extra: Int = 0
    ) -> [(code: String, message: String)] {
        var middles = Middles(includeConfidence: includeConfidence)
        // Which middle each slot has, found once: the exact size first, then the bytes. The
        // slots are read in place (copying one would retain its reasons).
        var chosen = [Int32](repeating: 0, count: slots.count)
        var size = 2 + max(0, slots.count - 1) + slots.count * fixedCount
        slots.withUnsafeBufferPointer { slots in
            var last = -1
            for index in slots.indices {
                last = middles.index(of: slots[index], after: last)
                chosen[index] = Int32(last)
                size += middles.entries[last].bytes.count
            }
        }
        json.raw(count: size, thenRoomFor: extra) { buffer in
            var out = Writer(next: buffer.baseAddress!)
            out.byte(UInt8(ascii: "["))
            slots.withUnsafeBufferPointer { slots in
                stamp.withUnsafeBytes { stamp in
                    chosen.withUnsafeBufferPointer { chosen in
                        for index in slots.indices {
                            if index > 0 { out.byte(UInt8(ascii: ",")) }
                            out.put(Self.startKey)
                            out.instant(slots[index].start)
                            out.put(Self.endKey)
                            out.instant(slots[index].end)
                            middles.entries[Int(chosen[index])].bytes.withUnsafeBytes { out.put($0) }
                            out.put(stamp)
                        }
                    }
                }
            }
            out.byte(UInt8(ascii: "]"))
            return out.next - buffer.baseAddress!
        }
        var reasons: [(code: String, message: String)] = []
        for entry in middles.entries {
            for reason in entry.reasons where !reasons.contains(where: { $0.code == reason.code }) {
                reasons.append((reason.code, reason.message))
            }
        }
        return reasons
    }

    /// The encoded middles of one answer, `","isAvailable":…,"reasons":[…]` (with confidence
    /// when asked), in order of first use. An answer has a handful: the engine gives each
    /// combination of reasons one shared array, so a lookup is mostly an identity comparison.
    private struct Middles {
        let includeConfidence: Bool
        var entries: [(isAvailable: Bool, confidence: Double, reasons: [SlotReason], bytes: [UInt8])] = []

        init(includeConfidence: Bool) {
            self.includeConfidence = includeConfidence
        }

        /// The entry for `slot`'s middle, trying entry `last` (the previous slot's) first.
        mutating func index(of slot: AvailabilitySlot, after last: Int) -> Int {
            func matches(_ entry: Int) -> Bool {
                entries[entry].isAvailable == slot.isAvailable && entries[entry].confidence == slot.confidence
                    && entries[entry].reasons == slot.reasons
            }
            if last >= 0, matches(last) { return last }
            if let found = entries.indices.first(where: matches) { return found }
            var bytes = Array((slot.isAvailable ? #"","isAvailable":true"# : #"","isAvailable":false"#).utf8)
            if includeConfidence {
                bytes += Array(#","confidence":"#.utf8)
                bytes += Array((SlotArrayJSON.knownConfidence(slot.confidence).map { "\($0)" } ?? "\(slot.confidence)").utf8)
            }
            bytes += Array(#","reasons":["#.utf8)
            for (index, reason) in slot.reasons.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes += Array("\"\(reason.code)\"".utf8)  // stable snake_case codes: nothing to escape
            }
            bytes.append(UInt8(ascii: "]"))
            entries.append((slot.isAvailable, slot.confidence, slot.reasons, bytes))
            return entries.count - 1
        }
    }

    /// The confidence levels of the spec's table, as written; nil for any other value.
    static func knownConfidence(_ value: Double) -> StaticString? {
        switch value {
        case 1.0: "1.0"
        case 0.8: "0.8"
        case 0.6: "0.6"
        case 0.4: "0.4"
        case 0.2: "0.2"
        case 0.0: "0.0"
        default: nil
        }
    }

    private struct Writer {
        var next: UnsafeMutablePointer<UInt8>
        /// The day of the last instant written, and where its `YYYY-MM-DDT` is.
        var day = Int64.min
        var date: UnsafeMutablePointer<UInt8>?

        @inline(__always)
        mutating func byte(_ value: UInt8) {
            next.pointee = value
            next += 1
        }

        @inline(__always)
        mutating func twoDigits(_ value: Int, at offset: Int) {
            next[offset] = UInt8(truncatingIfNeeded: 48 + value / 10)
            next[offset + 1] = UInt8(truncatingIfNeeded: 48 + value % 10)
        }

        /// `YYYY-MM-DDTHH:MM:SSZ`, the date copied from the previous instant of the same day.
        mutating func instant(_ seconds: Int64) {
            let thisDay = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            if thisDay == day, let date {
                next.update(from: date, count: 11)
            } else {
                var text = [UInt8](repeating: 0, count: 20)
                RFC3339.write(thisDay * 86_400, into: &text, at: 0)
                text.withUnsafeBufferPointer { next.update(from: $0.baseAddress!, count: 11) }
                day = thisDay
                date = next
            }
            let second = Int(seconds - thisDay * 86_400)
            twoDigits(second / 3600, at: 11)
            next[13] = UInt8(ascii: ":")
            twoDigits(second / 60 % 60, at: 14)
            next[16] = UInt8(ascii: ":")
            twoDigits(second % 60, at: 17)
            next[19] = UInt8(ascii: "Z")
            next += 20
        }

        @inline(__always)
        mutating func put(_ text: StaticString) {
            next.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            next += text.utf8CodeUnitCount
        }

        @inline(__always)
        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress else { return }
            UnsafeMutableRawPointer(next).copyMemory(from: base, byteCount: bytes.count)
            next += bytes.count
        }
    }
}
