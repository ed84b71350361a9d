/*
 * conf/internal.h: what the files of conf/ share and nobody else uses.
 */
#ifndef SLUICE_CONF_INTERNAL_H
#define SLUICE_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* The section names of keys.def, in order. */
const char *const *config_sections(size_t *count);

/* Parse text as key's value into cfg, replacing what was there (config.c). */
bool config_set_value(struct sluice_config *cfg, const struct config_key *key, const char *text,
		      const char *directory, struct config_error *err);

/* The rules that span several keys (rules.c). set_at[i] is the line that set
 * key i of config_keys(), 0 for a default. On a broken rule: false, err->line
 * = the line of the key named in the message, err->message = "[section] key:
 * what is wrong, and what is allowed". */
bool config_check_rules(const struct sluice_config *cfg, const unsigned *set_at, struct config_error *err);

/* Field access through the table's offsets. */
#define CONFIG_FIELD(cfg, key, type) ((type *)(void *)((char *)(cfg) + (key)->offset))
#define CONFIG_CONST_FIELD(cfg, key, type) ((const type *)(const void *)((const char *)(cfg) + (key)->offset))
#define CONFIG_COUNT(cfg, key) (*(const size_t *)(const void *)((const char *)(cfg) + (key)->count_offset))

#endif
