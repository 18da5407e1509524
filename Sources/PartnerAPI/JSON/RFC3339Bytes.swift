import BookijiCore

/// Bridges ``RFC3339`` formatting into a byte buffer for ``JSONWriter``.
enum RFC3339Bytes {
    static func write(_ epochSeconds: Int64, into buffer: inout [UInt8], at offset: Int) {
        RFC3339.write(epochSeconds, into: &buffer, at: offset)
    }
}
