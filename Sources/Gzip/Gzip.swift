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
        // Most clients send a list without q-values ("gzip, deflate, br"), read on its bytes here:
        // then any gzip, x-gzip or * entry accepts.
        if !acceptEncoding.utf8.contains(UInt8(ascii: ";")) {
            return acceptEncoding.utf8.split(separator: UInt8(ascii: ",")).contains { entry in
                let coding = entry.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
                let lowered = coding.reversed().map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                return lowered.elementsEqual("gzip".utf8) || lowered.elementsEqual("x-gzip".utf8) || lowered.elementsEqual("*".utf8)
            }
        }
        var star: Bool?
        for entry in acceptEncoding.split(separator: ",") {
            let parts = entry.split(separator: ";")
            let coding = parts.first.map { $0.trimmingCharacters(in: " \t").lowercased() } ?? ""
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t").lowercased() }
                if pair.count == 2, pair[0] == "q" { quality = Double(pair[1]) ?? 1.0 }
            }
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { star = quality > 0 }
        }
        return star ?? false
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
