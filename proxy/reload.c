/*
 * proxy/reload.c: reloading the configuration (see reload.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify.h"
#include "reload.h"
#include "runconf.h"
#include "server.h"

struct diff_log {
	unsigned changed;
	unsigned restart;
};

static void log_change(const struct config_change *change, void *user)
{
	struct diff_log *d = user;

	d->changed++;
	if (change->reloadable) {
		log_notice("%s.%s: %s -> %s", change->key->section, change->key->name,
			   change->old_text[0] ? change->old_text : "(empty)",
			   change->new_text[0] ? change->new_text : "(empty)");
		return;
	}
	d->restart++;
	log_warn("%s.%s: %s -> %s: restart needed; the running value %s stays until then",
		 change->key->section, change->key->name,
		 change->old_text[0] ? change->old_text : "(empty)",
		 change->new_text[0] ? change->new_text : "(empty)",
		 change->old_text[0] ? change->old_text : "(empty)");
}

/* For GET /status: the outcome of the latest reload, whoever asked for it. */
static void remember(struct server *s, bool ok, const char *err)
{
	struct server_reload_log *last = &s->last_reload;

	last->happened = true;
	last->ok = ok;
	last->at = time(NULL);
	last->generation = s->conf->serial;
	snprintf(last->error, sizeof last->error, "%s", ok ? "" : err);
	if (ok)
		s->loaded_at = last->at;
	notify_reloaded(s);
}

bool reload_run_verbose(struct server *s, char *err, size_t err_size)
{
	struct sluice_config *cfg;
	struct config_error cerr;
	struct runconf *rc;
	struct diff_log diff = { 0, 0 };
	char why[RUNCONF_ERROR_MAX];

	log_notice("reloading %s", s->config_path);
	notify_reloading();
	if (!config_load(s->config_path, &cfg, &cerr)) {
		snprintf(err, err_size, "%s", cerr.message);
		goto failed;
	}
	rc = runconf_new(cfg, s->conf->tls != NULL, s->ticket_keys, s->conf->serial + 1, why, sizeof why);
	if (rc == NULL) {
		snprintf(err, err_size, "%s: %s", s->config_path, why);
		config_free(cfg);
		goto failed;
	}
	if (config_diff(s->conf->cfg, rc->cfg, log_change, &diff) < 0)
		log_warn("reload: out of memory listing the changed keys");
	if (!server_apply(s, rc, err, err_size)) {
		runconf_unref(rc);
		goto failed;
	}
	runconf_unref(s->conf);
	s->conf = rc;
	s->counters.reloads++;
	log_notice("reloaded %s: configuration %llu, %u changed key%s%s", s->config_path,
		   (unsigned long long)rc->serial, diff.changed, diff.changed == 1 ? "" : "s",
		   diff.restart > 0 ? ", some need a restart" : "");
	remember(s, true, NULL);
	return true;
failed:
	s->counters.reload_failures++;
	log_err("reload failed: %s; the running configuration stays", err);
	remember(s, false, err);
	return false;
}

bool reload_run(struct server *s)
{
	char err[RELOAD_ERROR_MAX];

	return reload_run_verbose(s, err, sizeof err);
}
