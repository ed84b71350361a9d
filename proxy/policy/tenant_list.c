/*
 * proxy/policy/tenant_list.c: sorted tenant name lists (see tenant_list.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "policy/tenant_list.h"

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

const char *tenant_list_invalid(char *const *names, size_t count)
{
	size_t i, len;

	if (count > 0 && names == NULL)
		return "tenant list missing";
	for (i = 0; i < count; i++) {
		len = names[i] == NULL ? 0 : strnlen(names[i], TSP_TENANT_MAX + 1);
		if (len == 0 || len > TSP_TENANT_MAX)
			return "a tenant name is empty or longer than 64 characters";
	}
	return NULL;
}

bool tenant_list_copy(struct tenant_list *out, char *const *names, size_t count)
{
	size_t i;

	out->names = NULL;
	out->count = 0;
	if (count == 0)
		return true;
	out->names = calloc(count, sizeof(*out->names));
	if (out->names == NULL)
		return false;
	for (i = 0; i < count; i++)
		memcpy(out->names[i], names[i], strlen(names[i]));
	qsort(out->names, count, sizeof(*out->names), compare_names);
	out->count = count;
	return true;
}

void tenant_list_free(struct tenant_list *list)
{
	free(list->names);
	list->names = NULL;
	list->count = 0;
}

bool tenant_list_has(const struct tenant_list *list, const char *tenant)
{
	if (list->count == 0 || tenant == NULL)
		return false;
	return bsearch(tenant, list->names, list->count, sizeof(*list->names), compare_names) != NULL;
}

bool tenant_list_same(const struct tenant_list *a, const struct tenant_list *b)
{
	size_t i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

const char *tenant_list_common(const struct tenant_list *a, const struct tenant_list *b)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		if (tenant_list_has(b, a->names[i]))
			return a->names[i];
	return NULL;
}
