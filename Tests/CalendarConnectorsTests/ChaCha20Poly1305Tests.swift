import CalendarConnectors
import Testing

/// RFC 8439's published test vectors.
@Suite("ChaCha20-Poly1305 (RFC 8439)")
struct ChaCha20Poly1305Tests {
    static let sunscreen = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
            .utf8)

    @Test func chacha20BlockFunctionSection2_3_2() {
        let block = ChaCha20.block(key: Array(0..<32), nonce: hex("000000090000004a00000000"), counter: 1)
        #expect(
            block
                == hex(
                    "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                        + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"))
    }

    @Test func chacha20EncryptionSection2_4_2() {
        let ciphertext = ChaCha20.xor(
            Self.sunscreen, key: Array(0..<32), nonce: hex("000000000000004a00000000"), counter: 1)
        #expect(
            ciphertext
                == hex(
                    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                        + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                        + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                        + "5af90bbf74a35be6b40b8eedf2785e42874d"))
    }

    @Test func poly1305Section2_5_2() {
        let tag = Poly1305.mac(
            Array("Cryptographic Forum Research Group".utf8),
            key: hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"))
        #expect(tag == hex("a8061dc1305136c6c22b8baf0c0127a9"))
    }

    struct PolyVector: Sendable, CustomStringConvertible {
        var key: String
        var message: String
        var tag: String
        var description: String { "tag \(tag)" }
    }

    /// Appendix A.3 #5-#11: the edge cases (h ≥ p, the 2^130-5 wraparound, carry propagation)
    /// that random inputs practically never reach.
    static let appendixA3: [PolyVector] = [
        PolyVector(
            key: "0200000000000000000000000000000000000000000000000000000000000000",
            message: "ffffffffffffffffffffffffffffffff",
            tag: "03000000000000000000000000000000"),
        PolyVector(
            key: "02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
            message: "02000000000000000000000000000000",
            tag: "03000000000000000000000000000000"),
        PolyVector(
            key: "0100000000000000000000000000000000000000000000000000000000000000",
            message: "fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000",
            tag: "05000000000000000000000000000000"),
        PolyVector(
            key: "0100000000000000000000000000000000000000000000000000000000000000",
            message: "fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe01010101010101010101010101010101",
            tag: "00000000000000000000000000000000"),
        PolyVector(
            key: "0200000000000000000000000000000000000000000000000000000000000000",
            message: "fdffffffffffffffffffffffffffffff",
            tag: "faffffffffffffffffffffffffffffff"),
        PolyVector(
            key: "0100000000000000040000000000000000000000000000000000000000000000",
            message: "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000",
            tag: "14000000000000005500000000000000"),
        PolyVector(
            key: "0100000000000000040000000000000000000000000000000000000000000000",
            message: "e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000",
            tag: "13000000000000000000000000000000"),
    ]

    @Test(arguments: appendixA3)
    func poly1305EdgeCasesAppendixA3(vector: PolyVector) {
        #expect(Poly1305.mac(hex(vector.message), key: hex(vector.key)) == hex(vector.tag))
    }

    @Test func aeadSection2_8_2() {
        let key = Array(UInt8(0x80)...UInt8(0x9f))
        let nonce = hex("070000004041424344454647")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let (ciphertext, tag) = ChaCha20Poly1305.seal(Self.sunscreen, key: key, nonce: nonce, aad: aad)
        #expect(
            ciphertext
                == hex(
                    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                        + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                        + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                        + "3ff4def08e4b7a9de576d26586cec64b6116"))
        #expect(tag == hex("1ae10b594f09e26a7e902ecbd0600691"))
        #expect(ChaCha20Poly1305.open(ciphertext, tag: tag, key: key, nonce: nonce, aad: aad) == Self.sunscreen)
    }

    @Test func aeadDecryptionAppendixA5() throws {
        let key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
        let nonce = hex("000000000102030405060708")
        let aad = hex("f33388860000000000004e91")
        let sealed = hex(
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
                + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
                + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
                + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
                + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
                + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
                + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
                + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
                + "a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38")
        let ciphertext = Array(sealed.dropLast(16))
        let tag = Array(sealed.suffix(16))
        let plaintext = try #require(ChaCha20Poly1305.open(ciphertext, tag: tag, key: key, nonce: nonce, aad: aad))
        #expect(
            plaintext
                == hex(
                    "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
                        + "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
                        + "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
                        + "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
                        + "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
                        + "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
                        + "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
                        + "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
                        + "726573732e2fe2809d"))
        #expect(String(decoding: plaintext, as: UTF8.self).hasPrefix("Internet-Drafts are draft documents"))
        var flipped = tag
        flipped[0] ^= 1
        #expect(ChaCha20Poly1305.open(ciphertext, tag: flipped, key: key, nonce: nonce, aad: aad) == nil)
    }

    @Test func anySingleBitFlipIsRejected() {
        let key = Array(UInt8(1)...UInt8(32))
        let nonce = Array(repeating: UInt8(7), count: 12)
        let aad = Array("context".utf8)
        let message = Array((0..<77).map { UInt8($0 * 3 & 0xff) })
        let (ciphertext, tag) = ChaCha20Poly1305.seal(message, key: key, nonce: nonce, aad: aad)
        for index in 0..<(ciphertext.count + tag.count + aad.count) {
            var c = ciphertext, t = tag, a = aad
            if index < c.count { c[index] ^= 0x10 } else if index < c.count + t.count { t[index - c.count] ^= 0x10 } else {
                a[index - c.count - t.count] ^= 0x10
            }
            #expect(ChaCha20Poly1305.open(c, tag: t, key: key, nonce: nonce, aad: a) == nil, "flip at \(index)")
        }
    }
}

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(text.utf8)[...]
    while chars.count >= 2 {
        out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
        chars = chars.dropFirst(2)
    }
    return out
}
