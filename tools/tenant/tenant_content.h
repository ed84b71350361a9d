/*
 * tools/tenant/tenant_content.h: the bytes of every block a tenant writes, derived
 * from (tenant, job, task, block number) alone, so that a restore run later,
 * in another process, re-derives them and compares every byte. Pure.
 */
#ifndef SLUICE_TENANT_CONTENT_H
#define SLUICE_TENANT_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/tsp.h"

/* Names a block's content. job is the job that wrote it (for a restore: the
 * source job, without its category prefix). */
struct content_key {
	const char *tenant;
	const char *job;
	const char *task;
	uint32_t block;
};

/* Fill buf[0..len) with the block's content: a readable first line
 * ("sluice-tenant <tenant>/<job>/<task>/<block>\n", cut to len) so that a
 * stored block can be recognised by eye, then pseudo-random bytes seeded from
 * SHA-256 of the key. Returns false only when the digest cannot be computed. */
bool content_fill(const struct content_key *key, unsigned char *buf, size_t len);

/* Lowercase hex SHA-256 of data, as Tsp-Digest carries it after "sha256=". */
bool content_digest_hex(const void *data, size_t len, char hex[TSP_DIGEST_HEX + 1]);

#endif
