/*
 * tests/unit/guard.h: place test input right before an inaccessible page, so
 * that a parser reading one byte past the end of its input faults at once
 * (ASan or not) instead of reading whatever follows in memory.
 *
 *     struct guard g = GUARD_INIT;
 *     const char *p = guard_place(&g, data, len);  // p[len] is PROT_NONE
 *     ...
 *     guard_release(&g);
 *
 * A guard holds one placement at a time: the next guard_place() overwrites
 * it (and remaps when it needs more room). NULL when mmap fails.
 */
#ifndef SLUICE_TEST_GUARD_H
#define SLUICE_TEST_GUARD_H

#include <stddef.h>

struct guard {
	char *map;     /* usable pages followed by one PROT_NONE page */
	size_t usable; /* bytes before the PROT_NONE page */
};

/* clang-format off */
#define GUARD_INIT { NULL, 0 }
/* clang-format on */

const char *guard_place(struct guard *g, const void *data, size_t len);
void guard_release(struct guard *g);

#endif
