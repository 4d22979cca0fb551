/*
 * frame.c: the frame, the only thing the front end hands to the setgid
 * spool writer (mailferry -> mailferry-queue, on its stdin).
 *
 *	header line*	"key" or "key SP value", then LF
 *	LF		an empty line ends the header
 *	chunk*		decimal length (1..FRAME_CHUNK_MAX, no sign, no
 *			leading zero), LF, then exactly that many bytes
 *	"0" LF		the end marker: without it nothing is committed
 *
 * The header keys and their values are the spool entry's (the rules
 * are at the top of spool.c, which parses them); the chunks together
 * are the message, which mailferry-queue commits only if it is in the
 * canonical form of canon.c.  Bytes after the end marker are never
 * read, so the front end may keep the pipe open while it waits for the
 * queue id.  The header is at most SPOOL_HEADER_MAX bytes, a line at
 * most SPOOL_LINE_MAX; the sum of the chunks is bounded by the size
 * limit of the trusted configuration (mailferry-queue).
 *
 * Anyone can write a frame into mailferry-queue, so the reader checks
 * every rule above and knows nothing else: what the lines and bytes
 * mean is decided by its callers (spool.c, canon.c).
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "frame.h"
#include "spool.h"
#include "util.h"

#define FRAME_BUF_SIZE	65536

struct frame_in {
	int		 fd;
	size_t		 pos;
	size_t		 len;
	char		 buf[FRAME_BUF_SIZE];
};

static int	frame_getc(struct frame_in *);
static int	frame_copy(struct frame_in *, size_t, frame_data_fn, void *,
		    enum spool_error *, char **);
static int	frame_chunk_len(struct frame_in *, long long *,
		    enum spool_error *, char **);

/* Write the frame header for m (validated first) to fd. */
int
frame_write_header(int fd, const struct spool_meta *m, char **cause)
{
	char	*text;
	size_t	 len;
	int	 rv = 0;

	if (spool_meta_validate(m, cause) == -1)
		return (-1);
	text = spool_meta_text(m, &len);
	if (util_write_all(fd, text, len) == -1 ||
	    util_write_all(fd, "\n", 1) == -1) {
		xasprintf(cause, "writing to the queue: %s", strerror(errno));
		rv = -1;
	}
	free(text);
	return (rv);
}

/* Write len message bytes to fd as one or more chunks. */
int
frame_write_chunk(int fd, const void *buf, size_t len, char **cause)
{
	const char	*p = buf;
	char		 num[32];
	size_t		 n;
	int		 nlen;

	while (len > 0) {
		n = len > FRAME_CHUNK_MAX ? FRAME_CHUNK_MAX : len;
		nlen = snprintf(num, sizeof(num), "%zu\n", n);
		if (util_write_all(fd, num, (size_t)nlen) == -1 ||
		    util_write_all(fd, p, n) == -1) {
			xasprintf(cause, "writing to the queue: %s",
			    strerror(errno));
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

/* Write the end marker: the message is complete. */
int
frame_write_end(int fd, char **cause)
{
	if (util_write_all(fd, "0\n", 2) == -1) {
		xasprintf(cause, "writing to the queue: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/* A reader of the frame on fd. */
struct frame_in *
frame_in_new(int fd)
{
	struct frame_in	*in;

	in = xcalloc(1, sizeof(*in));
	in->fd = fd;
	return (in);
}

/* Free a reader (the descriptor is the caller's). */
void
frame_in_free(struct frame_in *in)
{
	free(in);
}

/* Next input byte, or -1 at end of input, -2 on a read error. */
static int
frame_getc(struct frame_in *in)
{
	ssize_t	 n;

	if (in->pos == in->len) {
		do
			n = read(in->fd, in->buf, sizeof(in->buf));
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			return (n == 0 ? -1 : -2);
		in->pos = 0;
		in->len = (size_t)n;
	}
	return ((unsigned char)in->buf[in->pos++]);
}

/*
 * Read the header: each line up to the empty one goes to line(arg, ...).
 * Returns 0, or -1 with err and cause set.
 */
int
frame_read_header(struct frame_in *in, frame_line_fn line, void *arg,
    enum spool_error *err, char **cause)
{
	char	 buf[SPOOL_LINE_MAX];
	size_t	 len, total = 0;
	int	 c;

	for (;;) {
		for (len = 0;; buf[len++] = (char)c) {
			if ((c = frame_getc(in)) < 0) {
				*err = SPOOL_ERR_TRUNC;
				xasprintf(cause, "frame header ended early");
				return (-1);
			}
			if (++total > SPOOL_HEADER_MAX) {
				*err = SPOOL_ERR_FRAME;
				xasprintf(cause, "frame header too long");
				return (-1);
			}
			if (c == '\n')
				break;
			if (len == sizeof(buf)) {
				*err = SPOOL_ERR_FRAME;
				xasprintf(cause, "frame header line too long");
				return (-1);
			}
		}
		if (len == 0)
			return (0);
		if (line(arg, buf, len, cause) == -1) {
			*err = SPOOL_ERR_FRAME;
			return (-1);
		}
	}
}

/* The length line of the next chunk; 0 is the end marker. */
static int
frame_chunk_len(struct frame_in *in, long long *n, enum spool_error *err,
    char **cause)
{
	char	 line[16];
	size_t	 len;
	int	 c;

	for (len = 0;; line[len++] = (char)c) {
		if ((c = frame_getc(in)) < 0) {
			*err = SPOOL_ERR_TRUNC;
			xasprintf(cause, "message ended early");
			return (-1);
		}
		if (c == '\n')
			break;
		if (len == sizeof(line) - 1) {
			*err = SPOOL_ERR_FRAME;
			xasprintf(cause, "bad chunk length");
			return (-1);
		}
	}
	if (util_decimal(line, len, FRAME_CHUNK_MAX, n) == -1) {
		*err = SPOOL_ERR_FRAME;
		xasprintf(cause, "bad chunk length");
		return (-1);
	}
	return (0);
}

/* Hand exactly n input bytes to data(arg, ...), as they arrive. */
static int
frame_copy(struct frame_in *in, size_t n, frame_data_fn data, void *arg,
    enum spool_error *err, char **cause)
{
	size_t	 have;
	ssize_t	 r;

	while (n > 0) {
		if (in->pos == in->len) {
			do
				r = read(in->fd, in->buf,
				    n < sizeof(in->buf) ? n : sizeof(in->buf));
			while (r == -1 && errno == EINTR);
			if (r <= 0) {
				*err = SPOOL_ERR_TRUNC;
				xasprintf(cause, "message ended early%s%s",
				    r == 0 ? "" : ": ",
				    r == 0 ? "" : strerror(errno));
				return (-1);
			}
			in->pos = 0;
			in->len = (size_t)r;
		}
		have = in->len - in->pos;
		if (have > n)
			have = n;
		if (data(arg, in->buf + in->pos, have, err, cause) == -1)
			return (-1);
		in->pos += have;
		n -= have;
	}
	return (0);
}

/*
 * Read the chunks up to the end marker, at most max_size bytes in all,
 * handing the bytes to data(arg, ...).  Returns 0, or -1 with err and
 * cause set (SPOOL_ERR_SIZE over max_size).
 */
int
frame_read_body(struct frame_in *in, off_t max_size, frame_data_fn data,
    void *arg, enum spool_error *err, char **cause)
{
	off_t		 total = 0;
	long long	 n;

	for (;;) {
		if (frame_chunk_len(in, &n, err, cause) == -1)
			return (-1);
		if (n == 0)
			return (0);
		if (n > max_size - total) {
			*err = SPOOL_ERR_SIZE;
			xasprintf(cause, "message larger than %lld bytes",
			    (long long)max_size);
			return (-1);
		}
		total += n;
		if (frame_copy(in, (size_t)n, data, arg, err, cause) == -1)
			return (-1);
	}
}
