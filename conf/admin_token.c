/*
 * conf/admin_token.c: reading [admin] token_file (see admin_token.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/admin_token.h"
#include "conf/value.h"

/* The token, its newline and one byte more: enough to tell "too long". */
#define READ_MAX (CONFIG_TOKEN_MAX + 3)

static bool refuse(unsigned char out[CONFIG_TOKEN_MAX], unsigned char *buf, size_t size)
{
	OPENSSL_cleanse(buf, size);
	memset(out, 0, CONFIG_TOKEN_MAX);
	return false;
}

/* Read at most size bytes of the file at path into buf. False, with err
 * set, when it cannot be opened, is not a regular file or a read fails. */
static bool read_small_file(const char *path, unsigned char *buf, size_t size, size_t *got_len,
			    struct config_error *err)
{
	size_t n = 0;
	struct stat st;
	/* O_NONBLOCK: a FIFO named by mistake must not hang the loader. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return config_fail(err, "cannot read %s: %s; name a readable file holding the token", path,
				   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return config_fail(err, "%s is not a regular file; name a file holding the token", path);
	}
	while (n < size) {
		ssize_t got = read(fd, buf + n, size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int error = errno;

			close(fd);
			*got_len = n;
			return config_fail(err, "cannot read %s: %s", path, strerror(error));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*got_len = n;
	return true;
}

/* The token is the file's one line (a final LF or CRLF dropped), of
 * CONFIG_TOKEN_MIN to CONFIG_TOKEN_MAX visible ASCII bytes. *n is cut to
 * the token's length. */
static bool token_valid(const char *path, const unsigned char *buf, size_t *n, struct config_error *err)
{
	if (*n > 0 && buf[*n - 1] == '\n') {
		(*n)--;
		if (*n > 0 && buf[*n - 1] == '\r')
			(*n)--; /* CRLF */
	}
	for (size_t i = 0; i < *n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			return config_fail(err,
					   "%s holds more than one line; the token must be its only line",
					   path);
	if (*n > CONFIG_TOKEN_MAX)
		return config_fail(err,
				   "%s: the token is longer than %d bytes; use %d to %d visible ASCII "
				   "bytes",
				   path, CONFIG_TOKEN_MAX, CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX);
	if (*n < CONFIG_TOKEN_MIN)
		return config_fail(err,
				   "%s: the token is %zu bytes; use %d to %d visible ASCII bytes "
				   "(e.g. openssl rand -hex 32)",
				   path, *n, CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX);
	for (size_t i = 0; i < *n; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			return config_fail(err,
					   "%s: byte %zu of the token is a space, a control character or "
					   "not ASCII; use only visible ASCII ('!' to '~')",
					   path, i + 1);
	return true;
}

bool config_read_token(const char *path, unsigned char out[CONFIG_TOKEN_MAX], size_t *len,
		       struct config_error *err)
{
	unsigned char buf[READ_MAX];
	size_t n = 0;

	memset(out, 0, CONFIG_TOKEN_MAX);
	*len = 0;
	if (!read_small_file(path, buf, sizeof buf, &n, err) || !token_valid(path, buf, &n, err))
		return refuse(out, buf, sizeof buf);
	memcpy(out, buf, n);
	*len = n;
	OPENSSL_cleanse(buf, sizeof buf);
	return true;
}
