/*
 * conf/key_line.h: the line of an INI file that sets a key, for problems
 * found after the file loaded (a certificate the daemon cannot use, a host
 * that does not resolve), so that they read as the loader's own errors do:
 * "FILE:LINE: [section] key: what is wrong".
 */
#ifndef SLUICE_CONF_KEY_LINE_H
#define SLUICE_CONF_KEY_LINE_H

#include "conf/config.h"

/* The 1-based line of the file at path that sets [section] key (the first
 * one, as the loader reads it); 0 when the file does not set it or cannot
 * be read. */
unsigned config_key_line(const char *path, const char *section, const char *key);

/* err = "path:LINE: message" when message begins "[section] key:" and the
 * file sets that key on LINE; otherwise "path: message". */
void config_error_at_key(struct config_error *err, const char *path, const char *message);

#endif
