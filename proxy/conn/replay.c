/*
 * proxy/conn/replay.c: the first request on a reused repository connection,
 * kept until the repository shows it is alive (upstream_pool.h: the race a
 * peek cannot avoid, handled the way HAProxy's `http-reuse safe` does).
 *
 * Only a first request whose head and body fit in [limits] buffer_bytes
 * may go on an idle connection from the pool; a larger one (or one whose
 * size is unknown) gets a fresh connection. On a reused connection every
 * byte written is copied into `replay` (a spare ring of buffer_bytes: the
 * first request, and pipelined ones behind it while there is room; then
 * the writes wait) until the first byte of an answer arrives: then the copy
 * goes back to the spares and the connection carries everything as usual.
 * A write error, an EOF or a reset before that byte means the repository
 * closed the idle connection and answered nothing: the copy goes out again,
 * once, on a fresh connection, followed by whatever was not written yet.
 */
#include "autoconfig.h"

#include <stdint.h>

#include "conn/conn_internal.h"
#include "conn/conn_memory.h"
#include "net/log.h"

void replay_note_first(struct conn *c, const struct http_head *head, size_t head_bytes)
{
	if (c->first_request_bytes != 0 || c->up.state != UPSTREAM_NONE)
		return;
	if (head->body == HTTP_BODY_NONE)
		c->first_request_bytes = head_bytes;
	else if (head->body == HTTP_BODY_LENGTH && head->content_length <= UINT64_MAX - head_bytes)
		c->first_request_bytes = head_bytes + head->content_length;
	else
		c->first_request_bytes = UINT64_MAX;
}

bool replay_may_reuse(const struct conn *c)
{
	return !c->replay_used && c->first_request_bytes > 0 &&
	       c->first_request_bytes <= c->rc->cfg->limits.buffer_bytes;
}

void replay_begin(struct conn *c)
{
	if (!c->up.reused) /* (taken from the pool only when replay_may_reuse said so) */
		return;
	if (!conn_ring_get(c, &c->replay))
		conn_log(c, CONFIG_LOG_WARNING,
			 "out of memory to keep the first request; sent without a copy");
}

void replay_free(struct conn *c)
{
	if (c->replay.data != NULL)
		conn_ring_put(c, &c->replay);
	c->replay_resending = false;
}

size_t replay_allowed(const struct conn *c, size_t len)
{
	size_t room;

	if (c->replay.data == NULL || c->replay_resending)
		return len;
	room = buffer_room(&c->replay);
	return len < room ? len : room;
}

void replay_keep(struct conn *c, const void *bytes, size_t n)
{
	if (c->replay.data != NULL && !c->replay_resending)
		buffer_append(&c->replay, bytes, n);
}

void replay_answered(struct conn *c)
{
	if (c->replay.data != NULL && !c->replay_resending)
		replay_free(c); /* the connection is alive; a copy being resent goes out whole */
}

bool replay_write_wanted(const struct conn *c)
{
	if (c->replay_resending)
		return true;
	return c->in_forward > 0 && replay_allowed(c, 1) > 0;
}

bool replay_resend(struct conn *c, const char *what)
{
	if (c->replay.data == NULL || c->replay_resending || c->replay_used)
		return false;
	conn_log(c, CONFIG_LOG_INFO,
		 "the repository closed the reused connection to %s before answering (%s); "
		 "sending the request again on a new connection",
		 c->up.address, what);
	upstream_close(&c->up, c->ctx->loop);
	upstream_init(&c->up);
	c->up_eof = c->up_eof_framed = false;
	c->forwarded_sent -= buffer_length(&c->replay);
	c->replay_resending = c->replay_used = true;
	COUNTER_INC(c->ctx->upool->stats->resent);
	if (buffer_empty(&c->replay))
		replay_free(c); /* nothing of it was written: `in` still holds it all */
	return true;
}

bool replay_send(struct conn *c, bool *progress)
{
	while (c->replay_resending && endpoint_may_write(&c->up.ep)) {
		size_t len, n;
		const unsigned char *p = buffer_read_span(&c->replay, &len);
		enum endpoint_status st = endpoint_write(&c->up.ep, p, len, &n);

		if (st == ENDPOINT_AGAIN)
			break;
		if (st != ENDPOINT_OK)
			return false;
		buffer_consume(&c->replay, n);
		c->forwarded_sent += n;
		*progress = true;
		if (buffer_empty(&c->replay))
			replay_free(c);
	}
	return true;
}
