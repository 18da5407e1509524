import BookijiCore
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

    /// The typed overloads fix their encodings: versions and fingerprints stored elsewhere depend
    /// on them byte for byte, whatever library computes the hash underneath.
    @Test func typedUpdatesFeedTheirDocumentedBytes() {
        var typed = SHA256()
        typed.update("é€")
        typed.update(int64: 0x0102_0304_0506_0708)
        typed.update(int64: -1)
        var raw = SHA256()
        raw.update([0xC3, 0xA9, 0xE2, 0x82, 0xAC])
        raw.update([0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        raw.update([UInt8](repeating: 0xFF, count: 8))
        #expect(typed.finalize() == raw.finalize())
    }

    /// An empty buffer is no input at all, including one without a base address.
    @Test func emptyUpdatesChangeNothing() {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        hasher.update([UInt8]())
        hasher.update("")
        #expect(hasher.finalize() == SHA256.hash([UInt8]()))
    }

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
