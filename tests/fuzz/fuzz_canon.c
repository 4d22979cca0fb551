/*
 * libFuzzer target for canon.c.  The first byte picks the policy (a
 * forced From, 7-bit, a size limit) and where the input is cut.
 * Checks what the module promises: the verdict is the same whole, cut
 * in two and fed a byte at a time; a refusal always has a cause; what
 * it accepts has CRLF lines of at most SMTP_LINE_MAX octets, no NUL,
 * no 8-bit byte under body_7bit.  And the front end's output (msg.c)
 * for the same input is always accepted.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "canon.h"
#include "msg.h"

#define FUZZ_FROM	"app@example.org"

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

/* Feed in pieces of step bytes (0: whole, else cut first); 0 or -1. */
static int
check(const struct canon_policy *pol, const uint8_t *in, size_t len,
    size_t cut, size_t step)
{
	struct canon	 c;
	char		*cause = NULL;
	size_t		 i, n;
	int		 rv = 0;

	canon_init(&c, pol);
	if (step == 0) {
		rv = canon_feed(&c, in, cut, &cause);
		if (rv == 0)
			rv = canon_feed(&c, in + cut, len - cut, &cause);
	} else {
		for (i = 0; i < len && rv == 0; i += n) {
			n = len - i < step ? len - i : step;
			rv = canon_feed(&c, in + i, n, &cause);
		}
	}
	if (rv == 0)
		rv = canon_end(&c, &cause);
	if (rv != 0 && (rv != -1 || cause == NULL || *cause == '\0'))
		abort();
	free(cause);
	return (rv);
}

/* What an accepted message must look like. */
static void
accepted(const struct canon_policy *pol, const uint8_t *in, size_t len)
{
	size_t	 i, col = 0;

	if (len < 2 || in[len - 2] != '\r' || in[len - 1] != '\n')
		abort();
	for (i = 0; i < len; i++) {
		if (in[i] == '\0' || (pol->body_7bit && in[i] >= 0x80))
			abort();
		if (in[i] == '\r' && (i + 1 == len || in[i + 1] != '\n'))
			abort();
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			abort();
		if (in[i] == '\n')
			col = 0;
		else if (in[i] != '\r' && ++col > SMTP_LINE_MAX)
			abort();
	}
}

/* The front end's output must always pass. */
static void
frontend(const uint8_t *in, size_t len, int force, int dots)
{
	struct msg_policy	 mp;
	struct canon_policy	 cp;
	struct msg_sink		 sink;
	struct msg_reader	*r;
	struct msg		 m;
	struct fbuf		 out = { NULL, 0 };
	char			*cause = NULL;
	int			 rv;

	memset(&mp, 0, sizeof(mp));
	mp.ignore_dots = dots;
	mp.domain = "example.org";
	mp.sender = "user@example.org";
	mp.fullname = force ? "App \xc3\xa9 \"x\"" : NULL;
	mp.force_from = force ? FUZZ_FROM : NULL;
	mp.now = 1700000000;
	mp.message_id = "<t@example.org>";
	memset(&sink, 0, sizeof(sink));
	sink.write = fsink;
	sink.arg = &out;
	r = msg_reader_new(&mp, &sink);
	rv = msg_feed(r, (const char *)in, len, &cause);
	if (rv == 0 && (rv = msg_finish(r, &m, &cause)) == 0) {
		memset(&cp, 0, sizeof(cp));
		cp.force_from = mp.force_from;
		cp.body_7bit = !(m.body_8bit || m.header_8bit);
		if (check(&cp, (const uint8_t *)out.s, out.len, 0, 0) != 0)
			abort();
		msg_free(&m);
	}
	free(cause);
	free(out.s);
	msg_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct canon_policy	 pol;
	size_t			 cut;
	uint8_t			 b;
	int			 rv;

	if (len < 1)
		return (0);
	b = data[0];
	memset(&pol, 0, sizeof(pol));
	pol.force_from = (b & 1) ? FUZZ_FROM : NULL;
	pol.body_7bit = (b & 2) != 0;
	pol.max_size = (b & 4) ? 256 : 0;
	data++;
	len--;
	cut = (size_t)b * 131 % (len + 1);
	rv = check(&pol, data, len, 0, 0);
	if (check(&pol, data, len, cut, 0) != rv)
		abort();
	if (len <= 4096 && check(&pol, data, len, 0, 1) != rv)
		abort();
	if (rv == 0)
		accepted(&pol, data, len);
	frontend(data, len, (b & 1) != 0, (b & 8) != 0);
	return (0);
}
