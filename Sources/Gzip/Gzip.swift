import CFastGzip
import CZlib

/// gzip (RFC 1952) over zlib, for answers sent with `Content-Encoding: gzip`.
public enum Gzip {
    /// zlib's levels: 1 is fastest, 9 smallest; 6 is zlib's default.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks deflate for a gzip header and trailer instead of zlib's.
        guard deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }

    /// gzip in one fast pass, for an answer sent once (`CFastGzip`: fixed Huffman codes, greedy
    /// matching). On availability JSON, whose slots repeat each other, about seven times faster
    /// than zlib's level 1 for output about a third larger; on input that does not repeat, up to
    /// 9/8 of its size. Nil only for input of 4 GiB or more.
    public static func compressFast(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { input -> [UInt8]? in
            let bound = bk_fast_gzip_bound(input.count)
            let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                count = bk_fast_gzip(input.baseAddress, input.count, out.baseAddress, bound)
            }
            return output.isEmpty ? nil : output
        }
    }

    /// The CRC-32 of gzip and zlib's `crc32`, continued from `crc` (0 to start).
    public static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { bk_crc32(crc, $0.baseAddress, $0.count) }
    }

    /// Inflates a gzip member; nil if `bytes` is not valid gzip or inflates past `limit`.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        return bytes.withUnsafeBufferPointer { input -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output += chunk[0..<produced]
                if output.count > limit { return nil }
                if status == Z_STREAM_END { return output }
                guard status == Z_OK, produced > 0 || stream.avail_in > 0 else { return nil }
            }
        }
    }

    /// Whether an `Accept-Encoding` header value accepts gzip (RFC 9110 §12.5.3): a `gzip`
    /// (or `x-gzip`) or `*` entry whose q-value is not 0.
    public static func isAccepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        // On the header's bytes: it comes with every request, and nearly always as plain ASCII.
        var star: Bool?
        for entry in acceptEncoding.utf8.split(separator: UInt8(ascii: ",")) {
            let parts = entry.split(separator: UInt8(ascii: ";"))
            let coding = parts.first.map(token) ?? []
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1).map(token)
                if pair.count == 2, pair[0] == [UInt8(ascii: "q")] {
                    quality = Double(String(decoding: pair[1], as: UTF8.self)) ?? 1.0
                }
            }
            if coding.elementsEqual("gzip".utf8) || coding.elementsEqual("x-gzip".utf8) { return quality > 0 }
            if coding.elementsEqual("*".utf8) { star = quality > 0 }
        }
        return star ?? false
    }

    /// The bytes without the spaces and tabs around them, ASCII letters lowercased.
    private static func token(_ bytes: Substring.UTF8View) -> [UInt8] {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return []
        }
        return bytes[first...last].map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
    }
}
