/*
 * proxy/conn/conn_memory.c: a connection's rings and framers, taken from and given
 * back to the server's spares (see conn_memory.h).
 */
#include "autoconfig.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "conn/conn_memory.h"

static void destroy_ring(void *storage)
{
	free(storage);
}

static void destroy_framer(void *framer)
{
	http_framer_free(framer);
}

bool conn_spares_reset(struct conn_spares *sp, const struct runconf *rc)
{
	size_t max = (size_t)rc->cfg->limits.spare_buffers;

	conn_spares_free(sp);
	if (!spares_init(&sp->rings, max, destroy_ring) ||
	    !spares_init(&sp->request_framers, max, destroy_framer) ||
	    !spares_init(&sp->response_framers, max, destroy_framer)) {
		conn_spares_free(sp);
		return false;
	}
	sp->serial = rc->serial;
	sp->ring_bytes = rc->cfg->limits.buffer_bytes;
	return true;
}

size_t conn_spares_trim(struct conn_spares *sp)
{
	return spares_trim(&sp->rings) + spares_trim(&sp->request_framers) +
	       spares_trim(&sp->response_framers);
}

/* free() keeps the pages of a 64 KiB ring in the middle of the heap; once
 * the busy moment has passed, they go back to the kernel. */
void conn_heap_trim(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

void conn_spares_free(struct conn_spares *sp)
{
	spares_fini(&sp->rings);
	spares_fini(&sp->request_framers);
	spares_fini(&sp->response_framers);
	sp->serial = 0;
	sp->ring_bytes = 0;
}

/* The server's spares when they fit c's configuration, else NULL. */
static struct conn_spares *fitting(const struct conn *c)
{
	struct conn_spares *sp = c->ctx->spares;

	return sp->serial == c->rc->serial ? sp : NULL;
}

bool conn_ring_get(struct conn *c, struct buffer *b)
{
	struct conn_spares *sp = fitting(c);
	unsigned char *storage = sp != NULL ? spares_take(&sp->rings) : NULL;

	if (storage == NULL)
		return buffer_init(b, c->rc->cfg->limits.buffer_bytes);
	buffer_adopt(b, storage, sp->ring_bytes);
	return true;
}

void conn_ring_put(struct conn *c, struct buffer *b)
{
	struct conn_spares *sp = fitting(c);
	size_t capacity = buffer_capacity(b);
	unsigned char *storage = buffer_release(b);

	if (storage == NULL)
		return;
	if (sp != NULL && capacity == sp->ring_bytes)
		spares_give(&sp->rings, storage);
	else
		free(storage);
}

static struct spares *framers_of(struct conn_spares *sp, enum http_kind kind)
{
	if (sp == NULL)
		return NULL;
	return kind == HTTP_KIND_REQUEST ? &sp->request_framers : &sp->response_framers;
}

struct http_framer *conn_framer_get(struct conn *c, enum http_kind kind)
{
	struct spares *spare = framers_of(fitting(c), kind);
	struct http_framer *f = spare != NULL ? spares_take(spare) : NULL;

	return f != NULL ? f : http_framer_new(kind, &c->rc->limits);
}

void conn_framer_put(struct conn *c, enum http_kind kind, struct http_framer **f)
{
	struct spares *spare = framers_of(fitting(c), kind);

	if (*f == NULL)
		return;
	if (spare != NULL) {
		http_framer_reset(*f);
		spares_give(spare, *f);
	} else {
		http_framer_free(*f);
	}
	*f = NULL;
}
