/*
 * tools/tenant/tenant_content.c: deterministic block content and SHA-256 digests
 * (see tenant_content.h).
 *
 * The bulk of a block comes from xoshiro256** seeded with SHA-256 of the key:
 * fast enough that generating a 1 MiB block costs far less than sending it,
 * and different for every (tenant, job, task, block). Bytes are produced
 * little-endian whatever the host, so every machine derives the same blocks.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tenant_content.h"

struct xoshiro {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(struct xoshiro *x)
{
	uint64_t *s = x->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store_le64(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* SHA-256 of "sluice-tenant/1" NUL tenant NUL job NUL task NUL block(4 bytes BE). */
static bool seed_from_key(const struct content_key *key, struct xoshiro *x)
{
	static const char domain[] = "sluice-tenant/1";
	unsigned char block_be[4], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	block_be[0] = (unsigned char)(key->block >> 24);
	block_be[1] = (unsigned char)(key->block >> 16);
	block_be[2] = (unsigned char)(key->block >> 8);
	block_be[3] = (unsigned char)key->block;
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, domain, sizeof(domain)) == 1 &&
	     EVP_DigestUpdate(ctx, key->tenant, strlen(key->tenant) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, key->job, strlen(key->job) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, key->task, strlen(key->task) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, block_be, sizeof(block_be)) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	for (int i = 0; i < 4; i++)
		x->s[i] = load_le64(md + 8 * i);
	if ((x->s[0] | x->s[1] | x->s[2] | x->s[3]) == 0)
		x->s[0] = 1; /* the one state xoshiro cannot leave; 2^-256 */
	return true;
}

bool content_fill(const struct content_key *key, unsigned char *buf, size_t len)
{
	char label[3 * TSP_ID_MAX + TSP_TENANT_MAX + 32];
	struct xoshiro x;
	size_t label_len, pos;
	int n;

	if (!seed_from_key(key, &x))
		return false;
	n = snprintf(label, sizeof(label), "sluice-tenant %s/%s/%s/%u\n", key->tenant, key->job, key->task,
		     (unsigned)key->block);
	label_len = n < 0 ? 0 : (size_t)n < sizeof(label) ? (size_t)n : sizeof(label) - 1;
	if (label_len > len)
		label_len = len;
	memcpy(buf, label, label_len);
	for (pos = label_len; pos + 8 <= len; pos += 8)
		store_le64(buf + pos, xoshiro_next(&x), 8);
	if (pos < len)
		store_le64(buf + pos, xoshiro_next(&x), len - pos);
	return true;
}

bool content_digest_hex(const void *data, size_t len, char hex[TSP_DIGEST_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
		return false;
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[TSP_DIGEST_HEX] = '\0';
	return true;
}
