/*
 * libFuzzer target for msg.c.  The first byte picks the options (-i,
 * -t, a forced From) and where the input is cut in two msg_feed()
 * calls.  Checks what the module promises: the output is the same
 * however the input is cut, every line ends in CRLF with no other CR
 * or LF, and no line is longer than SMTP_LINE_MAX.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fbuf {
	char	*s;
	size_t	 len;
};

static int
fsink(void *arg, const char *s, size_t len, char **cause)
{
	struct fbuf	*b = arg;

	(void)cause;
	if ((b->s = realloc(b->s, b->len + len)) == NULL)
		abort();
	memcpy(b->s + b->len, s, len);
	b->len += len;
	return (0);
}

static int
fuzz_run(const struct msg_policy *p, const char *in, size_t len, size_t cut,
    struct fbuf *out)
{
	struct msg_sink		 sink;
	struct msg_reader	*r;
	struct msg		 m;
	char			*cause = NULL;
	int			 rv;

	memset(&sink, 0, sizeof(sink));
	sink.write = fsink;
	sink.arg = out;
	r = msg_reader_new(p, &sink);
	rv = msg_feed(r, in, cut, &cause);
	if (rv == 0)
		rv = msg_feed(r, in + cut, len - cut, &cause);
	if (rv == 0 && (rv = msg_finish(r, &m, &cause)) == 0)
		msg_free(&m);
	if (rv != 0 && cause == NULL)
		abort();
	free(cause);
	msg_reader_free(r);
	return (rv);
}

static void
check_lines(const struct fbuf *b)
{
	size_t	 i, col = 0;

	if (b->len < 2 || b->s[b->len - 2] != '\r' || b->s[b->len - 1] != '\n')
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->s[i] == '\r') {
			if (i + 1 >= b->len || b->s[i + 1] != '\n')
				abort();
			i++;
			col = 0;
		} else if (b->s[i] == '\n' || b->s[i] == '\0')
			abort();
		else if (++col > SMTP_LINE_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_policy	 p;
	struct fbuf		 a, b;
	size_t			 cut;
	int			 ra, rb;

	if (size < 2)
		return (0);
	memset(&p, 0, sizeof(p));
	p.ignore_dots = data[0] & 1;
	p.extract = (data[0] >> 1) & 1;
	p.force_from = (data[0] & 4) ? "app@example.com" : NULL;
	p.fullname = (data[0] & 8) ? "J\xc3\xb6rg \"x\", y" : NULL;
	p.max_size = (data[0] & 16) ? 512 : 0;
	p.domain = "example.com";
	p.sender = "user";
	p.now = 1700000000;
	p.message_id = "<fuzz@example.com>";
	cut = data[1] % (size - 1);
	data += 2;
	size -= 2;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = fuzz_run(&p, (const char *)data, size, 0, &a);
	rb = fuzz_run(&p, (const char *)data, size, cut > size ? size : cut,
	    &b);
	if (ra != rb)
		abort();
	if (ra == 0) {
		if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0)
			abort();
		check_lines(&a);
	}
	free(a.s);
	free(b.s);
	return (0);
}
