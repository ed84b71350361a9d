/* tests/unit/session_fixture.h: the session tests' requests (as the restic
 * classifier makes them) and the shell they play (decide, record, settle,
 * note a refusal, tick), over the policy fixture. */
#ifndef SLUICE_SESSION_FIXTURE_H
#define SLUICE_SESSION_FIXTURE_H

#include "policy_fixture.h"

#define TENANT "acme"
#define REPO "/acme/main"
#define HOST "192.0.2.10"
#define OTHER_HOST "192.0.2.99"

struct tsp_request restic_req(enum tsp_role role, const char *tenant, const char *repo, const char *client,
			      const char *lock);
struct tsp_request as_copy(struct tsp_request req);
struct tsp_request lock_create(const char *lock);
struct tsp_request lock_delete(const char *lock);
struct tsp_request write_req(uint32_t bytes, bool snapshot);
struct tsp_request read_req(bool config);
struct policy_decision play_end(struct fixture *f, const struct tsp_request *req, unsigned status,
				struct policy_session_end *end);
struct policy_decision play(struct fixture *f, const struct tsp_request *req, unsigned status);
struct job *find_session(struct fixture *f, const char *tenant, enum tsp_category category, const char *repo,
			 const char *client);
struct job *the_session(struct fixture *f);
void open_session(struct fixture *f, const char *lock);
void set_idle_expiry(struct fixture *f, double seconds);

#define assert_disabled(d)                                               \
	do {                                                             \
		struct policy_decision d_ = (d);                         \
		assert_int_equal(d_.verdict, POLICY_REFUSE_DISABLED);    \
		assert_int_equal(d_.reason, POLICY_WHY_TENANT_DISABLED); \
	} while (0)

#endif
