/*
 * tools/ctl/ctl_ini_file.h: sluice.ini on disk, for an edit: read it under a
 * lock, prove the edited text loads, and replace the file atomically.
 *
 * The edited text is written to a temporary file beside the file the loader
 * reads (so relative paths resolve exactly as in the real file), loaded
 * with config_load(), and its [tls] certificate and key checked as the
 * daemon checks them (conf/tls_files.h): a text the daemon would refuse is
 * never written. Then
 * it goes to a temporary file beside the real file (the target of a symlink,
 * which stays a link), with the original's mode and owner, is fsync'd and
 * renamed over it, and the directory is fsync'd.
 *
 * Concurrent editors (two sluicectl runs) are serialised by flock(2) on the
 * file; the lock is taken again if the file was replaced while waiting.
 */
#ifndef SLUICE_CTL_INI_FILE_H
#define SLUICE_CTL_INI_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "conf/config.h"
#include "ctl.h"

struct ini_file {
	const char *path; /* as given (-c) */
	char *target;     /* realpath(path): the file that is replaced */
	int fd;           /* target, open and locked; -1 when closed */
	struct stat st;   /* of target: mode and owner to keep */
	char *text;       /* its content, NUL-terminated */
	size_t len;
};

/* Open, lock and read path (at most CONFIG_FILE_MAX bytes). */
bool ini_file_open(struct ini_file *file, const char *path, struct ctl_error *err);

enum ini_replace_result {
	INI_REPLACED,
	INI_REFUSED, /* the loader refused the text: err holds its message; nothing written */
	INI_FAILED   /* an I/O problem: err says; nothing written */
};

/* Validate text as the configuration at file->path, then replace the file
 * with it. On INI_REPLACED *cfg (when not NULL) is the loaded configuration
 * (config_free() it). */
enum ini_replace_result ini_file_replace(struct ini_file *file, const char *text, size_t len,
					 struct sluice_config **cfg, struct ctl_error *err);

/* Unlock and free. */
void ini_file_close(struct ini_file *file);

/* The whole of path (at most CONFIG_FILE_MAX bytes) into *text (malloc'd,
 * NUL-terminated), without a lock. */
bool ini_file_read(const char *path, char **text, size_t *len, struct ctl_error *err);

#endif
