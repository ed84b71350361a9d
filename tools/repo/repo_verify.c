/*
 * tools/repo/repo_verify.c: sluice-repo --verify (see repo_verify.h). The walk reads
 * the store through repo_store.h, so it judges exactly the layout the server
 * writes.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "protocol/json.h"
#include "repo_store.h"
#include "repo_verify.h"

#define READ_CHUNK (1024 * 1024)
#define REPLICAS_DIR "replicas"

struct verify_walk {
	struct store store;
	void (*report)(void *arg, const struct verify_task *task);
	void *arg;
	struct verify_summary *summary;
	unsigned char *buf; /* READ_CHUNK bytes */
};

/* A task's journal in file order; journal_settle keeps the latest record of
 * each block number (a later line replaced the block). */
struct journal_entry {
	struct block_record rec;
	size_t pos;
};

struct journal {
	struct journal_entry *entries;
	size_t count, cap;
};

const char *verify_verdict_name(enum verify_verdict verdict)
{
	static const char *const names[] = { "complete", "incomplete", "corrupt" };

	return names[verdict];
}

static int journal_add(void *arg, const struct block_record *rec)
{
	struct journal *j = arg;

	if (j->count == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 64;
		struct journal_entry *entries = realloc(j->entries, cap * sizeof *entries);

		if (entries == NULL)
			return ENOMEM;
		j->entries = entries;
		j->cap = cap;
	}
	j->entries[j->count].rec = *rec;
	j->entries[j->count].pos = j->count;
	j->count++;
	return 0;
}

static int by_number_then_pos(const void *a, const void *b)
{
	const struct journal_entry *x = a, *y = b;

	if (x->rec.number != y->rec.number)
		return (x->rec.number > y->rec.number) - (x->rec.number < y->rec.number);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static void journal_settle(struct journal *j)
{
	size_t out = 0;

	if (j->count < 2)
		return;
	qsort(j->entries, j->count, sizeof *j->entries, by_number_then_pos);
	for (size_t i = 0; i < j->count; i++) {
		if (out > 0 && j->entries[out - 1].rec.number == j->entries[i].rec.number)
			j->entries[out - 1] = j->entries[i];
		else
			j->entries[out++] = j->entries[i];
	}
	j->count = out;
}

/* 0 intact, ENOENT missing, EBADMSG wrong size or content, else an errno. */
static int check_block(struct verify_walk *w, const char *data_dir, const struct block_record *rec)
{
	char path[PATH_MAX];
	unsigned char digest[STORE_DIGEST_BYTES];
	unsigned int n = 0;
	uint64_t total = 0;
	EVP_MD_CTX *md;
	int fd, rc = store_block_path(data_dir, rec->number, path);

	if (rc != 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	md = EVP_MD_CTX_new();
	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		rc = ENOMEM;
	while (rc == 0) {
		ssize_t got = read(fd, w->buf, READ_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? errno : 0;
			break;
		}
		total += (uint64_t)got;
		if (!EVP_DigestUpdate(md, w->buf, (size_t)got))
			rc = EIO;
	}
	close(fd);
	if (rc == 0 && (!EVP_DigestFinal_ex(md, digest, &n) || n != sizeof digest))
		rc = EIO;
	EVP_MD_CTX_free(md);
	if (rc != 0)
		return rc;
	w->summary->blocks_read++;
	w->summary->bytes_read += total;
	if (total != rec->bytes || memcmp(digest, rec->digest, sizeof digest) != 0)
		return EBADMSG;
	return 0;
}

/* Checks every journaled block; the first problem of each kind is named. */
static void check_blocks(struct verify_walk *w, const char *data_dir, const struct journal *j,
			 struct verify_task *t, char *first_missing, size_t size)
{
	for (size_t i = 0; i < j->count; i++) {
		const struct block_record *rec = &j->entries[i].rec;
		int rc = check_block(w, data_dir, rec);

		t->blocks++;
		t->bytes += rec->bytes;
		if (rc == ENOENT) {
			if (t->missing++ == 0)
				snprintf(first_missing, size, "block %u", (unsigned)rec->number);
		} else if (rc != 0) {
			if (t->damaged++ == 0)
				snprintf(t->reason, sizeof t->reason, "block %u: %s", (unsigned)rec->number,
					 rc == EBADMSG ? "size or content does not match its digest"
						       : strerror(rc));
		}
	}
}

static void judge(struct verify_task *t, const struct task_meta *meta, const char *first_missing)
{
	if (t->damaged > 0) {
		t->verdict = VERIFY_CORRUPT;
		if (t->damaged > 1) {
			size_t len = strlen(t->reason);

			snprintf(t->reason + len, sizeof t->reason - len, " (and %u more)",
				 (unsigned)t->damaged - 1);
		}
	} else if (t->missing > 0) {
		t->verdict = VERIFY_INCOMPLETE;
		snprintf(t->reason, sizeof t->reason, "%u journaled block(s) missing, first %s",
			 (unsigned)t->missing, first_missing);
	} else if (meta->state != TASK_COMPLETE) {
		t->verdict = VERIFY_INCOMPLETE;
		snprintf(t->reason, sizeof t->reason, "%s",
			 meta->state == TASK_OPEN     ? "the task is still open"
			 : meta->state == TASK_FAILED ? "the task closed as failed"
						      : "the task was open when its job closed");
	} else {
		t->verdict = VERIFY_COMPLETE;
	}
}

static void count(struct verify_summary *s, enum verify_verdict v)
{
	s->tasks++;
	if (v == VERIFY_COMPLETE)
		s->complete++;
	else if (v == VERIFY_INCOMPLETE)
		s->incomplete++;
	else
		s->corrupt++;
}

static void verify_task(struct verify_walk *w, const struct task_key *key, bool has_data)
{
	struct verify_task t = { .tenant = key->job.tenant,
				 .category = key->job.category,
				 .job = key->job.job,
				 .task = key->task };
	struct journal j = { NULL, 0, 0 };
	struct task_meta meta;
	char data_dir[PATH_MAX], first_missing[32] = "";
	int rc = store_task_load(&w->store, key, &meta);

	if (rc == 0 && has_data)
		rc = store_data_dir(&w->store, key, data_dir);
	if (rc == 0 && has_data)
		rc = store_journal_read(data_dir, journal_add, &j);
	if (rc != 0) {
		t.verdict = VERIFY_CORRUPT;
		t.state = "unreadable";
		snprintf(t.reason, sizeof t.reason, "metadata unreadable: %s",
			 rc == EINVAL ? "malformed" : strerror(rc));
	} else {
		t.state = store_task_state_name(meta.state);
		journal_settle(&j);
		check_blocks(w, data_dir, &j, &t, first_missing, sizeof first_missing);
		judge(&t, &meta, first_missing);
	}
	free(j.entries);
	count(w->summary, t.verdict);
	w->report(w->arg, &t);
}

/* Lists the ids in a directory, in name order; 0 entries when it is absent. */
static int scan_ids(const char *dir, struct dirent ***names)
{
	int n = scandir(dir, names, NULL, alphasort);

	if (n < 0) {
		*names = NULL;
		return errno == ENOENT ? 0 : -1;
	}
	return n;
}

struct job_walk {
	struct verify_walk *w;
	struct repo_job_key key;
	bool has_data;
	bool meta_ok;
};

static int walk_task(void *arg, const char *task)
{
	struct job_walk *jw = arg;
	struct task_key key;

	memset(&key, 0, sizeof key);
	key.job = jw->key;
	strncpy(key.task, task, TSP_ID_MAX);
	if (!jw->meta_ok) {
		struct verify_task t = { .tenant = key.job.tenant,
					 .category = key.job.category,
					 .job = key.job.job,
					 .task = key.task };

		t.verdict = VERIFY_CORRUPT;
		t.state = "unreadable";
		snprintf(t.reason, sizeof t.reason, "the job's metadata is unreadable");
		count(jw->w->summary, t.verdict);
		jw->w->report(jw->w->arg, &t);
		return 0;
	}
	verify_task(jw->w, &key, jw->has_data);
	return 0;
}

static void walk_job(struct verify_walk *w, const char *tenant, enum tsp_category cat, const char *job)
{
	struct job_walk jw = { .w = w };
	struct job_meta meta;

	size_t tenant_len = strlen(tenant), job_len = strlen(job);

	/* Directory names come from readdir: anything longer is not one of ours. */
	if (tenant_len > TSP_TENANT_MAX || job_len > TSP_ID_MAX)
		return;
	memcpy(jw.key.tenant, tenant, tenant_len + 1);
	jw.key.category = cat;
	memcpy(jw.key.job, job, job_len + 1);
	jw.meta_ok = store_job_load(&w->store, &jw.key, &meta) == 0;
	jw.has_data = cat != TSP_CAT_REPLICATION || (jw.meta_ok && meta.operation == TSP_OP_REPLICATE);
	store_task_ids(&w->store, &jw.key, walk_task, &jw);
}

static void walk_tenant(struct verify_walk *w, const char *tenant)
{
	static const enum tsp_category cats[] = { TSP_CAT_BACKUP, TSP_CAT_BACKUP_COPY, TSP_CAT_REPLICATION };
	char dir[PATH_MAX];

	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		struct dirent **jobs;
		int n;

		if (snprintf(dir, sizeof dir, "%s/%s/%s", w->store.root, tenant,
			     tsp_category_name(cats[c])) >= (int)sizeof dir)
			continue;
		n = scan_ids(dir, &jobs);
		for (int i = 0; i < n; i++) {
			if (tsp_id_valid(jobs[i]->d_name, strlen(jobs[i]->d_name)))
				walk_job(w, tenant, cats[c], jobs[i]->d_name);
			free(jobs[i]);
		}
		free(jobs);
	}
}

int verify_store(const char *dir, void (*report)(void *arg, const struct verify_task *task), void *arg,
		 struct verify_summary *summary, char *err, size_t err_size)
{
	struct verify_walk w = { .report = report, .arg = arg, .summary = summary };
	struct dirent **tenants;
	struct stat st;
	int n, rc;

	memset(summary, 0, sizeof *summary);
	if (stat(dir, &st) < 0)
		rc = errno;
	else
		rc = S_ISDIR(st.st_mode) ? store_init(&w.store, dir, false) : ENOTDIR;
	if (rc == 0 && (w.buf = malloc(READ_CHUNK)) == NULL)
		rc = ENOMEM;
	if (rc == 0 && (n = scan_ids(dir, &tenants)) < 0)
		rc = errno;
	if (rc != 0) {
		snprintf(err, err_size, "%s: %s", dir, strerror(rc));
		free(w.buf);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *name = tenants[i]->d_name;

		if (tsp_id_valid(name, strlen(name)) && strcmp(name, REPLICAS_DIR) != 0)
			walk_tenant(&w, name);
		free(tenants[i]);
	}
	free(tenants);
	free(w.buf);
	return 0;
}

/* ---- the command's output ---- */

struct printer {
	FILE *out;
	bool json;
	bool first;
};

static void print_task(void *arg, const struct verify_task *t)
{
	struct printer *p = arg;

	if (!p->json) {
		fprintf(p->out, "%-10s %s/%s/%s/%s  %u block%s  %llu bytes%s%s\n",
			verify_verdict_name(t->verdict), t->tenant, tsp_category_name(t->category), t->job,
			t->task, (unsigned)t->blocks, t->blocks == 1 ? "" : "s", (unsigned long long)t->bytes,
			t->reason[0] != '\0' ? "  " : "", t->reason);
		return;
	}
	fprintf(p->out,
		"%s{\"tenant\":\"%s\",\"category\":\"%s\",\"job\":\"%s\",\"task\":\"%s\","
		"\"verdict\":\"%s\",\"state\":\"%s\",\"blocks\":%u,\"bytes\":%llu,\"missing\":%u,"
		"\"damaged\":%u,\"reason\":",
		p->first ? "{\"tasks\":[" : ",", t->tenant, tsp_category_name(t->category), t->job, t->task,
		verify_verdict_name(t->verdict), t->state, (unsigned)t->blocks, (unsigned long long)t->bytes,
		(unsigned)t->missing, (unsigned)t->damaged);
	json_write_string(p->out, t->reason);
	fputc('}', p->out);
	p->first = false;
}

int verify_command(const char *dir, bool json, FILE *out)
{
	struct printer p = { out, json, true };
	struct verify_summary s;
	char err[PATH_MAX + 128];

	if (verify_store(dir, print_task, &p, &s, err, sizeof err) != 0) {
		fprintf(stderr, "sluice-repo: --verify %s\n", err);
		return 2;
	}
	if (json && p.first)
		fputs("{\"tasks\":[", out);
	if (json)
		fprintf(out,
			"],\"summary\":{\"tasks\":%u,\"complete\":%u,\"incomplete\":%u,"
			"\"corrupt\":%u,\"blocks_read\":%llu,\"bytes_read\":%llu}}\n",
			s.tasks, s.complete, s.incomplete, s.corrupt, (unsigned long long)s.blocks_read,
			(unsigned long long)s.bytes_read);
	else
		fprintf(out,
			"sluice-repo --verify %s: %u tasks: %u complete, %u incomplete, "
			"%u corrupt (%llu blocks, %llu bytes read)\n",
			dir, s.tasks, s.complete, s.incomplete, s.corrupt, (unsigned long long)s.blocks_read,
			(unsigned long long)s.bytes_read);
	fflush(out);
	return s.corrupt > 0 ? 1 : 0;
}
