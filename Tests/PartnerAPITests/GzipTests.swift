import CZlib
import Gzip
import Testing

@Suite struct GzipTests {
    @Test func compressedBytesInflateToTheOriginalAndAreSmaller() throws {
        let slot = #"{"startTime":"2026-11-30T08:00:00Z","endTime":"2026-11-30T08:30:00Z","isAvailable":true,"reasons":[]},"#
        let original = Array(String(repeating: slot, count: 300).utf8)
        for level: Int32 in [1, 6, 9] {
            let compressed = try #require(Gzip.compress(original, level: level))
            #expect(compressed.prefix(2) == [0x1F, 0x8B], "a gzip member starts with its magic bytes")
            #expect(compressed.count * 10 < original.count)
            #expect(Gzip.decompress(compressed) == original)
        }
    }

    @Test func emptyInputRoundTrips() throws {
        let compressed = try #require(Gzip.compress([]))
        #expect(Gzip.decompress(compressed) == [])
        let fast = try #require(Gzip.compressFast([]))
        #expect(Gzip.decompress(fast) == [])
    }

    /// zlib inflates what the fast pass writes (checking its CRC and length), for repetitive
    /// JSON, random bytes of every value, long runs, matches reaching back the whole 32 KB
    /// window and beyond it, and every short length.
    @Test func theFastPassInflatesToTheOriginal() throws {
        var random = SystemRandomNumberGenerator()
        let slot = #"{"startTime":"2026-11-30T08:00:00Z","endTime":"2026-11-30T08:30:00Z","isAvailable":true,"reasons":[]},"#
        let block = (0..<40_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        var inputs: [[UInt8]] = [
            Array(String(repeating: slot, count: 400).utf8),
            (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &random) },
            (0..<50_000).map { _ in UInt8.random(in: 0...3, using: &random) },
            (0..<100_000).map { _ in UInt8.random(in: 144...255, using: &random) },  // every literal 9 bits: the bound's worst case
            Array(repeating: 0xFF, count: 300_000),
            block + block,  // repeats from 40,000 back: past the window, so literals
            Array(block.prefix(32_000)) + Array(block.prefix(32_000)),  // a match 32,000 back
            Array(block.prefix(32_768)) + Array(block.prefix(1_000)),  // exactly the window
        ]
        inputs += (1..<300).map { length in (0..<length).map { UInt8(truncatingIfNeeded: $0 % 7 &* 37) } }
        for input in inputs {
            let compressed = try #require(Gzip.compressFast(input))
            #expect(compressed.prefix(3) == [0x1F, 0x8B, 8], "a gzip member of deflate data")
            #expect(compressed.count <= input.count + input.count / 8 + 64)
            #expect(Gzip.decompress(compressed, limit: 1 << 20) == input, "\(input.count) bytes")
        }
        let json = inputs[0]
        let fast = try #require(Gzip.compressFast(json)), best = try #require(Gzip.compress(json, level: 9))
        #expect(fast.count * 10 < json.count, "repetitive JSON shrinks tenfold: \(fast.count) of \(json.count)")
        #expect(fast.count < best.count * 3, "not far from zlib's best: \(fast.count) against \(best.count)")
    }

    /// Against zlib's table-driven CRC, at every alignment and across the 64-byte steps and
    /// 16-byte tail of the carry-less path and the 256-byte steps of its VPCLMULQDQ form (on
    /// processors that have it), continuing from a nonzero CRC too.
    @Test func crcMatchesZlib() {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<5_010).map { _ in UInt8.random(in: 0...255, using: &random) }
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926, "the CRC-32 check value")
        #expect(Gzip.crc32([]) == 0)
        for length in [
            0, 1, 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 129, 191, 200, 255, 256, 257, 271, 319, 320, 335,
            511, 512, 513, 767, 1_000, 1_024, 1_040, 4_999,
        ] {
            for offset in 0..<3 {
                let slice = Array(bytes[offset..<(offset + length)])
                let expected = slice.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
                #expect(Gzip.crc32(slice) == expected, "length \(length), offset \(offset)")
                let head = Array(slice.prefix(length / 3)), tail = Array(slice.dropFirst(length / 3))
                #expect(Gzip.crc32(tail, continuing: Gzip.crc32(head)) == expected, "continued, length \(length)")
            }
        }
    }

    @Test func garbageTruncationAndBombsAreRefused() throws {
        #expect(Gzip.decompress(Array("not gzip at all".utf8)) == nil)
        let compressed = try #require(Gzip.compress(Array(repeating: 65, count: 100_000)))
        #expect(Gzip.decompress(Array(compressed.dropLast(10))) == nil)
        #expect(Gzip.decompress(compressed, limit: 50_000) == nil)
    }

    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("br;q=1.0, gzip;q=0.8", true), ("GZIP", true),
        ("x-gzip", true), ("*", true), ("identity", false), ("", false), ("gzip;q=0", false),
        ("gzip;q=0.0, *", false), ("*;q=0", false), ("deflate, *;q=0.1", true), ("br", false),
    ])
    func acceptEncodingIsReadAsRFC9110Says(header: String, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }

    @Test func noHeaderMeansNoCompression() {
        #expect(!Gzip.isAccepted(by: nil))
    }
}
