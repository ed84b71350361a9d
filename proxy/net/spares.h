/*
 * proxy/net/spares.h: a bounded stack of spare objects of one kind (connection
 * rings, header framers), so that a keep-alive connection that goes idle
 * between requests gives its memory back without a malloc/free (and, with
 * 64 KiB rings, without glibc returning pages to the kernel and faulting them
 * in again) on every request.
 *
 *     p = spares_take(&s);            NULL: none spare, allocate one
 *     spares_give(&s, p);             kept, or destroyed when the stack is full
 *     spares_trim(&s);                every second: destroy those not needed
 *
 * Trimming destroys the spares that were not taken since the previous trim
 * (the low-water mark of the count), so a busy server keeps what its churn
 * needs and an idle one returns everything within two trims.
 *
 * Pure: no I/O; objects are opaque and destroyed through the callback.
 */
#ifndef SLUICE_SPARES_H
#define SLUICE_SPARES_H

#include <stdbool.h>
#include <stddef.h>

#define SPARES_MAX 65536u /* a bound on the bound: [limits] spare_buffers */

typedef void spares_destroy_fn(void *item);

struct spares {
	void **items; /* max slots; items[0..count) are spare */
	size_t count, max;
	size_t low_water; /* the fewest spare since the last trim */
	spares_destroy_fn *destroy;
};

/* An empty stack that keeps at most max objects (0: keeps none). False
 * (nothing to free) when max > SPARES_MAX or memory is short. */
bool spares_init(struct spares *s, size_t max, spares_destroy_fn *destroy);
/* Destroy every spare and the stack itself; s may then be initialised again.
 * Safe on a zeroed s. */
void spares_fini(struct spares *s);

/* The most recently given object, or NULL when none is spare. */
void *spares_take(struct spares *s);
/* Keep item (not NULL) for a later take, or destroy it when full. */
void spares_give(struct spares *s, void *item);
/* Destroy the spares that no take needed since the previous trim. Returns
 * how many were destroyed. */
size_t spares_trim(struct spares *s);

size_t spares_count(const struct spares *s);

#endif
