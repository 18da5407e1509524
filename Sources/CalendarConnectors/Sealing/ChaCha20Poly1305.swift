/// AEAD_CHACHA20_POLY1305 as specified in RFC 8439, in plain Swift.
///
/// Written here because the project takes no crypto dependency; it is checked against the RFC's
/// published test vectors (§2.3.2, §2.4.2, §2.5.2, §2.8.2, A.3, A.5) in
/// `CalendarConnectorsTests/ChaCha20Poly1305Tests`. Not constant-time hardened beyond the tag
/// comparison; it seals tokens at rest, where timing side channels are not reachable.
public enum ChaCha20Poly1305 {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    /// Encrypts `plaintext` and authenticates it together with `aad`.
    /// - Returns: the ciphertext (as long as the plaintext) and the 16-byte tag.
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []
    ) -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == keySize && nonce.count == nonceSize, "ChaCha20-Poly1305 needs a 32-byte key and 12-byte nonce")
        let ciphertext = ChaCha20.xor(plaintext, key: key, nonce: nonce, counter: 1)
        return (ciphertext, tag(ciphertext: ciphertext, aad: aad, key: key, nonce: nonce))
    }

    /// Verifies the tag and decrypts; nil if the key, nonce, aad, ciphertext or tag do not match.
    public static func open(
        _ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []
    ) -> [UInt8]? {
        precondition(key.count == keySize && nonce.count == nonceSize, "ChaCha20-Poly1305 needs a 32-byte key and 12-byte nonce")
        guard tag.count == tagSize else { return nil }
        let expected = Self.tag(ciphertext: ciphertext, aad: aad, key: key, nonce: nonce)
        var difference: UInt8 = 0
        for i in 0..<tagSize { difference |= expected[i] ^ tag[i] }
        guard difference == 0 else { return nil }
        return ChaCha20.xor(ciphertext, key: key, nonce: nonce, counter: 1)
    }

    /// RFC 8439 §2.8: Poly1305 over aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ len(aad) ‖ len(ciphertext),
    /// keyed by the first 32 bytes of ChaCha20 block 0.
    private static func tag(ciphertext: [UInt8], aad: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let oneTimeKey = Array(ChaCha20.block(key: key, nonce: nonce, counter: 0)[0..<32])
        var data = aad
        data.append(contentsOf: [UInt8](repeating: 0, count: (16 - aad.count % 16) % 16))
        data.append(contentsOf: ciphertext)
        data.append(contentsOf: [UInt8](repeating: 0, count: (16 - ciphertext.count % 16) % 16))
        for length in [UInt64(aad.count), UInt64(ciphertext.count)] {
            for shift in stride(from: 0, to: 64, by: 8) { data.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        }
        return Poly1305.mac(data, key: oneTimeKey)
    }
}

/// The ChaCha20 stream cipher, RFC 8439 §2.3–2.4 (96-bit nonce, 32-bit block counter).
public enum ChaCha20 {
    /// One 64-byte keystream block.
    public static func block(key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        var state: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
        for i in 0..<8 { state.append(le32(key, 4 * i)) }
        state.append(counter)
        for i in 0..<3 { state.append(le32(nonce, 4 * i)) }
        var working = state
        for _ in 0..<10 {
            quarterRound(&working, 0, 4, 8, 12)
            quarterRound(&working, 1, 5, 9, 13)
            quarterRound(&working, 2, 6, 10, 14)
            quarterRound(&working, 3, 7, 11, 15)
            quarterRound(&working, 0, 5, 10, 15)
            quarterRound(&working, 1, 6, 11, 12)
            quarterRound(&working, 2, 7, 8, 13)
            quarterRound(&working, 3, 4, 9, 14)
        }
        var out = [UInt8]()
        out.reserveCapacity(64)
        for i in 0..<16 {
            let word = working[i] &+ state[i]
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return out
    }

    /// Encrypts or decrypts (the same operation) starting at block `counter`.
    public static func xor(_ input: [UInt8], key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        var output = input
        var blockCounter = counter
        for start in stride(from: 0, to: input.count, by: 64) {
            let keystream = block(key: key, nonce: nonce, counter: blockCounter)
            for i in start..<min(start + 64, input.count) { output[i] ^= keystream[i - start] }
            blockCounter &+= 1
        }
        return output
    }

    @inline(__always)
    private static func quarterRound(_ s: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        s[a] = s[a] &+ s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 16)
        s[c] = s[c] &+ s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 12)
        s[a] = s[a] &+ s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 8)
        s[c] = s[c] &+ s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 7)
    }

    @inline(__always)
    private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
}

/// The Poly1305 one-time authenticator, RFC 8439 §2.5, with 26-bit limbs so every product fits
/// in 64 bits.
public enum Poly1305 {
    /// The 16-byte tag of `message` under a 32-byte one-time key (r ‖ s).
    public static func mac(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(key.count == 32, "Poly1305 needs a 32-byte one-time key")
        let mask26: UInt64 = 0x3ff_ffff
        // r, clamped as §2.5 requires, split into five 26-bit limbs.
        let r0 = UInt64(le32(key, 0)) & 0x3ff_ffff
        let r1 = UInt64(le32(key, 3) >> 2) & 0x3ff_ff03
        let r2 = UInt64(le32(key, 6) >> 4) & 0x3ff_c0ff
        let r3 = UInt64(le32(key, 9) >> 6) & 0x3f0_3fff
        let r4 = UInt64(le32(key, 12) >> 8) & 0x00f_ffff
        let (s1, s2, s3, s4) = (r1 * 5, r2 * 5, r3 * 5, r4 * 5)
        var (h0, h1, h2, h3, h4): (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

        var offset = 0
        while offset < message.count {
            var block = [UInt8](repeating: 0, count: 17)
            let take = min(16, message.count - offset)
            for i in 0..<take { block[i] = message[offset + i] }
            block[take] = 1  // the 2^(8·len) bit; for a full block it lands in byte 16
            offset += take
            h0 += UInt64(le32(block, 0)) & mask26
            h1 += UInt64(le32(block, 3) >> 2) & mask26
            h2 += UInt64(le32(block, 6) >> 4) & mask26
            h3 += UInt64(le32(block, 9) >> 6) & mask26
            h4 += UInt64(le32(block, 12) >> 8) | (UInt64(block[16]) << 24)

            let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1
            var d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2
            var d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3
            var d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4
            var d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
            var carry = d0 >> 26; h0 = d0 & mask26
            d1 += carry; carry = d1 >> 26; h1 = d1 & mask26
            d2 += carry; carry = d2 >> 26; h2 = d2 & mask26
            d3 += carry; carry = d3 >> 26; h3 = d3 & mask26
            d4 += carry; carry = d4 >> 26; h4 = d4 & mask26
            h0 += carry * 5; carry = h0 >> 26; h0 &= mask26
            h1 += carry
        }

        // Fully carry h, then subtract p = 2^130 - 5 if h ≥ p (selected without branching).
        var carry = h1 >> 26; h1 &= mask26
        h2 += carry; carry = h2 >> 26; h2 &= mask26
        h3 += carry; carry = h3 >> 26; h3 &= mask26
        h4 += carry; carry = h4 >> 26; h4 &= mask26
        h0 += carry * 5; carry = h0 >> 26; h0 &= mask26
        h1 += carry
        var g0 = h0 &+ 5; carry = g0 >> 26; g0 &= mask26
        var g1 = h1 &+ carry; carry = g1 >> 26; g1 &= mask26
        var g2 = h2 &+ carry; carry = g2 >> 26; g2 &= mask26
        var g3 = h3 &+ carry; carry = g3 >> 26; g3 &= mask26
        let g4 = h4 &+ carry &- (1 << 26)
        let useG = (g4 >> 63) &- 1  // all ones when g4 did not go negative, i.e. h ≥ p
        h0 = (h0 & ~useG) | (g0 & useG)
        h1 = (h1 & ~useG) | (g1 & useG)
        h2 = (h2 & ~useG) | (g2 & useG)
        h3 = (h3 & ~useG) | (g3 & useG)
        h4 = (h4 & ~useG) | (g4 & useG & mask26)

        // h mod 2^128 as four 32-bit words, plus s.
        let words: [UInt64] = [
            (h0 | (h1 << 26)) & 0xffff_ffff,
            ((h1 >> 6) | (h2 << 20)) & 0xffff_ffff,
            ((h2 >> 12) | (h3 << 14)) & 0xffff_ffff,
            ((h3 >> 18) | (h4 << 8)) & 0xffff_ffff,
        ]
        var out = [UInt8]()
        out.reserveCapacity(16)
        var sum: UInt64 = 0
        for i in 0..<4 {
            sum = words[i] + UInt64(le32(key, 16 + 4 * i)) + (sum >> 32)
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: sum >> UInt64(shift))) }
        }
        return out
    }
}

@inline(__always)
private func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}
