/*
 * proxy/state_store.h: the state file on disk ([proxy] state_file,
 * state_interval): read at start, written every state_interval and at exit
 * (policy/state_file.h has the format). A write is atomic: a temporary file
 * in the same directory, fsync, rename over the old one, fsync of the
 * directory, so a crash leaves the old file or the new one, never half.
 *
 * At start a file written less than [limits] job_idle_expiry ([restic]
 * session_idle) ago is put in force before the configuration is applied:
 * with maintenance still enabled, T and the draining set are the saved ones;
 * disabled, maintenance ends as on any reload. An older file is ignored; a
 * corrupt or foreign one is reported, renamed to PATH.rejected for the
 * operator and ignored: the proxy starts with an empty table.
 */
#ifndef SLUICE_STATE_STORE_H
#define SLUICE_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct server;

/* Read the file (if any) into the policy and the job table, then arm the
 * periodic save. Call after the policy and the table exist and before the
 * configuration is first applied and before anything holds s->jobs. False
 * with err set only when memory is short: a missing, old or bad file is
 * logged and the proxy starts empty. Nothing when state_file is empty. */
bool state_store_open(struct server *s, char *err, size_t err_size);
/* Write the file now (failures are logged). */
void state_store_save(struct server *s);
/* The last save, and the timer stopped. Safe when not open. */
void state_store_close(struct server *s);

#endif
