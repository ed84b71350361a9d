/*
 * proxy/policy/policy_names.c: the names of the policy's values, for logs,
 * the status endpoint and the state file (policy.h). Pure.
 */
#include "autoconfig.h"

#include "policy/policy.h"

const char *policy_mode_name(enum policy_mode mode)
{
	if (mode == POLICY_MODE_HOLD)
		return "hold";
	return mode == POLICY_MODE_BLOCK ? "block" : "drain";
}

const char *policy_state_name(enum policy_state state)
{
	switch (state) {
	case POLICY_OFF:
		return "off";
	case POLICY_DRAINING:
		return "draining";
	case POLICY_DRAINED:
		return "drained";
	case POLICY_BLOCKING:
		return "blocking";
	case POLICY_BLOCKED:
		return "blocked";
	}
	return "?";
}

const char *policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_FORWARD:
		return "forwarded";
	case POLICY_HELLO_NOTICE:
		return "hello notice";
	case POLICY_REFUSE_MAINTENANCE:
		return "refused maintenance";
	case POLICY_REFUSE_DISABLED:
		return "refused disabled";
	case POLICY_REFUSE_BUSY:
		return "refused busy";
	case POLICY_HOLD:
		return "held";
	}
	return "?";
}

const char *policy_reason_text(enum policy_reason why)
{
	switch (why) {
	case POLICY_WHY_OFF:
		return "maintenance off";
	case POLICY_WHY_NOT_COVERED:
		return "category not covered by maintenance (R5)";
	case POLICY_WHY_HELLO:
		return "session hello";
	case POLICY_WHY_TENANT_DISABLED:
		return "tenant disabled (R10)";
	case POLICY_WHY_JOB_CLOSE:
		return "job close is always forwarded (R8)";
	case POLICY_WHY_BLOCK_MODE:
		return "block mode (R8)";
	case POLICY_WHY_JOB_OPEN:
		return "job open after maintenance began (R3)";
	case POLICY_WHY_UNKNOWN_JOB:
		return "job not in the job table (fail closed)";
	case POLICY_WHY_UNKNOWN_TASK:
		return "task not in the job table (fail closed)";
	case POLICY_WHY_LATER_TASK:
		return "task not open when maintenance began (R1)";
	case POLICY_WHY_TASK_AT_T:
		return "task open when maintenance began (R1)";
	case POLICY_WHY_AGENT_JOB_AT_T:
		return "standalone-agent job open when maintenance began (R2)";
	case POLICY_WHY_TABLE_FULL:
		return "job table full ([limits] job_table_size)";
	case POLICY_WHY_TASKS_FULL:
		return "too many open tasks in the job";
	case POLICY_WHY_LOCK:
		return "lock create or delete is always forwarded (restores take locks)";
	case POLICY_WHY_UNKNOWN_SESSION:
		return "session not in the table (fail closed)";
	case POLICY_WHY_SESSION_AT_T:
		return "session open when maintenance began (R1, R2)";
	case POLICY_WHY_LATER_SESSION:
		return "session opened after maintenance began (R3)";
	case POLICY_WHY_REFRESH_REFUSED:
		return "lock refresh of a session whose write was refused for maintenance";
	case POLICY_WHY_OUT_OF_SCOPE:
		return "tenant not in [maintenance] tenants";
	case POLICY_WHY_EXEMPT:
		return "tenant in [maintenance] exempt";
	}
	return "?";
}

const char *policy_event_name(enum policy_event event)
{
	switch (event) {
	case POLICY_EVENT_NONE:
		return "none";
	case POLICY_EVENT_ON:
		return "on";
	case POLICY_EVENT_OFF:
		return "off";
	case POLICY_EVENT_MODE:
		return "mode";
	case POLICY_EVENT_CATEGORIES:
		return "categories";
	case POLICY_EVENT_DRAINED:
		return "drained";
	case POLICY_EVENT_DRAIN_TIMEOUT:
		return "drain timeout";
	case POLICY_EVENT_SCOPE:
		return "scope";
	}
	return "?";
}
