// SHA-256 block function: SHA-NI where present, plain C otherwise.
//
// The availability engine hashes about 1 KB per request. Per 64-byte block on our EPYC: the old
// pure-Swift rounds about 330 ns, this plain C about 300 ns, SHA-NI about 52 ns (the latency of
// 32 dependent sha256rnds2). Both paths are checked against each other by AvailabilityTests.
#include "sha256_blocks.h"

#include <stdatomic.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Aligned so the extension path can load four constants per instruction.
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

// Byte by byte so it is right on any endianness and alignment; compilers fuse it into one load
// and a byte swap.
static inline uint32_t load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void bk_sha256_blocks_portable(uint32_t state[8], const uint8_t *blocks, size_t count) {
    uint32_t h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3];
    uint32_t h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7];
    for (; count > 0; count--, blocks += 64) {
        // A 16-word ring instead of the full 64-word schedule keeps it in registers and L1.
        uint32_t w[16];
        for (int i = 0; i < 16; i++) w[i] = load_be32(blocks + 4 * i);
        uint32_t a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
        for (int i = 0; i < 64; i++) {
            uint32_t wi;
            if (i < 16) {
                wi = w[i];
            } else {
                uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
                uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
                uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
                wi = w[i & 15] + s0 + w[(i - 7) & 15] + s1;
                w[i & 15] = wi;
            }
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + wi;
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        h0 += a; h1 += b; h2 += c; h3 += d;
        h4 += e; h5 += f; h6 += g; h7 += h;
    }
    state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3;
    state[4] = h4; state[5] = h5; state[6] = h6; state[7] = h7;
}

#if defined(__x86_64__)

// Four rounds on message words `msg` (already byte-swapped) with constants K[4*group...].
// sha256rnds2 does two rounds with the low two words, so the high two are shuffled down for the
// second call; the instruction keeps the state as (A,B,E,F) and (C,D,G,H), which is why the
// two state registers swap roles on each call.
#define FOUR_ROUNDS(msg, group)                                                        \
    do {                                                                               \
        __m128i wk = _mm_add_epi32((msg), _mm_load_si128((const __m128i *)&K[4 * (group)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                  \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));         \
    } while (0)

// Four rounds that also extend the schedule: `next` (holding W[t-16] + σ0(W[t-15]) from an
// earlier sha256msg1) gets W[t-7] from the two latest vectors and σ1 from sha256msg2, and
// `prev` starts its own sha256msg1 step for three groups later.
#define FOUR_ROUNDS_SCHEDULE(cur, prev, next, group)                                   \
    do {                                                                               \
        __m128i wk = _mm_add_epi32((cur), _mm_load_si128((const __m128i *)&K[4 * (group)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                  \
        (next) = _mm_sha256msg2_epu32(_mm_add_epi32((next), _mm_alignr_epi8((cur), (prev), 4)), (cur)); \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));         \
        if ((group) <= 12) (prev) = _mm_sha256msg1_epu32((prev), (cur));               \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_blocks_ni(uint32_t state[8], const uint8_t *blocks, size_t count) {
    // Message bytes are big-endian words; this reverses the bytes within each 32-bit lane.
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

    // Standard order a..h to the instruction's (A,B,E,F) / (C,D,G,H), highest lane first.
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

    for (; count > 0; count--, blocks += 64) {
        const __m128i abef_before = abef, cdgh_before = cdgh;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 0)), byteswap);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16)), byteswap);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 32)), byteswap);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 48)), byteswap);

        FOUR_ROUNDS(m0, 0);
        FOUR_ROUNDS(m1, 1);
        m0 = _mm_sha256msg1_epu32(m0, m1);
        FOUR_ROUNDS(m2, 2);
        m1 = _mm_sha256msg1_epu32(m1, m2);
        FOUR_ROUNDS_SCHEDULE(m3, m2, m0, 3);
        FOUR_ROUNDS_SCHEDULE(m0, m3, m1, 4);
        FOUR_ROUNDS_SCHEDULE(m1, m0, m2, 5);
        FOUR_ROUNDS_SCHEDULE(m2, m1, m3, 6);
        FOUR_ROUNDS_SCHEDULE(m3, m2, m0, 7);
        FOUR_ROUNDS_SCHEDULE(m0, m3, m1, 8);
        FOUR_ROUNDS_SCHEDULE(m1, m0, m2, 9);
        FOUR_ROUNDS_SCHEDULE(m2, m1, m3, 10);
        FOUR_ROUNDS_SCHEDULE(m3, m2, m0, 11);
        FOUR_ROUNDS_SCHEDULE(m0, m3, m1, 12);
        FOUR_ROUNDS_SCHEDULE(m1, m0, m2, 13);
        FOUR_ROUNDS_SCHEDULE(m2, m1, m3, 14);
        FOUR_ROUNDS(m3, 15);

        abef = _mm_add_epi32(abef, abef_before);
        cdgh = _mm_add_epi32(cdgh, cdgh_before);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

#undef FOUR_ROUNDS
#undef FOUR_ROUNDS_SCHEDULE

#endif

// 0 = not asked yet, 1 = absent, 2 = present. Racing first callers all compute the same answer,
// so relaxed atomics suffice and later calls cost one load.
static atomic_int extensions_cache = 0;

int bk_sha256_has_extensions(void) {
    int cached = atomic_load_explicit(&extensions_cache, memory_order_relaxed);
    if (cached == 0) {
#if defined(__x86_64__)
        // Idempotent; needed only if we are called before the runtime's own initializer runs.
        __builtin_cpu_init();
        int present = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1")
            && __builtin_cpu_supports("ssse3");
#else
        int present = 0;
#endif
        cached = present ? 2 : 1;
        atomic_store_explicit(&extensions_cache, cached, memory_order_relaxed);
    }
    return cached == 2;
}

void bk_sha256_blocks(uint32_t state[8], const uint8_t *blocks, size_t count) {
#if defined(__x86_64__)
    if (bk_sha256_has_extensions()) {
        sha256_blocks_ni(state, blocks, count);
        return;
    }
#endif
    bk_sha256_blocks_portable(state, blocks, count);
}
