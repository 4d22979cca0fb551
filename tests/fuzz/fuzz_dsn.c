/*
 * libFuzzer target for dsn.c: a notification built from hostile message
 * bytes (the header section copied out of a spool entry) and a hostile
 * stored reply.  The report's own lines must all end in CRLF, stay
 * under 1000 bytes, and carry a well-formed Status.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "conf.h"
#include "dsn.h"
#include "spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_status(const char *out, const char *end)
{
	const char	*p = out, *q;

	while ((p = strstr(p, "\r\nStatus: ")) != NULL && p < end) {
		p += 10;
		if (*p != '4' && *p != '5')
			abort();
		q = p + strspn(p, "0123456789.");
		if (q - p < 5 || q - p > 11 || strncmp(q, "\r\n", 2) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_entry	 e;
	struct spool_rcpt	*r;
	struct addr_list	 to;
	struct conf		 conf;
	char			*out = NULL, *hdrs, *p;
	size_t			 len = 0, rlen;
	FILE			*f;
	int			 fd;

	if (size < 1)
		return (0);
	rlen = strnlen((const char *)data + 1, size - 1);
	if (rlen > 600)
		return (0);
	conf_init(&conf);
	conf.domain = (char *)"example.org";
	memset(&e, 0, sizeof(e));
	spool_meta_init(&e.meta);
	strlcpy(e.id, "0123456789ABCDEF", sizeof(e.id));
	e.meta.sender = xstrdup("a@example.net");
	spool_meta_add_rcpt(&e.meta, "b@example.com");
	r = TAILQ_FIRST(&e.meta.rcpts);
	r->state = SPOOL_RCPT_FAILED;
	r->reply = xstrndup((const char *)data + 1, rlen);
	if ((fd = memfd_create("msg", 0)) == -1)
		abort();
	p = (char *)data + 1 + rlen + (1 + rlen < size);
	e.msg_size = (off_t)(size - (size_t)(p - (char *)data));
	if (e.msg_size > 0 && write(fd, p, (size_t)e.msg_size) != e.msg_size)
		abort();
	e.fd = fd;
	addr_list_init(&to);
	addr_list_add(&to, "a@example.net");
	if ((f = open_memstream(&out, &len)) == NULL)
		abort();
	if (dsn_write(f, &conf, &e, (enum dsn_kind)(data[0] % 3), NULL,
	    &to) != 0)
		abort();
	fclose(f);
	/* Up to the attached headers, our lines: CRLF only, short. */
	hdrs = strstr(out, "Content-Type: text/rfc822-headers\r\n\r\n");
	if (hdrs == NULL)
		abort();
	check_status(out, hdrs);
	for (p = out; p < hdrs; p++) {
		if ((*p == '\n' && (p == out || p[-1] != '\r')) ||
		    (*p == '\r' && p[1] != '\n'))
			abort();
	}
	for (p = out; (hdrs = strstr(p, "\r\n")) != NULL; p = hdrs + 2)
		if (hdrs - p > 998)
			abort();
	free(out);
	addr_list_free(&to);
	close(fd);
	e.fd = -1;
	spool_close(&e);
	conf.domain = NULL;
	conf_free(&conf);
	return (0);
}
