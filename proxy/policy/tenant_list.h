/*
 * proxy/policy/tenant_list.h: a sorted, owned copy of a list of tenant
 * names ([maintenance] tenants and exempt), searched by name. Pure.
 */
#ifndef SLUICE_TENANT_LIST_H
#define SLUICE_TENANT_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "tsp.h"

struct tenant_list {
	char (*names)[TSP_TENANT_MAX + 1]; /* sorted; NULL when count is 0 */
	size_t count;
};

/* Why names[0..count) is not a list of tenant names (a static message), or
 * NULL when it is one. */
const char *tenant_list_invalid(char *const *names, size_t count);

/* A sorted copy of names[0..count) (valid: see above) into *out, which
 * is left empty on failure. False only when memory is short. */
bool tenant_list_copy(struct tenant_list *out, char *const *names, size_t count);
void tenant_list_free(struct tenant_list *list);

bool tenant_list_has(const struct tenant_list *list, const char *tenant);
bool tenant_list_same(const struct tenant_list *a, const struct tenant_list *b);

/* The first name of a that is also in b, or NULL. */
const char *tenant_list_common(const struct tenant_list *a, const struct tenant_list *b);

#endif
