/*
 * protocol/tsp.h: classification of a TSP/1 request head into a value.
 * Pure: no I/O, no globals, no allocation. See protocol/PROTOCOL.md.
 */
#ifndef SLUICE_TSP_H
#define SLUICE_TSP_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/http.h"

#define TSP_ID_MAX 64                       /* ids: 1..64 of [A-Za-z0-9._-], never "." or ".." */
#define TSP_TENANT_MAX 64                   /* tenant names follow the id grammar */
#define TSP_SECRET_MAX 128                  /* 1..128 bytes, no control characters */
#define TSP_DIGEST_HEX 64                   /* Tsp-Digest: sha256=<64 lowercase hex> */
#define TSP_BLOCK_MAX (64u * 1024u * 1024u) /* largest block body, bytes */
#define TSP_BLOCK_DEFAULT (1024u * 1024u)   /* a tenant's default block size */
#define TSP_REPOSITORY_MAX 255              /* restic: the repository path, "/" and segments */
#define TSP_CLIENT_MAX 63                   /* restic: the client's address (the proxy fills it) */

enum tsp_category {
	TSP_CAT_CONTROL = 0, /* the session hello: no category */
	TSP_CAT_BACKUP,
	TSP_CAT_BACKUP_COPY,
	TSP_CAT_REPLICATION,
	TSP_CAT_RESTORE,
	TSP_CAT_COUNT
};

/* What a classified request does, for every profile (protocol/profile.h):
 * TSP/1 paths give the first seven, the restic profile (protocol/restic.h)
 * the last four. The maintenance policy reads only this and the category. */
enum tsp_role {
	TSP_ROLE_SESSION_HELLO = 0, /* GET  /tsp/1/session */
	TSP_ROLE_JOB_OPEN,          /* POST /tsp/1/{cat}/jobs/{job} */
	TSP_ROLE_TASK_OPEN,         /* POST .../jobs/{job}/tasks/{task} */
	TSP_ROLE_BLOCK_WRITE,       /* PUT  .../tasks/{task}/blocks/{n} */
	TSP_ROLE_BLOCK_READ,        /* GET  .../tasks/{task}/blocks/{n} */
	TSP_ROLE_TASK_CLOSE,        /* POST .../tasks/{task}/close */
	TSP_ROLE_JOB_CLOSE,         /* POST .../jobs/{job}/close */
	TSP_ROLE_READ,              /* restic: HEAD/GET of a file or a list (category restore) */
	TSP_ROLE_WRITE,             /* restic: POST/DELETE outside locks/, repository creation:
				     * a write of the session named by job */
	TSP_ROLE_LOCK_CREATE,       /* restic: POST locks/{task}: opens or keeps the session */
	TSP_ROLE_LOCK_DELETE,       /* restic: DELETE locks/{task}: the session ends with its
				     * last lock */
	TSP_ROLE_COUNT
};

enum tsp_origin { TSP_ORIGIN_NONE = 0, TSP_ORIGIN_VBR, TSP_ORIGIN_AGENT };

enum tsp_workload {
	TSP_WORKLOAD_NONE = 0,
	TSP_WORKLOAD_VSPHERE,
	TSP_WORKLOAD_HYPERV,
	TSP_WORKLOAD_VCD,
	TSP_WORKLOAD_WINDOWS,
	TSP_WORKLOAD_LINUX,
	TSP_WORKLOAD_MAC
};

enum tsp_operation { TSP_OP_NONE = 0, TSP_OP_REPLICATE, TSP_OP_FAILOVER, TSP_OP_FAILBACK, TSP_OP_UNDO };

enum tsp_result { TSP_RESULT_NONE = 0, TSP_RESULT_SUCCESS, TSP_RESULT_WARNING, TSP_RESULT_FAILED };

/* A classified request. Strings are NUL-terminated copies (bounded). */
struct tsp_request {
	enum tsp_category category;
	enum tsp_role role;
	char tenant[TSP_TENANT_MAX + 1];
	char job[TSP_ID_MAX + 1];          /* empty for the hello */
	char task[TSP_ID_MAX + 1];         /* empty unless the role names a task */
	uint32_t block;                    /* block roles only */
	enum tsp_origin origin;            /* job open: Tsp-Origin */
	enum tsp_workload workload;        /* job open: Tsp-Workload */
	enum tsp_operation operation;      /* replication job open: Tsp-Operation */
	char source[TSP_ID_MAX + 1];       /* restore job/task open: the id in Tsp-Source */
	enum tsp_category source_category; /* restore job open: backup or backup-copy
					    * (from an optional prefix); else CONTROL */
	enum tsp_result result;            /* closes: Tsp-Result */
	char digest[TSP_DIGEST_HEX + 1];   /* block write: hex of Tsp-Digest: sha256=<hex> */
	uint32_t body_bytes;               /* block write: Content-Length (1..TSP_BLOCK_MAX); restic
				      * write: Content-Length (0..UINT32_MAX); else 0 */
	/* Sessions (restic profile; empty or false under TSP/1). job is the
	 * session key the proxy derives from repository and client, task a
	 * lock id, source_category the session's category (backup or
	 * backup-copy) whatever category the request itself has. */
	char repository[TSP_REPOSITORY_MAX + 1]; /* "/acme/main", "/" at the root */
	char client[TSP_CLIENT_MAX + 1];         /* the client's address, no port */
	bool opens_repository;                   /* HEAD/GET config: how every restic command begins */
	bool saves_snapshot;                     /* POST snapshots/{id}: the backup's last write */
};

/* A request the proxy answers itself instead of forwarding. */
struct tsp_error {
	unsigned status;    /* 400, 401, 404, 405, 413 */
	const char *code;   /* "bad-request", "unauthorized", "not-found", "method-not-allowed",
			     * "block-too-large" */
	const char *reason; /* static text for the message field and the log */
	const char *allow;  /* 405: the one method the path takes (for Allow:); else NULL */
};

/* Classify a request head (PROTOCOL.md §9 gives the order of the checks).
 * Returns true and fills *req, or false and fills *err. Never touches the
 * head's storage; *req holds copies. */
bool tsp_classify(const struct http_head *head, struct tsp_request *req, struct tsp_error *err);

/* Steps shared with the other profiles: the HTTP rules the framer leaves to
 * the classifier (HTTP/1.1, one Host, no Transfer-Encoding or Upgrade, Expect
 * and Connection values, a visible-ASCII target; 400), and exactly one
 * well-formed Basic credential, whose name goes to req->tenant (401). */
bool tsp_check_http(const struct http_head *head, struct tsp_error *err);
/* Fills *err (no Allow) and returns false: `return tsp_fail(err, 404, ...)`. */
bool tsp_fail(struct tsp_error *err, unsigned status, const char *code, const char *reason);
bool tsp_check_auth(const struct http_head *head, struct tsp_request *req, struct tsp_error *err);

/* The category is a backup category of the rules R1-R11 (backup, backup-copy). */
bool tsp_category_is_backup(enum tsp_category category);

/* Decode "Basic base64(name:secret)" into bounded buffers; false when malformed. */
bool tsp_parse_basic_auth(struct http_str authorization, char tenant[TSP_TENANT_MAX + 1],
			  char secret[TSP_SECRET_MAX + 1]);

/* The id grammar: 1..TSP_ID_MAX of [A-Za-z0-9._-], neither "." nor "..". */
bool tsp_id_valid(const char *id, size_t len);

/* A block number: canonical decimal 0..4294967295 (no sign, no leading zero). */
bool tsp_block_parse(const char *text, size_t len, uint32_t *out);

/* Names as they appear on the wire and in logs ("backup-copy", "job-open", ...).
 * The *_parse functions return false for an unknown name; names are
 * case-sensitive. tsp_category_parse knows the four path names only (the
 * hello's "control" is no category on the wire). */
const char *tsp_category_name(enum tsp_category category);
const char *tsp_role_name(enum tsp_role role);
const char *tsp_origin_name(enum tsp_origin origin);
const char *tsp_workload_name(enum tsp_workload workload);
const char *tsp_operation_name(enum tsp_operation operation);
const char *tsp_result_name(enum tsp_result result);
bool tsp_category_parse(const char *name, size_t len, enum tsp_category *out);
bool tsp_origin_parse(const char *name, size_t len, enum tsp_origin *out);
bool tsp_workload_parse(const char *name, size_t len, enum tsp_workload *out);
bool tsp_operation_parse(const char *name, size_t len, enum tsp_operation *out);
bool tsp_result_parse(const char *name, size_t len, enum tsp_result *out);

/* The error body every proxy-made response carries:
 * {"error":"<code>","message":"<text>"} with both strings JSON-escaped
 * (", \ and control characters; other bytes are copied).
 * Like snprintf: writes at most size bytes (NUL included) and returns the
 * length the whole body needs, without the NUL; the body was cut when the
 * result is >= size. A cut never ends inside an escape sequence. */
size_t tsp_error_body(char *buf, size_t size, const char *code, const char *message);

#endif
