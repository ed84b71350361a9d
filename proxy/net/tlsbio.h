/*
 * proxy/net/tlsbio.h: the socket BIO under a TLS endpoint, which can gather.
 *
 * OpenSSL hands each TLS record to its BIO with its own BIO_write, so over
 * OpenSSL's socket BIO a 64 KiB span leaves as four 16 KiB send(2) calls,
 * each with TCP's per-call cost. This BIO reads and writes the socket as
 * BIO_s_socket() does, and in addition can gather: between
 * tlsbio_gather_begin() and tlsbio_gather_end() every record OpenSSL writes
 * is appended to one buffer instead, and tlsbio_send() then sends them all
 * with one send(2).
 *
 * Bytes that send(2) did not take stay held, in order: anything OpenSSL
 * writes meanwhile (an alert, close_notify) goes behind them. A connection
 * has the buffer (TLSBIO_GATHER_BYTES) only while bytes are gathered or held,
 * so an idle one holds none of it; one spare is kept for the whole process.
 *
 * The state lives with its owner (struct endpoint) and must stay where it is
 * while the BIO exists; the BIO frees the held bytes when it is freed.
 */
#ifndef SLUICE_TLSBIO_H
#define SLUICE_TLSBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

/* The most bytes one TLS record of up to SSL3_RT_MAX_PLAIN_LENGTH takes on
 * the wire, whatever the cipher. */
#define TLSBIO_RECORD_MAX (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_ENCRYPTED_OVERHEAD)
/* Records gathered into one send: 64 KiB of plaintext, the default
 * [limits] buffer_bytes, so one span of the ring leaves in one call. */
#define TLSBIO_GATHER_RECORDS 4
#define TLSBIO_GATHER_BYTES (TLSBIO_GATHER_RECORDS * TLSBIO_RECORD_MAX)

struct tlsbio {
	int fd;
	bool gathering;      /* between gather_begin and gather_end */
	bool eof;            /* a read returned 0: the peer closed (BIO_CTRL_EOF) */
	unsigned char *held; /* TLSBIO_GATHER_BYTES while bytes are held; else NULL */
	uint32_t head, tail; /* the held bytes not sent yet: held[head, tail) */
};

enum tlsbio_status {
	TLSBIO_SENT,  /* nothing is held any more (the buffer is freed) */
	TLSBIO_AGAIN, /* the socket took part or none of it: wait until writable */
	TLSBIO_ERROR  /* send(2) failed: errno says why */
};

/* A BIO over the non-blocking socket fd, with tb as its state. NULL when out
 * of memory. The socket stays open when the BIO is freed. */
BIO *tlsbio_new(struct tlsbio *tb, int fd);
/* A worker thread ends: free its spare gather buffer. */
void tlsbio_thread_end(void);
/* The state of bio (made by tlsbio_new) now lives at tb: its owner was moved
 * (a repository connection parked or taken from the pool). */
void tlsbio_moved(BIO *bio, struct tlsbio *tb);

/* Gather from now on. False when the buffer cannot be had (out of memory):
 * writes then go to the socket one by one, as before. Nothing may be held. */
bool tlsbio_gather_begin(struct tlsbio *tb);
/* Stop gathering; what was gathered is held until tlsbio_send(). */
void tlsbio_gather_end(struct tlsbio *tb);

/* Room left for gathering (0 when not gathering). */
size_t tlsbio_room(const struct tlsbio *tb);
/* Bytes held, not sent yet. */
size_t tlsbio_held(const struct tlsbio *tb);

/* One send(2) of the bytes held (TLSBIO_SENT at once when none are). */
enum tlsbio_status tlsbio_send(struct tlsbio *tb);

#endif
