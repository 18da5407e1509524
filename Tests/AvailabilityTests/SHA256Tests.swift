import BookijiCore
import CSHA256
import Foundation
import Testing

struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ("The quick brown fox jumps over the lazy dog",
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func matchesPublishedVectors(input: String, hex: String) {
        #expect(SHA256.hash(Array(input.utf8)).hexString == hex)
    }

    @Test func millionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding in arbitrary pieces must equal feeding all at once, around every block boundary.
    @Test func incrementalUpdatesEqualOneShot() {
        var rng = SplitMix64(seed: 42)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let whole = SHA256.hash(data)
            var hasher = SHA256()
            var i = 0
            while i < data.count {
                let n = min(data.count - i, rng.int(0...70))
                hasher.update(Array(data[i..<(i + n)]))
                i += n
            }
            #expect(hasher.finalize() == whole, "length \(length)")
        }
    }

    /// The SHA-NI path and the plain-C path must agree on every block count and alignment, from
    /// any starting state; the published vectors alone exercise only whichever path this CPU takes.
    @Test func extensionPathMatchesPortablePath() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<(64 * 40 + 16)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBufferPointer { buffer in
            for count in [0, 1, 2, 3, 5, 8, 16, 17, 31, 40] {
                for offset in [0, 1, 3, 8, 15] {
                    let start = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
                    var dispatched = start, portable = start
                    bk_sha256_blocks(&dispatched, buffer.baseAddress! + offset, count)
                    bk_sha256_blocks_portable(&portable, buffer.baseAddress! + offset, count)
                    #expect(dispatched == portable, "\(count) blocks at offset \(offset)")
                    #expect((dispatched == start) == (count == 0), "\(count) blocks at offset \(offset)")
                }
            }
        }
    }

    /// The portable path on its own, with "abc" padded by hand (FIPS 180-4's first example), so it
    /// is checked even on a CPU where `SHA256` never calls it.
    @Test func portablePathMatchesPublishedVector() {
        var block = [UInt8](repeating: 0, count: 64)
        block[0...3] = [0x61, 0x62, 0x63, 0x80]
        block[63] = 24
        var state: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
        bk_sha256_blocks_portable(&state, block, 1)
        #expect(state == [0xba78_16bf, 0x8f01_cfea, 0x4141_40de, 0x5dae_2223, 0xb003_61a3, 0x9617_7a9c, 0xb410_ff61, 0xf200_15ad])
    }

    #if os(Linux) && arch(x86_64)
    /// The comparison above only proves something if the dispatcher really takes the SHA-NI path
    /// where the kernel reports it.
    @Test func extensionsDetectedWhereTheKernelReportsThem() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            Issue.record("no flags line in /proc/cpuinfo")
            return
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let expected = flags.isSuperset(of: ["sha_ni", "sse4_1", "ssse3"])
        #expect((bk_sha256_has_extensions() == 1) == expected)
    }
    #endif

    @Test func differentInputsGiveDifferentDigests() {
        #expect(SHA256.hash(Array("a".utf8)) != SHA256.hash(Array("b".utf8)))
        var a = SHA256(), b = SHA256()
        a.update(int64: 1)
        b.update(int64: 256)
        #expect(a.finalize() != b.finalize())
    }

    /// RFC 4648 §10's test vectors, in the URL-safe alphabet and without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func base64URLFollowsRFC4648(input: String, expected: String) {
        let digest = SHA256.Digest(bytes: Array(input.utf8))
        #expect(digest.base64URL(prefix: 32) == expected)
    }

    @Test func base64URLUsesTheURLSafeAlphabet() {
        #expect(SHA256.Digest(bytes: [0xFB, 0xFF, 0xBF]).base64URL(prefix: 3) == "-_-_")
        #expect(SHA256.hash(Array("abc".utf8)).base64URL(prefix: 16) == "ungWv48Bz-pBQUDeXa4iIw")
    }
}
