/*
 * proxy/policy/request_stats.c: the request duration histogram and the opt-in
 * per-tenant counters (see request_stats.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "policy/request_stats.h"

/* From a small TSP/1 message on loopback to a large block over a slow link. */
const double request_stats_bounds[REQUEST_STATS_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120,
};

void request_stats_observe(struct request_stats *st, double seconds)
{
	if (!(seconds >= 0))
		seconds = 0; /* NaN or a clock step: counted in the first bucket */
	for (size_t i = 0; i < REQUEST_STATS_BUCKETS; i++)
		if (seconds <= request_stats_bounds[i]) {
			st->in_bucket[i]++;
			break;
		}
	st->count++;
	st->sum += seconds;
}

static struct request_stats_tenant *find(const struct request_stats *st, const char *tenant)
{
	struct request_stats_tenant *t = NULL;

	HASH_FIND_STR(st->tenants, tenant, t);
	return t;
}

void request_stats_admit(struct request_stats *st, const char *tenant)
{
	struct request_stats_tenant *t;

	if (st->tenant_count >= st->tenant_max || tenant[0] == '\0' || strlen(tenant) > TSP_TENANT_MAX ||
	    find(st, tenant) != NULL)
		return;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return; /* counted under _other, as a tenant beyond the bound is */
	strcpy(t->name, tenant);
	HASH_ADD_STR(st->tenants, name, t);
	st->tenant_count++;
}

void request_stats_count(struct request_stats *st, const char *tenant, enum request_stats_refusal refusal,
			 uint64_t bytes_in, uint64_t bytes_out)
{
	struct request_stats_tenant *t;

	if (st->tenant_max == 0)
		return;
	t = find(st, tenant);
	if (t == NULL)
		t = &st->other;
	if (refusal < REQUEST_REFUSAL_KINDS)
		t->refused[refusal]++;
	t->bytes_in += bytes_in;
	t->bytes_out += bytes_out;
}

static void forget_all(struct request_stats *st)
{
	struct request_stats_tenant *t, *next;

	HASH_ITER(hh, st->tenants, t, next) {
		HASH_DEL(st->tenants, t);
		free(t);
	}
	st->tenant_count = 0;
	memset(&st->other, 0, sizeof st->other);
}

void request_stats_set_limit(struct request_stats *st, size_t tenant_max)
{
	if (tenant_max == 0)
		forget_all(st);
	st->tenant_max = tenant_max;
	strcpy(st->other.name, REQUEST_STATS_OTHER);
}

void request_stats_free(struct request_stats *st)
{
	forget_all(st);
	st->tenant_max = 0;
}

const char *request_stats_refusal_name(enum request_stats_refusal refusal)
{
	switch (refusal) {
	case REQUEST_REFUSED_MAINTENANCE:
		return "maintenance";
	case REQUEST_REFUSED_DISABLED:
		return "disabled";
	case REQUEST_REFUSED_BUSY:
		return "busy";
	default:
		return "none";
	}
}
