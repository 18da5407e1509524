import CSHA256

/// SHA-256 (FIPS 180-4), incremental: padding and buffering here, the block function in our own
/// C target `CSHA256` (the x86 SHA extensions where the processor has them, plain C elsewhere).
///
/// Bookiji needs a stable content hash (availability versions, idempotency fingerprints) in a pure
/// module that must not pull in Foundation or a third-party crypto dependency; speed matters
/// because the availability engine hashes its inputs on every query.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update("abc")
/// let hex = hasher.finalize().hexString
/// ```
public struct SHA256: Sendable {
    /// A finished 32-byte digest.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        /// The digest bytes, big-endian as the standard prints them.
        public let bytes: [UInt8]

        public init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// Lowercase hexadecimal, 64 characters.
        public var hexString: String {
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var out = [UInt8](repeating: 0, count: bytes.count * 2)
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 0x0f)]
            }
            return String(decoding: out, as: UTF8.self)
        }

        public var description: String { hexString }

        /// The first `count` bytes in base64url without padding (RFC 4648 §5): a short id that
        /// is safe in URLs, headers and entity tags. 16 bytes (128 bits) give 22 characters.
        public func base64URL(prefix count: Int) -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            let input = bytes.prefix(count)
            var out: [UInt8] = []
            out.reserveCapacity((input.count * 4 + 2) / 3)
            var index = input.startIndex
            while index < input.endIndex {
                let remaining = input.endIndex - index
                let b0 = UInt32(input[index])
                let b1 = remaining > 1 ? UInt32(input[index + 1]) : 0
                let b2 = remaining > 2 ? UInt32(input[index + 2]) : 0
                let triple = b0 << 16 | b1 << 8 | b2
                out.append(alphabet[Int(triple >> 18 & 63)])
                out.append(alphabet[Int(triple >> 12 & 63)])
                if remaining > 1 { out.append(alphabet[Int(triple >> 6 & 63)]) }
                if remaining > 2 { out.append(alphabet[Int(triple & 63)]) }
                index += 3
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Bytes not yet forming a whole 64-byte block (fewer than 64).
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    public init() {
        pending.reserveCapacity(64)
    }

    /// Hashes `data` in one call.
    public static func hash(_ data: some Sequence<UInt8>) -> Digest {
        var hasher = SHA256()
        hasher.update(Array(data))
        return hasher.finalize()
    }

    /// Feeds raw bytes.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        totalBytes &+= UInt64(buffer.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let wholeBlocks = (buffer.count - offset) / 64
        if wholeBlocks > 0 {
            compress(blocks: buffer.baseAddress! + offset, count: wholeBlocks)
            offset += wholeBlocks * 64
        }
        if offset < buffer.count {
            pending.append(contentsOf: buffer[offset...])
        }
    }

    /// Feeds the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of a string.
    public mutating func update(_ text: String) {
        var copy = text
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds an integer as 8 little-endian bytes (a fixed width keeps encodings unambiguous).
    public mutating func update(int64 value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// Pads, processes the last block(s) and returns the digest. The hasher should not be fed
    /// again afterwards.
    public mutating func finalize() -> Digest {
        let bitLength = totalBytes &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: tail.count / 64) }
        pending.removeAll()
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return Digest(bytes: out)
    }

    /// Processes `count` consecutive 64-byte blocks in C, which picks SHA-NI or plain C once per
    /// process and allocates nothing.
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        // A homogeneous tuple is laid out as contiguous elements, so it is the C `uint32_t[8]`;
        // C reads the bytes as uint8_t, which may alias anything.
        withUnsafeMutablePointer(to: &state) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 8) { words in
                bk_sha256_blocks(words, blocks.assumingMemoryBound(to: UInt8.self), count)
            }
        }
    }
}
