/*
 * conf/admin_token.h: the bearer token file of [admin] token_file.
 *
 * One reader for both sides: the loader's rules (rules.c) read it so that
 * `sluice -t`, sluicectl's edits and a reload refuse a file the daemon would
 * refuse, and the daemon reads it again when it builds a running
 * configuration (proxy/net/runconf.c), at start and on every reload.
 */
#ifndef SLUICE_CONF_ADMIN_TOKEN_H
#define SLUICE_CONF_ADMIN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

#define CONFIG_TOKEN_MIN 16  /* bytes */
#define CONFIG_TOKEN_MAX 256 /* bytes */

/* Read the token in the file at path. The file holds one line: the token,
 * CONFIG_TOKEN_MIN to CONFIG_TOKEN_MAX visible ASCII bytes ('!' to '~'),
 * and optionally a newline (LF or CRLF), which is not part of it. On success
 * out[0..CONFIG_TOKEN_MAX) holds the token followed by zero bytes and *len
 * its length. On failure out is zeroed and err->message says what is wrong,
 * naming the file but never showing its contents; err->line is untouched. */
bool config_read_token(const char *path, unsigned char out[CONFIG_TOKEN_MAX], size_t *len,
		       struct config_error *err);

#endif
