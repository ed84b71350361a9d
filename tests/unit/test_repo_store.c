/*
 * tests/unit/test_repo_store.c: sluice-repo's disk side without sockets: the
 * users file, the store's layout and atomic writes, the block journal, the
 * catalog's states (PROTOCOL.md §6) and --verify's verdicts on hand-made
 * directories. Each test runs in a fresh temporary directory.
 */
#include "autoconfig.h"

#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "tools/repo/repo_catalog.h"
#include "tools/repo/repo_store.h"
#include "tools/repo/repo_users.h"
#include "tools/repo/repo_verify.h"

/* SHA-256 of "vm-web01 block 0\n" (PROTOCOL.md §12.1). */
#define WEB01_B0 "vm-web01 block 0\n"
#define WEB01_B0_SHA "1fdd98864fb688159e02637f526ed77c04e7895815a9f23756db942e567830f6"

struct fixture {
	char root[1024]; /* short enough that every path below it fits PATH_MAX */
	struct store store;
};

/* ---- helpers ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	const char *tmp = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	snprintf(fx->root, sizeof fx->root, "%s/test_repo_store.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(fx->root) == NULL || store_init(&fx->store, fx->root, false) != 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	store_unlock(&fx->store);
	nftw(fx->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

static void write_file(const char *content, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void write_file(const char *content, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void read_file(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void read_file(char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Files named @tmp.* anywhere below dir. */
static int temporaries;
static int count_tmp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (strncmp(path + ftw->base, "@tmp.", 5) == 0)
		temporaries++;
	return 0;
}

static int count_temporaries(const char *dir)
{
	temporaries = 0;
	nftw(dir, count_tmp, 16, FTW_PHYS);
	return temporaries;
}

static struct tsp_request request(enum tsp_category cat, enum tsp_role role, const char *job,
				  const char *task)
{
	struct tsp_request r;

	memset(&r, 0, sizeof r);
	r.category = cat;
	r.role = role;
	strcpy(r.tenant, "acme");
	strcpy(r.job, job);
	if (task != NULL)
		strcpy(r.task, task);
	r.origin = TSP_ORIGIN_VBR;
	r.workload = TSP_WORKLOAD_VSPHERE;
	r.result = TSP_RESULT_SUCCESS;
	return r;
}

/* A block write through the catalog and a real block writer. */
static unsigned write_block(struct catalog *cat, struct store *store, enum tsp_category category,
			    const char *job, const char *task, uint32_t n, const char *data, bool *identical)
{
	struct tsp_request r = request(category, TSP_ROLE_BLOCK_WRITE, job, task);
	struct catalog_error err;
	struct store_block_writer w;
	struct block_record rec = { .number = n, .bytes = (uint32_t)strlen(data) };
	char dir[PATH_MAX];

	r.block = n;
	r.body_bytes = rec.bytes;
	if (!catalog_block_write_begin(cat, &r, dir, &err))
		return err.status;
	assert_int_equal(store_block_begin(store, dir, n, &w), 0);
	store_block_append(&w, data, rec.bytes);
	assert_int_equal(store_block_finish(&w, rec.digest), 0);
	if (!catalog_block_write_end(cat, &r, &rec, &w, identical, &err))
		return err.status;
	return *identical ? 204 : 201;
}

/* ---- users file ---- */

static void test_users_parse_ok(void **state)
{
	static const char text[] = "# tenants\n\nacme:s3cret\r\nt1:a:b:c\nx.y_z-9:  spaced  \n";
	struct users *users = NULL;
	char err[256];

	(void)state;
	assert_int_equal(users_parse(text, sizeof text - 1, "users", &users, err, sizeof err), 0);
	assert_int_equal(users_count(users), 3);
	assert_true(users_check(users, "acme", "s3cret")); /* CR dropped */
	assert_true(users_check(users, "t1", "a:b:c"));    /* split at the first colon */
	assert_true(users_check(users, "x.y_z-9", "  spaced  "));
	assert_false(users_check(users, "acme", "s3cre"));
	assert_false(users_check(users, "acme", "s3cret "));
	assert_false(users_check(users, "Acme", "s3cret")); /* case-sensitive */
	assert_false(users_check(users, "nobody", "s3cret"));
	users_free(users);
}

static void test_users_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "acme\n", "users:1: expected tenant:secret" },
		{ "# c\nacme:x\nbad name:x\n", "users:3: bad tenant name" },
		{ ":secret\n", "users:1: bad tenant name" },
		{ "..:x\n", "users:1: bad tenant name" },
		{ "acme:\n", "users:1: bad secret" },
		{ "acme:a\tb\n", "users:1: bad secret" },
		{ "acme:x\nacme:y\n", "users:2: tenant listed twice" },
		{ "replicas:x\n", "users:1: the tenant name \"replicas\" is reserved" },
		{ "# nothing\n", "users: no tenants" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct users *users = NULL;

		assert_int_equal(users_parse(cases[i].text, strlen(cases[i].text), "users", &users, err,
					     sizeof err),
				 -1);
		assert_null(users);
		if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].error);
	}
	assert_int_equal(users_load("/nonexistent/users", &(struct users *){ NULL }, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* ---- store ---- */

static void test_store_layout(void **state)
{
	struct fixture *fx = *state;
	struct repo_job_key jk = { .tenant = "acme", .category = TSP_CAT_BACKUP, .job = "nightly-0142" };
	struct task_key tk = { .job = jk, .task = "vm-web01" };
	struct job_meta jm = { .state = JOB_OPEN,
			       .origin = TSP_ORIGIN_VBR,
			       .workload = TSP_WORKLOAD_VSPHERE },
			jm2;
	struct task_meta tm = { .seq = 1, .state = TASK_OPEN }, tm2;
	struct store_block_writer w;
	struct block_record rec = { .number = 0, .bytes = sizeof WEB01_B0 - 1 };
	char dir[PATH_MAX], text[256], hex[65];

	assert_int_equal(store_lock(&fx->store), 0);
	assert_true(exists("%s/@lock", fx->root));
	assert_int_equal(store_job_create(&fx->store, &jk, &jm), 0);
	assert_int_equal(store_job_create(&fx->store, &jk, &jm), EEXIST); /* ids are never reused */
	assert_int_equal(store_task_create(&fx->store, &tk, &tm, true), 0);
	assert_int_equal(store_task_create(&fx->store, &tk, &tm, true), EEXIST);
	assert_true(exists("%s/acme/backup/nightly-0142/@job", fx->root));
	assert_true(exists("%s/acme/backup/nightly-0142/vm-web01/@task", fx->root));

	assert_int_equal(store_data_dir(&fx->store, &tk, dir), 0);
	assert_int_equal(store_block_begin(&fx->store, dir, 0, &w), 0);
	store_block_append(&w, WEB01_B0, 9);
	store_block_append(&w, WEB01_B0 + 9, sizeof WEB01_B0 - 1 - 9);
	assert_int_equal(store_block_finish(&w, rec.digest), 0);
	store_digest_hex(rec.digest, hex);
	assert_string_equal(hex, WEB01_B0_SHA);
	assert_false(exists("%s/0", dir)); /* not in place before the commit */
	assert_int_equal(store_block_commit(&fx->store, &w), 0);
	assert_int_equal(store_journal_append(&fx->store, dir, &rec), 0);
	read_file(text, sizeof text, "%s/acme/backup/nightly-0142/vm-web01/0", fx->root);
	assert_string_equal(text, WEB01_B0);
	read_file(text, sizeof text, "%s/@blocks", dir);
	assert_string_equal(text, "0 17 " WEB01_B0_SHA "\n");
	assert_int_equal(count_temporaries(fx->root), 0);

	/* Metadata reads back as written. */
	assert_int_equal(store_job_load(&fx->store, &jk, &jm2), 0);
	assert_memory_equal(&jm, &jm2, sizeof jm);
	assert_int_equal(store_task_load(&fx->store, &tk, &tm2), 0);
	assert_int_equal(tm2.seq, 1);
	assert_int_equal(tm2.state, TASK_OPEN);
}

static void test_store_replica_layout(void **state)
{
	struct fixture *fx = *state;
	struct task_key tk = {
		.job = { .tenant = "acme", .category = TSP_CAT_REPLICATION, .job = "repl-0311" },
		.task = "vm-app02"
	};
	struct task_meta tm = { .seq = 1, .state = TASK_OPEN };
	struct replica_meta rm = { .state = REPLICA_FAILED_OVER, .point = "repl-0311" }, rm2;
	struct job_meta jm = { .state = JOB_OPEN,
			       .origin = TSP_ORIGIN_VBR,
			       .workload = TSP_WORKLOAD_HYPERV,
			       .operation = TSP_OP_REPLICATE };
	char dir[PATH_MAX], want[PATH_MAX];

	assert_int_equal(store_data_dir(&fx->store, &tk, dir), 0);
	snprintf(want, sizeof want, "%s/replicas/acme/vm-app02/repl-0311", fx->root);
	assert_string_equal(dir, want);
	assert_int_equal(store_job_create(&fx->store, &tk.job, &jm), 0);
	assert_int_equal(store_task_create(&fx->store, &tk, &tm, true), 0);
	assert_true(exists("%s", want));
	assert_int_equal(store_replica_load(&fx->store, "acme", "vm-app02", &rm2), ENOENT);
	assert_int_equal(store_replica_save(&fx->store, "acme", "vm-app02", &rm), 0);
	assert_int_equal(store_replica_load(&fx->store, "acme", "vm-app02", &rm2), 0);
	assert_int_equal(rm2.state, REPLICA_FAILED_OVER);
	assert_string_equal(rm2.point, "repl-0311");
}

static void test_store_atomic_write(void **state)
{
	struct fixture *fx = *state;
	char text[64], missing[PATH_MAX];

	assert_int_equal(store_write_atomic(&fx->store, fx->root, "f", "first", 5), 0);
	assert_int_equal(store_write_atomic(&fx->store, fx->root, "f", "second", 6), 0);
	read_file(text, sizeof text, "%s/f", fx->root);
	assert_string_equal(text, "second");
	snprintf(missing, sizeof missing, "%s/no/such/dir", fx->root);
	assert_int_equal(store_write_atomic(&fx->store, missing, "f", "x", 1), ENOENT);
	assert_int_equal(count_temporaries(fx->root), 0);

	/* With --fsync the same, only durable. */
	fx->store.fsync = true;
	assert_int_equal(store_write_atomic(&fx->store, fx->root, "f", "third", 5), 0);
	read_file(text, sizeof text, "%s/f", fx->root);
	assert_string_equal(text, "third");
}

static void test_block_abort_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct store_block_writer w;

	assert_int_equal(store_block_begin(&fx->store, fx->root, 7, &w), 0);
	store_block_append(&w, "partial", 7);
	assert_int_equal(count_temporaries(fx->root), 1);
	store_block_abort(&w);
	assert_int_equal(count_temporaries(fx->root), 0);
	assert_false(exists("%s/7", fx->root));
}

static int collect(void *arg, const struct block_record *rec)
{
	uint32_t *numbers = arg;

	numbers[++numbers[0]] = rec->number * 1000 + rec->bytes;
	return 0;
}

static void test_journal_torn_and_malformed(void **state)
{
	struct fixture *fx = *state;
	uint32_t got[8] = { 0 };

	write_file("3 10 " WEB01_B0_SHA "\n3 12 " WEB01_B0_SHA "\n4 5 " WEB01_B0_SHA, "%s/@blocks", fx->root);
	assert_int_equal(store_journal_read(fx->root, collect, got), 0);
	assert_int_equal(got[0], 2); /* the torn third line was never acknowledged */
	assert_int_equal(got[1], 3010);
	assert_int_equal(got[2], 3012);
	write_file("03 10 " WEB01_B0_SHA "\n", "%s/@blocks", fx->root);
	assert_int_equal(store_journal_read(fx->root, collect, got), EINVAL);
	assert_int_equal(store_journal_read("/nonexistent", collect, got), 0); /* no journal, no blocks */
}

/* ---- catalog ---- */

static struct catalog *open_catalog(struct fixture *fx)
{
	struct catalog *cat = catalog_new(&fx->store, false, NULL);

	assert_non_null(cat);
	return cat;
}

static bool job_open(struct catalog *cat, struct tsp_request r, unsigned *status)
{
	struct catalog_error err;

	r.role = TSP_ROLE_JOB_OPEN;
	if (catalog_job_open(cat, &r, &err))
		return true;
	*status = err.status;
	return false;
}

static unsigned task_open(struct catalog *cat, struct tsp_request r, struct task_view *v)
{
	struct catalog_error err;

	r.role = TSP_ROLE_TASK_OPEN;
	return catalog_task_open(cat, &r, v, &err) ? 201 : err.status;
}

static unsigned task_close(struct catalog *cat, struct tsp_request r, struct task_view *v)
{
	struct catalog_error err;

	r.role = TSP_ROLE_TASK_CLOSE;
	return catalog_task_close(cat, &r, v, &err) ? 200 : err.status;
}

static void count_view(void *arg, const struct task_view *v)
{
	struct task_view *views = arg;

	views[0].blocks++; /* views[0] counts, views[1..] are the tasks */
	views[views[0].blocks] = *v;
}

static unsigned job_close(struct catalog *cat, struct tsp_request r, struct task_view *views)
{
	struct catalog_error err;

	r.role = TSP_ROLE_JOB_CLOSE;
	memset(views, 0, sizeof *views);
	return catalog_job_close(cat, &r, count_view, views, &err) ? 200 : err.status;
}

static void test_catalog_backup_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct catalog *cat = open_catalog(fx);
	struct tsp_request j = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "J", NULL);
	struct tsp_request t1 = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "J", "T1");
	struct tsp_request t2 = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "J", "T2");
	struct task_view v, views[4];
	unsigned status = 0;
	bool identical;

	assert_int_equal(task_open(cat, t1, &v), 404); /* unknown-job */
	assert_true(job_open(cat, j, &status));
	assert_false(job_open(cat, j, &status));
	assert_int_equal(status, 409);
	assert_int_equal(task_open(cat, t1, &v), 201);
	assert_int_equal(task_open(cat, t1, &v), 409); /* task id reused */
	assert_int_equal(task_open(cat, t2, &v), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T9", 0, "x", &identical), 404);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 0, "abc", &identical), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 0, "abc", &identical), 204);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 0, "abcd", &identical), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 1, "ef", &identical), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T2", 5, "g", &identical), 201);
	assert_int_equal(task_close(cat, t1, &v), 200);
	assert_int_equal(v.state, TASK_COMPLETE);
	assert_int_equal(v.blocks, 2); /* distinct blocks */
	assert_int_equal(v.bytes, 6);
	assert_int_equal(task_close(cat, t1, &v), 409); /* second close */
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 2, "h", &identical), 409);
	assert_int_equal(job_close(cat, j, views), 200);
	assert_int_equal(views[0].blocks, 2);
	assert_string_equal(views[1].task, "T1"); /* in the order opened */
	assert_int_equal(views[1].state, TASK_COMPLETE);
	assert_string_equal(views[2].task, "T2");
	assert_int_equal(views[2].state, TASK_INCOMPLETE); /* open when its job closed */
	assert_int_equal(job_close(cat, j, views), 409);
	assert_int_equal(task_open(cat, t1, &v), 409); /* job closed */
	assert_int_equal(count_temporaries(fx->root), 0);
	catalog_free(cat);

	/* State survives a restart: a new catalog reads it back from disk. */
	cat = open_catalog(fx);
	assert_false(job_open(cat, j, &status));
	assert_int_equal(status, 409);
	assert_int_equal(task_close(cat, t2, &v), 409);
	assert_int_equal(job_close(cat, j, views), 409);
	catalog_free(cat);
}

static void test_catalog_restart_keeps_open_task(void **state)
{
	struct fixture *fx = *state;
	struct catalog *cat = open_catalog(fx);
	struct tsp_request j = request(TSP_CAT_BACKUP_COPY, TSP_ROLE_JOB_OPEN, "C", NULL);
	struct tsp_request t = request(TSP_CAT_BACKUP_COPY, TSP_ROLE_TASK_OPEN, "C", "T");
	struct task_view v;
	unsigned status = 0;
	bool identical;

	assert_true(job_open(cat, j, &status));
	assert_int_equal(task_open(cat, t, &v), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP_COPY, "C", "T", 0, "one", &identical),
			 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP_COPY, "C", "T", 1, "two", &identical),
			 201);
	catalog_free(cat);
	cat = open_catalog(fx);
	/* The journal brought the blocks back: a retry is idempotent, the counts hold. */
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP_COPY, "C", "T", 1, "two", &identical),
			 204);
	assert_int_equal(task_close(cat, t, &v), 200);
	assert_int_equal(v.blocks, 2);
	assert_int_equal(v.bytes, 6);
	catalog_free(cat);
}

static void test_catalog_restore(void **state)
{
	struct fixture *fx = *state;
	struct catalog *cat = open_catalog(fx);
	struct tsp_request b = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "B", NULL);
	struct tsp_request bt = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "B", "vm");
	struct tsp_request bu = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "B", "unfinished");
	struct tsp_request r = request(TSP_CAT_RESTORE, TSP_ROLE_JOB_OPEN, "R", NULL);
	struct tsp_request rt = request(TSP_CAT_RESTORE, TSP_ROLE_TASK_OPEN, "R", "vm");
	struct tsp_request rd;
	struct catalog_error err;
	struct block_record rec;
	struct task_view v;
	unsigned status = 0;
	bool identical;
	char buf[16] = "";
	int fd;

	r.source_category = TSP_CAT_BACKUP;
	strcpy(r.source, "B");
	assert_false(job_open(cat, r, &status));
	assert_int_equal(status, 404); /* unknown-source */
	assert_true(job_open(cat, b, &status));
	assert_int_equal(task_open(cat, bt, &v), 201);
	assert_int_equal(task_open(cat, bu, &v), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "B", "vm", 0, "data", &identical), 201);
	assert_int_equal(task_close(cat, bt, &v), 200);
	assert_true(job_open(cat, r, &status));
	strcpy(rt.source, "missing");
	assert_int_equal(task_open(cat, rt, &v), 404); /* unknown-source */
	strcpy(rt.source, "unfinished");
	assert_int_equal(task_open(cat, rt, &v), 409); /* not complete */
	strcpy(rt.source, "vm");
	assert_int_equal(task_open(cat, rt, &v), 201);
	rd = request(TSP_CAT_RESTORE, TSP_ROLE_BLOCK_READ, "R", "vm");
	rd.block = 1;
	assert_false(catalog_block_read(cat, &rd, &fd, &rec, &err));
	assert_string_equal(err.code, "unknown-block");
	rd.block = 0;
	assert_true(catalog_block_read(cat, &rd, &fd, &rec, &err));
	assert_int_equal(rec.bytes, 4);
	assert_int_equal(read(fd, buf, sizeof buf - 1), 4);
	assert_string_equal(buf, "data");
	close(fd);
	assert_true(catalog_block_read(cat, &rd, &fd, &rec, &err)); /* read twice, counted once */
	close(fd);
	assert_int_equal(task_close(cat, rt, &v), 200);
	assert_int_equal(v.blocks, 1);
	assert_int_equal(v.bytes, 4);
	catalog_free(cat);
}

static void test_catalog_replicas(void **state)
{
	struct fixture *fx = *state;
	struct catalog *cat = open_catalog(fx);
	struct tsp_request jobs[4];
	static const enum tsp_operation ops[] = { TSP_OP_FAILOVER, TSP_OP_REPLICATE, TSP_OP_FAILBACK,
						  TSP_OP_UNDO };
	static const char *const ids[] = { "fo", "rep", "fb", "undo" };
	struct task_view v;
	unsigned status = 0;
	bool identical;

	for (size_t i = 0; i < 4; i++) {
		jobs[i] = request(TSP_CAT_REPLICATION, TSP_ROLE_JOB_OPEN, ids[i], "vm");
		jobs[i].operation = ops[i];
		assert_true(job_open(cat, jobs[i], &status));
	}
	assert_int_equal(task_open(cat, jobs[0], &v), 404); /* failover without a replica */
	assert_int_equal(task_open(cat, jobs[1], &v), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_REPLICATION, "rep", "vm", 0, "r", &identical),
			 201);
	assert_true(exists("%s/replicas/acme/vm/rep/0", fx->root));
	assert_false(exists("%s/acme/replication/rep/vm/0", fx->root));
	assert_int_equal(task_close(cat, jobs[1], &v), 200);
	assert_true(v.has_replica);
	assert_int_equal(v.replica, REPLICA_READY);
	assert_int_equal(task_open(cat, jobs[2], &v), 409); /* failback of a ready replica */
	jobs[0].task[0] = 'v';
	assert_int_equal(task_open(cat, jobs[0], &v), 201);
	assert_true(v.has_replica);
	assert_int_equal(v.replica, REPLICA_FAILED_OVER);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_REPLICATION, "fo", "vm", 0, "x", &identical),
			 409);
	assert_int_equal(task_open(cat, jobs[3], &v), 201); /* undo: failed-over -> ready */
	assert_int_equal(v.replica, REPLICA_READY);
	catalog_free(cat);
}

/* ---- --verify on hand-made directories ---- */

struct verdicts {
	char text[1024];
};

static void note_verdict(void *arg, const struct verify_task *t)
{
	struct verdicts *v = arg;
	size_t len = strlen(v->text);

	snprintf(v->text + len, sizeof v->text - len, "%s/%s=%s;", t->job, t->task,
		 verify_verdict_name(t->verdict));
}

static void sha256_hex(const char *data, char hex[65])
{
	unsigned char digest[32];
	unsigned int n = 0;

	assert_true(EVP_Digest(data, strlen(data), digest, &n, EVP_sha256(), NULL));
	store_digest_hex(digest, hex);
}

static void make_dirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void make_dirs(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

/* DATA/acme/backup/JOB/TASK by hand: @job, @task in the given state, and
 * blocks 0, 1, ... journaled with the digest of their text. A block written
 * "!text" is journaled as text but holds other bytes; "-text" has no file. */
static void make_task(const char *root, const char *job, const char *task, const char *state,
		      const char *const *blocks, size_t count)
{
	char journal[2048] = "", meta[128], hex[65];

	make_dirs("%s/acme/backup/%s/%s", root, job, task);
	write_file("sluice-repo job 1\nstate closed\norigin vbr\nworkload vsphere\nresult success\n",
		   "%s/acme/backup/%s/@job", root, job);
	snprintf(meta, sizeof meta, "sluice-repo task 1\nseq 1\nstate %s\n", state);
	write_file(meta, "%s/acme/backup/%s/%s/@task", root, job, task);
	for (size_t i = 0; i < count; i++) {
		const char *text = blocks[i] + (blocks[i][0] == '!' || blocks[i][0] == '-');
		size_t len = strlen(journal);

		sha256_hex(text, hex);
		snprintf(journal + len, sizeof journal - len, "%zu %zu %s\n", i, strlen(text), hex);
		if (blocks[i][0] != '-')
			write_file(blocks[i][0] == '!' ? "tampered" : text, "%s/acme/backup/%s/%s/%zu", root,
				   job, task, i);
	}
	write_file(journal, "%s/acme/backup/%s/%s/@blocks", root, job, task);
}

static int verify_quietly(const char *root)
{
	FILE *out = fopen("/dev/null", "w");
	int rc;

	assert_non_null(out);
	rc = verify_command(root, false, out);
	fclose(out);
	return rc;
}

static void test_verify_verdicts(void **state)
{
	struct fixture *fx = *state;
	static const char *const two[] = { "block zero", "block one" };
	static const char *const one_missing[] = { "block zero", "-block one" };
	static const char *const one_damaged[] = { "block zero", "!block one" };
	struct verify_summary sum;
	struct verdicts v = { "" };
	char err[256];

	make_task(fx->root, "J1", "ok", "complete", two, 2);
	make_task(fx->root, "J1", "open", "open", two, 1);
	make_task(fx->root, "J2", "missing", "complete", one_missing, 2);
	make_task(fx->root, "J2", "damaged", "complete", one_damaged, 2);
	make_task(fx->root, "J3", "failed", "failed", NULL, 0);
	make_task(fx->root, "J3", "garbage", "complete", NULL, 0);
	write_file("not metadata\n", "%s/acme/backup/J3/garbage/@task", fx->root);
	assert_int_equal(verify_store(fx->root, note_verdict, &v, &sum, err, sizeof err), 0);
	assert_string_equal(v.text, "J1/ok=complete;J1/open=incomplete;J2/damaged=corrupt;"
				    "J2/missing=incomplete;J3/failed=incomplete;J3/garbage=corrupt;");
	assert_int_equal(sum.tasks, 6);
	assert_int_equal(sum.complete, 1);
	assert_int_equal(sum.incomplete, 3);
	assert_int_equal(sum.corrupt, 2);
	assert_int_equal(sum.blocks_read, 6); /* 2 + 1 + 1 + 2: the missing one is not read */
	assert_int_equal(verify_quietly(fx->root), 1);
}

static void test_verify_clean_and_replaced(void **state)
{
	struct fixture *fx = *state;
	static const char *const blocks[] = { "old content" };
	struct verify_summary sum;
	struct verdicts v = { "" };
	char err[256], hex[65], line[128];

	make_task(fx->root, "J", "T", "complete", blocks, 1);
	/* Block 0 replaced: the file holds the new bytes, the journal's last line says so. */
	write_file("new content!", "%s/acme/backup/J/T/0", fx->root);
	sha256_hex("new content!", hex);
	snprintf(line, sizeof line, "0 12 %s\n", hex);
	{
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof path, "%s/acme/backup/J/T/@blocks", fx->root);
		f = fopen(path, "a");
		assert_non_null(f);
		fputs(line, f);
		fclose(f);
	}
	assert_int_equal(verify_store(fx->root, note_verdict, &v, &sum, err, sizeof err), 0);
	assert_string_equal(v.text, "J/T=complete;");
	assert_int_equal(verify_quietly(fx->root), 0);
	assert_int_equal(verify_quietly("/nonexistent/data"), 2);
	assert_int_equal(verify_store("/nonexistent/data", note_verdict, &v, &sum, err, sizeof err), ENOENT);
	assert_non_null(strstr(err, "/nonexistent/data"));
}

/* What the catalog writes is what --verify reads. */
static void test_verify_reads_catalog_output(void **state)
{
	struct fixture *fx = *state;
	struct catalog *cat = open_catalog(fx);
	struct tsp_request j = request(TSP_CAT_BACKUP, TSP_ROLE_JOB_OPEN, "J", NULL);
	struct tsp_request t1 = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "J", "T1");
	struct tsp_request t2 = request(TSP_CAT_BACKUP, TSP_ROLE_TASK_OPEN, "J", "T2");
	struct task_view v, views[4];
	struct verify_summary sum;
	struct verdicts out = { "" };
	unsigned status = 0;
	bool identical;
	char err[256];

	assert_true(job_open(cat, j, &status));
	assert_int_equal(task_open(cat, t1, &v), 201);
	assert_int_equal(task_open(cat, t2, &v), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 0, "abc", &identical), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T1", 0, "xyz!", &identical), 201);
	assert_int_equal(write_block(cat, &fx->store, TSP_CAT_BACKUP, "J", "T2", 0, "cut", &identical), 201);
	assert_int_equal(task_close(cat, t1, &v), 200);
	assert_int_equal(job_close(cat, j, views), 200); /* T2 cut: incomplete, not corrupt */
	catalog_free(cat);
	assert_int_equal(verify_store(fx->root, note_verdict, &out, &sum, err, sizeof err), 0);
	assert_string_equal(out.text, "J/T1=complete;J/T2=incomplete;");
	assert_int_equal(sum.corrupt, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users_parse_ok),
		cmocka_unit_test(test_users_parse_errors),
		cmocka_unit_test_setup_teardown(test_store_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_replica_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_atomic_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_torn_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_backup_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_restart_keeps_open_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_replicas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_clean_and_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_reads_catalog_output, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
