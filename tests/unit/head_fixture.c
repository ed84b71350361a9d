/* tests/unit/head_fixture.c: see head_fixture.h. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "head_fixture.h"

enum http_method method_of(const char *name)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = { { "GET", HTTP_METHOD_GET },       { "HEAD", HTTP_METHOD_HEAD },
			{ "POST", HTTP_METHOD_POST },     { "PUT", HTTP_METHOD_PUT },
			{ "DELETE", HTTP_METHOD_DELETE }, { "OPTIONS", HTTP_METHOD_OPTIONS } };

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].method;
	}
	return HTTP_METHOD_OTHER;
}

struct http_str str_of(const char *s)
{
	return (struct http_str){ s, strlen(s) };
}

void split_request_line(struct http_head *head, char *line)
{
	char *method = line, *target, *version;

	target = strchr(method, ' ');
	assert_non_null(target);
	*target++ = '\0';
	version = strrchr(target, ' ');
	assert_non_null(version);
	*version++ = '\0';
	head->kind = HTTP_KIND_REQUEST;
	head->method = method_of(method);
	head->method_name = str_of(method);
	head->target = str_of(target);
	assert_int_equal(sscanf(version, "HTTP/%u.%u", &head->version_major, &head->version_minor), 2);
}
