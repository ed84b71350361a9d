/*
 * tests/unit/restic_vectors.h: restic REST request vectors and the
 * classification the restic profile requires for each (protocol/restic.h,
 * protocol/RESTIC.md section 4). Shared by the unit test (one case per
 * row) and by the generator of the fuzz seed corpus (tests/fuzz/corpus/restic).
 *
 * A row is a head, the request line and its header lines each ending in
 * "\n" (the test turns every "\n" into CRLF and adds the empty line), then
 * what follows the head on the wire: `body` filler bytes, or the raw `tail`.
 * The heads are what restic 0.14 sends (Go's HTTP client): Host, User-Agent
 * Go-http-client/1.1, Accept: application/vnd.x.restic.rest.v2,
 * Authorization: Basic, Range on every GET of a file, Content-Length and
 * Content-Type on every POST, Accept-Encoding: gzip where Go adds it.
 */
#ifndef SLUICE_RESTIC_VECTORS_H
#define SLUICE_RESTIC_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsp.h"

/* The option sets a row is classified under. */
enum rv_options {
	RV_DEFAULT = 0, /* private_repos off, no backup_copy globs */
	RV_NULL,        /* options == NULL */
	RV_PRIVATE,     /* private_repos on */
	RV_COPY,        /* backup_copy_repositories = /acme/offsite*, * /copy-* */
	RV_PRIVATE_COPY,
	RV_OPTIONS_COUNT
};

#define RV_CLIENT "192.0.2.10"   /* the default client address */
#define RV_CLIENT6 "2001:db8::7" /* another one */

struct restic_vector {
	const char *name;
	const char *head;       /* request line and header lines, "\n" each */
	size_t body;            /* filler bytes after the head (at most Content-Length) */
	const char *tail;       /* or these raw bytes after the head */
	enum rv_options options;
	const char *client;     /* NULL: RV_CLIENT */
	bool by_hand;           /* the framer refuses the head itself (400); the
				 * classifier gets it built by hand */
	unsigned status;        /* 0: classified as below */
	const char *allow;      /* 405 */
	enum tsp_role role;
	enum tsp_category category, source_category;
	const char *tenant;     /* NULL: "acme" */
	const char *repository;
	const char *task;       /* NULL: "" */
	bool opens, saves;
	uint32_t body_bytes;
};

/* ---- the wire ---- */

#define RV_HOST "Host: backup.example.net:8000\n"
#define RV_UA "User-Agent: Go-http-client/1.1\n"
#define RV_ACCEPT "Accept: application/vnd.x.restic.rest.v2\n"
#define RV_AUTH "Authorization: Basic YWNtZTpzM2NyZXQ=\n"     /* acme:s3cret */
#define RV_AUTH_BOB "Authorization: Basic Ym9iOmh1bnRlcjI=\n" /* bob:hunter2 */
#define RV_GZIP "Accept-Encoding: gzip\n"
#define RV_OCTET "Content-Type: application/octet-stream\n"
#define RV_RANGE "Range: bytes=0-\n"

/* One request of each form, as restic 0.14 writes it. */
#define RV_HEAD_OF(path) "HEAD " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH
#define RV_LIST_OF(path) "GET " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH RV_GZIP
#define RV_GET_OF(path) "GET " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH RV_RANGE
#define RV_POST_OF(path, len) \
	"POST " path " HTTP/1.1\n" RV_HOST RV_UA "Content-Length: " #len "\n" RV_ACCEPT RV_AUTH RV_OCTET RV_GZIP
#define RV_DELETE_OF(path) "DELETE " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH RV_GZIP
/* Any method, restic's headers otherwise. */
#define RV_REQ(method, path) method " " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH
#define RV_NOAUTH(method, path) method " " path " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT

/* File names: restic's are 64 lowercase hex (SHA-256). */
#define RV_LOCK "498619462c9cfdb128abfc07f8549a95a3b2d06b74c88f1bc704eb17ba4cb260"
#define RV_LOCK2 "bcb2465259e29f11a3da0544182daa45532c664177f962133ddd78918e8b6220"
#define RV_KEY "8174099687a26621f4e2cdd7cc03b3dacedb3fb962255b1aafd033cabe831530"
#define RV_DATA "5b41362bc82b7f3d56edc5a306db22105707d01ff4819e26faef9724a2d406c9"
#define RV_DATA2 "d98cf53e0c8b77c14a96358d5b69584225b4bb9026423cbc2f7b0161894c402c"
#define RV_INDEX "7e7c95a2255218159e05c9b29e184dc148de5fda66054d1e88fec6335144cb19"
#define RV_INDEX2 "89515c9e792505152e4f34e624dd0ec313836546ccb5a7293b1f4db32b717ea5"
#define RV_SNAP "c3ff832377ee3e0bcdd66aa561bdfa33138cafb5c754060967bad46078d7c25b"

#define RV_REPO "/acme/main"
#define RV_NESTED "/acme/projects/web/main"
#define RV_OFFSITE "/acme/offsite"

/* 64-byte segments, for the length limits. */
#define RV_SEG64 "s123456789a123456789b123456789c123456789d123456789e123456789f123"
#define RV_SEG65 RV_SEG64 "x"
#define RV_SEG59 "s123456789a123456789b123456789c123456789d123456789e12345678"
#define RV_SEG60 RV_SEG59 "x"
/* 255 bytes: "/" 64, three times, then "/" 59; one more byte is too long. */
#define RV_REPO255 "/" RV_SEG64 "/" RV_SEG64 "/" RV_SEG64 "/" RV_SEG59
#define RV_REPO256 "/" RV_SEG64 "/" RV_SEG64 "/" RV_SEG64 "/" RV_SEG60
/* 14 segments: with a type and a name, 16 path segments, the most. */
#define RV_REPO14 "/a/b/c/d/e/f/g/h/i/j/k/l/m/n"

/* ---- rows ---- */

#define RV_READ(n, h, repo) \
	.name = n, .head = h, .role = TSP_ROLE_READ, .category = TSP_CAT_RESTORE, \
	.source_category = TSP_CAT_BACKUP, .repository = repo
#define RV_READ_COPY(n, h, repo) \
	.name = n, .head = h, .role = TSP_ROLE_READ, .category = TSP_CAT_RESTORE, \
	.source_category = TSP_CAT_BACKUP_COPY, .repository = repo
#define RV_WRITE(n, h, repo) \
	.name = n, .head = h, .role = TSP_ROLE_WRITE, .category = TSP_CAT_BACKUP, \
	.source_category = TSP_CAT_BACKUP, .repository = repo
#define RV_WRITE_COPY(n, h, repo) \
	.name = n, .head = h, .role = TSP_ROLE_WRITE, .category = TSP_CAT_BACKUP_COPY, \
	.source_category = TSP_CAT_BACKUP_COPY, .repository = repo
#define RV_LOCKS(n, h, repo, r, id) \
	.name = n, .head = h, .role = r, .category = TSP_CAT_BACKUP, \
	.source_category = TSP_CAT_BACKUP, .repository = repo, .task = id
#define RV_LOCKS_COPY(n, h, repo, r, id) \
	.name = n, .head = h, .role = r, .category = TSP_CAT_BACKUP_COPY, \
	.source_category = TSP_CAT_BACKUP_COPY, .repository = repo, .task = id
#define RV_REFUSE(n, h, st) .name = n, .head = h, .status = st
#define RV_405(n, h, methods) .name = n, .head = h, .status = 405, .allow = methods

#define RV_ALLOW_FILE "GET, HEAD, POST, DELETE"

/* The table (test_restic.c); restic_fixture.h wants the types only. */
#ifndef RESTIC_VECTORS_TYPES_ONLY
static const struct restic_vector restic_vectors[] = {
	/* ---- opening a repository (every command) ---- */
	{ RV_READ("head config", RV_HEAD_OF(RV_REPO "/config"), RV_REPO), .opens = true },
	{ RV_READ("list keys", RV_LIST_OF(RV_REPO "/keys/"), RV_REPO) },
	{ RV_READ("get key with range", RV_GET_OF(RV_REPO "/keys/" RV_KEY), RV_REPO) },
	{ RV_READ("get config with range", RV_GET_OF(RV_REPO "/config"), RV_REPO), .opens = true },
	{ RV_READ("get config without range, content-length 0",
		  "GET " RV_REPO "/config HTTP/1.1\n" RV_HOST RV_UA "Content-Length: 0\n" RV_ACCEPT RV_AUTH,
		  RV_REPO), .opens = true },
	/* ---- the lock dance ---- */
	{ RV_READ("list locks", RV_LIST_OF(RV_REPO "/locks/"), RV_REPO) },
	{ RV_LOCKS("lock create", RV_POST_OF(RV_REPO "/locks/" RV_LOCK, 137), RV_REPO,
		   TSP_ROLE_LOCK_CREATE, RV_LOCK), .body = 137, .body_bytes = 137 },
	{ RV_READ("get a lock file", RV_GET_OF(RV_REPO "/locks/" RV_LOCK2), RV_REPO) },
	{ RV_READ("head a lock file", RV_HEAD_OF(RV_REPO "/locks/" RV_LOCK2), RV_REPO) },
	{ RV_LOCKS("lock refresh: the new lock", RV_POST_OF(RV_REPO "/locks/" RV_LOCK2, 135), RV_REPO,
		   TSP_ROLE_LOCK_CREATE, RV_LOCK2), .body = 135, .body_bytes = 135 },
	{ RV_LOCKS("lock delete", RV_DELETE_OF(RV_REPO "/locks/" RV_LOCK), RV_REPO,
		   TSP_ROLE_LOCK_DELETE, RV_LOCK) },
	/* ---- backup ---- */
	{ RV_READ("list snapshots", RV_LIST_OF(RV_REPO "/snapshots/"), RV_REPO) },
	{ RV_READ("list index", RV_LIST_OF(RV_REPO "/index/"), RV_REPO) },
	{ RV_WRITE("pack upload 16 MiB", RV_POST_OF(RV_REPO "/data/" RV_DATA, 16777216), RV_REPO),
	  .body = 4096, .body_bytes = 16777216 },
	{ RV_WRITE("index upload", RV_POST_OF(RV_REPO "/index/" RV_INDEX, 154112), RV_REPO),
	  .body = 100, .body_bytes = 154112 },
	{ RV_WRITE("snapshot upload", RV_POST_OF(RV_REPO "/snapshots/" RV_SNAP, 187), RV_REPO),
	  .body = 187, .saves = true, .body_bytes = 187 },
	{ RV_WRITE("largest pack, 4 GiB - 1", RV_POST_OF(RV_REPO "/data/" RV_DATA2, 4294967295), RV_REPO),
	  .body_bytes = 4294967295u },
	{ RV_WRITE("empty pack", RV_POST_OF(RV_REPO "/data/" RV_DATA2, 0), RV_REPO) },
	{ RV_WRITE("post with Expect: 100-continue",
		   "POST " RV_REPO "/data/" RV_DATA " HTTP/1.1\n" RV_HOST RV_UA "Content-Length: 10\n"
		   "Expect: 100-continue\n" RV_AUTH, RV_REPO), .body = 10, .body_bytes = 10 },
	/* ---- restore, check, mount ---- */
	{ RV_READ("get pack with range",
		  "GET " RV_REPO "/data/" RV_DATA " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH
		  "Range: bytes=1048576-2097151\n", RV_REPO) },
	{ RV_READ("list data", RV_LIST_OF(RV_REPO "/data/"), RV_REPO) },
	{ RV_READ("get snapshot", RV_GET_OF(RV_REPO "/snapshots/" RV_SNAP), RV_REPO) },
	{ RV_READ("get index", RV_GET_OF(RV_REPO "/index/" RV_INDEX), RV_REPO) },
	{ RV_READ("head pack (v1 lists)", RV_HEAD_OF(RV_REPO "/data/" RV_DATA), RV_REPO) },
	{ RV_READ("list with the v1 Accept",
		  "GET " RV_REPO "/snapshots/ HTTP/1.1\n" RV_HOST RV_UA
		  "Accept: application/vnd.x.restic.rest.v1\n" RV_AUTH RV_GZIP, RV_REPO) },
	{ RV_READ("get with Connection: close",
		  "GET " RV_REPO "/config HTTP/1.1\n" RV_HOST RV_UA RV_AUTH "Connection: close\n", RV_REPO),
	  .opens = true },
	{ RV_READ("header names in any case",
		  "GET " RV_REPO "/keys/ HTTP/1.1\nhost: h\nauthorization: Basic YWNtZTpzM2NyZXQ=\n", RV_REPO) },
	/* ---- init ---- */
	{ RV_WRITE("create repository", RV_POST_OF(RV_REPO "/?create=true", 0), RV_REPO) },
	{ RV_WRITE("init key", RV_POST_OF(RV_REPO "/keys/" RV_KEY, 439), RV_REPO), .body = 439,
	  .body_bytes = 439 },
	{ RV_WRITE("init config", RV_POST_OF(RV_REPO "/config", 155), RV_REPO), .body = 155,
	  .body_bytes = 155 },
	/* ---- forget, prune, key remove ---- */
	{ RV_WRITE("forget: delete snapshot", RV_DELETE_OF(RV_REPO "/snapshots/" RV_SNAP), RV_REPO) },
	{ RV_WRITE("prune: delete index", RV_DELETE_OF(RV_REPO "/index/" RV_INDEX2), RV_REPO) },
	{ RV_WRITE("prune: delete pack", RV_DELETE_OF(RV_REPO "/data/" RV_DATA2), RV_REPO) },
	{ RV_WRITE("key remove", RV_DELETE_OF(RV_REPO "/keys/" RV_KEY), RV_REPO) },
	{ RV_WRITE("delete config", RV_DELETE_OF(RV_REPO "/config"), RV_REPO) },
	/* ---- where a repository can be ---- */
	{ RV_READ("nested repository: head config", RV_HEAD_OF(RV_NESTED "/config"), RV_NESTED), .opens = true },
	{ RV_LOCKS("nested repository: lock create", RV_POST_OF(RV_NESTED "/locks/" RV_LOCK, 136), RV_NESTED,
		   TSP_ROLE_LOCK_CREATE, RV_LOCK), .body = 136, .body_bytes = 136 },
	{ RV_WRITE("nested repository: create", RV_POST_OF(RV_NESTED "/?create=true", 0), RV_NESTED) },
	{ RV_WRITE("create of a repository named like a type", RV_POST_OF(RV_REPO "/data/?create=true", 0),
		   RV_REPO "/data") },
	{ RV_READ("root repository: head config", RV_HEAD_OF("/config"), "/"), .opens = true },
	{ RV_READ("root repository: list keys", RV_LIST_OF("/keys/"), "/") },
	{ RV_READ("root repository: get pack", RV_GET_OF("/data/" RV_DATA), "/") },
	{ RV_WRITE("root repository: create", RV_POST_OF("/?create=true", 0), "/") },
	{ RV_LOCKS("root repository: lock create", RV_POST_OF("/locks/" RV_LOCK, 137), "/",
		   TSP_ROLE_LOCK_CREATE, RV_LOCK), .body = 137, .body_bytes = 137 },
	{ RV_LOCKS("root repository: lock delete", RV_DELETE_OF("/locks/" RV_LOCK), "/",
		   TSP_ROLE_LOCK_DELETE, RV_LOCK) },
	{ RV_WRITE("root repository: snapshot", RV_POST_OF("/snapshots/" RV_SNAP, 187), "/"), .body = 187,
	  .saves = true, .body_bytes = 187 },
	{ RV_READ("repository named like a type: config", RV_GET_OF("/acme/data/config"), "/acme/data"),
	  .opens = true },
	{ RV_READ("repository named like a type: list", RV_LIST_OF("/acme/locks/keys/"), "/acme/locks") },
	{ RV_LOCKS("repository named like a type: lock", RV_POST_OF("/acme/locks/locks/" RV_LOCK, 137),
		   "/acme/locks", TSP_ROLE_LOCK_CREATE, RV_LOCK), .body = 137, .body_bytes = 137 },
	{ RV_READ("repository segments of every id byte", RV_HEAD_OF("/acme/host-01.example_NET/config"),
		  "/acme/host-01.example_NET"), .opens = true },
	{ RV_READ("16 segments", RV_GET_OF(RV_REPO14 "/data/" RV_DATA), RV_REPO14) },
	{ RV_READ("16 segments with config", RV_HEAD_OF(RV_REPO14 "/o/config"), RV_REPO14 "/o"),
	  .opens = true },
	{ RV_READ("16 segments with a list", RV_LIST_OF(RV_REPO14 "/o/data/"), RV_REPO14 "/o") },
	{ RV_READ("repository of 255 bytes", RV_HEAD_OF(RV_REPO255 "/config"), RV_REPO255), .opens = true },
	{ RV_LOCKS("lock id of 64 bytes of any id byte", RV_POST_OF(RV_REPO "/locks/" RV_SEG64, 1), RV_REPO,
		   TSP_ROLE_LOCK_CREATE, RV_SEG64), .body = 1, .body_bytes = 1 },
	{ RV_LOCKS("lock id of 1 byte", RV_DELETE_OF(RV_REPO "/locks/x"), RV_REPO, TSP_ROLE_LOCK_DELETE,
		   "x") },
	{ RV_READ("another client", RV_HEAD_OF(RV_REPO "/config"), RV_REPO), .opens = true,
	  .client = RV_CLIENT6 },
	{ RV_READ("no options", RV_HEAD_OF(RV_REPO "/config"), RV_REPO), .opens = true, .options = RV_NULL },
	{ RV_LOCKS("no options: lock", RV_POST_OF(RV_REPO "/locks/" RV_LOCK, 137), RV_REPO,
		   TSP_ROLE_LOCK_CREATE, RV_LOCK), .options = RV_NULL, .body = 137, .body_bytes = 137 },
	/* ---- backup-copy repositories (backup_copy_repositories = /acme/offsite*, * /copy-*) ---- */
	{ RV_READ_COPY("copy target: head config", RV_HEAD_OF(RV_OFFSITE "/config"), RV_OFFSITE),
	  .options = RV_COPY, .opens = true },
	{ RV_READ_COPY("copy target: list snapshots", RV_LIST_OF(RV_OFFSITE "/snapshots/"), RV_OFFSITE),
	  .options = RV_COPY },
	{ RV_LOCKS_COPY("copy target: lock create", RV_POST_OF(RV_OFFSITE "/locks/" RV_LOCK, 137), RV_OFFSITE,
			TSP_ROLE_LOCK_CREATE, RV_LOCK), .options = RV_COPY, .body = 137, .body_bytes = 137 },
	{ RV_WRITE_COPY("copy target: pack upload", RV_POST_OF(RV_OFFSITE "/data/" RV_DATA, 1024), RV_OFFSITE),
	  .options = RV_COPY, .body = 1024, .body_bytes = 1024 },
	{ RV_WRITE_COPY("copy target: snapshot", RV_POST_OF(RV_OFFSITE "/snapshots/" RV_SNAP, 187),
			RV_OFFSITE), .options = RV_COPY, .body = 187, .saves = true, .body_bytes = 187 },
	{ RV_LOCKS_COPY("copy target: lock delete", RV_DELETE_OF(RV_OFFSITE "/locks/" RV_LOCK), RV_OFFSITE,
			TSP_ROLE_LOCK_DELETE, RV_LOCK), .options = RV_COPY },
	{ RV_WRITE_COPY("copy target: create", RV_POST_OF(RV_OFFSITE "/?create=true", 0), RV_OFFSITE),
	  .options = RV_COPY },
	{ RV_WRITE_COPY("copy target: glob matches a longer name",
			RV_POST_OF("/acme/offsite-eu/index/" RV_INDEX, 10), "/acme/offsite-eu"),
	  .options = RV_COPY, .body = 10, .body_bytes = 10 },
	{ RV_WRITE_COPY("copy target: * crosses a slash", RV_DELETE_OF("/acme/vault/copy-2024/data/" RV_DATA),
			"/acme/vault/copy-2024"), .options = RV_COPY },
	{ RV_WRITE("copy options, other repository", RV_POST_OF(RV_REPO "/data/" RV_DATA, 10), RV_REPO),
	  .options = RV_COPY, .body = 10, .body_bytes = 10 },
	{ RV_WRITE("copy options, glob is anchored", RV_POST_OF("/bob/acme/offsite/data/" RV_DATA, 10),
		   "/bob/acme/offsite"), .options = RV_COPY, .body = 10, .body_bytes = 10 },
	{ RV_READ("copy options, source repository read", RV_GET_OF(RV_REPO "/data/" RV_DATA), RV_REPO),
	  .options = RV_COPY },
	/* ---- private_repos = on ---- */
	{ RV_READ("private: own repository", RV_LIST_OF(RV_REPO "/keys/"), RV_REPO), .options = RV_PRIVATE },
	{ RV_WRITE("private: repository named as the user", RV_POST_OF("/acme/data/" RV_DATA, 5), "/acme"),
	  .options = RV_PRIVATE, .body = 5, .body_bytes = 5 },
	{ RV_WRITE("private: create", RV_POST_OF(RV_REPO "/?create=true", 0), RV_REPO), .options = RV_PRIVATE },
	{ RV_LOCKS("private: lock create", RV_POST_OF(RV_NESTED "/locks/" RV_LOCK, 137), RV_NESTED,
		   TSP_ROLE_LOCK_CREATE, RV_LOCK), .options = RV_PRIVATE, .body = 137, .body_bytes = 137 },
	{ RV_READ("private: another user in their repository",
		  "HEAD /bob/main/config HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH_BOB, "/bob/main"),
	  .options = RV_PRIVATE, .tenant = "bob", .opens = true },
	{ RV_WRITE_COPY("private and copy", RV_POST_OF(RV_OFFSITE "/data/" RV_DATA, 5), RV_OFFSITE),
	  .options = RV_PRIVATE_COPY, .body = 5, .body_bytes = 5 },
	{ RV_READ("off: another user's repository", RV_LIST_OF("/bob/main/keys/"), "/bob/main") },
	{ RV_READ("off: root repository", RV_HEAD_OF("/config"), "/"), .opens = true },
	{ RV_REFUSE("private: another user's repository", RV_LIST_OF("/bob/main/keys/"), 403),
	  .options = RV_PRIVATE },
	{ RV_REFUSE("private: another user's lock", RV_POST_OF("/bob/main/locks/" RV_LOCK, 137), 403),
	  .options = RV_PRIVATE, .body = 137 },
	{ RV_REFUSE("private: root repository", RV_HEAD_OF("/config"), 403), .options = RV_PRIVATE },
	{ RV_REFUSE("private: root create", RV_POST_OF("/?create=true", 0), 403), .options = RV_PRIVATE },
	{ RV_REFUSE("private: root lock", RV_POST_OF("/locks/" RV_LOCK, 137), 403), .options = RV_PRIVATE },
	{ RV_REFUSE("private: user name as a prefix", RV_HEAD_OF("/acmex/main/config"), 403),
	  .options = RV_PRIVATE },
	{ RV_REFUSE("private: prefix of the user name", RV_HEAD_OF("/acm/main/config"), 403),
	  .options = RV_PRIVATE },
	{ RV_REFUSE("private: case differs", RV_HEAD_OF("/ACME/main/config"), 403), .options = RV_PRIVATE },
	{ RV_REFUSE("private: user in a later segment", RV_HEAD_OF("/bob/acme/config"), 403),
	  .options = RV_PRIVATE },
	{ RV_REFUSE("private and copy: another user", RV_POST_OF("/bob/offsite/data/" RV_DATA, 5), 403),
	  .options = RV_PRIVATE_COPY, .body = 5 },
	/* ---- 404: not a restic path ---- */
	{ RV_REFUSE("unknown type: list", RV_LIST_OF(RV_REPO "/packs/"), 404) },
	{ RV_REFUSE("unknown type: file", RV_POST_OF(RV_REPO "/trees/" RV_DATA, 5), 404), .body = 5 },
	{ RV_REFUSE("type in capitals", RV_LIST_OF(RV_REPO "/Data/"), 404) },
	{ RV_REFUSE("config with a trailing slash", RV_GET_OF(RV_REPO "/config/"), 404) },
	{ RV_REFUSE("repository alone", RV_GET_OF(RV_REPO), 404) },
	{ RV_REFUSE("repository with a trailing slash", RV_GET_OF(RV_REPO "/"), 404) },
	{ RV_REFUSE("type without a trailing slash", RV_GET_OF(RV_REPO "/data"), 404) },
	{ RV_REFUSE("root", RV_GET_OF("/"), 404) },
	{ RV_REFUSE("file in a subdirectory", RV_GET_OF(RV_REPO "/data/5b/" RV_DATA), 404) },
	{ RV_REFUSE("query on a list", RV_LIST_OF(RV_REPO "/keys/?x=1"), 404) },
	{ RV_REFUSE("query on a file", RV_GET_OF(RV_REPO "/keys/" RV_KEY "?v=2"), 404) },
	{ RV_REFUSE("create=false", RV_POST_OF(RV_REPO "/?create=false", 0), 404) },
	{ RV_REFUSE("create=TRUE", RV_POST_OF(RV_REPO "/?create=TRUE", 0), 404) },
	{ RV_REFUSE("create=true and more", RV_POST_OF(RV_REPO "/?create=true&x=1", 0), 404) },
	{ RV_REFUSE("empty query", RV_POST_OF(RV_REPO "/?", 0), 404) },
	{ RV_REFUSE("two queries", RV_POST_OF(RV_REPO "/?create=true?create=true", 0), 404) },
	{ RV_REFUSE("create without a trailing slash", RV_POST_OF(RV_REPO "?create=true", 0), 404) },
	{ RV_REFUSE("create on config", RV_POST_OF(RV_REPO "/config?create=true", 0), 404) },
	{ RV_REFUSE("percent-encoded byte in a name", RV_GET_OF(RV_REPO "/data/%35b41"), 404) },
	{ RV_REFUSE("percent-encoded slash", RV_HEAD_OF("/acme%2Fmain/config"), 404) },
	{ RV_REFUSE("percent-encoded type", RV_LIST_OF(RV_REPO "/%64ata/"), 404) },
	{ RV_REFUSE("fragment", RV_HEAD_OF(RV_REPO "/config#x"), 404) },
	{ RV_REFUSE("fragment in the repository", RV_HEAD_OF("/acme#/main/config"), 404) },
	{ RV_REFUSE("dot-dot repository segment", RV_HEAD_OF("/acme/../config"), 404) },
	{ RV_REFUSE("dot-dot as the repository", RV_HEAD_OF("/../config"), 404) },
	{ RV_REFUSE("dot-dot as the name", RV_DELETE_OF(RV_REPO "/data/.."), 404) },
	{ RV_REFUSE("dot-dot as the lock", RV_POST_OF(RV_REPO "/locks/..", 137), 404), .body = 137 },
	{ RV_REFUSE("dot repository segment", RV_HEAD_OF("/acme/./main/config"), 404) },
	{ RV_REFUSE("dot as the name", RV_GET_OF(RV_REPO "/keys/."), 404) },
	{ RV_REFUSE("empty segment in the repository", RV_HEAD_OF("/acme//main/config"), 404) },
	{ RV_REFUSE("empty first segment", RV_HEAD_OF("//acme/config"), 404) },
	{ RV_REFUSE("empty segment at the root", RV_HEAD_OF("//config"), 404) },
	{ RV_REFUSE("two trailing slashes", RV_LIST_OF(RV_REPO "/data//"), 404) },
	{ RV_REFUSE("empty segment before the name", RV_GET_OF(RV_REPO "/data//" RV_DATA), 404) },
	{ RV_REFUSE("two slashes alone", RV_GET_OF("//"), 404) },
	{ RV_REFUSE("create with two trailing slashes", RV_POST_OF(RV_REPO "//?create=true", 0), 404) },
	{ RV_REFUSE("create at the root with two slashes", RV_POST_OF("//?create=true", 0), 404) },
	{ RV_REFUSE("17 segments", RV_GET_OF(RV_REPO14 "/o/data/" RV_DATA), 404) },
	{ RV_REFUSE("17 segments with config", RV_HEAD_OF(RV_REPO14 "/o/p/config"), 404) },
	{ RV_REFUSE("repository of 256 bytes", RV_HEAD_OF(RV_REPO256 "/config"), 404) },
	{ RV_REFUSE("repository of 256 bytes, lock", RV_POST_OF(RV_REPO256 "/locks/" RV_LOCK, 137), 404),
	  .body = 137 },
	{ RV_REFUSE("segment of 65 bytes", RV_HEAD_OF("/acme/" RV_SEG65 "/config"), 404) },
	{ RV_REFUSE("lock id of 65 bytes", RV_POST_OF(RV_REPO "/locks/" RV_SEG65, 137), 404), .body = 137 },
	{ RV_REFUSE("colon in a segment", RV_HEAD_OF("/acme/ma:in/config"), 404) },
	{ RV_REFUSE("tilde in a segment", RV_HEAD_OF("/~acme/main/config"), 404) },
	{ RV_REFUSE("semicolon in a name", RV_GET_OF(RV_REPO "/data/" RV_DATA ";x"), 404) },
	{ RV_REFUSE("TSP path", RV_REQ("GET", "/tsp/1/session"), 404) },
	{ RV_REFUSE("404 before 405", RV_REQ("PUT", RV_REPO "/trees/x"), 404) },
	{ RV_REFUSE("404 before 401", RV_NOAUTH("GET", RV_REPO "/packs/"), 404) },
	{ RV_REFUSE("404 before 403", RV_HEAD_OF("/bob/x/config/"), 404), .options = RV_PRIVATE },
	/* ---- 405 ---- */
	{ RV_405("PUT config", RV_REQ("PUT", RV_REPO "/config") "Content-Length: 155\n", RV_ALLOW_FILE),
	  .body = 155 },
	{ RV_405("PUT pack", RV_REQ("PUT", RV_REPO "/data/" RV_DATA) "Content-Length: 5\n", RV_ALLOW_FILE),
	  .body = 5 },
	{ RV_405("PUT lock", RV_REQ("PUT", RV_REPO "/locks/" RV_LOCK) "Content-Length: 5\n", RV_ALLOW_FILE),
	  .body = 5 },
	{ RV_405("PUT list", RV_REQ("PUT", RV_REPO "/keys/"), "GET") },
	{ RV_405("PUT create", RV_REQ("PUT", RV_REPO "/?create=true"), "POST") },
	{ RV_405("PUT at the root", RV_REQ("PUT", "/config"), RV_ALLOW_FILE) },
	{ RV_405("POST on a list", RV_POST_OF(RV_REPO "/data/", 5), "GET"), .body = 5 },
	{ RV_405("POST on the locks list", RV_POST_OF(RV_REPO "/locks/", 137), "GET"), .body = 137 },
	{ RV_405("DELETE on a list", RV_DELETE_OF(RV_REPO "/snapshots/"), "GET") },
	{ RV_405("DELETE on the locks list", RV_DELETE_OF(RV_REPO "/locks/"), "GET") },
	{ RV_405("HEAD on a list", RV_HEAD_OF(RV_REPO "/index/"), "GET") },
	{ RV_405("GET create", RV_REQ("GET", RV_REPO "/?create=true"), "POST") },
	{ RV_405("HEAD create", RV_REQ("HEAD", RV_REPO "/?create=true"), "POST") },
	{ RV_405("DELETE create", RV_REQ("DELETE", RV_REPO "/?create=true"), "POST") },
	{ RV_405("OPTIONS config", RV_REQ("OPTIONS", RV_REPO "/config"), RV_ALLOW_FILE) },
	{ RV_405("PATCH pack", RV_REQ("PATCH", RV_REPO "/data/" RV_DATA), RV_ALLOW_FILE) },
	{ RV_405("405 before 401", RV_NOAUTH("PUT", RV_REPO "/config"), RV_ALLOW_FILE) },
	{ RV_405("405 before 403", RV_REQ("PUT", "/bob/main/config"), RV_ALLOW_FILE), .options = RV_PRIVATE },
	/* ---- 401 ---- */
	{ RV_REFUSE("no Authorization", RV_NOAUTH("HEAD", RV_REPO "/config"), 401) },
	{ RV_REFUSE("no Authorization on a lock delete", RV_NOAUTH("DELETE", RV_REPO "/locks/" RV_LOCK), 401) },
	{ RV_REFUSE("no Authorization on create", RV_NOAUTH("POST", RV_REPO "/?create=true")
		    "Content-Length: 0\n", 401) },
	{ RV_REFUSE("Bearer", RV_NOAUTH("GET", RV_REPO "/keys/") "Authorization: Bearer YWNtZTpzM2NyZXQ=\n",
		    401) },
	{ RV_REFUSE("Basic without a colon", RV_NOAUTH("GET", RV_REPO "/keys/")
		    "Authorization: Basic YWNtZQ==\n", 401) },
	{ RV_REFUSE("Basic with an empty secret", RV_NOAUTH("GET", RV_REPO "/keys/")
		    "Authorization: Basic YWNtZTo=\n", 401) },
	{ RV_REFUSE("Basic user outside the id grammar", RV_NOAUTH("GET", RV_REPO "/keys/")
		    "Authorization: Basic YWMhZTp4\n", 401) },
	{ RV_REFUSE("Basic user with a slash", RV_NOAUTH("GET", RV_REPO "/keys/")
		    "Authorization: Basic YS9iOng=\n", 401) },
	{ RV_REFUSE("Basic without padding", RV_NOAUTH("GET", RV_REPO "/keys/")
		    "Authorization: Basic YWNtZTpzM2NyZXQ\n", 401) },
	{ RV_REFUSE("Basic and nothing", RV_NOAUTH("GET", RV_REPO "/keys/") "Authorization: Basic\n", 401) },
	{ RV_REFUSE("empty Authorization", RV_NOAUTH("GET", RV_REPO "/keys/") "Authorization:\n", 401) },
	{ RV_REFUSE("two Authorization headers", RV_LIST_OF(RV_REPO "/keys/") RV_AUTH, 401) },
	{ RV_REFUSE("two Authorization headers, another tenant's second", RV_HEAD_OF(RV_REPO "/config")
		    RV_AUTH_BOB, 401) },
	{ RV_REFUSE("401 before 403", RV_NOAUTH("HEAD", "/bob/main/config"), 401), .options = RV_PRIVATE },
	/* ---- 400 ---- */
	/* The framer itself refuses a GET or HEAD with a body: by hand. */
	{ RV_REFUSE("body on a GET", RV_GET_OF(RV_REPO "/config") "Content-Length: 5\n", 400), .body = 5,
	  .by_hand = true },
	{ RV_REFUSE("body on a list", RV_LIST_OF(RV_REPO "/locks/") "Content-Length: 1\n", 400), .body = 1,
	  .by_hand = true },
	{ RV_REFUSE("body on a HEAD", RV_HEAD_OF(RV_REPO "/config") "Content-Length: 3\n", 400), .body = 3,
	  .by_hand = true },
	{ RV_REFUSE("body on a DELETE", RV_DELETE_OF(RV_REPO "/data/" RV_DATA) "Content-Length: 2\n", 400),
	  .body = 2 },
	{ RV_REFUSE("body on a lock delete", RV_DELETE_OF(RV_REPO "/locks/" RV_LOCK) "Content-Length: 137\n",
		    400), .body = 137 },
	{ RV_REFUSE("Transfer-Encoding on a pack upload",
		    "POST " RV_REPO "/data/" RV_DATA " HTTP/1.1\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH RV_OCTET
		    "Transfer-Encoding: chunked\n", 400), .tail = "5\r\nhello\r\n0\r\n\r\n" },
	{ RV_REFUSE("Transfer-Encoding on a lock create",
		    "POST " RV_REPO "/locks/" RV_LOCK " HTTP/1.1\n" RV_HOST RV_AUTH "Transfer-Encoding: chunked\n",
		    400), .tail = "0\r\n\r\n" },
	{ RV_REFUSE("Transfer-Encoding on an unknown path (400 before 404)",
		    "POST /nope HTTP/1.1\n" RV_HOST RV_AUTH "Transfer-Encoding: chunked\n", 400),
	  .tail = "0\r\n\r\n" },
	{ RV_REFUSE("HTTP/1.0", "HEAD " RV_REPO "/config HTTP/1.0\n" RV_HOST RV_UA RV_ACCEPT RV_AUTH, 400) },
	{ RV_REFUSE("HTTP/1.0 lock create", "POST " RV_REPO "/locks/" RV_LOCK " HTTP/1.0\n" RV_HOST RV_AUTH
		    "Content-Length: 137\n", 400), .body = 137 },
	{ RV_REFUSE("HTTP/1.0 before 404", "GET /nope HTTP/1.0\n" RV_HOST RV_AUTH, 400) },
	{ RV_REFUSE("no Host", "HEAD " RV_REPO "/config HTTP/1.1\n" RV_UA RV_ACCEPT RV_AUTH, 400) },
	{ RV_REFUSE("no Host before 404", "GET /nope HTTP/1.1\n" RV_AUTH, 400) },
	{ RV_REFUSE("Connection: upgrade", RV_HEAD_OF(RV_REPO "/config") "Connection: upgrade\n", 400) },
	{ RV_REFUSE("two Hosts", RV_HEAD_OF(RV_REPO "/config") RV_HOST, 400), .by_hand = true },
	{ RV_REFUSE("Upgrade", RV_HEAD_OF(RV_REPO "/config") "Upgrade: h2c\n", 400), .by_hand = true },
	{ RV_REFUSE("Expect other than 100-continue", RV_HEAD_OF(RV_REPO "/config") "Expect: x\n", 400),
	  .by_hand = true },
	/* ---- 413 ---- */
	{ RV_REFUSE("pack of 4 GiB", RV_POST_OF(RV_REPO "/data/" RV_DATA, 4294967296), 413), .body = 64 },
	{ RV_REFUSE("lock of 4 GiB", RV_POST_OF(RV_REPO "/locks/" RV_LOCK, 4294967296), 413) },
	{ RV_REFUSE("config of 2^63 - 1 bytes", RV_POST_OF(RV_REPO "/config", 9223372036854775807), 413) },
	{ RV_REFUSE("create with 4 GiB", RV_POST_OF(RV_REPO "/?create=true", 4294967296), 413) },
};

#define RESTIC_VECTOR_COUNT (sizeof restic_vectors / sizeof restic_vectors[0])
#endif

/* ---- request sequences on one connection (RESTIC.md section 4.2) ---- */

#define RV_CRLF_AUTH "Host: backup.example.net:8000\r\nUser-Agent: Go-http-client/1.1\r\n" \
	"Accept: application/vnd.x.restic.rest.v2\r\nAuthorization: Basic YWNtZTpzM2NyZXQ=\r\n"
#define RV_S_HEAD(path) "HEAD " path " HTTP/1.1\r\n" RV_CRLF_AUTH "\r\n"
#define RV_S_LIST(path) "GET " path " HTTP/1.1\r\n" RV_CRLF_AUTH "Accept-Encoding: gzip\r\n\r\n"
#define RV_S_GET(path) "GET " path " HTTP/1.1\r\n" RV_CRLF_AUTH "Range: bytes=0-\r\n\r\n"
#define RV_S_POST(path, len, body) "POST " path " HTTP/1.1\r\n" RV_CRLF_AUTH "Content-Length: " #len \
	"\r\nContent-Type: application/octet-stream\r\nAccept-Encoding: gzip\r\n\r\n" body
#define RV_S_DELETE(path) "DELETE " path " HTTP/1.1\r\n" RV_CRLF_AUTH "Accept-Encoding: gzip\r\n\r\n"

/* restic backup: open, lock, upload, snapshot, unlock. */
#define RV_BACKUP_STREAM(repo) \
	RV_S_HEAD(repo "/config") \
	RV_S_LIST(repo "/keys/") \
	RV_S_GET(repo "/keys/" RV_KEY) \
	RV_S_GET(repo "/config") \
	RV_S_LIST(repo "/locks/") \
	RV_S_POST(repo "/locks/" RV_LOCK, 16, "encrypted lock..") \
	RV_S_LIST(repo "/locks/") \
	RV_S_LIST(repo "/snapshots/") \
	RV_S_LIST(repo "/index/") \
	RV_S_POST(repo "/data/" RV_DATA, 20, "pack one, 20 bytes..") \
	RV_S_POST(repo "/data/" RV_DATA2, 20, "pack two, 20 bytes..") \
	RV_S_POST(repo "/index/" RV_INDEX, 8, "index...") \
	RV_S_POST(repo "/locks/" RV_LOCK2, 16, "refreshed lock..") \
	RV_S_DELETE(repo "/locks/" RV_LOCK) \
	RV_S_POST(repo "/snapshots/" RV_SNAP, 8, "snapshot") \
	RV_S_DELETE(repo "/locks/" RV_LOCK2)

/* restic init (no lock), then forget --prune. */
#define RV_INIT_PRUNE_STREAM(repo) \
	RV_S_HEAD(repo "/config") \
	RV_S_POST(repo "/?create=true", 0, "") \
	RV_S_POST(repo "/keys/" RV_KEY, 4, "key.") \
	RV_S_POST(repo "/config", 6, "config") \
	RV_S_POST(repo "/locks/" RV_LOCK, 4, "lock") \
	RV_S_DELETE(repo "/snapshots/" RV_SNAP) \
	RV_S_LIST(repo "/data/") \
	RV_S_POST(repo "/data/" RV_DATA2, 4, "pack") \
	RV_S_DELETE(repo "/index/" RV_INDEX) \
	RV_S_DELETE(repo "/data/" RV_DATA) \
	RV_S_DELETE(repo "/locks/" RV_LOCK)

#endif
