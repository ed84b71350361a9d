/*
 * proxy/policy/policy.h: the maintenance policy (the rules R1-R11: HACKING.md,
 * PROTOCOL.md section 10). Pure: no I/O, no globals, no clock of its
 * own. Every function takes the time as seconds on one clock of the caller's
 * choosing (the event loop's ev_now()), the same for every call.
 *
 * The shell uses it like this, per classified request:
 *
 *     d = policy_decide(policy, jobs, &req, now);
 *     if (d.verdict == POLICY_FORWARD) {
 *         if (!policy_record(jobs, &req, now, &rec))
 *             answer 503 busy instead;            (allocation failed)
 *         else
 *             forward; keep rec with the pending request;
 *             when the final answer comes back (or the upstream is gone: 0):
 *             policy_settle(jobs, &req, &rec, status, now, &end);
 *             policy_tick(policy, jobs, now, &change);   (drained yet?)
 *     } else answer it as the verdict says;
 *
 * and on reload policy_apply() (then policy_tick()), and from a periodic timer
 * jobs_expire() and policy_tick().
 *
 * Which messages change the job table, and when:
 *   - a forwarded job or task open adds its entry at once, so that a task's
 *     first block write, pipelined or on another connection, finds it;
 *   - every recorded request holds the entries it names until its answer
 *     comes (each entry counts the requests pending on it); an answer 2xx
 *     confirms them and touches them: only answers the repository accepted
 *     keep an entry alive, so traffic with a wrong secret holds nothing;
 *   - a request not accepted (anything but 2xx, or no answer) removes an
 *     entry it holds only when the entry is still unconfirmed and no other
 *     request is pending on it; entries are matched by a serial given at
 *     creation, so an answer never acts on an entry created after it was
 *     recorded. So a failed open leaves no phantom entry, and a party with
 *     another tenant's name and a wrong secret cannot remove that tenant's
 *     job or task, whatever the order of the answers;
 *   - a close removes its entry only when the repository answers 2xx: a close
 *     that failed leaves the task running at the repository (it must still
 *     drain, and a retried close must not be refused as unknown);
 *   - restore and the hello are never tracked (they are never refused for
 *     maintenance, so a full table never refuses them either).
 *
 * Learning while off. sluice may restart in the middle of a tenant's job
 * (or an entry may expire). While a message is forwarded -- maintenance off,
 * or a category not covered -- a block write for a job or task the table has
 * never seen registers both, and a task open or a task close registers the
 * job: they are marked "learned", origin unknown, and treated as
 * server-managed (R1, task granularity). A later maintenance-on therefore
 * drains such a task like any other instead of failing it mid-write. Learning
 * is best effort: with the table full the message is still forwarded and
 * policy_record() says so (rec.untracked) for the log. While maintenance is
 * on, a covered message naming an unknown job or task is refused (fail
 * closed), so nothing is learned then.
 *
 * The draining set: at T (maintenance on), every open task of a covered job
 * is marked draining (R1), and every standalone-agent backup job (Tsp-Origin:
 * agent, category backup) is marked draining as a whole (R2; its tasks are
 * not counted separately, later ones are let through). The set shrinks as its
 * entries close (2xx) or expire; when it is empty, policy_tick() reports
 * "drained" once.
 *
 * Hold mode ([maintenance] mode = hold) is drain in every rule about the
 * draining set, the barrier and what is let through; only the verdict
 * changes: where drain answers POLICY_REFUSE_MAINTENANCE, hold answers
 * POLICY_HOLD (with the same reason; but a refused lock refresh, below, is
 * refused at once). The shell parks such a request
 * unanswered and asks again when the policy changes; a drain_timeout that
 * passed makes it block, which refuses. The policy keeps no list of held
 * requests: holding is the shell's (bounds, order, deadline).
 *
 * The tenant scope ([maintenance] tenants and exempt). Maintenance applies
 * to a tenant in tenants (or every tenant when it is empty) and not in
 * exempt. For any other tenant policy_decide() answers as if maintenance
 * were off (reasons OUT_OF_SCOPE, EXEMPT; its hello is forwarded), and its
 * tasks and jobs are never marked draining, so the barrier does not wait
 * for them. A reload that changes the scope while on moves entries in and
 * out of the draining set like a change of categories (event SCOPE); T
 * stays. R10 (disabled tenants) is not maintenance and ignores the scope.
 *
 * Sessions (the restic profile: roles READ, WRITE, LOCK_CREATE, LOCK_DELETE;
 * protocol/restic.h). A session is a job keyed (tenant, source_category,
 * job) whose tasks are its locks, drained as a whole like a standalone-agent
 * job. Reads, lock creates and lock deletes are always forwarded (restores
 * take locks too, and a refused client must be able to clean up); a write is
 * forwarded while maintenance is off or its category is not covered, and
 * while on only when its session was open at T (drain), never in block mode.
 * The table changes only on the repository's answer (policy_settle(), which
 * has the time): an accepted lock create opens the session and adds the
 * lock; an accepted (or 404) lock delete removes the lock, and the session
 * with its last lock; every accepted request of a session touches it. So a
 * party with a wrong secret (401) changes nothing. Writes without a session
 * are never learned (restic's init takes no lock). Optionally
 * (refuse_session_refresh) a session whose write was refused for
 * maintenance (policy_note_refusal()) has its next lock create refused too,
 * unless it read its config since its last lock create: that is a lock
 * refresh of the refused backup, which restic >= 0.16 gives up on, where it
 * would otherwise hang (protocol/RESTIC.md).
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/jobs.h"
#include "tsp.h"

enum policy_mode {
	POLICY_MODE_DRAIN = 0, /* R1-R3: running tasks finish, nothing new starts */
	POLICY_MODE_BLOCK,     /* R8: everything covered refused but job close */
	POLICY_MODE_HOLD       /* drain, but what drain refuses is held (POLICY_HOLD) */
};

/* The one state variable; mode and "drained" are derived from it. */
enum policy_state {
	POLICY_OFF = 0,  /* maintenance off: forward (disabled tenants aside) */
	POLICY_DRAINING, /* on, drain mode, draining set not empty */
	POLICY_DRAINED,  /* on, drain mode, draining set empty: safe to work */
	POLICY_BLOCKING, /* on, block mode (configured),
			   * draining set not empty (their jobs have yet to close) */
	POLICY_BLOCKED   /* on, block mode, draining set empty */
};

/* Categories subject to maintenance, as a bit mask. */
#define POLICY_CATEGORY(cat) (1u << (unsigned)(cat))
#define POLICY_CATEGORIES_DEFAULT (POLICY_CATEGORY(TSP_CAT_BACKUP) | POLICY_CATEGORY(TSP_CAT_BACKUP_COPY))
/* What may be covered: restore never (R5), the hello is no category. */
#define POLICY_CATEGORIES_ALLOWED (POLICY_CATEGORIES_DEFAULT | POLICY_CATEGORY(TSP_CAT_REPLICATION))

/* What the shell fills from the configuration ([maintenance], [tenants]). */
struct policy_settings {
	bool enabled;                  /* [maintenance] enabled */
	enum policy_mode mode;         /* [maintenance] mode */
	unsigned categories;           /* [maintenance] categories, POLICY_CATEGORY bits */
	double drain_timeout;          /* [maintenance] drain_timeout, seconds; 0 = none */
	char *const *disabled_tenants; /* [tenants] disabled (copied by policy_apply) */
	size_t disabled_count;
	char *const *scope_tenants; /* [maintenance] tenants: maintenance applies to
					     * these only; none = every tenant (copied) */
	size_t scope_count;
	char *const *exempt_tenants; /* [maintenance] exempt: never refused for
					     * maintenance (copied; none in scope_tenants) */
	size_t exempt_count;
	bool refuse_session_refresh; /* [restic] refuse_refresh_after_refusal */
	bool since_set;              /* off -> on takes T = since, not now: a scheduled
					     * window's start ([schedule]), so that instances
					     * sharing a file agree on T */
	double since;                /* since_set: T on the caller's clock, at or before now */
};

enum policy_verdict {
	POLICY_FORWARD = 0,        /* send it to the repository */
	POLICY_HELLO_NOTICE,       /* the hello while maintenance is on: the proxy answers
				    * it itself with the notice (PROTOCOL.md 10.4) */
	POLICY_REFUSE_MAINTENANCE, /* 503 maintenance, Tsp-Maintenance: decision.mode */
	POLICY_REFUSE_DISABLED,    /* 403 tenant-disabled (R10) */
	POLICY_REFUSE_BUSY,        /* 503 busy: the job table or the job's task set is full */
	POLICY_HOLD                /* mode hold: what drain would refuse for maintenance
				    * waits; the shell decides again when maintenance
				    * changes, and refuses it (as REFUSE_MAINTENANCE,
				    * mode hold) after [maintenance] hold_timeout */
};

/* Which rule decided: for the access log and the tests. */
enum policy_reason {
	POLICY_WHY_OFF = 0,         /* maintenance off */
	POLICY_WHY_NOT_COVERED,     /* category not subject to maintenance (R5) */
	POLICY_WHY_HELLO,           /* the session hello */
	POLICY_WHY_TENANT_DISABLED, /* R10 */
	POLICY_WHY_JOB_CLOSE,       /* job close is always forwarded (R8) */
	POLICY_WHY_BLOCK_MODE,      /* block mode refuses the rest (R8) */
	POLICY_WHY_JOB_OPEN,        /* job open after T (R3) */
	POLICY_WHY_UNKNOWN_JOB,     /* job never seen open: fail closed */
	POLICY_WHY_UNKNOWN_TASK,    /* task never seen open: fail closed */
	POLICY_WHY_LATER_TASK,      /* task opened (or to be opened) after T (R1) */
	POLICY_WHY_TASK_AT_T,       /* task open at T: finishes (R1) */
	POLICY_WHY_AGENT_JOB_AT_T,  /* standalone-agent job open at T: finishes (R2) */
	POLICY_WHY_TABLE_FULL,      /* job table at [limits] job_table_size */
	POLICY_WHY_TASKS_FULL,      /* the job (or the table) holds its maximum of open tasks */
	POLICY_WHY_LOCK,            /* lock create or delete: always forwarded (sessions) */
	POLICY_WHY_UNKNOWN_SESSION, /* write of a session never seen open: fail closed */
	POLICY_WHY_SESSION_AT_T,    /* write of a session open at T: finishes (R1, R2) */
	POLICY_WHY_LATER_SESSION,   /* write of a session opened after T (R3) */
	POLICY_WHY_REFRESH_REFUSED, /* lock refresh of a session whose write was refused */
	POLICY_WHY_OUT_OF_SCOPE,    /* tenant not in [maintenance] tenants: as if off */
	POLICY_WHY_EXEMPT           /* tenant in [maintenance] exempt: as if off */
};

struct policy_decision {
	enum policy_verdict verdict;
	enum policy_reason reason;
	enum policy_mode mode; /* REFUSE_MAINTENANCE, HELLO_NOTICE: for Tsp-Maintenance */
	double since;          /* HELLO_NOTICE: T, for the notice's "since" */
};

/* What policy_record() did, kept with the pending request for on_response. */
struct policy_record {
	bool job_added;       /* a job open created the job entry */
	bool task_added;      /* a task open created the task entry */
	bool job_learned;     /* the job was registered from this message (see above) */
	bool task_learned;    /* the task was registered from this message */
	bool untracked;       /* no room to learn what the message names (log it) */
	uint64_t job_serial;  /* the entries this request holds until its answer */
	uint64_t task_serial; /* (their serials; 0 = none) */
	double recorded_at;   /* when it was recorded */
};

enum policy_event {
	POLICY_EVENT_NONE = 0,
	POLICY_EVENT_ON,            /* apply: off -> on; T = now, the draining set marked */
	POLICY_EVENT_OFF,           /* apply: on -> off (R6) */
	POLICY_EVENT_MODE,          /* apply: on -> on with the other mode (at once) */
	POLICY_EVENT_CATEGORIES,    /* apply: on -> on, other covered categories */
	POLICY_EVENT_DRAINED,       /* tick: the draining set became empty */
	POLICY_EVENT_DRAIN_TIMEOUT, /* tick: drain_timeout passed; what remains is blocked */
	POLICY_EVENT_SCOPE          /* apply: on -> on, other tenants or exempt lists */
};

/* What a state change was, for the log line. */
struct policy_change {
	enum policy_event event;
	enum policy_state state; /* after the change */
	enum policy_mode mode;   /* after the change (effective) */
	uint64_t generation;     /* after the change */
	double since;            /* T (OFF: the moment maintenance went off) */
	double elapsed;          /* OFF, DRAINED, DRAIN_TIMEOUT: seconds since T */
	size_t draining_tasks;   /* after the change */
	size_t draining_jobs;    /* standalone-agent jobs */
	size_t cut_tasks;        /* DRAIN_TIMEOUT: what still drained, now blocked */
	size_t cut_jobs;
	bool tenants_changed; /* apply: the disabled list changed (no new generation) */
	bool scope_changed;   /* apply: [maintenance] tenants or exempt changed */
};

struct policy_status {
	enum policy_state state;
	enum policy_mode mode; /* effective, now */
	uint64_t generation;
	double since;                    /* T while on; the moment it went off while off */
	double drained_at;               /* DRAINED, BLOCKED: when it drained */
	struct policy_settings settings; /* as applied; the tenant lists not set (use
					 * policy_tenant_disabled, policy_foreach_scope_tenant) */
	size_t draining_tasks;
	size_t draining_jobs;
	size_t cut_tasks; /* cut when drain_timeout passed (this maintenance) */
	size_t cut_jobs;
};

struct policy; /* opaque */

/* Maintenance off, default settings, generation 0. NULL when memory is short. */
struct policy *policy_new(void);
void policy_free(struct policy *policy);
void policy_settings_default(struct policy_settings *settings);

/* Apply settings (start-up and every reload). off -> on sets T = now and marks
 * the draining set; on -> on keeps T (a repeated HUP changes nothing), switches
 * mode at once, and follows a change of categories or of the tenant scope
 * (newly covered entries join the draining set, no longer covered ones leave
 * it); on -> off clears it (R6). Fills *change (event NONE when the state
 * did not change). False, with *error set to a static message and nothing
 * changed, when the settings are invalid (restore covered, bad
 * drain_timeout, a bad tenant name, a tenant both in scope and exempt) or
 * memory is short. Call policy_tick() afterwards: an empty draining set
 * is reported as drained there. */
bool policy_apply(struct policy *policy, const struct policy_settings *settings, struct jobs *jobs,
		  double now, struct policy_change *change, const char **error);

/* The decision for one classified request. Pure: nothing changes. A drain
 * whose drain_timeout has passed is treated as block from that moment on,
 * even before policy_tick() reports the switch. */
struct policy_decision policy_decide(const struct policy *policy, const struct jobs *jobs,
				     const struct tsp_request *req, double now);

/* Apply a request that is being forwarded to the job table (see above).
 * False only when a job or task open could not be recorded (memory short,
 * or the table filled since the decision): answer 503 busy instead of
 * forwarding it. */
bool policy_record(struct jobs *jobs, const struct tsp_request *req, double now, struct policy_record *rec);

/* policy_settle() for the TSP/1 roles, touching at rec->recorded_at.
 * The repository's final status for a recorded request (not a 1xx). Pass 0
 * when no answer will come (the upstream failed, or the pair closed with the
 * request in flight): an open is then undone, like any non-2xx. Undoes failed
 * opens and learning; removes closed entries on 2xx. Finds entries by key, so
 * it is safe whatever happened to the table in between (expiry, other
 * connections). */
void policy_on_response(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
			unsigned status);

/* How a session ended, for the log and the counters (policy_settle). */
enum policy_session_verdict {
	POLICY_SESSION_COMPLETE = 0, /* a snapshot was saved: the backup completed */
	POLICY_SESSION_WRITES,       /* writes but no snapshot: failed, or forget/prune */
	POLICY_SESSION_READ_ONLY,    /* no write: restore, check, mount, ... */
	POLICY_SESSION_REFUSED,      /* no write accepted, some refused for maintenance */
	POLICY_SESSION_VERDICTS
};

struct policy_session_end {
	bool ended; /* the session closed with this answer */
	enum policy_session_verdict verdict;
	struct job_session session; /* a copy, as it was at its end */
	bool draining;              /* it was open at T */
	double opened_at;
	size_t untracked; /* 1 when an accepted lock create found no room */
};

/* The repository's final status for any forwarded request (0 = no answer),
 * at time now: policy_on_response() for the TSP/1 roles, the session rules
 * above for the others. *end (may be NULL) says whether a session ended. */
void policy_settle(struct jobs *jobs, const struct tsp_request *req, const struct policy_record *rec,
		   unsigned status, double now, struct policy_session_end *end);

/* A request was refused for maintenance (decision d): a refused write is
 * remembered in its session (for refuse_session_refresh); a refused lock
 * refresh keeps a session opened after T alive, so that it is not dropped
 * after [restic] session_idle and its next refresh accepted, which would
 * reset restic's own 22.5-minute give-up (a session open at T is not kept:
 * it would hold the barrier for as long as a hung client runs). Other roles:
 * nothing. */
void policy_note_refusal(struct jobs *jobs, const struct tsp_request *req, const struct policy_decision *d,
			 double now);

/* The verdict a session would have if it ended now; its name for logs and
 * metrics ("complete", "writes-without-snapshot", "read-only", "refused"). */
enum policy_session_verdict policy_session_verdict(const struct job_session *session);
const char *policy_session_verdict_name(enum policy_session_verdict verdict);

/* Drained detection and the drain timeout. Returns true, with *change
 * filled, when the state changed: DRAINED once when the draining set becomes
 * empty; DRAIN_TIMEOUT when drain_timeout passes first: what still drains
 * is cut (blocked, it can no longer write; change->cut_* count it) and the
 * state becomes BLOCKED at once, so the barrier reports safe to work.
 * O(1) but for that cut (O(jobs)): call it after
 * policy_apply(), after policy_on_response() and jobs_expire(), and from a
 * periodic timer. */
bool policy_tick(struct policy *policy, struct jobs *jobs, double now, struct policy_change *change);

void policy_status(const struct policy *policy, const struct jobs *jobs, double now,
		   struct policy_status *out);
enum policy_state policy_state(const struct policy *policy);
uint64_t policy_generation(const struct policy *policy);
/* T while maintenance is on (the moment it went off while off). */
double policy_since(const struct policy *policy);
bool policy_tenant_disabled(const struct policy *policy, const char *tenant);
bool policy_covers(const struct policy *policy, enum tsp_category category);

/* Whether maintenance applies to tenant ([maintenance] tenants and exempt):
 * a tenant out of scope or exempt is treated as if maintenance were off for
 * it: never refused for maintenance, never in the draining set, so the
 * barrier does not wait for it. R10 (disabled) applies all the same. */
enum policy_scope {
	POLICY_IN_SCOPE = 0,
	POLICY_OUT_OF_SCOPE, /* [maintenance] tenants lists others */
	POLICY_EXEMPT        /* [maintenance] exempt lists it */
};
enum policy_scope policy_tenant_scope(const struct policy *policy, const char *tenant);

/* The applied [maintenance] tenants (exempt false) or exempt (true) list,
 * sorted: fn once per name. */
typedef void policy_name_fn(void *ctx, const char *name);
void policy_foreach_scope_tenant(const struct policy *policy, bool exempt, policy_name_fn *fn, void *ctx);

/* Draining counts per tenant (status endpoint, R9): fn is called once for each
 * tenant that still has draining tasks or standalone-agent jobs. */
typedef void policy_tenant_drain_fn(void *ctx, const char *tenant, size_t draining_tasks,
				    size_t draining_jobs);
void policy_foreach_draining_tenant(const struct jobs *jobs, policy_tenant_drain_fn *fn, void *ctx);

/* What a state file keeps of the policy beyond its settings (state_file.h).
 * Times on the caller's clock. */
struct policy_saved {
	enum policy_state state;
	double since;      /* T while on; when it went off while off */
	double drained_at; /* DRAINED, BLOCKED: when; 0 = not drained */
	uint64_t generation;
	size_t cut_tasks, cut_jobs;
};

/* Put back a saved state, T and generation as they were, without marking
 * anything: the draining flags come with the restored job table. Only on a
 * policy fresh from policy_new() whose settings were applied with enabled
 * off (the saved settings); the configured ones are applied afterwards as
 * on any start, so that on -> on keeps T and on -> off ends it. */
void policy_restore(struct policy *policy, const struct policy_saved *saved);

/* Names for logs and the status endpoint: "drain", "draining",
 * "forwarded", "job open after maintenance began (R3)", ... */
const char *policy_mode_name(enum policy_mode mode);
const char *policy_state_name(enum policy_state state);
const char *policy_verdict_name(enum policy_verdict verdict);
const char *policy_reason_text(enum policy_reason reason);
const char *policy_event_name(enum policy_event event);

#endif
