/*
 * conf/notice.c: the maintenance notice template (see notice.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "conf/notice.h"

enum placeholder { PH_START, PH_END, PH_TENANT, PH_RETRY_AFTER, PH_NONE };

static const char *const placeholder_names[] = { "start", "end", "tenant", "retry_after" };

/* The placeholder named by the n bytes at word. */
static enum placeholder placeholder_named(const char *word, size_t n)
{
	for (int p = PH_START; p < PH_NONE; p++)
		if (strlen(placeholder_names[p]) == n && memcmp(word, placeholder_names[p], n) == 0)
			return (enum placeholder)p;
	return PH_NONE;
}

/* The length of the "{word}" at s (s[0] == '{'), or 0 when no '}' closes it
 * before the end or another '{'. */
static size_t braced_length(const char *s)
{
	size_t n = strcspn(s + 1, "{}");

	return s[1 + n] == '}' ? n + 2 : 0;
}

bool notice_check(const char *template, char why[NOTICE_WHY_MAX])
{
	for (const char *s = template; *s != '\0'; s++) {
		size_t n;

		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			s++;
			continue;
		}
		if (s[0] == '}') {
			snprintf(why, NOTICE_WHY_MAX,
				 "a '}' at byte %zu closes nothing; write }} for a "
				 "literal brace",
				 (size_t)(s - template) + 1);
			return false;
		}
		if (s[0] != '{')
			continue;
		n = braced_length(s);
		if (n == 0) {
			snprintf(why, NOTICE_WHY_MAX,
				 "the '{' at byte %zu is not closed; write {{ for a "
				 "literal brace",
				 (size_t)(s - template) + 1);
			return false;
		}
		if (placeholder_named(s + 1, n - 2) == PH_NONE) {
			snprintf(why, NOTICE_WHY_MAX,
				 "unknown placeholder %.*s; use {start}, {end}, "
				 "{tenant} or {retry_after}",
				 (int)(n > 40 ? 40 : n), s);
			return false;
		}
		s += n - 1;
	}
	return true;
}

struct rendering {
	char *out;
	size_t len;
	bool cut;
};

static void append(struct rendering *r, const char *s, size_t n)
{
	size_t room = NOTICE_MAX - r->len;

	if (n > room) {
		n = room;
		r->cut = true;
	}
	memcpy(r->out + r->len, s, n);
	r->len += n;
}

/* A cut text must not end inside a UTF-8 sequence. */
static void trim_partial_character(struct rendering *r)
{
	size_t lead = r->len, need;
	unsigned char b;

	while (lead > 0 && r->len - lead < 4 && ((unsigned char)r->out[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	b = (unsigned char)r->out[lead - 1];
	need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
	if (lead - 1 + need > r->len)
		r->len = lead - 1;
}

static void append_time(struct rendering *r, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;
	char stamp[32];

	if (when == 0 || gmtime_r(&t, &tm) == NULL)
		return;
	append(r, stamp, strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

static void append_value(struct rendering *r, enum placeholder p, const struct notice_vars *v)
{
	char number[16];

	switch (p) {
	case PH_START:
		append_time(r, v->start);
		break;
	case PH_END:
		append_time(r, v->end);
		break;
	case PH_TENANT:
		if (v->tenant != NULL)
			append(r, v->tenant, strlen(v->tenant));
		break;
	case PH_RETRY_AFTER:
		if (v->retry_after > 0)
			append(r, number, (size_t)snprintf(number, sizeof number, "%u", v->retry_after));
		break;
	case PH_NONE:
		break;
	}
}

size_t notice_render(const char *template, const struct notice_vars *vars, char out[NOTICE_MAX + 1])
{
	struct rendering r = { out, 0, false };

	for (const char *s = template; *s != '\0' && !r.cut; s++) {
		size_t n = s[0] == '{' ? braced_length(s) : 0;
		enum placeholder p = n > 0 ? placeholder_named(s + 1, n - 2) : PH_NONE;

		if ((s[0] == '{' || s[0] == '}') && s[1] == s[0]) {
			append(&r, s, 1);
			s++;
		} else if (p != PH_NONE) {
			append_value(&r, p, vars);
			s += n - 1;
		} else {
			append(&r, s, 1);
		}
	}
	if (r.cut)
		trim_partial_character(&r);
	out[r.len] = '\0';
	return r.len;
}

unsigned notice_retry_after(uint64_t retry_after_ms, int64_t window_end, int64_t now)
{
	if (retry_after_ms == CONFIG_DURATION_AUTO)
		return window_end > now ? (unsigned)(window_end - now) : 0;
	return (unsigned)((retry_after_ms + 999) / 1000); /* rounded up */
}
