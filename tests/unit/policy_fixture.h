/* tests/unit/policy_fixture.h: the policy tests' fixture and the helpers that
 * play the proxy's shell (decide, record, on_response, tick). */
#ifndef SLUICE_POLICY_FIXTURE_H
#define SLUICE_POLICY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy/policy.h"

struct fixture {
	struct policy *policy;
	struct jobs *jobs;
	struct policy_settings settings;
	struct policy_change change; /* the last apply's or tick's */
	int ticks;                   /* state changes reported by tick */
	double now;
};

int fx_setup(void **state);
int fx_teardown(void **state);
struct tsp_request fx_request(enum tsp_category cat, enum tsp_role role, const char *tenant, const char *job,
			      const char *task);
void fx_tick(struct fixture *f);
struct policy_decision fx_send_status(struct fixture *f, const struct tsp_request *req, unsigned status);
struct policy_decision fx_send(struct fixture *f, enum tsp_category cat, enum tsp_role role, const char *job,
			       const char *task);
struct policy_decision fx_open_job(struct fixture *f, enum tsp_category cat, const char *tenant,
				   const char *job, enum tsp_origin origin, enum tsp_workload workload,
				   enum tsp_operation op);
void fx_apply(struct fixture *f);
void fx_maintenance(struct fixture *f, bool enabled, enum policy_mode mode);
void fx_restore_passes(struct fixture *f, const char *tenant);
void fx_running_vbr_task(struct fixture *f, enum tsp_category cat, enum tsp_workload workload);

#define assert_forwarded(d, why)                              \
	do {                                                  \
		struct policy_decision d_ = (d);              \
		assert_int_equal(d_.verdict, POLICY_FORWARD); \
		assert_int_equal(d_.reason, (why));           \
	} while (0)

#define assert_refused(d, why, m)                                        \
	do {                                                             \
		struct policy_decision d_ = (d);                         \
		assert_int_equal(d_.verdict, POLICY_REFUSE_MAINTENANCE); \
		assert_int_equal(d_.reason, (why));                      \
		assert_int_equal(d_.mode, (m));                          \
	} while (0)

#endif
