/*
 * tools/repo/repo_main.c: sluice-repo's command line, start-up and stop.
 *
 *   sluice-repo --listen HOST:PORT --data DIR --users FILE [--ready-file PATH]
 *               [--discard] [--fsync] [--max-block SIZE] [--max-connections N]
 *               [--log-requests] [-v]
 *   sluice-repo --verify DIR [--json]
 *
 * SIGHUP reads the users file again.
 *
 * Exit status: 0 after a clean stop (SIGTERM, SIGINT); 1 when it cannot start
 * (users file, data directory, address); 2 on usage errors. --verify: 0
 * nothing corrupt, 1 something corrupt, 2 usage or DIR unusable.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "repo.h"
#include "repo_server.h"
#include "repo_verify.h"

#define EXIT_START 1
#define EXIT_USAGE 2
#define MAX_CONNECTIONS_DEFAULT 4096
#define MAX_CONNECTIONS_LIMIT 1000000

enum {
	OPT_READY = 256,
	OPT_DISCARD,
	OPT_FSYNC,
	OPT_MAX_BLOCK,
	OPT_MAX_CONNECTIONS,
	OPT_LOG_REQUESTS,
	OPT_VERIFY,
	OPT_JSON,
	OPT_VERSION
};

static const struct option long_options[] = { { "listen", required_argument, NULL, 'l' },
					      { "data", required_argument, NULL, 'd' },
					      { "users", required_argument, NULL, 'u' },
					      { "ready-file", required_argument, NULL, OPT_READY },
					      { "discard", no_argument, NULL, OPT_DISCARD },
					      { "fsync", no_argument, NULL, OPT_FSYNC },
					      { "max-block", required_argument, NULL, OPT_MAX_BLOCK },
					      { "max-connections", required_argument, NULL,
						OPT_MAX_CONNECTIONS },
					      { "log-requests", no_argument, NULL, OPT_LOG_REQUESTS },
					      { "verbose", no_argument, NULL, 'v' },
					      { "verify", required_argument, NULL, OPT_VERIFY },
					      { "json", no_argument, NULL, OPT_JSON },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, OPT_VERSION },
					      { NULL, 0, NULL, 0 } };

static const char usage_text[] =
	"usage: sluice-repo --listen HOST:PORT --data DIR --users FILE [--ready-file PATH]\n"
	"                   [--discard] [--fsync] [--max-block SIZE] [--max-connections N]\n"
	"                   [--log-requests] [-v]\n"
	"       sluice-repo --verify DIR [--json]\n"
	"       sluice-repo --help | --version\n"
	"\n"
	"The reference TSP/1 cloud repository (see sluice-repo(8), tsp(7)).\n"
	"\n"
	"  --listen HOST:PORT  address to serve plain TCP on; port 0 picks a free one\n"
	"  --data DIR          where jobs, tasks, blocks and replicas are kept (created if missing)\n"
	"  --users FILE        tenants, one \"tenant:secret\" per line, # comments;\n"
	"                      read again on SIGHUP\n"
	"  --ready-file PATH   once listening, write the bound address (HOST:PORT) there\n"
	"  --discard           accept block data and drop it: nothing written, no digest\n"
	"                      computed (benchmarks); restores of such blocks fail\n"
	"  --fsync             fsync every block and metadata file before answering\n"
	"  --max-block SIZE    largest block accepted (bytes, or with K or M; at most 64M)\n"
	"  --max-connections N connections served at once (default 4096); one more is\n"
	"                      closed as soon as it is accepted\n"
	"  --log-requests      one line per request on stderr\n"
	"  -v, --verbose       --log-requests, and connection events\n"
	"  --verify DIR        re-read every stored block, check its digest, list each task\n"
	"                      as complete, incomplete or corrupt; exit 1 if any is corrupt\n"
	"  --json              with --verify: the same as JSON\n";

void repo_log(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice-repo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void repo_reload_users(struct repo *repo)
{
	struct users *fresh = NULL;
	char err[PATH_MAX + 256];

	if (users_load(repo->opt.users_file, &fresh, err, sizeof err) != 0) {
		repo_log("reload: --users %s: the tenants in use stay", err);
		return;
	}
	users_free(repo->users);
	repo->users = fresh;
	repo_log("reload: %zu tenant(s) from %s", users_count(fresh), repo->opt.users_file);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice-repo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see sluice-repo --help)\n", stderr);
	return EXIT_USAGE;
}

/* "65536", "64K", "1M", "64MiB": 1..TSP_BLOCK_MAX bytes. */
static bool parse_size(const char *s, uint32_t *out)
{
	uint64_t v = 0, unit = 1;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > TSP_BLOCK_MAX)
			return false;
	}
	if (p == s)
		return false;
	if (*p == 'K' || *p == 'k')
		unit = 1024;
	else if (*p == 'M' || *p == 'm')
		unit = 1024 * 1024;
	if (unit > 1 && *++p == 'i' && p[1] == 'B')
		p += 2;
	if (*p != '\0' || v * unit == 0 || v * unit > TSP_BLOCK_MAX)
		return false;
	*out = (uint32_t)(v * unit);
	return true;
}

/* A decimal count of 1..MAX_CONNECTIONS_LIMIT. */
static bool parse_count(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > MAX_CONNECTIONS_LIMIT)
			return false;
	}
	if (p == s || *p != '\0' || v == 0)
		return false;
	*out = (uint32_t)v;
	return true;
}

struct command {
	struct repo_options opt;
	const char *verify_dir;
	bool json;
};

static int parse_option(struct command *cmd, int c, const char *arg, const char *argv_opt)
{
	switch (c) {
	case 'l':
		cmd->opt.listen = arg;
		break;
	case 'd':
		cmd->opt.data_dir = arg;
		break;
	case 'u':
		cmd->opt.users_file = arg;
		break;
	case OPT_READY:
		cmd->opt.ready_file = arg;
		break;
	case OPT_DISCARD:
		cmd->opt.discard = true;
		break;
	case OPT_FSYNC:
		cmd->opt.fsync = true;
		break;
	case OPT_LOG_REQUESTS:
		cmd->opt.log_requests = true;
		break;
	case 'v':
		cmd->opt.verbose = cmd->opt.log_requests = true;
		break;
	case OPT_VERIFY:
		cmd->verify_dir = arg;
		break;
	case OPT_JSON:
		cmd->json = true;
		break;
	case OPT_MAX_BLOCK:
		if (!parse_size(arg, &cmd->opt.max_block))
			return usage_error("--max-block %s: expected a size of 1 byte to 64M "
					   "(a number, optionally with K or M)",
					   arg);
		break;
	case OPT_MAX_CONNECTIONS:
		if (!parse_count(arg, &cmd->opt.max_connections))
			return usage_error("--max-connections %s: expected a number of 1 to %u", arg,
					   MAX_CONNECTIONS_LIMIT);
		break;
	default:
		return usage_error("unknown option or missing argument: %s", argv_opt);
	}
	return 0;
}

/* Fills cmd; returns -1 after --help/--version (exit 0), 0, or EXIT_USAGE. */
static int parse_command_line(int argc, char **argv, struct command *cmd)
{
	int c, rc;

	memset(cmd, 0, sizeof *cmd);
	cmd->opt.max_block = TSP_BLOCK_MAX;
	cmd->opt.max_connections = MAX_CONNECTIONS_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", long_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return -1;
		}
		if (c == OPT_VERSION) {
			printf("sluice-repo %s\n", PACKAGE_VERSION);
			return -1;
		}
		rc = parse_option(cmd, c, optarg, argv[optind - 1]);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument %s", argv[optind]);
	if (cmd->verify_dir != NULL) {
		if (cmd->opt.listen || cmd->opt.data_dir || cmd->opt.users_file || cmd->opt.ready_file ||
		    cmd->opt.discard || cmd->opt.fsync || cmd->opt.log_requests)
			return usage_error("--verify DIR takes only --json");
		return 0;
	}
	if (cmd->json)
		return usage_error("--json goes with --verify DIR");
	if (cmd->opt.listen == NULL)
		return usage_error("--listen HOST:PORT is required (e.g. --listen 127.0.0.1:0)");
	if (cmd->opt.data_dir == NULL)
		return usage_error("--data DIR is required");
	if (cmd->opt.users_file == NULL)
		return usage_error("--users FILE is required (lines tenant:secret)");
	return 0;
}

/* A connection takes a descriptor, and one more while it streams a stored
 * block: raise the soft open-file limit toward twice --max-connections (up
 * to the hard limit), and say so when that is not enough (accepting then
 * pauses on EMFILE instead). */
static void fit_descriptor_limit(uint32_t max_connections)
{
	rlim_t want = 2 * (rlim_t)max_connections + 64;
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY ||
	    nofile.rlim_cur >= want)
		return;
	nofile.rlim_cur = nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max >= want ? want
										      : nofile.rlim_max;
	setrlimit(RLIMIT_NOFILE, &nofile);
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want)
		repo_log("the open-file limit (%llu) is below 2 x --max-connections %u: "
			 "raise it (ulimit -n) to serve that many",
			 (unsigned long long)nofile.rlim_cur, max_connections);
}

static int start(struct repo *repo, struct repo_server *srv)
{
	char err[PATH_MAX + 256];
	int rc;

	if (users_load(repo->opt.users_file, &repo->users, err, sizeof err) != 0) {
		repo_log("--users %s", err);
		return EXIT_START;
	}
	rc = store_init(&repo->store, repo->opt.data_dir, repo->opt.fsync);
	if (rc == 0)
		rc = store_lock(&repo->store);
	if (rc != 0) {
		repo_log("--data %s: %s", repo->opt.data_dir,
			 rc == EWOULDBLOCK ? "another sluice-repo serves this directory" : strerror(rc));
		return EXIT_START;
	}
	repo->catalog = catalog_new(&repo->store, repo->opt.discard, NULL);
	if (repo->catalog == NULL) {
		repo_log("out of memory");
		return EXIT_START;
	}
	if (server_listen(srv, repo, repo->opt.listen, err, sizeof err) != 0 ||
	    (repo->opt.ready_file != NULL &&
	     server_write_ready_file(srv, repo->opt.ready_file, err, sizeof err) != 0)) {
		repo_log("%s", err);
		return EXIT_START;
	}
	fit_descriptor_limit(repo->opt.max_connections);
	repo_log("%s listening on %s: data %s%s, %zu tenant(s), blocks up to %u bytes, "
		 "up to %u connections%s",
		 PACKAGE_VERSION, srv->bound, repo->opt.data_dir, repo->opt.fsync ? " (fsync)" : "",
		 users_count(repo->users), (unsigned)repo->opt.max_block, (unsigned)repo->opt.max_connections,
		 repo->opt.discard ? "; --discard: block data is dropped, not stored" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct command cmd;
	struct repo repo;
	struct repo_server srv = { .listen_fd = -1 };
	int rc = parse_command_line(argc, argv, &cmd);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (cmd.verify_dir != NULL)
		return verify_command(cmd.verify_dir, cmd.json, stdout);
	signal(SIGPIPE, SIG_IGN);
	memset(&repo, 0, sizeof repo);
	repo.opt = cmd.opt;
	repo.store.lock_fd = -1;
	outbuf_init(&repo.scratch);
	rc = start(&repo, &srv);
	if (rc == 0)
		repo_server_run(&srv);
	server_close(&srv);
	if (rc == 0)
		repo_log("stopped");
	catalog_free(repo.catalog);
	store_unlock(&repo.store);
	users_free(repo.users);
	outbuf_free(&repo.scratch);
	return rc;
}
