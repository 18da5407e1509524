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
