#ifndef BOOKIJI_SHA256_BLOCKS_H
#define BOOKIJI_SHA256_BLOCKS_H

/*
 * SHA-256 block function (FIPS 180-4) for BookijiCore's `SHA256`: the x86 SHA extensions where
 * the processor has them, plain C elsewhere. Padding and buffering stay in Swift.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** 1 when this processor has SHA-NI, SSE4.1 and SSSE3 (the extension path runs), else 0. */
int bk_sha256_has_extensions(void);

/**
 * Processes `count` consecutive 64-byte blocks at `blocks` (any alignment), updating `state`
 * (words a..h, the standard order) in place. Allocates nothing; thread-safe for distinct states.
 */
void bk_sha256_blocks(uint32_t state[8], const uint8_t *blocks, size_t count);

/** The plain-C path `bk_sha256_blocks` takes without the extensions; exposed so tests can compare. */
void bk_sha256_blocks_portable(uint32_t state[8], const uint8_t *blocks, size_t count);

#ifdef __cplusplus
}
#endif

#endif
