#include "slot_engine.h"

#include <string.h>

#define WORD_BITS 64u

static inline size_t words_for(size_t nbits) { return (nbits + WORD_BITS - 1) / WORD_BITS; }

/* Mask of the valid bits in the last word (all ones when nbits is a multiple of 64). */
static inline uint64_t tail_mask(size_t nbits) {
    size_t r = nbits % WORD_BITS;
    return r == 0 ? ~(uint64_t)0 : (((uint64_t)1 << r) - 1);
}

static inline void clear_tail(uint64_t *mask, size_t nbits) {
    size_t n = words_for(nbits);
    if (n > 0) mask[n - 1] &= tail_mask(nbits);
}

size_t sle_words_for_bits(size_t nbits) { return words_for(nbits); }

void sle_clear_all(uint64_t *mask, size_t nbits) {
    size_t n = words_for(nbits);
    if (n > 0) memset(mask, 0, n * sizeof(uint64_t));
}

void sle_set_all(uint64_t *mask, size_t nbits) {
    size_t n = words_for(nbits);
    if (n == 0) return;
    memset(mask, 0xff, n * sizeof(uint64_t));
    clear_tail(mask, nbits);
}

/* Applies value (set or clear) to [from, to) with whole-word stores in the middle. */
static void apply_range(uint64_t *mask, size_t nbits, size_t from, size_t to, int set) {
    if (to > nbits) to = nbits;
    if (from >= to) return;
    size_t fw = from / WORD_BITS, lw = (to - 1) / WORD_BITS;
    uint64_t first = ~(uint64_t)0 << (from % WORD_BITS);
    uint64_t last = ~(uint64_t)0 >> (WORD_BITS - 1 - ((to - 1) % WORD_BITS));
    if (fw == lw) {
        uint64_t m = first & last;
        if (set) mask[fw] |= m; else mask[fw] &= ~m;
        return;
    }
    if (set) {
        mask[fw] |= first;
        for (size_t w = fw + 1; w < lw; w++) mask[w] = ~(uint64_t)0;
        mask[lw] |= last;
    } else {
        mask[fw] &= ~first;
        for (size_t w = fw + 1; w < lw; w++) mask[w] = 0;
        mask[lw] &= ~last;
    }
}

void sle_set_range(uint64_t *mask, size_t nbits, size_t from, size_t to) {
    apply_range(mask, nbits, from, to, 1);
}

void sle_clear_range(uint64_t *mask, size_t nbits, size_t from, size_t to) {
    apply_range(mask, nbits, from, to, 0);
}

void sle_set_bit(uint64_t *mask, size_t nbits, size_t index) {
    if (index < nbits) mask[index / WORD_BITS] |= (uint64_t)1 << (index % WORD_BITS);
}

bool sle_test_bit(const uint64_t *mask, size_t nbits, size_t index) {
    if (index >= nbits) return false;
    return (mask[index / WORD_BITS] >> (index % WORD_BITS)) & 1u;
}

void sle_copy(uint64_t *dst, const uint64_t *src, size_t nbits) {
    size_t n = words_for(nbits);
    if (dst != src && n > 0) memmove(dst, src, n * sizeof(uint64_t));
}

void sle_and(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits) {
    size_t n = words_for(nbits);
    for (size_t w = 0; w < n; w++) dst[w] = a[w] & b[w];
}

void sle_or(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits) {
    size_t n = words_for(nbits);
    for (size_t w = 0; w < n; w++) dst[w] = a[w] | b[w];
}

void sle_andnot(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits) {
    size_t n = words_for(nbits);
    for (size_t w = 0; w < n; w++) dst[w] = a[w] & ~b[w];
}

void sle_not(uint64_t *dst, const uint64_t *src, size_t nbits) {
    size_t n = words_for(nbits);
    for (size_t w = 0; w < n; w++) dst[w] = ~src[w];
    clear_tail(dst, nbits);
}

/*
 * Word w of the result reads words w + q and w + q + 1 of the source, which an ascending loop has
 * not overwritten yet, so dst may equal src.
 */
void sle_shift_down(uint64_t *dst, const uint64_t *src, size_t nbits, size_t shift) {
    size_t n = words_for(nbits);
    size_t q = shift / WORD_BITS, r = shift % WORD_BITS;
    for (size_t w = 0; w < n; w++) {
        size_t s = w + q;
        uint64_t lo = s < n ? src[s] : 0;
        uint64_t hi = s + 1 < n ? src[s + 1] : 0;
        dst[w] = r == 0 ? lo : (lo >> r) | (hi << (WORD_BITS - r));
    }
}

/* Mirror image of sle_shift_down: a descending loop keeps in-place use safe. */
void sle_shift_up(uint64_t *dst, const uint64_t *src, size_t nbits, size_t shift) {
    size_t n = words_for(nbits);
    size_t q = shift / WORD_BITS, r = shift % WORD_BITS;
    for (size_t w = n; w-- > 0;) {
        uint64_t hi = w >= q ? src[w - q] : 0;
        uint64_t lo = w >= q + 1 ? src[w - q - 1] : 0;
        dst[w] = r == 0 ? hi : (hi << r) | (lo >> (WORD_BITS - r));
    }
    clear_tail(dst, nbits);
}

/* In place: mask[i] |= mask[i + shift], ascending so every read sees the not-yet-updated word. */
static void or_shifted_down(uint64_t *mask, size_t n, size_t shift) {
    size_t q = shift / WORD_BITS, r = shift % WORD_BITS;
    for (size_t w = 0; w < n; w++) {
        size_t s = w + q;
        uint64_t lo = s < n ? mask[s] : 0;
        uint64_t hi = s + 1 < n ? mask[s + 1] : 0;
        mask[w] |= r == 0 ? lo : (lo >> r) | (hi << (WORD_BITS - r));
    }
}

/* In place: mask[i] &= mask[i + shift]. */
static void and_shifted_down(uint64_t *mask, size_t n, size_t shift) {
    size_t q = shift / WORD_BITS, r = shift % WORD_BITS;
    for (size_t w = 0; w < n; w++) {
        size_t s = w + q;
        uint64_t lo = s < n ? mask[s] : 0;
        uint64_t hi = s + 1 < n ? mask[s + 1] : 0;
        mask[w] &= r == 0 ? lo : (lo >> r) | (hi << (WORD_BITS - r));
    }
}

/* In place: mask[i] |= mask[i - shift], descending. */
static void or_shifted_up(uint64_t *mask, size_t n, size_t shift) {
    size_t q = shift / WORD_BITS, r = shift % WORD_BITS;
    for (size_t w = n; w-- > 0;) {
        uint64_t hi = w >= q ? mask[w - q] : 0;
        uint64_t lo = w >= q + 1 ? mask[w - q - 1] : 0;
        mask[w] |= r == 0 ? hi : (hi << r) | (lo >> (WORD_BITS - r));
    }
}

/*
 * Doubling: after a step of size s the result at i covers [i, i + span + s). Steps are
 * min(span, length - span), so the span grows 1, 2, 4, ... and lands exactly on length.
 */
void sle_window_any(uint64_t *mask, size_t nbits, size_t length) {
    size_t n = words_for(nbits);
    if (length == 0) { sle_clear_all(mask, nbits); return; }
    for (size_t span = 1; span < length;) {
        size_t step = span < length - span ? span : length - span;
        or_shifted_down(mask, n, step);
        span += step;
    }
}

void sle_window_all(uint64_t *mask, size_t nbits, size_t length) {
    size_t n = words_for(nbits);
    if (length == 0) { sle_set_all(mask, nbits); return; }
    for (size_t span = 1; span < length;) {
        size_t step = span < length - span ? span : length - span;
        and_shifted_down(mask, n, step);
        span += step;
    }
}

void sle_dilate(uint64_t *mask, size_t nbits, size_t down, size_t up) {
    size_t n = words_for(nbits);
    /* Growing downwards by d is a window_any of length d + 1. */
    for (size_t span = 1; span < down + 1;) {
        size_t step = span < down + 1 - span ? span : down + 1 - span;
        or_shifted_down(mask, n, step);
        span += step;
    }
    for (size_t span = 1; span < up + 1;) {
        size_t step = span < up + 1 - span ? span : up + 1 - span;
        or_shifted_up(mask, n, step);
        span += step;
    }
    clear_tail(mask, nbits);
}

size_t sle_count(const uint64_t *mask, size_t nbits) {
    size_t n = words_for(nbits), total = 0;
    for (size_t w = 0; w < n; w++) total += (size_t)__builtin_popcountll(mask[w]);
    return total;
}

size_t sle_next_set(const uint64_t *mask, size_t nbits, size_t from) {
    if (from >= nbits) return nbits;
    size_t n = words_for(nbits);
    size_t w = from / WORD_BITS;
    uint64_t word = mask[w] & (~(uint64_t)0 << (from % WORD_BITS));
    for (;;) {
        if (word != 0) {
            size_t index = w * WORD_BITS + (size_t)__builtin_ctzll(word);
            return index < nbits ? index : nbits;
        }
        if (++w >= n) return nbits;
        word = mask[w];
    }
}

size_t sle_collect(const uint64_t *mask, size_t nbits, size_t from, uint32_t *out, size_t capacity) {
    if (from >= nbits || capacity == 0) return 0;
    size_t n = words_for(nbits), count = 0;
    size_t w = from / WORD_BITS;
    uint64_t word = mask[w] & (~(uint64_t)0 << (from % WORD_BITS));
    for (;;) {
        while (word != 0) {
            size_t index = w * WORD_BITS + (size_t)__builtin_ctzll(word);
            if (index >= nbits) return count;
            out[count++] = (uint32_t)index;
            if (count == capacity) return count;
            word &= word - 1;
        }
        if (++w >= n) return count;
        word = mask[w];
    }
}
