/*
 * Connection to the smarthost: connect to every resolved address in
 * turn, then read lines and write bytes over a plain or TLS socket.
 *
 * The socket is non-blocking; every wait is a poll(2) bounded by an
 * absolute deadline in milliseconds on CLOCK_MONOTONIC, so a stalled
 * server, a byte-at-a-time server or a wall-clock jump cannot stretch
 * a deadline.  I/O is always attempted first and poll(2) used only
 * when it would block: OpenSSL may hold decrypted bytes the kernel
 * knows nothing about.
 *
 * Lines end at LF; one CR before it is stripped (see reply.c for why a
 * bare LF is accepted).  A line longer than REPLY_LINE_ACCEPT is an
 * error: the input buffer never grows.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mailferry.h"
#include "net.h"
#include "tls.h"

static int64_t	net_now(void);
static int	net_wait(struct net *, short, int64_t, char **);
static int	net_source(const char *, struct sockaddr_storage *,
		    socklen_t *, char **);
static int	net_connect_one(struct net *, const struct addrinfo *,
		    const struct sockaddr_storage *, socklen_t, time_t, char **);
static int	net_fill(struct net *, int64_t, char **);
static int	net_ssl_wait(struct net *, int, int64_t, const char *,
		    char **);

static int64_t
net_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The deadline secs seconds from now, in monotonic milliseconds. */
int64_t
net_deadline(time_t secs)
{
	return (net_now() + (int64_t)secs * 1000);
}

/* Prepare an unconnected net. */
void
net_init(struct net *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

static int
net_wait(struct net *n, short events, int64_t deadline, char **cause)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 rv;

	for (;;) {
		left = deadline - net_now();
		if (left <= 0) {
			xasprintf(cause, "timeout talking to %s", n->relay);
			return (-1);
		}
		pfd.fd = n->fd;
		pfd.events = events;
		pfd.revents = 0;
		rv = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rv == -1 && errno == EINTR)
			continue;
		if (rv == -1) {
			xasprintf(cause, "poll: %s", strerror(errno));
			return (-1);
		}
		if (rv > 0)
			return (0);
	}
}

/* Parse source_address (an IP literal) into ss; len 0 without one. */
static int
net_source(const char *src, struct sockaddr_storage *ss, socklen_t *len,
    char **cause)
{
	struct addrinfo	 hints, *res;
	int		 rv;

	*len = 0;
	if (src == NULL)
		return (0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if ((rv = getaddrinfo(src, NULL, &hints, &res)) != 0) {
		xasprintf(cause, "source_address %s: %s", src,
		    gai_strerror(rv));
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/*
 * Connect to one address, from src (length srclen, 0: any) when given:
 * bound before connect(2), so the server sees that address.
 */
static int
net_connect_one(struct net *n, const struct addrinfo *ai,
    const struct sockaddr_storage *src, socklen_t srclen, time_t timeout,
    char **cause)
{
	socklen_t	 len;
	int		 err, one = 1;

	n->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (n->fd == -1) {
		xasprintf(cause, "%s: socket: %s", n->relay, strerror(errno));
		return (-1);
	}
	/*
	 * Every pipelined group is written at once already; Nagle would only
	 * hold back the last piece of the message (the final dot) until the
	 * server's delayed ACK, 40 ms per message.
	 */
	if (setsockopt(n->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	if (srclen > 0 && bind(n->fd, (const struct sockaddr *)src,
	    srclen) == -1) {
		xasprintf(cause, "connect to %s: cannot bind to "
		    "source_address: %s", n->relay, strerror(errno));
		close(n->fd);
		n->fd = -1;
		return (-1);
	}
	if (connect(n->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return (0);
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	if (net_wait(n, POLLOUT, net_deadline(timeout), cause) == -1) {
		free(*cause);
		*cause = NULL;
		err = ETIMEDOUT;
		goto fail;
	}
	len = sizeof(err);
	if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0)
		return (0);
fail:
	xasprintf(cause, "connect to %s: %s", n->relay, strerror(err));
	close(n->fd);
	n->fd = -1;
	return (-1);
}

/*
 * Connect to host:port, trying every address getaddrinfo() returns,
 * each for at most timeout seconds, from source address src if not
 * NULL (addresses of the other family are skipped).  On failure the
 * cause names the last address tried; every failure here is temporary.
 */
int
net_connect(struct net *n, const char *host, unsigned int port,
    const char *src, time_t timeout, char **cause)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 serv[16], *last = NULL;
	size_t			 tried = 0;
	int			 rv;

	net_init(n);
	if (net_source(src, &ss, &sslen, cause) == -1)
		return (-1);
	snprintf(serv, sizeof(serv), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rv = getaddrinfo(host, serv, &hints, &res)) != 0) {
		xasprintf(cause, "cannot resolve %s: %s", host,
		    rv == EAI_SYSTEM ? strerror(errno) : gai_strerror(rv));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, n->ip,
		    sizeof(n->ip), NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(n->ip, "?", sizeof(n->ip));
		snprintf(n->relay, sizeof(n->relay), "%s[%s]:%u", host, n->ip,
		    port);
		free(last);
		last = NULL;
		tried++;
		if (sslen > 0 && ai->ai_family != ss.ss_family) {
			xasprintf(&last, "connect to %s: skipped: not the "
			    "address family of source_address", n->relay);
			log_debug("%s", last);
			continue;
		}
		if (net_connect_one(n, ai, &ss, sslen, timeout, &last) == 0)
			break;
		log_debug("%s", last);
	}
	freeaddrinfo(res);
	if (n->fd == -1) {
		if (tried > 1)
			xasprintf(cause, "%s (%zu addresses tried)", last,
			    tried);
		else
			*cause = last != NULL ? last : xstrdup("no address");
		if (tried > 1)
			free(last);
		return (-1);
	}
	free(last);
	return (0);
}

/* Wait as OpenSSL asks after a WANT_READ or WANT_WRITE; -1 otherwise. */
static int
net_ssl_wait(struct net *n, int rv, int64_t deadline, const char *what,
    char **cause)
{
	int	 err;

	err = SSL_get_error(n->ssl, rv);
	if (err == SSL_ERROR_WANT_READ)
		return (net_wait(n, POLLIN, deadline, cause));
	if (err == SSL_ERROR_WANT_WRITE)
		return (net_wait(n, POLLOUT, deadline, cause));
	if (err == SSL_ERROR_ZERO_RETURN) {
		n->eof = 1;
		return (1);
	}
	*cause = tls_error(n->ssl, rv, what);
	return (-1);
}

/* Write all of buf before the deadline. */
int
net_write(struct net *n, const void *buf, size_t len, int64_t deadline,
    char **cause)
{
	const char	*p = buf;
	size_t		 done;
	ssize_t		 w;
	int		 rv;

	while (len > 0) {
		if (n->ssl != NULL) {
			ERR_clear_error();
			rv = SSL_write_ex(n->ssl, p, len, &done);
			if (rv <= 0) {
				rv = net_ssl_wait(n, rv, deadline, "write",
				    cause);
				if (rv == 1)
					xasprintf(cause, "connection to %s "
					    "closed", n->relay);
				if (rv != 0)
					return (-1);
				continue;
			}
			p += done;
			len -= done;
			continue;
		}
		w = send(n->fd, p, len, MSG_NOSIGNAL);
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (net_wait(n, POLLOUT, deadline, cause) == -1)
				return (-1);
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			xasprintf(cause, "write to %s: %s", n->relay,
			    strerror(errno));
			return (-1);
		}
		p += w;
		len -= (size_t)w;
	}
	return (0);
}

/* Read what is available (waiting until the deadline for something). */
static int
net_fill(struct net *n, int64_t deadline, char **cause)
{
	size_t	 space = sizeof(n->rbuf) - n->rlen, got;
	ssize_t	 r;
	int	 rv;

	for (;;) {
		if (n->ssl != NULL) {
			ERR_clear_error();
			rv = SSL_read_ex(n->ssl, n->rbuf + n->rlen, space,
			    &got);
			if (rv == 1) {
				n->rlen += got;
				return (0);
			}
			rv = net_ssl_wait(n, rv, deadline, "read", cause);
			if (rv == -1)
				return (-1);
			if (rv == 1)
				return (0);
			continue;
		}
		r = recv(n->fd, n->rbuf + n->rlen, space, 0);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (net_wait(n, POLLIN, deadline, cause) == -1)
				return (-1);
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			xasprintf(cause, "read from %s: %s", n->relay,
			    strerror(errno));
			return (-1);
		}
		if (r == 0)
			n->eof = 1;
		n->rlen += (size_t)r;
		return (0);
	}
}

/*
 * Return the next line (without its terminator) in *line and *len,
 * valid until the next call.  Fails on timeout, on a line longer than
 * REPLY_LINE_ACCEPT and when the server closes the connection.
 */
int
net_read_line(struct net *n, const char **line, size_t *len,
    int64_t deadline, char **cause)
{
	char	*lf;
	size_t	 l;

	if (n->rskip > 0) {
		memmove(n->rbuf, n->rbuf + n->rskip, n->rlen - n->rskip);
		n->rlen -= n->rskip;
		n->rskip = 0;
	}
	for (;;) {
		if ((lf = memchr(n->rbuf, '\n', n->rlen)) != NULL) {
			l = lf - n->rbuf;
			n->rskip = l + 1;
			if (l > 0 && n->rbuf[l - 1] == '\r')
				l--;
			if (l > REPLY_LINE_ACCEPT)
				break;
			*line = n->rbuf;
			*len = l;
			return (0);
		}
		if (n->rlen > REPLY_LINE_ACCEPT + 1)
			break;
		if (n->eof) {
			xasprintf(cause, "connection closed by %s", n->relay);
			return (-1);
		}
		if (net_fill(n, deadline, cause) == -1)
			return (-1);
	}
	xasprintf(cause, "malformed reply: line too long from %s", n->relay);
	return (-1);
}

/* Bytes received but not yet returned as lines. */
size_t
net_pending(const struct net *n)
{
	return (n->rlen - n->rskip);
}

/*
 * Run the TLS handshake on ssl (host name and verification already set
 * up by tls.c) and switch the connection's I/O to it.
 */
int
net_tls_start(struct net *n, SSL *ssl, int64_t deadline, char **cause)
{
	int	 rv;

	if (SSL_set_fd(ssl, n->fd) != 1) {
		*cause = tls_error(ssl, 0, "handshake");
		SSL_free(ssl);
		return (-1);
	}
	n->ssl = ssl;
	for (;;) {
		ERR_clear_error();
		if ((rv = SSL_connect(ssl)) == 1)
			return (0);
		rv = net_ssl_wait(n, rv, deadline, "handshake", cause);
		if (rv == 1)
			xasprintf(cause, "TLS handshake with %s: connection "
			    "closed", n->relay);
		if (rv != 0)
			return (-1);
	}
}

/* Close the connection (a TLS close_notify is sent, not waited for). */
void
net_close(struct net *n)
{
	if (n->ssl != NULL) {
		ERR_clear_error();
		if (!n->eof)
			(void)SSL_shutdown(n->ssl);
		SSL_free(n->ssl);
		n->ssl = NULL;
	}
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
	n->rlen = n->rskip = 0;
}
