/*
 * protocol/tsp.c: classification of a TSP/1 request head (PROTOCOL.md §3-§5,
 * checks in the order of §9). Pure: reads the head, writes *req or *err.
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/tsp.h"

#define CODE_BAD_REQUEST "bad-request"
#define CODE_UNAUTHORIZED "unauthorized"
#define CODE_NOT_FOUND "not-found"
#define CODE_METHOD "method-not-allowed"
#define CODE_TOO_LARGE "block-too-large"

#define PATH_PREFIX "/tsp/1/"
#define MAX_SEGMENTS 7 /* {cat} jobs {job} tasks {task} blocks {n} */

/* The TSP/1 request headers, in the order of PROTOCOL.md §3. */
enum tsp_header { HDR_ORIGIN, HDR_WORKLOAD, HDR_OPERATION, HDR_SOURCE, HDR_DIGEST, HDR_RESULT, HDR_COUNT };

#define BIT(h) (1u << (h))

static const struct {
	const char *name;
	const char *missing;   /* reason when required and absent */
	const char *forbidden; /* reason when present where it does not belong */
} tsp_headers[HDR_COUNT] = {
	[HDR_ORIGIN] = { "tsp-origin", "Tsp-Origin (vbr|agent) is required on a job open",
			 "Tsp-Origin is allowed on a job open only" },
	[HDR_WORKLOAD] = { "tsp-workload", "Tsp-Workload is required on a job open",
			   "Tsp-Workload is allowed on a job open only" },
	[HDR_OPERATION] = { "tsp-operation",
			    "Tsp-Operation (replicate|failover|failback|undo) is required on a replication job open",
			    "Tsp-Operation is allowed on a replication job open only" },
	[HDR_SOURCE] = { "tsp-source", "Tsp-Source is required on a restore job or task open",
			 "Tsp-Source is allowed on a restore job or task open only" },
	[HDR_DIGEST] = { "tsp-digest", "Tsp-Digest: sha256=<hex> is required on a block write",
			 "Tsp-Digest is allowed on a block write only" },
	[HDR_RESULT] = { "tsp-result", "Tsp-Result is required on a task or job close",
			 "Tsp-Result is allowed on a task or job close only" },
};

/* The path as split by parse_path: role, category and the raw segments. */
struct tsp_path {
	enum tsp_category category;
	enum tsp_role role;
	struct http_str job, task, block;
};

/* Values of the Tsp-* headers of one request (len 0 = absent). */
struct tsp_values {
	struct http_str value[HDR_COUNT];
	unsigned present; /* BIT(h) for each header seen */
};

bool tsp_fail(struct tsp_error *err, unsigned status, const char *code, const char *reason)
{
	err->status = status;
	err->code = code;
	err->reason = reason;
	err->allow = NULL;
	return false;
}

static bool bad(struct tsp_error *err, const char *reason)
{
	return tsp_fail(err, 400, CODE_BAD_REQUEST, reason);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison with a lowercase literal. */
static bool str_ieq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (lower(s.ptr[i]) != lit[i])
			return false;
	}
	return true;
}

static bool str_eq(struct http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool str_has_iprefix(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && str_ieq((struct http_str){ s.ptr, n }, lit);
}

/* Step 2 of §9: HTTP-level rules the framer leaves to the profiles. */
bool tsp_check_http(const struct http_head *head, struct tsp_error *err)
{
	unsigned hosts = 0;

	if (head->kind != HTTP_KIND_REQUEST)
		return bad(err, "not a request");
	if (head->version_major != 1 || head->version_minor != 1)
		return bad(err, "HTTP/1.1 is required");
	for (size_t i = 0; i < head->target.len; i++) {
		unsigned char c = (unsigned char)head->target.ptr[i];

		if (c < 0x21 || c > 0x7e)
			return bad(err, "the request target holds a byte outside visible ASCII");
	}
	if (head->body == HTTP_BODY_CHUNKED || head->body == HTTP_BODY_UNTIL_EOF)
		return bad(err, "requests never use Transfer-Encoding: send Content-Length");
	for (unsigned i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];

		if (str_ieq(h->name, "host"))
			hosts++;
		else if (str_ieq(h->name, "transfer-encoding"))
			return bad(err, "requests never use Transfer-Encoding: send Content-Length");
		else if (str_ieq(h->name, "upgrade"))
			return bad(err, "Upgrade is not supported");
		else if (str_ieq(h->name, "expect") && !str_ieq(h->value, "100-continue"))
			return bad(err, "Expect may only be 100-continue");
		else if (str_ieq(h->name, "connection") && !str_ieq(h->value, "keep-alive") &&
			 !str_ieq(h->value, "close"))
			return bad(err, "Connection may only be keep-alive or close");
	}
	if (hosts != 1)
		return bad(err, hosts == 0 ? "Host is required" : "Host appears more than once");
	return true;
}

/* Splits the target after "/tsp/1/" into at most MAX_SEGMENTS non-empty
 * segments; false for anything that is not a TSP path spelling. */
static bool split_target(struct http_str target, struct http_str seg[MAX_SEGMENTS], size_t *count)
{
	const char *p, *end = target.ptr + target.len;
	size_t n = 0;

	if (target.len < sizeof PATH_PREFIX - 1 ||
	    memcmp(target.ptr, PATH_PREFIX, sizeof PATH_PREFIX - 1) != 0)
		return false;
	/* One spelling per resource: no query, fragment or percent-encoding. */
	if (memchr(target.ptr, '?', target.len) || memchr(target.ptr, '#', target.len) ||
	    memchr(target.ptr, '%', target.len))
		return false;
	p = target.ptr + sizeof PATH_PREFIX - 1;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = slash != NULL ? slash : end;

		if (stop == p || n == MAX_SEGMENTS)
			return false; /* empty segment (//, trailing /) or too deep */
		seg[n++] = (struct http_str){ p, (size_t)(stop - p) };
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	*count = n;
	return true;
}

/* Step 3 of §9: the path's shape, category and role; false = 404. */
static bool parse_path(struct http_str target, struct tsp_path *path)
{
	struct http_str seg[MAX_SEGMENTS];
	size_t n;

	memset(path, 0, sizeof *path);
	if (!split_target(target, seg, &n))
		return false;
	if (n == 1 && str_eq(seg[0], "session")) {
		path->category = TSP_CAT_CONTROL;
		path->role = TSP_ROLE_SESSION_HELLO;
		return true;
	}
	if (n < 3 || !tsp_category_parse(seg[0].ptr, seg[0].len, &path->category) || !str_eq(seg[1], "jobs"))
		return false;
	path->job = seg[2];
	if (n == 3) {
		path->role = TSP_ROLE_JOB_OPEN;
	} else if (n == 4 && str_eq(seg[3], "close")) {
		path->role = TSP_ROLE_JOB_CLOSE;
	} else if (n >= 5 && str_eq(seg[3], "tasks")) {
		path->task = seg[4];
		if (n == 5)
			path->role = TSP_ROLE_TASK_OPEN;
		else if (n == 6 && str_eq(seg[5], "close"))
			path->role = TSP_ROLE_TASK_CLOSE;
		else if (n == 7 && str_eq(seg[5], "blocks"))
			path->role = path->category == TSP_CAT_RESTORE ? TSP_ROLE_BLOCK_READ
								       : TSP_ROLE_BLOCK_WRITE;
		else
			return false;
	} else {
		return false;
	}
	if (path->role == TSP_ROLE_BLOCK_READ || path->role == TSP_ROLE_BLOCK_WRITE)
		path->block = seg[6];
	return true;
}

/* Step 4 of §9: each path takes exactly one method. */
static const struct {
	enum http_method method;
	const char *name;   /* for Allow: */
	const char *reason; /* the 405's message */
} role_method[TSP_ROLE_COUNT] = {
	[TSP_ROLE_SESSION_HELLO] = { HTTP_METHOD_GET, "GET", "the session hello takes GET only" },
	[TSP_ROLE_JOB_OPEN] = { HTTP_METHOD_POST, "POST", "a job open takes POST only" },
	[TSP_ROLE_TASK_OPEN] = { HTTP_METHOD_POST, "POST", "a task open takes POST only" },
	[TSP_ROLE_BLOCK_WRITE] = { HTTP_METHOD_PUT, "PUT",
				   "blocks of a writing category take PUT only (reads are restores)" },
	[TSP_ROLE_BLOCK_READ] = { HTTP_METHOD_GET, "GET", "restore blocks are read-only: GET" },
	[TSP_ROLE_TASK_CLOSE] = { HTTP_METHOD_POST, "POST", "a task close takes POST only" },
	[TSP_ROLE_JOB_CLOSE] = { HTTP_METHOD_POST, "POST", "a job close takes POST only" },
};

static bool check_method(const struct http_head *head, const struct tsp_path *path, struct tsp_error *err)
{
	if (head->method == role_method[path->role].method)
		return true;
	tsp_fail(err, 405, CODE_METHOD, role_method[path->role].reason);
	err->allow = role_method[path->role].name;
	return false;
}

/* Step 5 of §9: exactly one well-formed Basic credential. */
bool tsp_check_auth(const struct http_head *head, struct tsp_request *req, struct tsp_error *err)
{
	const char *missing = "missing or malformed Basic credentials";
	const struct http_header *found = NULL;
	char secret[TSP_SECRET_MAX + 1];
	bool ok;

	for (unsigned i = 0; i < head->header_count; i++) {
		if (!str_ieq(head->headers[i].name, "authorization"))
			continue;
		if (found != NULL)
			return tsp_fail(err, 401, CODE_UNAUTHORIZED, "Authorization appears more than once");
		found = &head->headers[i];
	}
	if (found == NULL)
		return tsp_fail(err, 401, CODE_UNAUTHORIZED, missing);
	ok = tsp_parse_basic_auth(found->value, req->tenant, secret);
	/* The proxy never keeps a secret: it only needed the form checked. */
	explicit_bzero(secret, sizeof secret);
	return ok ? true : tsp_fail(err, 401, CODE_UNAUTHORIZED, missing);
}

static void copy_str(char *dst, struct http_str src)
{
	memcpy(dst, src.ptr, src.len);
	dst[src.len] = '\0';
}

/* Step 6 of §9: ids and the block number in the path. */
static bool check_path_values(const struct tsp_path *path, struct tsp_request *req, struct tsp_error *err)
{
	req->category = path->category;
	req->role = path->role;
	if (path->role == TSP_ROLE_SESSION_HELLO)
		return true;
	if (!tsp_id_valid(path->job.ptr, path->job.len))
		return bad(err, "bad job id: 1-64 of [A-Za-z0-9._-], not . or ..");
	copy_str(req->job, path->job);
	if (path->task.len == 0)
		return true;
	if (!tsp_id_valid(path->task.ptr, path->task.len))
		return bad(err, "bad task id: 1-64 of [A-Za-z0-9._-], not . or ..");
	copy_str(req->task, path->task);
	if (path->block.len > 0 && !tsp_block_parse(path->block.ptr, path->block.len, &req->block))
		return bad(err, "bad block number: decimal 0..4294967295 without sign or leading zero");
	return true;
}

/* Collects the Tsp-* headers; unknown or repeated ones are errors. */
static bool collect_tsp_headers(const struct http_head *head, struct tsp_values *values,
				struct tsp_error *err)
{
	memset(values, 0, sizeof *values);
	for (unsigned i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];
		unsigned k;

		if (!str_has_iprefix(h->name, "tsp-"))
			continue;
		for (k = 0; k < HDR_COUNT && !str_ieq(h->name, tsp_headers[k].name); k++)
			;
		if (k == HDR_COUNT)
			return bad(err, "unknown Tsp- request header (TSP/1 has Origin, Workload, "
					"Operation, Source, Digest, Result)");
		if (values->present & BIT(k))
			return bad(err, "a Tsp- header appears more than once");
		values->present |= BIT(k);
		values->value[k] = h->value;
	}
	return true;
}

/* The Tsp-* headers a role (in a category) takes; each of them is required. */
static unsigned expected_headers(enum tsp_role role, enum tsp_category category)
{
	switch (role) {
	case TSP_ROLE_JOB_OPEN:
		return BIT(HDR_ORIGIN) | BIT(HDR_WORKLOAD) |
		       (category == TSP_CAT_REPLICATION ? BIT(HDR_OPERATION) : 0) |
		       (category == TSP_CAT_RESTORE ? BIT(HDR_SOURCE) : 0);
	case TSP_ROLE_TASK_OPEN:
		return category == TSP_CAT_RESTORE ? BIT(HDR_SOURCE) : 0;
	case TSP_ROLE_BLOCK_WRITE:
		return BIT(HDR_DIGEST);
	case TSP_ROLE_TASK_CLOSE:
	case TSP_ROLE_JOB_CLOSE:
		return BIT(HDR_RESULT);
	default:
		return 0;
	}
}

static bool check_header_set(unsigned present, unsigned expected, struct tsp_error *err)
{
	for (unsigned k = 0; k < HDR_COUNT; k++) {
		if ((present & BIT(k)) && !(expected & BIT(k)))
			return bad(err, tsp_headers[k].forbidden);
		if (!(present & BIT(k)) && (expected & BIT(k)))
			return bad(err, tsp_headers[k].missing);
	}
	return true;
}

/* Origin and workload: the combinations of PROTOCOL.md §4.2. */
static bool check_job_kind(struct http_str origin, struct http_str workload, struct tsp_request *req,
			   struct tsp_error *err)
{
	bool agent_workload;

	if (!tsp_origin_parse(origin.ptr, origin.len, &req->origin))
		return bad(err, "Tsp-Origin must be vbr or agent");
	if (!tsp_workload_parse(workload.ptr, workload.len, &req->workload))
		return bad(err, "Tsp-Workload must be vsphere, hyperv, vcd, windows, linux or mac");
	agent_workload = req->workload == TSP_WORKLOAD_WINDOWS || req->workload == TSP_WORKLOAD_LINUX ||
			 req->workload == TSP_WORKLOAD_MAC;
	if (req->origin == TSP_ORIGIN_AGENT && req->category == TSP_CAT_BACKUP_COPY)
		return bad(err, "backup-copy jobs are server-managed: Tsp-Origin must be vbr");
	if (req->origin == TSP_ORIGIN_AGENT && req->category == TSP_CAT_REPLICATION)
		return bad(err, "replication jobs are server-managed: Tsp-Origin must be vbr");
	if (req->origin == TSP_ORIGIN_AGENT && !agent_workload)
		return bad(err, "Tsp-Origin: agent takes Tsp-Workload windows, linux or mac");
	if (req->category == TSP_CAT_REPLICATION && agent_workload)
		return bad(err, "replication workloads are vsphere, hyperv and vcd");
	return true;
}

/* Restore job open: "[backup/|backup-copy/]{job}"; restore task open: "{task}". */
static bool parse_source(struct http_str value, struct tsp_request *req, struct tsp_error *err)
{
	const char *slash = value.len > 0 ? memchr(value.ptr, '/', value.len) : NULL;

	if (req->role == TSP_ROLE_JOB_OPEN) {
		req->source_category = TSP_CAT_BACKUP;
		if (slash != NULL) {
			size_t n = (size_t)(slash - value.ptr);

			if (!tsp_category_parse(value.ptr, n, &req->source_category) ||
			    !tsp_category_is_backup(req->source_category))
				return bad(err,
					   "Tsp-Source on a restore job is [backup/|backup-copy/]<job id>");
			value.ptr += n + 1;
			value.len -= n + 1;
		}
	}
	if (!tsp_id_valid(value.ptr, value.len))
		return bad(err, req->role == TSP_ROLE_JOB_OPEN
					? "Tsp-Source on a restore job is [backup/|backup-copy/]<job id>"
					: "Tsp-Source on a restore task is the source task id");
	copy_str(req->source, value);
	return true;
}

static bool parse_digest(struct http_str value, struct tsp_request *req, struct tsp_error *err)
{
	const char *reason = "Tsp-Digest must be sha256= and 64 lowercase hex digits";
	const size_t prefix = sizeof "sha256=" - 1;

	if (value.len != prefix + TSP_DIGEST_HEX || memcmp(value.ptr, "sha256=", prefix) != 0)
		return bad(err, reason);
	for (size_t i = prefix; i < value.len; i++) {
		char c = value.ptr[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return bad(err, reason);
	}
	memcpy(req->digest, value.ptr + prefix, TSP_DIGEST_HEX);
	req->digest[TSP_DIGEST_HEX] = '\0';
	return true;
}

static bool parse_result(struct http_str value, struct tsp_request *req, struct tsp_error *err)
{
	if (req->role == TSP_ROLE_TASK_CLOSE) {
		if (!tsp_result_parse(value.ptr, value.len, &req->result) ||
		    req->result == TSP_RESULT_WARNING)
			return bad(err, "Tsp-Result on a task close must be success or failed");
	} else if (!tsp_result_parse(value.ptr, value.len, &req->result)) {
		return bad(err, "Tsp-Result on a job close must be success, warning or failed");
	}
	return true;
}

/* Step 7 of §9: the Tsp-* headers of the role, present and well-formed. */
static bool check_tsp_headers(const struct http_head *head, struct tsp_request *req, struct tsp_error *err)
{
	struct tsp_values v;
	const struct http_str *val = v.value;

	if (!collect_tsp_headers(head, &v, err) ||
	    !check_header_set(v.present, expected_headers(req->role, req->category), err))
		return false;
	if ((v.present & BIT(HDR_ORIGIN)) && !check_job_kind(val[HDR_ORIGIN], val[HDR_WORKLOAD], req, err))
		return false;
	if ((v.present & BIT(HDR_OPERATION)) &&
	    !tsp_operation_parse(val[HDR_OPERATION].ptr, val[HDR_OPERATION].len, &req->operation))
		return bad(err, "Tsp-Operation must be replicate, failover, failback or undo");
	if ((v.present & BIT(HDR_SOURCE)) && !parse_source(val[HDR_SOURCE], req, err))
		return false;
	if ((v.present & BIT(HDR_DIGEST)) && !parse_digest(val[HDR_DIGEST], req, err))
		return false;
	if ((v.present & BIT(HDR_RESULT)) && !parse_result(val[HDR_RESULT], req, err))
		return false;
	return true;
}

/* Step 8 of §9: only a block write has a body, 1..TSP_BLOCK_MAX bytes. */
static bool check_body(const struct http_head *head, struct tsp_request *req, struct tsp_error *err)
{
	bool has_length = head->body == HTTP_BODY_LENGTH;

	if (req->role != TSP_ROLE_BLOCK_WRITE) {
		if (has_length && head->content_length > 0)
			return bad(err, "only a block write has a body");
		return true;
	}
	if (!has_length || head->content_length == 0)
		return bad(err, "a block write needs Content-Length of 1 byte or more");
	if (head->content_length > TSP_BLOCK_MAX)
		return tsp_fail(err, 413, CODE_TOO_LARGE, "a block is at most 64 MiB (67108864 bytes)");
	req->body_bytes = (uint32_t)head->content_length;
	return true;
}

bool tsp_classify(const struct http_head *head, struct tsp_request *req, struct tsp_error *err)
{
	struct tsp_path path;

	memset(req, 0, sizeof *req);
	if (!tsp_check_http(head, err))
		return false;
	if (!parse_path(head->target, &path))
		return tsp_fail(err, 404, CODE_NOT_FOUND, "not a TSP/1 path");
	return check_method(head, &path, err) && tsp_check_auth(head, req, err) &&
	       check_path_values(&path, req, err) && check_tsp_headers(head, req, err) &&
	       check_body(head, req, err);
}
