/*
 * protocol/http_hop.c: which bytes of a request head are hop-by-hop and stay
 * with the proxy. RFC 9110 7.6.1 makes Connection a hop-by-hop header: a
 * tenant's "Connection: close" ends the tenant's connection after the answer
 * and says nothing about the proxy's connection to the repository, which
 * stays reusable. Only lines whose every option is keep-alive or close are
 * taken out; a Connection naming another header (which RFC 9110 would make
 * hop-by-hop too) leaves the head as received, as before. Pure.
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/http.h"

/* Each comma-separated option of value is keep-alive or close (OWS around
 * them; empty list elements are allowed, RFC 9110 5.6.1). */
static bool options_are_ours(struct http_str value)
{
	size_t i = 0;

	while (i < value.len) {
		size_t start, end;
		struct http_str option;

		while (i < value.len && (value.ptr[i] == ' ' || value.ptr[i] == '\t' || value.ptr[i] == ','))
			i++;
		start = i;
		while (i < value.len && value.ptr[i] != ',')
			i++;
		end = i;
		while (end > start && (value.ptr[end - 1] == ' ' || value.ptr[end - 1] == '\t'))
			end--;
		if (end == start)
			continue;
		option = (struct http_str){ value.ptr + start, end - start };
		if (!http_str_ieq(option, "keep-alive") && !http_str_ieq(option, "close"))
			return false;
	}
	return true;
}

size_t http_head_hop_lines(const struct http_head *head, struct http_line lines[HTTP_HOP_LINES_MAX])
{
	size_t count = 0;

	if (head->raw == NULL)
		return 0;
	for (unsigned i = 0; i < head->header_count; i++) {
		const struct http_header *h = &head->headers[i];
		const char *value_end = h->value.ptr + h->value.len;
		const char *lf;

		if (!http_str_ieq(h->name, "Connection"))
			continue;
		if (count == HTTP_HOP_LINES_MAX || !options_are_ours(h->value))
			return 0;
		/* The strict scan ended every header line in CRLF. */
		lf = memchr(value_end, '\n', (size_t)(head->raw + head->head_bytes - value_end));
		if (h->name.ptr < head->raw || lf == NULL)
			return 0;
		lines[count].offset = (size_t)(h->name.ptr - head->raw);
		lines[count].len = (size_t)(lf + 1 - h->name.ptr);
		count++;
	}
	return count;
}
