/*
 * proxy/net/spares.c: the bounded stack of spare objects (see spares.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "net/spares.h"

bool spares_init(struct spares *s, size_t max, spares_destroy_fn *destroy)
{
	memset(s, 0, sizeof *s);
	if (max > SPARES_MAX || destroy == NULL)
		return false;
	if (max > 0 && (s->items = calloc(max, sizeof s->items[0])) == NULL)
		return false;
	s->max = max;
	s->destroy = destroy;
	return true;
}

void spares_fini(struct spares *s)
{
	for (size_t i = 0; i < s->count; i++)
		s->destroy(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof *s);
}

void *spares_take(struct spares *s)
{
	if (s->count == 0)
		return NULL;
	s->count--;
	if (s->count < s->low_water)
		s->low_water = s->count;
	return s->items[s->count];
}

void spares_give(struct spares *s, void *item)
{
	if (s->count == s->max) {
		s->destroy(item);
		return;
	}
	s->items[s->count++] = item;
}

size_t spares_trim(struct spares *s)
{
	/* The bottom low_water objects sat unused for a whole period: the
	 * most recently given ones (on top) are the ones in use. */
	size_t unused = s->low_water;

	for (size_t i = 0; i < unused; i++)
		s->destroy(s->items[i]);
	if (unused > 0) {
		memmove(s->items, s->items + unused, (s->count - unused) * sizeof s->items[0]);
		s->count -= unused;
	}
	s->low_water = s->count;
	return unused;
}

size_t spares_count(const struct spares *s)
{
	return s->count;
}
