#ifndef BOOKIJI_SLOT_ENGINE_H
#define BOOKIJI_SLOT_ENGINE_H

/*
 * Fixed-granule bitset kernel for the availability engine.
 *
 * A mask is an array of 64-bit words; bit i (word i / 64, bit i % 64) stands for granule i of a
 * window. Every function works on caller-provided memory and never allocates, so one query's hot
 * path is free of heap traffic. Invariant kept by every operation: bits at positions >= nbits in
 * the last word stay zero, so whole-word operations never see garbage past the window.
 *
 * "Down" means towards lower indices (earlier time), "up" towards higher indices (later time).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Number of 64-bit words needed for nbits bits. */
size_t sle_words_for_bits(size_t nbits);

/** Clears every bit of the mask. */
void sle_clear_all(uint64_t *mask, size_t nbits);

/** Sets every bit in [0, nbits). */
void sle_set_all(uint64_t *mask, size_t nbits);

/** Sets bits [from, to) clipped to [0, nbits). Empty or inverted ranges do nothing. */
void sle_set_range(uint64_t *mask, size_t nbits, size_t from, size_t to);

/** Clears bits [from, to) clipped to [0, nbits). */
void sle_clear_range(uint64_t *mask, size_t nbits, size_t from, size_t to);

/** Sets one bit (ignored when index >= nbits). */
void sle_set_bit(uint64_t *mask, size_t nbits, size_t index);

/** Whether bit index is set (false when index >= nbits). */
bool sle_test_bit(const uint64_t *mask, size_t nbits, size_t index);

/** dst = src (dst may equal src). */
void sle_copy(uint64_t *dst, const uint64_t *src, size_t nbits);

/** dst = a & b. Any of the pointers may alias. */
void sle_and(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits);

/** dst = a | b. Any of the pointers may alias. */
void sle_or(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits);

/** dst = a & ~b. Any of the pointers may alias. */
void sle_andnot(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nbits);

/** dst = ~src within [0, nbits); the tail past nbits stays zero. */
void sle_not(uint64_t *dst, const uint64_t *src, size_t nbits);

/** dst[i] = src[i + shift] (bits shifted in from past the end are zero). dst may equal src. */
void sle_shift_down(uint64_t *dst, const uint64_t *src, size_t nbits, size_t shift);

/** dst[i] = src[i - shift] (bits below shift become zero). dst may equal src. */
void sle_shift_up(uint64_t *dst, const uint64_t *src, size_t nbits, size_t shift);

/**
 * In place: mask[i] = mask[i] | mask[i+1] | ... | mask[i+length-1] (bits past nbits count as 0).
 * "Is anything set in the length-granule window starting at i". Uses O(log length) shifted ORs.
 * length 0 clears the mask (an empty window contains nothing).
 */
void sle_window_any(uint64_t *mask, size_t nbits, size_t length);

/**
 * In place: mask[i] = mask[i] & mask[i+1] & ... & mask[i+length-1] (bits past nbits count as 0).
 * Bit i of the result says "length set granules in a row start at i": with a mask of free
 * granules, the starts of every free run of the slot's length. O(log length) shifted ANDs.
 * length 0 sets every bit (an empty window is trivially all set).
 */
void sle_window_all(uint64_t *mask, size_t nbits, size_t length);

/**
 * In place dilation: every set bit also sets the `down` bits below it and the `up` bits above it,
 * so mask[i] = OR of the original mask over [i - up, i + down]. Used to grow busy time by the
 * buffers a booking needs around it.
 */
void sle_dilate(uint64_t *mask, size_t nbits, size_t down, size_t up);

/** Number of set bits. */
size_t sle_count(const uint64_t *mask, size_t nbits);

/** Index of the first set bit at or after from, or nbits when there is none. */
size_t sle_next_set(const uint64_t *mask, size_t nbits, size_t from);

/**
 * Writes the indices of set bits in [from, nbits) into out, at most capacity of them, in
 * ascending order. Returns how many were written; call again from (last written index + 1) to
 * continue when the result equals capacity.
 */
size_t sle_collect(const uint64_t *mask, size_t nbits, size_t from, uint32_t *out, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
