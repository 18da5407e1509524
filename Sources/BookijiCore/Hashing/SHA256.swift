/// SHA-256 (FIPS 180-4) in plain Swift, incremental.
///
/// Bookiji needs a stable content hash (availability versions, idempotency fingerprints) in a pure
/// module that must not pull in Foundation or a crypto dependency; speed matters because the
/// availability engine hashes its inputs on every query.
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

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

    /// Processes `count` consecutive 64-byte blocks. The message schedule lives in a 16-word ring
    /// on the stack, so hashing allocates nothing per block.
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { w in
                for block in 0..<count {
                    let base = blocks + block * 64
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for i in 0..<64 {
                        let wi: UInt32
                        if i < 16 {
                            wi = w[i]
                        } else {
                            let w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15]
                            let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)
                            let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10)
                            wi = w[i & 15] &+ s0 &+ w[(i - 7) & 15] &+ s1
                            w[i & 15] = wi
                        }
                        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ ch &+ k[i] &+ wi
                        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}
