/*
 * protocol/profile.c: the profiles [proxy] profile can name (profile.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/profile.h"
#include "protocol/restic.h"

static bool classify_tsp(const struct profile_options *options, const struct http_head *head,
			 const char *client, struct tsp_request *req, struct tsp_error *err)
{
	(void)options;
	(void)client; /* TSP/1 names its jobs itself */
	return tsp_classify(head, req, err);
}

const struct profile profile_tsp = {
	.name = "tsp",
	.refusal = PROFILE_REFUSAL_JSON,
	.sessions = false,
	.classify = classify_tsp,
};

const struct profile profile_restic = {
	.name = "restic",
	.refusal = PROFILE_REFUSAL_REASON,
	.sessions = true,
	.classify = restic_classify,
};

const struct profile *profile_find(const char *name)
{
	static const struct profile *const all[] = { &profile_tsp, &profile_restic };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
