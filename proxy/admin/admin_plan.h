/*
 * proxy/admin/admin_plan.h: GET /plan, the dry run of maintenance
 * (policy/plan.h): what turning maintenance on now would do, as JSON.
 *
 *   GET /plan[?mode=drain|block][&tenants=a,b]
 *
 * mode defaults to [maintenance] mode, the categories are [maintenance]
 * categories of the running configuration; tenants lists only those tenants.
 * 200 with the plan, or 400 bad-request naming the parameter. Changes
 * nothing: no state, no generation, no drain flag.
 */
#ifndef SLUICE_ADMIN_PLAN_H
#define SLUICE_ADMIN_PLAN_H

#include <stdbool.h>

#include "admin/admin_view.h"
#include "admin/textbuf.h"

/* The body for target (its query after '?', if any) into out; *status 200,
 * 400 (a bad query: out holds the error shape) or 500 (memory short). */
void admin_plan_json(const struct admin_view *v, const char *target, struct textbuf *out, unsigned *status);

#endif
