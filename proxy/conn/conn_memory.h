/*
 * proxy/conn/conn_memory.h: where a connection's rings and framers come from and
 * go back to.
 *
 * A connection holds its two rings ([limits] buffer_bytes each) and its two
 * header framers only while something is in flight: between requests it
 * gives them back, so thousands of idle keep-alive tenants cost little more
 * than their TLS state. Given back, they wait in the server's spares
 * ([limits] spare_buffers of each kind) for the next request of any
 * connection; spares unused for a second are freed (on the server's tick).
 *
 * Spares fit one configuration generation (ring size, framer limits): a
 * reload empties them, and a connection still on an older configuration
 * allocates and frees its own.
 */
#ifndef SLUICE_CONN_MEMORY_H
#define SLUICE_CONN_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "net/buffer.h"
#include "http.h"
#include "net/runconf.h"
#include "net/spares.h"

struct conn;

struct conn_spares {
	uint64_t serial;   /* the runconf generation they fit; 0: none */
	size_t ring_bytes; /* [limits] buffer_bytes of that generation */
	struct spares rings;
	struct spares request_framers;
	struct spares response_framers;
};

/* Empty the spares and size them for rc (at start-up and on every reload).
 * False when memory is short: the spares then keep nothing. */
bool conn_spares_reset(struct conn_spares *sp, const struct runconf *rc);
/* Free the spares unused since the previous trim (the server's tick);
 * returns how many were freed. */
size_t conn_spares_trim(struct conn_spares *sp);
/* Hand the heap's free pages back to the kernel (malloc_trim, every arena).
 * The main thread's: glibc sets up its allocator for whichever thread
 * calls it first, which under a replaced malloc (AddressSanitizer) leaves
 * a worker thread wrongly attached to the main arena at its exit. */
void conn_heap_trim(void);
void conn_spares_free(struct conn_spares *sp);

/* Give b storage of the connection's [limits] buffer_bytes. False when
 * memory is short. */
bool conn_ring_get(struct conn *c, struct buffer *b);
/* Give b's storage back (b becomes empty; nothing happens when it has none). */
void conn_ring_put(struct conn *c, struct buffer *b);

/* A framer at the start of a message; NULL when memory is short. */
struct http_framer *conn_framer_get(struct conn *c, enum http_kind kind);
/* Give *f back (it must be between messages) and set *f to NULL. */
void conn_framer_put(struct conn *c, enum http_kind kind, struct http_framer **f);

#endif
