/*
 * tools/repo/repo_store_meta.c: the text formats of sluice-repo's metadata files
 * (@job, @task, @replica) and of the block journal (@blocks). See repo_store.h.
 *
 * A metadata file is a magic first line, then "key value" lines, each ending
 * in LF. Parsing is strict: an unknown key, a bad value or a missing
 * required key makes the file unreadable (EINVAL), never half-understood.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo_store.h"

#define META_FILE_MAX 4096
#define JOB_MAGIC "sluice-repo job 1"
#define TASK_MAGIC "sluice-repo task 1"
#define REPLICA_MAGIC "sluice-repo replica 1"

static const char *const task_state_names[] = {
	[TASK_OPEN] = "open",
	[TASK_COMPLETE] = "complete",
	[TASK_FAILED] = "failed",
	[TASK_INCOMPLETE] = "incomplete",
};

static const char *const replica_state_names[] = {
	[REPLICA_NONE] = "none",
	[REPLICA_READY] = "ready",
	[REPLICA_FAILED_OVER] = "failed-over",
};

const char *store_task_state_name(enum task_state state)
{
	return task_state_names[state];
}

const char *store_replica_state_name(enum replica_state state)
{
	return replica_state_names[state];
}

static bool name_lookup(const char *const *names, size_t count, const char *s, size_t len, unsigned *out)
{
	for (unsigned i = 0; i < count; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*out = i;
			return true;
		}
	}
	return false;
}

void store_digest_hex(const unsigned char digest[STORE_DIGEST_BYTES], char hex[2 * STORE_DIGEST_BYTES + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < STORE_DIGEST_BYTES; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[2 * STORE_DIGEST_BYTES] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool store_digest_parse(const char *hex, size_t len, unsigned char digest[STORE_DIGEST_BYTES])
{
	if (len != 2 * STORE_DIGEST_BYTES)
		return false;
	for (size_t i = 0; i < STORE_DIGEST_BYTES; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		digest[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Canonical decimal (no sign, no leading zero) up to max. */
static bool parse_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* ---- generic "key value" files ---- */

typedef int (*kv_fn)(void *arg, const char *key, size_t key_len, const char *value, size_t value_len);

static int read_small_file(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	*len = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int rc = n < 0 ? errno : 0;

			close(fd);
			*len = got;
			return rc;
		}
		got += (size_t)n;
		if (got == size) {
			close(fd);
			return EINVAL; /* larger than any metadata file we write */
		}
	}
}

static int parse_kv(const char *path, const char *magic, kv_fn fn, void *arg)
{
	char text[META_FILE_MAX];
	size_t len, magic_len = strlen(magic);
	const char *p, *end;
	int rc = read_small_file(path, text, sizeof text, &len);

	if (rc != 0)
		return rc;
	end = text + len;
	if (len <= magic_len || memcmp(text, magic, magic_len) != 0 || text[magic_len] != '\n')
		return EINVAL;
	for (p = text + magic_len + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *sp = nl != NULL ? memchr(p, ' ', (size_t)(nl - p)) : NULL;

		if (sp == NULL || sp == p)
			return EINVAL; /* torn or malformed line */
		rc = fn(arg, p, (size_t)(sp - p), sp + 1, (size_t)(nl - sp - 1));
		if (rc != 0)
			return rc;
		p = nl + 1;
	}
	return 0;
}

static bool key_is(const char *key, size_t len, const char *literal)
{
	return strlen(literal) == len && memcmp(key, literal, len) == 0;
}

static bool copy_id(char *dst, const char *s, size_t len)
{
	if (!tsp_id_valid(s, len))
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

static int meta_path(const char *dir, const char *name, char *buf)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	return (n < 0 || n >= PATH_MAX) ? ENAMETOOLONG : 0;
}

/* ---- @job ---- */

struct job_parse {
	struct job_meta *meta;
	unsigned seen; /* bit 0 state, 1 origin, 2 workload */
};

static int job_kv(void *arg, const char *key, size_t klen, const char *v, size_t vlen)
{
	struct job_parse *jp = arg;
	struct job_meta *m = jp->meta;
	const char *slash;
	bool ok;

	if (key_is(key, klen, "state")) {
		ok = key_is(v, vlen, "open") || key_is(v, vlen, "closed");
		m->state = key_is(v, vlen, "closed") ? JOB_CLOSED : JOB_OPEN;
		jp->seen |= 1;
	} else if (key_is(key, klen, "origin")) {
		ok = tsp_origin_parse(v, vlen, &m->origin);
		jp->seen |= 2;
	} else if (key_is(key, klen, "workload")) {
		ok = tsp_workload_parse(v, vlen, &m->workload);
		jp->seen |= 4;
	} else if (key_is(key, klen, "operation")) {
		ok = tsp_operation_parse(v, vlen, &m->operation);
	} else if (key_is(key, klen, "result")) {
		ok = tsp_result_parse(v, vlen, &m->result);
	} else if (key_is(key, klen, "source")) {
		slash = memchr(v, '/', vlen);
		ok = slash != NULL && tsp_category_parse(v, (size_t)(slash - v), &m->source_category) &&
		     tsp_category_is_backup(m->source_category) &&
		     copy_id(m->source, slash + 1, vlen - (size_t)(slash - v) - 1);
	} else {
		ok = false;
	}
	return ok ? 0 : EINVAL;
}

int store_job_load(const struct store *s, const struct repo_job_key *key, struct job_meta *meta)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct job_parse jp = { meta, 0 };
	int rc = store_job_dir(s, key, dir);

	if (rc == 0)
		rc = meta_path(dir, "@job", path);
	if (rc != 0)
		return rc;
	memset(meta, 0, sizeof *meta);
	rc = parse_kv(path, JOB_MAGIC, job_kv, &jp);
	if (rc == 0 && jp.seen != 7)
		rc = EINVAL;
	return rc;
}

int store_job_save(struct store *s, const struct repo_job_key *key, const struct job_meta *meta)
{
	char dir[PATH_MAX], text[META_FILE_MAX];
	int rc = store_job_dir(s, key, dir), n;

	if (rc != 0)
		return rc;
	n = snprintf(text, sizeof text, JOB_MAGIC "\nstate %s\norigin %s\nworkload %s\n",
		     meta->state == JOB_CLOSED ? "closed" : "open", tsp_origin_name(meta->origin),
		     tsp_workload_name(meta->workload));
	if (meta->operation != TSP_OP_NONE)
		n += snprintf(text + n, sizeof text - (size_t)n, "operation %s\n",
			      tsp_operation_name(meta->operation));
	if (meta->source[0] != '\0')
		n += snprintf(text + n, sizeof text - (size_t)n, "source %s/%s\n",
			      tsp_category_name(meta->source_category), meta->source);
	if (meta->result != TSP_RESULT_NONE)
		n += snprintf(text + n, sizeof text - (size_t)n, "result %s\n",
			      tsp_result_name(meta->result));
	return store_write_atomic(s, dir, "@job", text, (size_t)n);
}

/* ---- @task ---- */

struct task_parse {
	struct task_meta *meta;
	unsigned seen; /* bit 0 seq, 1 state */
};

static int task_kv(void *arg, const char *key, size_t klen, const char *v, size_t vlen)
{
	struct task_parse *tp = arg;
	struct task_meta *m = tp->meta;
	uint64_t n = 0;
	unsigned u = 0;
	bool ok;

	if (key_is(key, klen, "seq")) {
		ok = parse_number(v, vlen, UINT32_MAX, &n) && n > 0;
		m->seq = (unsigned)n;
		tp->seen |= 1;
	} else if (key_is(key, klen, "state")) {
		ok = name_lookup(task_state_names, 4, v, vlen, &u);
		m->state = (enum task_state)u;
		tp->seen |= 2;
	} else if (key_is(key, klen, "replica")) {
		ok = name_lookup(replica_state_names, 3, v, vlen, &u);
		m->replica = (enum replica_state)u;
	} else if (key_is(key, klen, "source")) {
		ok = copy_id(m->source, v, vlen);
	} else if (key_is(key, klen, "blocks")) {
		ok = parse_number(v, vlen, UINT32_MAX, &n);
		m->blocks = (uint32_t)n;
	} else if (key_is(key, klen, "bytes")) {
		ok = parse_number(v, vlen, UINT64_MAX, &n);
		m->bytes = n;
	} else {
		ok = false;
	}
	return ok ? 0 : EINVAL;
}

int store_task_load(const struct store *s, const struct task_key *key, struct task_meta *meta)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct task_parse tp = { meta, 0 };
	int rc = store_task_dir(s, key, dir);

	if (rc == 0)
		rc = meta_path(dir, "@task", path);
	if (rc != 0)
		return rc;
	memset(meta, 0, sizeof *meta);
	rc = parse_kv(path, TASK_MAGIC, task_kv, &tp);
	if (rc == 0 && tp.seen != 3)
		rc = EINVAL;
	return rc;
}

int store_task_save(struct store *s, const struct task_key *key, const struct task_meta *meta)
{
	char dir[PATH_MAX], text[META_FILE_MAX];
	int rc = store_task_dir(s, key, dir), n;

	if (rc != 0)
		return rc;
	n = snprintf(text, sizeof text, TASK_MAGIC "\nseq %u\nstate %s\n", meta->seq,
		     store_task_state_name(meta->state));
	if (meta->source[0] != '\0')
		n += snprintf(text + n, sizeof text - (size_t)n, "source %s\n", meta->source);
	if (meta->replica != REPLICA_NONE)
		n += snprintf(text + n, sizeof text - (size_t)n, "replica %s\n",
			      store_replica_state_name(meta->replica));
	if (meta->blocks > 0)
		n += snprintf(text + n, sizeof text - (size_t)n, "blocks %u\nbytes %llu\n",
			      (unsigned)meta->blocks, (unsigned long long)meta->bytes);
	return store_write_atomic(s, dir, "@task", text, (size_t)n);
}

/* ---- @replica ---- */

static int replica_dir(const struct store *s, const char *tenant, const char *vm, char *buf)
{
	int n = snprintf(buf, PATH_MAX, "%s/replicas/%s/%s", s->root, tenant, vm);

	return (n < 0 || n >= PATH_MAX) ? ENAMETOOLONG : 0;
}

static int replica_kv(void *arg, const char *key, size_t klen, const char *v, size_t vlen)
{
	struct replica_meta *m = arg;
	unsigned u = 0;
	bool ok;

	if (key_is(key, klen, "state")) {
		ok = name_lookup(replica_state_names, 3, v, vlen, &u) && u != REPLICA_NONE;
		m->state = (enum replica_state)u;
	} else if (key_is(key, klen, "point")) {
		ok = copy_id(m->point, v, vlen);
	} else {
		ok = false;
	}
	return ok ? 0 : EINVAL;
}

int store_replica_load(const struct store *s, const char *tenant, const char *vm, struct replica_meta *meta)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc = replica_dir(s, tenant, vm, dir);

	if (rc == 0)
		rc = meta_path(dir, "@replica", path);
	if (rc != 0)
		return rc;
	memset(meta, 0, sizeof *meta);
	rc = parse_kv(path, REPLICA_MAGIC, replica_kv, meta);
	if (rc == 0 && (meta->state == REPLICA_NONE || meta->point[0] == '\0'))
		rc = EINVAL;
	return rc;
}

int store_replica_save(struct store *s, const char *tenant, const char *vm, const struct replica_meta *meta)
{
	char dir[PATH_MAX], text[256];
	int rc = replica_dir(s, tenant, vm, dir), n;

	if (rc != 0)
		return rc;
	n = snprintf(text, sizeof text, REPLICA_MAGIC "\nstate %s\npoint %s\n",
		     store_replica_state_name(meta->state), meta->point);
	return store_write_atomic(s, dir, "@replica", text, (size_t)n);
}

/* ---- @blocks ---- */

/* "N BYTES HEX" without the LF. */
static bool parse_journal_line(const char *line, size_t len, struct block_record *rec)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;
	uint64_t number, bytes;

	if (sp1 == NULL)
		return false;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (sp2 == NULL || !parse_number(line, (size_t)(sp1 - line), UINT32_MAX, &number) ||
	    !parse_number(sp1 + 1, (size_t)(sp2 - sp1 - 1), TSP_BLOCK_MAX, &bytes) || bytes == 0)
		return false;
	rec->number = (uint32_t)number;
	rec->bytes = (uint32_t)bytes;
	return store_digest_parse(sp2 + 1, len - (size_t)(sp2 + 1 - line), rec->digest);
}

int store_journal_read(const char *data_dir, int (*fn)(void *arg, const struct block_record *rec), void *arg)
{
	char path[PATH_MAX];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = meta_path(data_dir, "@blocks", path);

	if (rc != 0)
		return rc;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : errno;
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct block_record rec;

		if (line[len - 1] != '\n')
			break; /* torn by a crash mid-append: that block was never acknowledged */
		if (!parse_journal_line(line, (size_t)len - 1, &rec))
			rc = EINVAL;
		else
			rc = fn(arg, &rec);
	}
	if (rc == 0 && ferror(f))
		rc = EIO;
	free(line);
	fclose(f);
	return rc;
}
