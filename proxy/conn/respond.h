/*
 * proxy/conn/respond.h: the answers the proxy makes itself (PROTOCOL.md 8.3,
 * 10.3, 4.1). Every error has one shape: Content-Type: application/json,
 * a Content-Length, the body {"error":"<code>","message":"<text>"}, and
 * Connection: close when the connection ends after it. Pure formatting into a
 * caller's buffer; no I/O.
 */
#ifndef SLUICE_RESPOND_H
#define SLUICE_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Large enough for any answer: a 512-byte notification escaped, a tenant
 * name, and the headers. */
#define RESPOND_MAX 4096

/* What an answer says besides status, code and message. */
struct respond_extra {
	const char *allow;       /* 405: the Allow header; else NULL */
	const char *maintenance; /* 503 maintenance: Tsp-Maintenance (drain|block); else NULL */
	unsigned retry_after;    /* seconds; 0 = no Retry-After */
	bool www_authenticate;   /* 401: WWW-Authenticate: Basic realm="tsp" */
	bool close;              /* Connection: close */
	bool reason_is_message;  /* the restic shape: the message is the reason phrase
				  * (control bytes made spaces) and the text/plain body */
	int64_t planned_start;   /* a [schedule] window announced or running: */
	int64_t planned_end;     /* Tsp-Maintenance-Planned: START/END (wall time); 0 = none */
};

/* "Tsp-Maintenance-Planned: START/END\r\n" (ISO 8601 UTC, PROTOCOL.md 10.7)
 * for a [schedule] window. Returns its length, or 0 when it does not fit. */
size_t respond_planned_header(char *out, size_t size, int64_t start, int64_t end);

/* An error answer. Returns its length (<= size), or 0 when it does not fit. */
size_t respond_error(char *out, size_t size, unsigned status, const char *code, const char *message,
		     const struct respond_extra *extra);

/* The hello while maintenance is on (PROTOCOL.md 4.1). since is wall-clock
 * time. Returns the length, or 0 when it does not fit. */
size_t respond_hello_notice(char *out, size_t size, const char *tenant, const char *mode, time_t since,
			    const char *message, const struct respond_extra *extra);

#endif
