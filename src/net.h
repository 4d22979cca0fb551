/*
 * net.h: connecting to the smarthost and line I/O over a plain or TLS
 * socket, every wait bounded by a deadline on CLOCK_MONOTONIC.
 */
#ifndef NET_H
#define NET_H

#include <sys/types.h>

#include <stdint.h>

#include <openssl/ssl.h>

#include "reply.h"

/* Input buffer: one accepted reply line, its terminator, and slack. */
#define NET_RBUF_SIZE	(2 * REPLY_LINE_ACCEPT + 2)
#define NET_RELAY_MAX	(256 + 64)	/* "host[ip]:port" */

struct net {
	int		 fd;
	SSL		*ssl;		/* NULL: plain text */
	char		 rbuf[NET_RBUF_SIZE];
	size_t		 rlen;		/* bytes in rbuf */
	size_t		 rskip;		/* the line last returned, consumed */
	int		 eof;		/* peer closed, or dead: no close_notify */
	char		 relay[NET_RELAY_MAX];
	char		 ip[64];
};

int64_t	 net_deadline(time_t);
void	 net_init(struct net *);
int	 net_connect(struct net *, const char *, unsigned int, const char *,
	    time_t, char **);
int	 net_write(struct net *, const void *, size_t, int64_t, char **);
int	 net_read_line(struct net *, const char **, size_t *, int64_t,
	    char **);
size_t	 net_pending(const struct net *);
int	 net_tls_start(struct net *, SSL *, int64_t, char **);
void	 net_close(struct net *);

#endif /* NET_H */
