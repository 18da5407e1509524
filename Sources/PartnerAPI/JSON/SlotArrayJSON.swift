import Availability
import BookijiCore

/// The `slots` array of an availability answer, written straight into the answer's buffer.
///
/// An answer for a week of 30-minute slots is 336 objects and about 60 KB, and it is written
/// for every answer not served from the cache, so this skips the general JSON writer. A slot is
/// its two instants between constant pieces: the part from `isAvailable` to the end of `reasons`
/// depends only on the slot's set of reasons and is encoded once per process for each set, the date part of an
/// instant is copied from the previous one of the same day, and the `computedAt` and
/// `computedVersion` stamp is the same for every slot.
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

    /// The array alone, and each reason code that occurs with its message (in severity order).
    func render(_ result: AvailabilityResult) -> (json: [UInt8], reasons: [(code: String, message: String)]) {
        var json = JSONWriter(capacity: 2 + result.candidates.count * (fixedCount + 128))
        let reasons = write(result, into: &json)
        return (json.bytes, reasons)
    }

    /// Appends the array to `json` as one value, keeping room for `extra` bytes after it; returns
    /// each reason code that occurs with its message (in severity order).
    func write(
        _ result: AvailabilityResult, into json: inout JSONWriter, thenRoomFor extra: Int = 0
    ) -> [(code: String, message: String)] {
        let length = Int64(result.slotMinutes) * 60
        let table = includeConfidence ? Self.middlesWithConfidence : Self.middlesWithoutConfidence
        var present = SlotReasonSet()
        var size = 2 + max(0, result.candidates.count - 1) + result.candidates.count * fixedCount
        table.offsets.withUnsafeBufferPointer { offsets in
            result.candidates.withUnsafeBufferPointer { candidates in
                for candidate in candidates {
                    let set = Int(candidate.reasons.rawValue)
                    size += offsets[set + 1] - offsets[set]
                    present.formUnion(candidate.reasons)
                }
            }
        }
        json.raw(count: size, thenRoomFor: extra) { buffer in
            var out = Writer(next: buffer.baseAddress!, end: buffer.baseAddress! + buffer.count)
            out.byte(UInt8(ascii: "["))
            result.candidates.withUnsafeBufferPointer { candidates in
                table.bytes.withUnsafeBufferPointer { middles in
                    table.offsets.withUnsafeBufferPointer { offsets in
                        stamp.withUnsafeBytes { stamp in
                            for (index, candidate) in candidates.enumerated() {
                                if index > 0 { out.byte(UInt8(ascii: ",")) }
                                out.put(Self.startKey)
                                out.instant(candidate.start)
                                out.put(Self.endKey)
                                out.instant(candidate.start + length)
                                let set = Int(candidate.reasons.rawValue)
                                out.put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: middles[offsets[set]..<offsets[set + 1]])))
                                out.put(stamp)
                            }
                        }
                    }
                }
            }
            out.byte(UInt8(ascii: "]"))
            return out.next - buffer.baseAddress!
        }
        return present.codes.map { ($0.rawValue, result.messages[$0] ?? "") }
    }

    /// The middle of every reason set, one after another by the set's raw value, built once per
    /// process: the middle of set `s` is `bytes[offsets[s]..<offsets[s + 1]]`.
    private struct MiddleTable {
        let bytes: [UInt8]
        let offsets: [Int]

        init(includeConfidence: Bool) {
            var bytes: [UInt8] = [], offsets: [Int] = []
            for raw in 0...255 {
                offsets.append(bytes.count)
                bytes += SlotArrayJSON.middle(SlotReasonSet(rawValue: UInt8(raw)), includeConfidence: includeConfidence)
            }
            offsets.append(bytes.count)
            self.bytes = bytes
            self.offsets = offsets
        }
    }

    private static let middlesWithConfidence = MiddleTable(includeConfidence: true)
    private static let middlesWithoutConfidence = MiddleTable(includeConfidence: false)

    /// `","isAvailable":…[,"confidence":…],"reasons":[…]`: everything a slot's reasons decide.
    static func middle(_ reasons: SlotReasonSet, includeConfidence: Bool) -> [UInt8] {
        var bytes = Array((reasons.isEmpty ? #"","isAvailable":true"# : #"","isAvailable":false"#).utf8)
        if includeConfidence {
            bytes += Array(#","confidence":"#.utf8)
            bytes += Array("\(reasons.confidence)".utf8)  // the table's levels print as "1.0", "0.8" … "0.0"
        }
        bytes += Array(#","reasons":["#.utf8)
        for (index, code) in reasons.codes.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += Array("\"\(code.rawValue)\"".utf8)  // stable snake_case codes: nothing to escape
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// Writes through a pointer into a buffer sized beforehand; debug builds (the tests) check
    /// every write against its end.
    private struct Writer {
        var next: UnsafeMutablePointer<UInt8>
        let end: UnsafeMutablePointer<UInt8>
        /// The day of the last instant written, and where its `YYYY-MM-DDT` is.
        var day = Int64.min
        var date: UnsafeMutablePointer<UInt8>?

        init(next: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>) {
            self.next = next
            self.end = end
        }

        @inline(__always)
        mutating func byte(_ value: UInt8) {
            assert(next < end, "slot JSON written past its computed size")
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
            assert(end - next >= 20, "slot JSON written past its computed size")
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
            assert(end - next >= text.utf8CodeUnitCount, "slot JSON written past its computed size")
            next.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            next += text.utf8CodeUnitCount
        }

        @inline(__always)
        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress else { return }
            assert(end - next >= bytes.count, "slot JSON written past its computed size")
            UnsafeMutableRawPointer(next).copyMemory(from: base, byteCount: bytes.count)
            next += bytes.count
        }
    }
}
