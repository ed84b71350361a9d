/*
 * protocol/tsp_names.c: the words of TSP/1 — enum names on the wire, the id
 * and block-number grammars, and the JSON error body. Pure.
 */
#include "autoconfig.h"

#include <string.h>

#include "protocol/json.h"
#include "protocol/tsp.h"

static const char *const category_names[TSP_CAT_COUNT] = {
	[TSP_CAT_CONTROL] = "control",         [TSP_CAT_BACKUP] = "backup",
	[TSP_CAT_BACKUP_COPY] = "backup-copy", [TSP_CAT_REPLICATION] = "replication",
	[TSP_CAT_RESTORE] = "restore",
};

static const char *const role_names[TSP_ROLE_COUNT] = {
	[TSP_ROLE_SESSION_HELLO] = "session-hello",
	[TSP_ROLE_JOB_OPEN] = "job-open",
	[TSP_ROLE_TASK_OPEN] = "task-open",
	[TSP_ROLE_BLOCK_WRITE] = "block-write",
	[TSP_ROLE_BLOCK_READ] = "block-read",
	[TSP_ROLE_TASK_CLOSE] = "task-close",
	[TSP_ROLE_JOB_CLOSE] = "job-close",
	[TSP_ROLE_READ] = "read",
	[TSP_ROLE_WRITE] = "write",
	[TSP_ROLE_LOCK_CREATE] = "lock-create",
	[TSP_ROLE_LOCK_DELETE] = "lock-delete",
};

/* Index 0 of the value tables is the NONE member: "" and never parsed. */
static const char *const origin_names[] = { "", "vbr", "agent" };
static const char *const workload_names[] = { "", "vsphere", "hyperv", "vcd", "windows", "linux", "mac" };
static const char *const operation_names[] = { "", "replicate", "failover", "failback", "undo" };
static const char *const result_names[] = { "", "success", "warning", "failed" };

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_at(const char *const *names, size_t count, unsigned index)
{
	return index < count && names[index] != NULL ? names[index] : "?";
}

/* Index of name in names[first..count), or -1. */
static int index_of(const char *const *names, size_t count, size_t first, const char *name, size_t len)
{
	for (size_t i = first; i < count; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}

const char *tsp_category_name(enum tsp_category category)
{
	return name_at(category_names, COUNT_OF(category_names), category);
}

const char *tsp_role_name(enum tsp_role role)
{
	return name_at(role_names, COUNT_OF(role_names), role);
}

const char *tsp_origin_name(enum tsp_origin origin)
{
	return name_at(origin_names, COUNT_OF(origin_names), origin);
}

const char *tsp_workload_name(enum tsp_workload workload)
{
	return name_at(workload_names, COUNT_OF(workload_names), workload);
}

const char *tsp_operation_name(enum tsp_operation operation)
{
	return name_at(operation_names, COUNT_OF(operation_names), operation);
}

const char *tsp_result_name(enum tsp_result result)
{
	return name_at(result_names, COUNT_OF(result_names), result);
}

bool tsp_category_parse(const char *name, size_t len, enum tsp_category *out)
{
	int i = index_of(category_names, COUNT_OF(category_names), TSP_CAT_BACKUP, name, len);

	if (i < 0)
		return false;
	*out = (enum tsp_category)i;
	return true;
}

bool tsp_origin_parse(const char *name, size_t len, enum tsp_origin *out)
{
	int i = index_of(origin_names, COUNT_OF(origin_names), 1, name, len);

	if (i < 0)
		return false;
	*out = (enum tsp_origin)i;
	return true;
}

bool tsp_workload_parse(const char *name, size_t len, enum tsp_workload *out)
{
	int i = index_of(workload_names, COUNT_OF(workload_names), 1, name, len);

	if (i < 0)
		return false;
	*out = (enum tsp_workload)i;
	return true;
}

bool tsp_operation_parse(const char *name, size_t len, enum tsp_operation *out)
{
	int i = index_of(operation_names, COUNT_OF(operation_names), 1, name, len);

	if (i < 0)
		return false;
	*out = (enum tsp_operation)i;
	return true;
}

bool tsp_result_parse(const char *name, size_t len, enum tsp_result *out)
{
	int i = index_of(result_names, COUNT_OF(result_names), 1, name, len);

	if (i < 0)
		return false;
	*out = (enum tsp_result)i;
	return true;
}

bool tsp_category_is_backup(enum tsp_category category)
{
	return category == TSP_CAT_BACKUP || category == TSP_CAT_BACKUP_COPY;
}

static bool id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

bool tsp_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > TSP_ID_MAX)
		return false;
	/* "." and ".." match the character set but are not file names. */
	if (id[0] == '.' && (len == 1 || (len == 2 && id[1] == '.')))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!id_char((unsigned char)id[i]))
			return false;
	}
	return true;
}

bool tsp_block_parse(const char *text, size_t len, uint32_t *out)
{
	uint64_t value = 0;

	/* 4294967295 has ten digits; a leading zero would give a block two names. */
	if (len == 0 || len > 10 || (text[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (uint64_t)(text[i] - '0');
	}
	if (value > UINT32_MAX)
		return false;
	*out = (uint32_t)value;
	return true;
}

/* Appends to a bounded buffer; counts the length needed even past the end. */
struct json_out {
	char *buf;
	size_t size;    /* bytes available, NUL included */
	size_t written; /* bytes in buf: whole pieces only */
	size_t needed;  /* bytes the whole text needs */
	bool cut;       /* a piece did not fit: later pieces are counted only */
};

static void json_put(struct json_out *out, const char *piece, size_t n)
{
	/* A piece (one character or one escape sequence) goes in whole or not at all. */
	if (!out->cut && out->written + n < out->size) {
		memcpy(out->buf + out->written, piece, n);
		out->written += n;
	} else {
		out->cut = true;
	}
	out->needed += n;
}

static void json_put_string(struct json_out *out, const char *text)
{
	json_put(out, "\"", 1);
	for (const char *p = text; *p != '\0'; p++) {
		char esc[JSON_ESCAPE_MAX];
		size_t n = json_escape_byte((unsigned char)*p, esc);

		if (n == 0)
			json_put(out, p, 1);
		else
			json_put(out, esc, n);
	}
	json_put(out, "\"", 1);
}

size_t tsp_error_body(char *buf, size_t size, const char *code, const char *message)
{
	struct json_out out = { .buf = buf, .size = size, .written = 0, .needed = 0, .cut = false };

	json_put(&out, "{\"error\":", 9);
	json_put_string(&out, code != NULL ? code : "");
	json_put(&out, ",\"message\":", 11);
	json_put_string(&out, message != NULL ? message : "");
	json_put(&out, "}", 1);
	if (size > 0)
		buf[out.written] = '\0';
	return out.needed;
}
