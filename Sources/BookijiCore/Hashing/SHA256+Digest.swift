extension SHA256 {
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
}
