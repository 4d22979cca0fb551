/*
 * smarthost: connection I/O -- plain or TLS reads into a bounded input
 * buffer, replies batched in an output buffer, the flight counter, and
 * the transcript writer.
 *
 * Flight counting (see tests/smarthost.md): a flight is counted each
 * time the server writes reply bytes having read at least one client
 * byte since it last wrote reply bytes.  The greeting is therefore not
 * a flight; a pipelined batch answered in one write is one flight.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "smarthost.h"

static int	raw_write(struct sh_conn *, const char *, size_t);
static int	put(struct sh_conn *, const char *, size_t, long);

/* Set up a connection on an accepted socket. */
void
conn_init(struct sh_conn *c, int fd, FILE *transcript)
{
	struct timeval	tv;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->transcript = transcript;
	/*
	 * A client that stops reading must not wedge the server: writes
	 * (and the blocking TLS handshake) give up after read_secs.
	 */
	tv.tv_sec = sh_conf.read_secs;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Close the connection and free its buffers. */
void
conn_free(struct sh_conn *c)
{
	if (c->ssl != NULL) {
		if (!c->dead)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outsize = 0;
}

/* Run the server side of a TLS handshake; -1 and *cause on failure. */
int
conn_tls_accept(struct sh_conn *c, char **cause)
{
	static char	buf[256];
	unsigned long	e;
	int		r;

	if ((c->ssl = SSL_new(sh_conf.ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		*cause = "SSL_new failed";
		return (-1);
	}
	ERR_clear_error();
	if ((r = SSL_accept(c->ssl)) != 1) {
		e = ERR_get_error();
		if (e != 0)
			ERR_error_string_n(e, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "SSL error %d, %s",
			    SSL_get_error(c->ssl, r), strerror(errno));
		*cause = buf;
		c->dead = 1;
		return (-1);
	}
	return (0);
}

/* Is input available without blocking? */
int
conn_readable(struct sh_conn *c)
{
	struct pollfd	pfd;

	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		return (1);
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	return (poll(&pfd, 1, 0) == 1);
}

/*
 * Read what is available into the input buffer, waiting up to
 * read_secs if block is set.  Returns bytes read, 0 on EOF, -1 on error,
 * timeout or a terminating signal.
 */
int
conn_fill(struct sh_conn *c, int block)
{
	struct pollfd	pfd;
	size_t		room = sizeof(c->in) - c->inlen;
	ssize_t		n;
	int		r;

	if (room == 0)
		return (-1);
	if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, block ? (int)sh_conf.read_secs * 1000 : 0);
		if (r <= 0 || sh_quit)
			return (-1);
	}
	if (c->ssl != NULL) {
		r = SSL_read(c->ssl, c->in + c->inlen, (int)room);
		if (r <= 0) {
			/* close_notify is a clean EOF; all else an error. */
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
				return (0);
			c->dead = 1;
			return (-1);
		}
		n = r;
	} else {
		do {
			n = read(c->fd, c->in + c->inlen, room);
		} while (n == -1 && errno == EINTR && !sh_quit);
		if (n <= 0)
			return (n == 0 ? 0 : -1);
	}
	c->inlen += (size_t)n;
	c->awaiting = 1;
	return ((int)n);
}

/* Add bytes to the pending reply batch. */
void
conn_queue(struct sh_conn *c, const char *buf, size_t len)
{
	size_t	 nsize;
	char	*p;

	if (c->dead)
		return;
	if (c->outlen + len > c->outsize) {
		if (c->outlen + len > SH_OUT_MAX) {
			sh_warn("reply batch over %d bytes", SH_OUT_MAX);
			c->dead = 1;
			return;
		}
		nsize = c->outlen + len + 4096;
		if ((p = realloc(c->out, nsize)) == NULL)
			sh_fatal("out of memory");
		c->out = p;
		c->outsize = nsize;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
}

static int
raw_write(struct sh_conn *c, const char *buf, size_t len)
{
	ssize_t	n;
	int	r;

	while (len > 0 && !sh_quit) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, buf, (int)len);
			if (r <= 0)
				break;
			n = r;
		} else {
			n = write(c->fd, buf, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (len > 0)
		c->dead = 1;
	return (len > 0 ? -1 : 0);
}

/* Write reply bytes, counting a flight; slow_ms > 0: a byte at a time. */
static int
put(struct sh_conn *c, const char *buf, size_t len, long slow_ms)
{
	size_t	i;

	if (c->dead)
		return (-1);
	if (len == 0)
		return (0);
	if (c->awaiting) {
		c->flights++;
		c->awaiting = 0;
	}
	if (slow_ms <= 0)
		return (raw_write(c, buf, len));
	for (i = 0; i < len; i++) {
		if (i > 0)
			sh_sleep_ms(slow_ms);
		if (raw_write(c, buf + i, 1) == -1)
			return (-1);
	}
	return (0);
}

/* Send the pending reply batch in one write (or byte by byte). */
int
conn_flush(struct sh_conn *c)
{
	int	r;

	if (c->slow_ms > 0 && c->outlen > 0)
		conn_event(c, "sending %zu bytes one per write, %ld ms apart",
		    c->outlen, c->slow_ms);
	r = put(c, c->out, c->outlen, c->slow_ms);
	c->outlen = 0;
	c->slow_ms = 0;
	return (r);
}

/* Flush the batch, then write these bytes at once (for streaming). */
int
conn_write_now(struct sh_conn *c, const char *buf, size_t len)
{
	if (conn_flush(c) == -1)
		return (-1);
	return (put(c, buf, len, 0));
}

/*
 * Log bytes to the transcript, one line per line of input, each prefixed.
 * Control characters are escaped so raw faults stay readable; very long
 * lines are cut with their length noted.
 */
void
conn_log(struct sh_conn *c, const char *prefix, const char *buf, size_t len)
{
	size_t	i, start, n;

	if (c->transcript == NULL)
		return;
	start = 0;
	while (start < len) {
		fprintf(c->transcript, "%s ", prefix);
		for (i = start, n = 0; i < len && buf[i] != '\n'; i++) {
			if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
				continue;
			if (n++ >= SH_LOG_LINE_MAX)
				continue;
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				fprintf(c->transcript, "\\x%02x",
				    (unsigned char)buf[i]);
			else
				fputc(buf[i], c->transcript);
		}
		if (n > SH_LOG_LINE_MAX)
			fprintf(c->transcript, "...[%zu bytes]", n);
		fputc('\n', c->transcript);
		start = i + 1;
	}
}

/* Log a server-side event ("*: ...") to the transcript. */
void
conn_event(struct sh_conn *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->transcript == NULL)
		return;
	va_start(ap, fmt);
	fprintf(c->transcript, "*: ");
	vfprintf(c->transcript, fmt, ap);
	fputc('\n', c->transcript);
	va_end(ap);
}
