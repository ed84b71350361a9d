/* tests/unit/restic_fixture.h: what the restic classifier's test drivers
 * share: the option sets of the vector table, an outcome of one
 * classification and its checks, and heads built by hand (for what the
 * framer refuses itself; head_fixture.h). */
#ifndef SLUICE_RESTIC_FIXTURE_H
#define SLUICE_RESTIC_FIXTURE_H

#include <stdbool.h>

#include "head_fixture.h"
#include "http.h"
#include "profile.h"
#include "restic.h"
#define RESTIC_VECTORS_TYPES_ONLY
#include "restic_vectors.h"
#undef RESTIC_VECTORS_TYPES_ONLY
#include "tsp.h"

struct outcome {
	bool ok;
	struct tsp_request req;
	struct tsp_error err;
};

const struct profile_options *options_of(enum rv_options o);
void classify_into(const struct http_head *head, const struct profile_options *options, const char *client,
		   struct outcome *o);
int str_cmp_null(const char *a, const char *b);
const char *outcome_diff(const struct outcome *a, const struct outcome *b);
void assert_same(const struct outcome *a, const struct outcome *b, const char *what);
bool is_hex64(const char *s);
const char *code_of(unsigned status);
void assert_no_tsp_fields(const struct tsp_request *req);
void assert_job(const struct tsp_request *req, const char *repository, const char *client);
void check_outcome(const struct restic_vector *v, const struct outcome *o, const char *client);
void build_head(struct test_head *t, const char *text);
void classify_text(const char *text, const struct profile_options *options, struct outcome *o);

#endif
