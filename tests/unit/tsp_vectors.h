/*
 * tests/unit/tsp_vectors.h: TSP/1 request vectors and the classification
 * PROTOCOL.md requires for each. Shared by the unit test (one case per row)
 * and by the tool that writes the fuzz seed corpus.
 *
 * A row is a request line, its headers ("Name: value\n" each) and how the
 * framer would delimit its body: TV_NO_BODY, TV_CHUNKED or a Content-Length.
 */
#ifndef SLUICE_TSP_VECTORS_H
#define SLUICE_TSP_VECTORS_H

#include "tsp.h"

#define TV_NO_BODY (-1LL)
#define TV_CHUNKED (-2LL)

struct tsp_vector {
	const char *name;
	const char *line;
	const char *headers;
	long long length;
	unsigned status;        /* 0: classified as category/role */
	const char *code;
	const char *allow;      /* 405 only */
	const char *reason_has; /* when set: a word the reason must contain (which rule fired) */
	enum tsp_category category;
	enum tsp_role role;
};

#define TV_HOST "Host: cloud.example.net\n"
#define TV_AUTH "Authorization: Basic YWNtZTpzM2NyZXQ=\n" /* acme:s3cret */
#define TV_BASE TV_HOST TV_AUTH
#define TV_DIGEST_HEX "1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f6"
#define TV_DIGEST "Tsp-Digest: sha256=" TV_DIGEST_HEX "\n"
#define TV_JOB "/tsp/1/backup/jobs/nightly-0142"
#define TV_TASK TV_JOB "/tasks/vm-web01"
#define TV_VM "Tsp-Origin: vbr\nTsp-Workload: vsphere\n"
#define TV_ID64 "a123456789b123456789c123456789d123456789e123456789f123456789ABCD"

#define OK(n, l, h, len, cat, role) { n, l, h, len, 0, NULL, NULL, NULL, cat, role }
#define ERR(n, l, h, len, st, code, why) { n, l, h, len, st, code, NULL, why, TSP_CAT_CONTROL, 0 }
#define E400(n, l, h, len, why) ERR(n, l, h, len, 400, "bad-request", why)
#define E401(n, l, h, why) ERR(n, l, h, TV_NO_BODY, 401, "unauthorized", why)
#define E404(n, l) ERR(n, l, TV_BASE, TV_NO_BODY, 404, "not-found", NULL)
#define E405(n, l, h, len, allow) { n, l, h, len, 405, "method-not-allowed", allow, NULL, TSP_CAT_CONTROL, 0 }

static const struct tsp_vector tsp_vectors[] = {
	/* ---- every role of every category ---- */
	OK("hello", "GET /tsp/1/session HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO),
	OK("backup job open vbr vsphere", "POST " TV_JOB " HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open vbr hyperv", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: hyperv\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open vbr vcd", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: vcd\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open vbr-managed agent windows", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: windows\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open standalone agent windows", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: windows\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open standalone agent linux", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: linux\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup job open standalone agent mac", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: mac\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("backup task open", "POST " TV_TASK " HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN),
	OK("backup block write", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, 17, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE),
	OK("backup task close success", "POST " TV_TASK "/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE),
	OK("backup task close failed", "POST " TV_TASK "/close HTTP/1.1", TV_BASE "Tsp-Result: failed\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_TASK_CLOSE),
	OK("backup job close warning", "POST " TV_JOB "/close HTTP/1.1", TV_BASE "Tsp-Result: warning\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE),
	OK("backup-copy job open vbr vsphere", "POST /tsp/1/backup-copy/jobs/c1 HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_OPEN),
	OK("backup-copy job open of agent backups", "POST /tsp/1/backup-copy/jobs/c1 HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: linux\n", TV_NO_BODY, TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_OPEN),
	OK("backup-copy task open", "POST /tsp/1/backup-copy/jobs/c1/tasks/t1 HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN),
	OK("backup-copy block write", "PUT /tsp/1/backup-copy/jobs/c1/tasks/t1/blocks/7 HTTP/1.1", TV_BASE TV_DIGEST, 1048576, TSP_CAT_BACKUP_COPY, TSP_ROLE_BLOCK_WRITE),
	OK("backup-copy task close", "POST /tsp/1/backup-copy/jobs/c1/tasks/t1/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_CLOSE),
	OK("backup-copy job close", "POST /tsp/1/backup-copy/jobs/c1/close HTTP/1.1", TV_BASE "Tsp-Result: failed\n", TV_NO_BODY, TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_CLOSE),
	OK("replication job open replicate vsphere", "POST /tsp/1/replication/jobs/r1 HTTP/1.1", TV_BASE TV_VM "Tsp-Operation: replicate\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN),
	OK("replication job open failover hyperv", "POST /tsp/1/replication/jobs/r1 HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: hyperv\nTsp-Operation: failover\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN),
	OK("replication job open failback vcd", "POST /tsp/1/replication/jobs/r1 HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: vcd\nTsp-Operation: failback\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN),
	OK("replication job open undo", "POST /tsp/1/replication/jobs/r1 HTTP/1.1", TV_BASE TV_VM "Tsp-Operation: undo\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN),
	OK("replication task open", "POST /tsp/1/replication/jobs/r1/tasks/vm-app02 HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_TASK_OPEN),
	OK("replication block write", "PUT /tsp/1/replication/jobs/r1/tasks/vm-app02/blocks/12 HTTP/1.1", TV_BASE TV_DIGEST, 4096, TSP_CAT_REPLICATION, TSP_ROLE_BLOCK_WRITE),
	OK("replication task close", "POST /tsp/1/replication/jobs/r1/tasks/vm-app02/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_TASK_CLOSE),
	OK("replication job close", "POST /tsp/1/replication/jobs/r1/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_REPLICATION, TSP_ROLE_JOB_CLOSE),
	OK("restore job open", "POST /tsp/1/restore/jobs/restore-0007 HTTP/1.1", TV_BASE TV_VM "Tsp-Source: nightly-0142\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN),
	OK("restore job open from backup/", "POST /tsp/1/restore/jobs/r7 HTTP/1.1", TV_BASE TV_VM "Tsp-Source: backup/nightly-0142\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN),
	OK("restore job open from backup-copy/", "POST /tsp/1/restore/jobs/r7 HTTP/1.1", TV_BASE TV_VM "Tsp-Source: backup-copy/c1\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN),
	OK("restore job open agent linux", "POST /tsp/1/restore/jobs/r7 HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: linux\nTsp-Source: a1\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN),
	OK("restore task open", "POST /tsp/1/restore/jobs/r7/tasks/vm-web01 HTTP/1.1", TV_BASE "Tsp-Source: vm-web01\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_TASK_OPEN),
	OK("restore block read", "GET /tsp/1/restore/jobs/r7/tasks/vm-web01/blocks/0 HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ),
	OK("restore task close", "POST /tsp/1/restore/jobs/r7/tasks/vm-web01/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_TASK_CLOSE),
	OK("restore job close", "POST /tsp/1/restore/jobs/r7/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", TV_NO_BODY, TSP_CAT_RESTORE, TSP_ROLE_JOB_CLOSE),

	/* ---- accepted edges ---- */
	OK("job id of 64 characters", "POST /tsp/1/backup/jobs/" TV_ID64 " HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("ids use every allowed character class", "POST /tsp/1/backup/jobs/Az09._-/tasks/...x HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN),
	OK("a job named close is a job open", "POST /tsp/1/backup/jobs/close HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN),
	OK("a task named tasks is a task open", "POST " TV_JOB "/tasks/tasks HTTP/1.1", TV_BASE, TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN),
	OK("block 4294967295", "PUT " TV_TASK "/blocks/4294967295 HTTP/1.1", TV_BASE TV_DIGEST, 1, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE),
	OK("block of exactly 64 MiB", "PUT " TV_TASK "/blocks/1 HTTP/1.1", TV_BASE TV_DIGEST, 67108864, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE),
	OK("Expect: 100-continue on a block write", "PUT " TV_TASK "/blocks/1 HTTP/1.1", TV_BASE TV_DIGEST "Expect: 100-Continue\n", 5, TSP_CAT_BACKUP, TSP_ROLE_BLOCK_WRITE),
	OK("Connection: close and other headers pass", "GET /tsp/1/session HTTP/1.1", TV_BASE "Connection: close\nUser-Agent: t/1\nAccept: */*\n", TV_NO_BODY, TSP_CAT_CONTROL, TSP_ROLE_SESSION_HELLO),
	OK("Content-Length: 0 on a job close", "POST " TV_JOB "/close HTTP/1.1", TV_BASE "Tsp-Result: success\n", 0, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE),
	OK("header names in any case", "POST " TV_JOB "/close HTTP/1.1", "hOST: h\nAUTHORIZATION: basic YWNtZTpzM2NyZXQ=\ntSP-rESULT: success\n", TV_NO_BODY, TSP_CAT_BACKUP, TSP_ROLE_JOB_CLOSE),

	/* ---- 404: not a TSP path ---- */
	E404("other version", "GET /tsp/2/session HTTP/1.1"),
	E404("root", "GET / HTTP/1.1"),
	E404("prefix case", "GET /TSP/1/session HTTP/1.1"),
	E404("prefix only", "GET /tsp/1/ HTTP/1.1"),
	E404("hello with trailing slash", "GET /tsp/1/session/ HTTP/1.1"),
	E404("hello with a query", "GET /tsp/1/session?x=1 HTTP/1.1"),
	E404("fragment", "GET /tsp/1/session#x HTTP/1.1"),
	E404("percent-encoding", "POST /tsp/1/backup/jobs/%6Aob HTTP/1.1"),
	E404("empty segment", "POST /tsp/1/backup//jobs/j HTTP/1.1"),
	E404("trailing slash after a job", "POST /tsp/1/backup/jobs/j/ HTTP/1.1"),
	E404("unknown category", "POST /tsp/1/archive/jobs/j HTTP/1.1"),
	E404("category case", "POST /tsp/1/Backup/jobs/j HTTP/1.1"),
	E404("control is no category", "POST /tsp/1/control/jobs/j HTTP/1.1"),
	E404("job instead of jobs", "POST /tsp/1/backup/job/j HTTP/1.1"),
	E404("jobs without an id", "POST /tsp/1/backup/jobs HTTP/1.1"),
	E404("tasks without an id", "POST /tsp/1/backup/jobs/j/tasks HTTP/1.1"),
	E404("blocks without a number", "PUT /tsp/1/backup/jobs/j/tasks/t/blocks HTTP/1.1"),
	E404("unknown job verb", "POST /tsp/1/backup/jobs/j/open HTTP/1.1"),
	E404("unknown task verb", "POST /tsp/1/backup/jobs/j/tasks/t/closes HTTP/1.1"),
	E404("too deep", "PUT /tsp/1/backup/jobs/j/tasks/t/blocks/1/x HTTP/1.1"),
	E404("absolute form", "GET http://h/tsp/1/session HTTP/1.1"),
	E404("asterisk form", "OPTIONS * HTTP/1.1"),

	/* ---- 405: wrong method for the path ---- */
	E405("write under restore", "PUT /tsp/1/restore/jobs/r/tasks/t/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, 5, "GET"),
	E405("read under backup", "GET " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE, TV_NO_BODY, "PUT"),
	E405("read under backup-copy", "GET /tsp/1/backup-copy/jobs/c/tasks/t/blocks/0 HTTP/1.1", TV_BASE, TV_NO_BODY, "PUT"),
	E405("read under replication", "GET /tsp/1/replication/jobs/r/tasks/t/blocks/0 HTTP/1.1", TV_BASE, TV_NO_BODY, "PUT"),
	E405("POST to the hello", "POST /tsp/1/session HTTP/1.1", TV_BASE, TV_NO_BODY, "GET"),
	E405("GET a job", "GET " TV_JOB " HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),
	E405("PUT a task", "PUT " TV_TASK " HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),
	E405("POST a block", "POST " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, 5, "PUT"),
	E405("GET a task close", "GET " TV_TASK "/close HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),
	E405("HEAD", "HEAD /tsp/1/session HTTP/1.1", TV_BASE, TV_NO_BODY, "GET"),
	E405("DELETE a job", "DELETE " TV_JOB " HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),
	E405("OPTIONS", "OPTIONS " TV_JOB " HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),
	E405("PATCH", "PATCH " TV_JOB " HTTP/1.1", TV_BASE, TV_NO_BODY, "POST"),

	/* ---- 401: credentials ---- */
	E401("no Authorization", "GET /tsp/1/session HTTP/1.1", TV_HOST, "missing"),
	E401("Bearer scheme", "GET /tsp/1/session HTTP/1.1", TV_HOST "Authorization: Bearer abc\n", NULL),
	E401("bad base64", "GET /tsp/1/session HTTP/1.1", TV_HOST "Authorization: Basic YWNt*TpzM2NyZXQ=\n", NULL),
	E401("no colon", "GET /tsp/1/session HTTP/1.1", TV_HOST "Authorization: Basic YWNtZS1zM2NyZXQ=\n", NULL),
	E401("empty secret", "GET /tsp/1/session HTTP/1.1", TV_HOST "Authorization: Basic YWNtZTo=\n", NULL),
	E401("bad tenant name", "GET /tsp/1/session HTTP/1.1", TV_HOST "Authorization: Basic YSBiOmM=\n", NULL),
	E401("two Authorization headers", "GET /tsp/1/session HTTP/1.1", TV_BASE TV_AUTH, "more than once"),

	/* ---- 400: HTTP rules TSP adds ---- */
	E400("HTTP/1.0", "GET /tsp/1/session HTTP/1.0", TV_BASE, TV_NO_BODY, "HTTP/1.1"),
	E400("no Host", "GET /tsp/1/session HTTP/1.1", TV_AUTH, TV_NO_BODY, "Host"),
	E400("two Hosts", "GET /tsp/1/session HTTP/1.1", TV_BASE TV_HOST, TV_NO_BODY, "Host"),
	E400("chunked block write", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST "Transfer-Encoding: chunked\n", TV_CHUNKED, "Transfer-Encoding"),
	E400("Transfer-Encoding header alone", "POST " TV_JOB "/close HTTP/1.1", TV_BASE "Tsp-Result: success\nTransfer-Encoding: identity\n", TV_NO_BODY, "Transfer-Encoding"),
	E400("Upgrade", "GET /tsp/1/session HTTP/1.1", TV_BASE "Upgrade: websocket\n", TV_NO_BODY, "Upgrade"),
	E400("Expect other than 100-continue", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST "Expect: 200-ok\n", 5, "Expect"),
	E400("Connection: upgrade", "GET /tsp/1/session HTTP/1.1", TV_BASE "Connection: upgrade\n", TV_NO_BODY, "Connection"),
	E400("tab in the target", "GET /tsp/1/ses\tsion HTTP/1.1", TV_BASE, TV_NO_BODY, "ASCII"),
	E400("byte 0xff in the target", "GET /tsp/1/session\xff HTTP/1.1", TV_BASE, TV_NO_BODY, "ASCII"),

	/* ---- 400: ids and block numbers ---- */
	E400("job id of 65 characters", "POST /tsp/1/backup/jobs/" TV_ID64 "Z HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "job id"),
	E400("job id .", "POST /tsp/1/backup/jobs/. HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "job id"),
	E400("job id ..", "POST /tsp/1/backup/jobs/.. HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "job id"),
	E400("job id with !", "POST /tsp/1/backup/jobs/a!b HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "job id"),
	E400("job id with ~", "POST /tsp/1/backup/jobs/a~b HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "job id"),
	E400("task id with :", "POST " TV_JOB "/tasks/a:b HTTP/1.1", TV_BASE, TV_NO_BODY, "task id"),
	E400("task id of 65 characters", "POST " TV_JOB "/tasks/" TV_ID64 "Z HTTP/1.1", TV_BASE, TV_NO_BODY, "task id"),
	E400("block 4294967296", "PUT " TV_TASK "/blocks/4294967296 HTTP/1.1", TV_BASE TV_DIGEST, 5, "block number"),
	E400("block with leading zero", "PUT " TV_TASK "/blocks/01 HTTP/1.1", TV_BASE TV_DIGEST, 5, "block number"),
	E400("block with +", "PUT " TV_TASK "/blocks/+1 HTTP/1.1", TV_BASE TV_DIGEST, 5, "block number"),
	E400("block with -", "GET /tsp/1/restore/jobs/r/tasks/t/blocks/-1 HTTP/1.1", TV_BASE, TV_NO_BODY, "block number"),
	E400("block in hex", "PUT " TV_TASK "/blocks/0x1 HTTP/1.1", TV_BASE TV_DIGEST, 5, "block number"),

	/* ---- 400: header rules ---- */
	E400("Tsp-Origin on a task", "POST " TV_TASK " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\n", TV_NO_BODY, "Tsp-Origin"),
	E400("Tsp-Workload on a block write", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST "Tsp-Workload: vcd\n", 5, "Tsp-Workload"),
	E400("Tsp-Origin missing", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Workload: vsphere\n", TV_NO_BODY, "Tsp-Origin"),
	E400("Tsp-Workload missing", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\n", TV_NO_BODY, "Tsp-Workload"),
	E400("Tsp-Operation outside replication", "POST " TV_JOB " HTTP/1.1", TV_BASE TV_VM "Tsp-Operation: replicate\n", TV_NO_BODY, "Tsp-Operation"),
	E400("Tsp-Operation missing on replication", "POST /tsp/1/replication/jobs/r HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "Tsp-Operation"),
	E400("Tsp-Operation on a replication task", "POST /tsp/1/replication/jobs/r/tasks/t HTTP/1.1", TV_BASE "Tsp-Operation: failover\n", TV_NO_BODY, "Tsp-Operation"),
	E400("Tsp-Source outside restore", "POST /tsp/1/backup-copy/jobs/c HTTP/1.1", TV_BASE TV_VM "Tsp-Source: j\n", TV_NO_BODY, "Tsp-Source"),
	E400("Tsp-Source missing on a restore job", "POST /tsp/1/restore/jobs/r HTTP/1.1", TV_BASE TV_VM, TV_NO_BODY, "Tsp-Source"),
	E400("Tsp-Source missing on a restore task", "POST /tsp/1/restore/jobs/r/tasks/t HTTP/1.1", TV_BASE, TV_NO_BODY, "Tsp-Source"),
	E400("Tsp-Source on a restore read", "GET /tsp/1/restore/jobs/r/tasks/t/blocks/0 HTTP/1.1", TV_BASE "Tsp-Source: t\n", TV_NO_BODY, "Tsp-Source"),
	E400("Tsp-Result on a job open", "POST " TV_JOB " HTTP/1.1", TV_BASE TV_VM "Tsp-Result: success\n", TV_NO_BODY, "Tsp-Result"),
	E400("Tsp-Result missing on a task close", "POST " TV_TASK "/close HTTP/1.1", TV_BASE, TV_NO_BODY, "Tsp-Result"),
	E400("Tsp-Result missing on a job close", "POST " TV_JOB "/close HTTP/1.1", TV_BASE, TV_NO_BODY, "Tsp-Result"),
	E400("Tsp-Digest missing", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE, 5, "Tsp-Digest"),
	E400("Tsp-Digest on a task close", "POST " TV_TASK "/close HTTP/1.1", TV_BASE "Tsp-Result: success\n" TV_DIGEST, TV_NO_BODY, "Tsp-Digest"),
	E400("Tsp header on the hello", "GET /tsp/1/session HTTP/1.1", TV_BASE "Tsp-Origin: vbr\n", TV_NO_BODY, "Tsp-Origin"),
	E400("Tsp-Maintenance in a request", "GET /tsp/1/session HTTP/1.1", TV_BASE "Tsp-Maintenance: drain\n", TV_NO_BODY, "unknown"),
	E400("unknown Tsp header", "POST " TV_TASK " HTTP/1.1", TV_BASE "Tsp-Priority: high\n", TV_NO_BODY, "unknown"),
	E400("repeated Tsp header", "POST " TV_JOB "/close HTTP/1.1", TV_BASE "Tsp-Result: success\ntsp-result: success\n", TV_NO_BODY, "more than once"),

	/* ---- 400: header values and combinations ---- */
	E400("origin in capitals", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: VBR\nTsp-Workload: vsphere\n", TV_NO_BODY, "Tsp-Origin"),
	E400("unknown workload", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: xen\n", TV_NO_BODY, "Tsp-Workload"),
	E400("agent with a VM workload", "POST " TV_JOB " HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: vsphere\n", TV_NO_BODY, "agent"),
	E400("agent backup-copy", "POST /tsp/1/backup-copy/jobs/c HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: linux\n", TV_NO_BODY, "server-managed"),
	E400("agent replication", "POST /tsp/1/replication/jobs/r HTTP/1.1", TV_BASE "Tsp-Origin: agent\nTsp-Workload: linux\nTsp-Operation: replicate\n", TV_NO_BODY, "server-managed"),
	E400("replication of an agent workload", "POST /tsp/1/replication/jobs/r HTTP/1.1", TV_BASE "Tsp-Origin: vbr\nTsp-Workload: windows\nTsp-Operation: replicate\n", TV_NO_BODY, "replication workloads"),
	E400("unknown operation", "POST /tsp/1/replication/jobs/r HTTP/1.1", TV_BASE TV_VM "Tsp-Operation: migrate\n", TV_NO_BODY, "Tsp-Operation"),
	E400("restore source of another category", "POST /tsp/1/restore/jobs/r HTTP/1.1", TV_BASE TV_VM "Tsp-Source: replication/r1\n", TV_NO_BODY, "Tsp-Source"),
	E400("restore source prefix without id", "POST /tsp/1/restore/jobs/r HTTP/1.1", TV_BASE TV_VM "Tsp-Source: backup/\n", TV_NO_BODY, "Tsp-Source"),
	E400("restore source empty", "POST /tsp/1/restore/jobs/r HTTP/1.1", TV_BASE TV_VM "Tsp-Source:\n", TV_NO_BODY, "Tsp-Source"),
	E400("restore task source with a prefix", "POST /tsp/1/restore/jobs/r/tasks/t HTTP/1.1", TV_BASE "Tsp-Source: backup/t\n", TV_NO_BODY, "Tsp-Source"),
	E400("warning on a task close", "POST " TV_TASK "/close HTTP/1.1", TV_BASE "Tsp-Result: warning\n", TV_NO_BODY, "success or failed"),
	E400("unknown job result", "POST " TV_JOB "/close HTTP/1.1", TV_BASE "Tsp-Result: ok\n", TV_NO_BODY, "Tsp-Result"),
	E400("digest in capitals", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE "Tsp-Digest: sha256=1FDD98864FB688159E02637F526ED77C04E7895815A9F23756DB942E567830F6\n", 5, "Tsp-Digest"),
	E400("digest of 63 digits", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE "Tsp-Digest: sha256=1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f\n", 5, "Tsp-Digest"),
	E400("digest of another algorithm", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE "Tsp-Digest: sha512=" TV_DIGEST_HEX "\n", 5, "Tsp-Digest"),

	/* ---- bodies ---- */
	E400("body on a job open", "POST " TV_JOB " HTTP/1.1", TV_BASE TV_VM, 5, "body"),
	E400("body on a restore read", "GET /tsp/1/restore/jobs/r/tasks/t/blocks/0 HTTP/1.1", TV_BASE, 1, "body"),
	E400("block write without Content-Length", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, TV_NO_BODY, "Content-Length"),
	E400("empty block write", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, 0, "Content-Length"),
	ERR("block over 64 MiB", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE TV_DIGEST, 67108865, 413, "block-too-large", "64 MiB"),

	/* ---- which check wins (PROTOCOL.md §9) ---- */
	E400("HTTP/1.0 before 404", "GET /nowhere HTTP/1.0", TV_BASE, TV_NO_BODY, "HTTP/1.1"),
	ERR("404 before 401", "GET /nowhere HTTP/1.1", TV_HOST, TV_NO_BODY, 404, "not-found", NULL),
	E405("405 before 401", "DELETE " TV_JOB " HTTP/1.1", TV_HOST, TV_NO_BODY, "POST"),
	E401("401 before a bad id", "POST /tsp/1/backup/jobs/a!b HTTP/1.1", TV_HOST, "missing"),
	E400("bad id before a header rule", "POST /tsp/1/backup/jobs/a!b/tasks/t HTTP/1.1", TV_BASE "Tsp-Origin: vbr\n", TV_NO_BODY, "job id"),
	E400("header rule before the body", "PUT " TV_TASK "/blocks/0 HTTP/1.1", TV_BASE, 67108865, "Tsp-Digest"),
};

#define TSP_VECTOR_COUNT (sizeof tsp_vectors / sizeof tsp_vectors[0])

#undef OK
#undef ERR
#undef E400
#undef E401
#undef E404
#undef E405

#endif
