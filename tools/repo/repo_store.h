/*
 * tools/repo/repo_store.h: sluice-repo's on-disk layout. Every file the repository
 * keeps is named here, and every write of one is atomic (a temporary name in
 * the same directory, fsync with --fsync, rename).
 *
 *   DATA/@lock                                  flock'ed by the running server
 *   DATA/T/CAT/JOB/@job                         job metadata
 *   DATA/T/CAT/JOB/TASK/@task                   task metadata
 *   DATA/T/{backup,backup-copy}/JOB/TASK/N      block N of a backup task
 *   DATA/T/{backup,backup-copy}/JOB/TASK/@blocks  its block journal
 *   DATA/replicas/T/VM/@replica                 the state of VM's replica
 *   DATA/replicas/T/VM/JOB/N, .../@blocks       blocks a replicate job JOB wrote
 *                                               for VM (one restore point)
 *   @tmp.*                                      files being written
 *
 * T is the tenant, CAT the category, VM the task id of replication jobs.
 * Ids never hold '@', so no metadata name can be an id; the tenant name
 * "replicas" is reserved (repo_users.c refuses it).
 *
 * Metadata files are small "key value" text lines. The block journal gets one
 * line "N BYTES HEX" appended after block N was renamed into place; a later
 * line for the same N replaces the earlier one, and a torn last line (no LF)
 * is ignored. Functions return 0 or an errno value; ENOENT means "no such
 * job/task/replica", EEXIST "already exists", EINVAL "metadata unreadable".
 */
#ifndef SLUICE_REPO_STORE_H
#define SLUICE_REPO_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/tsp.h"

#define STORE_ROOT_MAX 3072 /* leaves room below PATH_MAX for ids and names */
#define STORE_DIGEST_BYTES 32

enum job_state { JOB_OPEN = 0, JOB_CLOSED };

enum task_state {
	TASK_OPEN = 0,  /* opened, not closed */
	TASK_COMPLETE,  /* closed with success */
	TASK_FAILED,    /* closed with failed */
	TASK_INCOMPLETE /* still open when its job closed */
};

enum replica_state {
	REPLICA_NONE = 0,   /* the VM has no replica */
	REPLICA_READY,      /* a replicate task completed; failover possible */
	REPLICA_FAILED_OVER /* running on the cloud host */
};

struct repo_job_key {
	char tenant[TSP_TENANT_MAX + 1];
	enum tsp_category category;
	char job[TSP_ID_MAX + 1];
};

struct task_key {
	struct repo_job_key job;
	char task[TSP_ID_MAX + 1];
};

struct job_meta {
	enum job_state state;
	enum tsp_origin origin;
	enum tsp_workload workload;
	enum tsp_operation operation;      /* replication jobs */
	enum tsp_category source_category; /* restore jobs: backup or backup-copy */
	char source[TSP_ID_MAX + 1];       /* restore jobs: the source job */
	enum tsp_result result;            /* closed jobs */
};

struct task_meta {
	unsigned seq; /* 1, 2, ...: order of opening within the job */
	enum task_state state;
	char source[TSP_ID_MAX + 1]; /* restore tasks: the source task */
	enum replica_state replica;  /* replication tasks: the replica state it left */
	uint32_t blocks;             /* restore tasks, once closed: distinct blocks read */
	uint64_t bytes;              /* ... and their bytes */
};

struct replica_meta {
	enum replica_state state;
	char point[TSP_ID_MAX + 1]; /* the replicate job holding the replica's data */
};

struct block_record {
	uint32_t number;
	uint32_t bytes;
	unsigned char digest[STORE_DIGEST_BYTES];
};

struct store {
	char root[STORE_ROOT_MAX];
	bool fsync; /* fsync files and directories before answering */
	unsigned long tmp_seq;
	int lock_fd; /* -1 until store_lock() */
};

/* Sets the root (no I/O). ENAMETOOLONG when root does not fit. */
int store_init(struct store *s, const char *root, bool fsync_writes);
/* Creates the root when missing and locks DATA/@lock for this process:
 * EWOULDBLOCK when another sluice-repo holds it. */
int store_lock(struct store *s);
void store_unlock(struct store *s);

/* Paths (buf of PATH_MAX). The data dir is where a task's blocks and journal
 * live: the task dir, or the replica point for replication tasks. */
int store_job_dir(const struct store *s, const struct repo_job_key *key, char *buf);
int store_task_dir(const struct store *s, const struct task_key *key, char *buf);
int store_data_dir(const struct store *s, const struct task_key *key, char *buf);
int store_block_path(const char *data_dir, uint32_t number, char *buf);

/* Jobs: create = mkdir (EEXIST when the id was ever used) + @job. */
int store_job_create(struct store *s, const struct repo_job_key *key, const struct job_meta *meta);
int store_job_save(struct store *s, const struct repo_job_key *key, const struct job_meta *meta);
int store_job_load(const struct store *s, const struct repo_job_key *key, struct job_meta *meta);

/* Tasks: create = mkdir (EEXIST) + @task; with_data also makes the data dir
 * when it is elsewhere (a replicate task's replica point). */
int store_task_create(struct store *s, const struct task_key *key, const struct task_meta *meta,
		      bool with_data);
int store_task_save(struct store *s, const struct task_key *key, const struct task_meta *meta);
int store_task_load(const struct store *s, const struct task_key *key, struct task_meta *meta);

/* Calls fn for each task directory of a job, in name order; stops at the
 * first non-zero return of fn and returns it. */
int store_task_ids(const struct store *s, const struct repo_job_key *key,
		   int (*fn)(void *arg, const char *task), void *arg);

/* Replicas, by (tenant, VM). */
int store_replica_load(const struct store *s, const char *tenant, const char *vm, struct replica_meta *meta);
int store_replica_save(struct store *s, const char *tenant, const char *vm, const struct replica_meta *meta);

/* The block journal of a data dir. Reading an absent journal is no error. */
int store_journal_append(struct store *s, const char *data_dir, const struct block_record *rec);
int store_journal_read(const char *data_dir, int (*fn)(void *arg, const struct block_record *rec), void *arg);

/* Removes files left as @tmp.* in a directory by an interrupted write. */
void store_sweep_temporaries(const char *dir);

/* Writes data as dir/name atomically (exposed for the metadata and tests). */
int store_write_atomic(struct store *s, const char *dir, const char *name, const char *data, size_t len);

/* A block on its way to disk: bytes go to a temporary file and into SHA-256
 * as they arrive; commit renames it to its number only when asked to. */
struct store_block_writer {
	int fd;    /* -1 when idle */
	int error; /* first write error (errno), 0 when none */
	uint64_t bytes;
	void *md; /* EVP_MD_CTX */
	char tmp[PATH_MAX];
	char final[PATH_MAX];
};

void store_block_writer_init(struct store_block_writer *w);
int store_block_begin(struct store *s, const char *data_dir, uint32_t number, struct store_block_writer *w);
void store_block_append(struct store_block_writer *w, const void *data, size_t len);
/* Ends the data: fills digest, returns w->error (the temp file stays). */
int store_block_finish(struct store_block_writer *w, unsigned char digest[STORE_DIGEST_BYTES]);
/* Makes the block durable (with --fsync) and renames it into place. */
int store_block_commit(struct store *s, struct store_block_writer *w);
/* Drops an unfinished or refused block (unlinks the temporary file). */
void store_block_abort(struct store_block_writer *w);

/* Names and hex. */
const char *store_task_state_name(enum task_state state);
const char *store_replica_state_name(enum replica_state state);
void store_digest_hex(const unsigned char digest[STORE_DIGEST_BYTES], char hex[2 * STORE_DIGEST_BYTES + 1]);
bool store_digest_parse(const char *hex, size_t len, unsigned char digest[STORE_DIGEST_BYTES]);

#endif
