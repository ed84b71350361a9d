/*
 * tests/fuzz/harness_check.h: what every harness asserts with. A broken
 * property aborts, which libFuzzer reports as a crash with the input.
 */
#ifndef SLUICE_HARNESS_CHECK_H
#define SLUICE_HARNESS_CHECK_H

#include <stdlib.h>

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#endif
