import BookijiCore

/// Writes compact JSON straight into a byte buffer.
///
/// Responses such as a week of availability slots are built thousands of times a second;
/// writing bytes directly avoids an intermediate dictionary and keeps field order stable, which
/// makes responses byte-for-byte reproducible (the ETag contract relies on that).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func objectStart() { valuePrefix(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func objectEnd() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func arrayStart() { valuePrefix(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func arrayEnd() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"name":`; the next value call writes the value.
    public mutating func key(_ name: String) {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = false
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ value: String) { valuePrefix(); writeString(value) }
    public mutating func int(_ value: Int64) { valuePrefix(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func int(_ value: Int) { int(Int64(value)) }
    public mutating func bool(_ value: Bool) { valuePrefix(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func null() { valuePrefix(); bytes.append(contentsOf: "null".utf8) }

    /// Doubles are written with the shortest representation that round-trips.
    public mutating func double(_ value: Double) {
        valuePrefix()
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                bytes.append(contentsOf: String(Int64(value)).utf8)
                bytes.append(contentsOf: ".0".utf8)
            } else {
                bytes.append(contentsOf: "\(value)".utf8)
            }
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    /// An RFC 3339 UTC instant (`2026-03-01T09:00:00Z`) from epoch seconds.
    public mutating func instant(_ epochSeconds: Int64) {
        valuePrefix()
        bytes.append(UInt8(ascii: "\""))
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 20))
        RFC3339Bytes.write(epochSeconds, into: &bytes, at: start)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A stored timestamp's text (`…T10:00:00.123Z`) in the same form as ``instant(_:)``: every
    /// answer shows instants one way, to the second. Text that is not RFC 3339 is written as it is.
    public mutating func instant(text: String) {
        if let seconds = try? RFC3339.parse(text) { instant(seconds) } else { string(text) }
    }

    /// Inserts already-encoded JSON (e.g. a stored response body) as one value.
    public mutating func raw(_ json: [UInt8]) { valuePrefix(); bytes.append(contentsOf: json) }

    /// Inserts one value of exactly `count` bytes that `write` puts into the buffer it is given,
    /// returning how many it wrote (checked), without building it elsewhere first. The buffer
    /// keeps room for `extra` bytes more, so what follows a large value does not copy it again.
    mutating func raw(count: Int, thenRoomFor extra: Int = 0, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        valuePrefix()
        let start = bytes.count
        bytes.reserveCapacity(start + count + extra)
        bytes.append(contentsOf: repeatElement(0, count: count))
        let written = bytes.withUnsafeMutableBufferPointer { write(UnsafeMutableBufferPointer(rebasing: $0[start...])) }
        precondition(written == count, "a raw JSON value was sized as \(count) bytes and written as \(written)")
    }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: String?) { key(name); if let value { string(value) } else { null() } }
    public mutating func field(_ name: String, _ value: Int64) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }
    public mutating func field(_ name: String, _ value: Double) { key(name); double(value) }

    private mutating func valuePrefix() {
        let depth = needsComma.count - 1
        if needsComma[depth] { bytes.append(UInt8(ascii: ",")) }
        needsComma[depth] = true
    }

    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (ids, codes, instants) need no escaping: copy them whole.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
