/*
 * tools/tenant/tenant_main.c: sluice-tenant, the tenant simulator. Parses
 * the command line, runs one job, prints its statistics (see sluice-tenant(1)).
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "tenant_client.h"
#include "tenant_conn.h"
#include "tenant_job.h"
#include "tenant_options.h"
#include "tenant_report.h"

/* The failure that aborted the run: the job's own, or the first task's. */
static const struct failure *abort_reason(const struct job_stats *st)
{
	if (st->why.message[0] != '\0')
		return &st->why;
	for (unsigned i = 0; i < st->task_count; i++) {
		const struct task_stats *t = &st->tasks[i];

		if (t->started && t->status == RUN_FAILED && t->why.http_status == 0 &&
		    (strcmp(t->why.code, "connection") == 0 || strcmp(t->why.code, "local") == 0))
			return &t->why;
	}
	return NULL;
}

static int run(const struct tenant_options *opt)
{
	struct client_setup setup;
	struct job_stats st;
	const struct failure *why;
	SSL_CTX *tls = NULL;
	char err[512];
	int code;

	if (!opt->plain) {
		tls = conn_tls_context(opt->ca_file, err, sizeof(err));
		if (tls == NULL) {
			fprintf(stderr, "sluice-tenant: %s\n", err);
			return 2;
		}
	}
	memset(&st, 0, sizeof(st));
	st.tasks = calloc(opt->tasks, sizeof(*st.tasks));
	if (st.tasks == NULL || !client_setup_init(&setup, opt->host, opt->port, opt->host_header, tls,
						   opt->tenant, opt->secret)) {
		fprintf(stderr, "sluice-tenant: out of memory\n");
		free(st.tasks);
		SSL_CTX_free(tls);
		return 2;
	}
	job_run(opt, &setup, isatty(STDERR_FILENO) == 1, &st);
	if (opt->json)
		report_json(stdout, &st);
	else
		report_text(stdout, &st);
	why = abort_reason(&st);
	if (st.aborted && why != NULL)
		fprintf(stderr, "sluice-tenant: %s\n", why->message);
	code = job_stats_exit_code(&st);
	if (fflush(stdout) != 0 && code == 0)
		code = 2;
	free(st.tasks);
	SSL_CTX_free(tls);
	return code;
}

int main(int argc, char *argv[])
{
	static struct tenant_options opt;
	char err[512];

	/* A server that closes while a block is on its way must not kill us:
	 * the write fails and the answer, if any, is still read. */
	signal(SIGPIPE, SIG_IGN);
	switch (tenant_options_parse(argc, argv, getenv("SLUICE_TENANT"), &opt, err, sizeof(err))) {
	case TENANT_OPTIONS_HELP:
		tenant_usage(stdout);
		return 0;
	case TENANT_OPTIONS_VERSION:
		printf("sluice-tenant %s\n", PACKAGE_VERSION);
		return 0;
	case TENANT_OPTIONS_USAGE_ERROR:
		fprintf(stderr, "sluice-tenant: %s\nTry 'sluice-tenant --help'.\n", err);
		return 2;
	case TENANT_OPTIONS_RUN:
		break;
	}
	if (opt.job[0] == '\0')
		tenant_default_job_id(opt.command, time(NULL), (long)getpid(), opt.job);
	return run(&opt);
}
