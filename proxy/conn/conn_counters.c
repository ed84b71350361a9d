/*
 * proxy/conn/conn_counters.c: one set of counters out of many (see
 * conn_counters.h and net/counter.h).
 */
#include "autoconfig.h"

#include "conn/conn_counters.h"

#define SUM(field) into->field += COUNTER_GET(add->field)

static void sum_upstream(struct upstream_pool_stats *into, const struct upstream_pool_stats *add)
{
	SUM(connects);
	SUM(reused);
	SUM(resent);
	SUM(parked);
	for (int why = 0; why < UPSTREAM_IDLE_CLOSE_COUNT; why++)
		SUM(closed[why]);
	SUM(idle);
}

void server_counters_sum(struct server_counters *into, const struct server_counters *add)
{
	SUM(connections);
	SUM(connections_refused);
	SUM(handshake_failures);
	SUM(proxy_header_rejected);
	SUM(requests);
	SUM(forwarded);
	SUM(refused_maintenance);
	SUM(refused_disabled);
	SUM(refused_busy);
	SUM(hello_notices);
	SUM(errors);
	SUM(bytes_in);
	SUM(bytes_out);
	SUM(reloads);
	SUM(reload_failures);
	SUM(tls_handshakes_retired);
	sum_upstream(&into->upstream, &add->upstream);
	for (int cat = 0; cat < TSP_CAT_COUNT; cat++)
		for (int d = 0; d < SERVER_DECISION_COUNT; d++)
			SUM(messages[cat][d]);
	for (int v = 0; v < POLICY_SESSION_VERDICTS; v++)
		SUM(sessions_ended[v]);
	SUM(sessions_expired);
	SUM(sessions_untracked);
	SUM(upstream_errors_502);
	SUM(upstream_errors_504);
	SUM(held_total);
	SUM(hold_timeouts);
	SUM(hold_overflows);
	/* descriptors: the main thread's alone (it accepts) */
}
