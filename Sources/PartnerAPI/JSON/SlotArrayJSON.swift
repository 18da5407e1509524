import Availability
import BookijiCore

/// The `slots` array of an availability answer, written straight into one allocation.
///
/// An answer for a week of 30-minute slots is 336 objects and about 50 KB, and it is written
/// for every answer not served from the cache, so this skips the general JSON writer: the
/// constant pieces are static strings, timestamps are formatted with the date part kept from the
/// previous slot of the same day, and the exact size is computed first.
struct SlotArrayJSON {
    /// `"computedAt":"…","computedVersion":"…"}`: the same for every slot of an answer.
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
    private static let availableTrue: StaticString = #"","isAvailable":true"#
    private static let availableFalse: StaticString = #"","isAvailable":false"#
    private static let confidenceKey: StaticString = #","confidence":"#
    private static let reasonsKey: StaticString = #","reasons":["#

    /// The array, and each reason code that occurs with its message (first one seen).
    func render(_ slots: [AvailabilitySlot]) -> (json: [UInt8], reasons: [(code: String, message: String)]) {
        var reasons: [(code: String, message: String)] = []
        var size = 2 + max(0, slots.count - 1)
        let fixed = Self.startKey.utf8CodeUnitCount + 20 + Self.endKey.utf8CodeUnitCount + 20
            + Self.reasonsKey.utf8CodeUnitCount + 1 + stamp.count
        for slot in slots {
            size += fixed + (slot.isAvailable ? Self.availableTrue : Self.availableFalse).utf8CodeUnitCount
            if includeConfidence {
                size += Self.confidenceKey.utf8CodeUnitCount + Self.confidenceCount(slot.confidence)
            }
            for (index, reason) in slot.reasons.enumerated() {
                size += reason.code.utf8.count + 2 + (index > 0 ? 1 : 0)
                if !reasons.contains(where: { $0.code == reason.code }) { reasons.append((reason.code, reason.message)) }
            }
        }
        let json = stamp.withUnsafeBufferPointer { stamp in
            [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                var out = Writer(next: buffer.baseAddress!)
                var day = Int64.min
                var date = [UInt8](repeating: 0, count: 20)  // RFC 3339 of `day`'s midnight
                func instant(_ seconds: Int64) {
                    let thisDay = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
                    if thisDay != day {
                        day = thisDay
                        RFC3339.write(thisDay * 86_400, into: &date, at: 0)
                    }
                    date.withUnsafeBytes { out.put(UnsafeRawBufferPointer(rebasing: $0[0..<11])) }  // "YYYY-MM-DDT"
                    let second = Int(seconds - thisDay * 86_400)
                    out.twoDigits(second / 3600)
                    out.byte(UInt8(ascii: ":"))
                    out.twoDigits(second / 60 % 60)
                    out.byte(UInt8(ascii: ":"))
                    out.twoDigits(second % 60)
                    out.byte(UInt8(ascii: "Z"))
                }
                out.byte(UInt8(ascii: "["))
                for (index, slot) in slots.enumerated() {
                    if index > 0 { out.byte(UInt8(ascii: ",")) }
                    out.put(Self.startKey)
                    instant(slot.start)
                    out.put(Self.endKey)
                    instant(slot.end)
                    out.put(slot.isAvailable ? Self.availableTrue : Self.availableFalse)
                    if includeConfidence {
                        out.put(Self.confidenceKey)
                        if let known = Self.knownConfidence(slot.confidence) {
                            out.put(known)
                        } else {
                            out.put(Array("\(slot.confidence)".utf8))
                        }
                    }
                    out.put(Self.reasonsKey)
                    for (index, reason) in slot.reasons.enumerated() {
                        if index > 0 { out.byte(UInt8(ascii: ",")) }
                        out.byte(UInt8(ascii: "\""))
                        for byte in reason.code.utf8 { out.byte(byte) }  // stable snake_case codes: nothing to escape
                        out.byte(UInt8(ascii: "\""))
                    }
                    out.byte(UInt8(ascii: "]"))
                    out.put(UnsafeRawBufferPointer(stamp))
                }
                out.byte(UInt8(ascii: "]"))
                count = out.next - buffer.baseAddress!
                precondition(count == size, "slot JSON size computed as \(size), written \(count)")
            }
        }
        return (json, reasons)
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

    static func confidenceCount(_ value: Double) -> Int {
        knownConfidence(value)?.utf8CodeUnitCount ?? "\(value)".utf8.count
    }

    private struct Writer {
        var next: UnsafeMutablePointer<UInt8>

        mutating func byte(_ value: UInt8) {
            next.pointee = value
            next += 1
        }

        mutating func twoDigits(_ value: Int) {
            next[0] = UInt8(48 + value / 10)
            next[1] = UInt8(48 + value % 10)
            next += 2
        }

        mutating func put(_ text: StaticString) {
            next.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            next += text.utf8CodeUnitCount
        }

        mutating func put(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { next.update(from: $0.baseAddress!, count: $0.count) }
            next += bytes.count
        }

        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress else { return }
            UnsafeMutableRawPointer(next).copyMemory(from: base, byteCount: bytes.count)
            next += bytes.count
        }
    }
}
