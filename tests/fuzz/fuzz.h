/*
 * What every fuzz target shares: the libFuzzer entry point, a check that
 * survives NDEBUG, and the wire codec's round-trip check.
 *
 * A target is one LLVMFuzzerTestOneInput per file. It is linked either with
 * libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or with replay.c, a
 * plain main() that runs saved inputs through it (`make fuzz-replay`), so
 * a target must not depend on anything libFuzzer-specific.
 */
#ifndef ROLLCALL_FUZZ_H
#define ROLLCALL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant the code under test must keep. Not assert(): a build with
 * NDEBUG must still catch a broken invariant, and the message names the
 * target's line so a crash report reads without a debugger.
 */
#define fuzz_check(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/*
 * Check one body the way the transport would handle it: wire_decode it,
 * and when it decodes, check that it re-encodes (alone and as a frame) and
 * decodes back to the same struct, byte for byte.
 */
void fuzz_wire_body(const char *body, size_t len);

#endif
