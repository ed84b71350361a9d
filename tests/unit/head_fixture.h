/* tests/unit/head_fixture.h: request heads built by hand, shared by the TSP
 * and restic classifier tests so that they do not depend on the framer: the
 * head with room for its headers, and the request line split in place. */
#ifndef SLUICE_HEAD_FIXTURE_H
#define SLUICE_HEAD_FIXTURE_H

#include "http.h"

#define MAX_TEST_HEADERS 32

struct test_head {
	struct http_head head;
	struct http_header headers[MAX_TEST_HEADERS];
	char text[8192]; /* the request line and headers, split in place */
};

enum http_method method_of(const char *name);
struct http_str str_of(const char *s);
/* Splits the request line "METHOD target HTTP/x.y" (NUL-terminated, written
 * to) in place into head's kind, method, method name, target and version. */
void split_request_line(struct http_head *head, char *line);

#endif
