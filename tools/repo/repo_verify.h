/*
 * tools/repo/repo_verify.h: sluice-repo --verify DIR: re-read every stored block,
 * check it against the digest recorded when it was stored, and judge each
 * task of the writing categories (backup, backup-copy, replication):
 *
 *   complete    closed with success, every journaled block present and intact
 *   incomplete  not closed with success (open, failed, cut by its job's
 *               close), or a journaled block is missing
 *   corrupt     a block's size or content does not match its digest, or the
 *               task's metadata cannot be read
 *
 * Read-only: safe to run while sluice-repo serves the same directory.
 */
#ifndef SLUICE_REPO_VERIFY_H
#define SLUICE_REPO_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/tsp.h"

enum verify_verdict { VERIFY_COMPLETE, VERIFY_INCOMPLETE, VERIFY_CORRUPT };

struct verify_task {
	const char *tenant;
	enum tsp_category category;
	const char *job;
	const char *task;
	enum verify_verdict verdict;
	const char *state; /* the task's state, or "unreadable" */
	uint32_t blocks;   /* journaled blocks */
	uint64_t bytes;    /* ... and their bytes */
	uint32_t missing;  /* journaled blocks without a file */
	uint32_t damaged;  /* blocks whose size or content is wrong */
	char reason[192];  /* why it is not complete; empty when it is */
};

struct verify_summary {
	unsigned tasks, complete, incomplete, corrupt;
	uint64_t blocks_read, bytes_read;
};

/* Walks dir, calling report for each task (tenants, categories, jobs and
 * tasks in name order). Returns 0, or an errno value when dir itself cannot
 * be read (err then names the problem). */
int verify_store(const char *dir, void (*report)(void *arg, const struct verify_task *task), void *arg,
		 struct verify_summary *summary, char *err, size_t err_size);

const char *verify_verdict_name(enum verify_verdict verdict);

/* The command: prints one line per task and a summary (or JSON) to out.
 * Returns the exit status: 0 nothing corrupt, 1 something corrupt, 2 dir
 * unusable. */
int verify_command(const char *dir, bool json, FILE *out);

#endif
