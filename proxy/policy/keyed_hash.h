/*
 * proxy/policy/keyed_hash.h: the hash of the proxy's uthash tables, keyed with a
 * per-process secret.
 *
 * Job and task ids come from tenants. With uthash's default (unkeyed) hash a
 * tenant could choose ids that all land in one bucket and turn every lookup
 * of every tenant into a walk of that chain. SipHash-2-4 under a random key
 * makes collisions as hard to find as the key, so the tables stay O(1).
 *
 * Include this header instead of <uthash.h>: it sets uthash's HASH_FUNCTION
 * first, and every table the proxy keeps must be hashed the same way.
 */
#ifndef SLUICE_KEYED_HASH_H
#define SLUICE_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>

#define KEYED_HASH_KEY_BYTES 16

/* SipHash-2-4 of len bytes under a 16-byte key (the reference's byte order). */
uint64_t siphash24(const unsigned char key[KEYED_HASH_KEY_BYTES], const void *data, size_t len);

/* Set the process's key (at start-up, before any table holds an entry: a
 * changed key misplaces every entry already hashed). Until then the key is
 * all zeros, which is what the unit tests use. */
void keyed_hash_set_key(const unsigned char key[KEYED_HASH_KEY_BYTES]);
/* The hash of len bytes under the process's key. */
uint64_t keyed_hash(const void *data, size_t len);

#ifdef HASH_FUNCTION
#error "proxy/policy/keyed_hash.h must be included before <uthash.h>"
#endif
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = (unsigned)keyed_hash((keyptr), (size_t)(keylen)))
#include <uthash.h>

#endif
