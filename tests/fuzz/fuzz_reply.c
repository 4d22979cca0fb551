/*
 * libFuzzer target for the SMTP client's hostile-input parsers: the
 * reply parser (reply_parse_line, reply_string, reply_line), the EHLO
 * keyword parser, and the DATA canonicaliser, whose wire invariants are
 * checked (and whose output must not depend on chunk boundaries).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "reply.h"
#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_replies(const char *data, size_t size)
{
	struct reply	 r;
	struct ehlo	 e;
	const char	*p, *end, *nl, *l;
	char		*cause, *s;
	size_t		 len, i, ll;
	int		 rv;

	reply_init(&r);
	p = data;
	end = data + size;
	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		len = nl - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		cause = NULL;
		rv = reply_parse_line(p, len, &r, &cause);
		if (rv == -1) {
			if (cause == NULL)
				abort();
			free(cause);
			reply_reset(&r);
		} else if (rv == 1) {
			if (r.code < 200 || r.code > 559 || r.nlines == 0 ||
			    r.nlines > REPLY_LINES_MAX)
				abort();
			s = reply_string(&r);
			if (strlen(s) >= REPLY_STRING_MAX)
				abort();
			for (i = 0; s[i] != '\0'; i++)
				if ((unsigned char)s[i] < 0x20 ||
				    (unsigned char)s[i] >= 0x7f)
					abort();
			free(s);
			for (i = 0; (l = reply_line(&r, i, &ll)) != NULL; i++)
				if (memchr(l, '\n', ll) != NULL)
					abort();
			if (i != r.nlines)
				abort();
			reply_ehlo_parse(&r, &e);
			if (e.size < 0)
				abort();
		}
		p = nl + 1;
	}
	reply_free(&r);
}

static size_t
fuzz_canon_run(const char *in, size_t size, size_t step, char *out)
{
	struct smtp_canon	 c;
	size_t			 off, n = 0, piece;

	smtp_canon_init(&c);
	for (off = 0; off < size; off += piece) {
		piece = size - off < step ? size - off : step;
		n += smtp_canon(&c, in + off, piece, out + n);
	}
	n += smtp_canon_end(&c, out + n);
	return (n);
}

static void
fuzz_canon(const char *data, size_t size)
{
	char	*a, *b;
	size_t	 na, nb, i, step;

	step = size > 0 ? (unsigned char)data[0] % 7 + 1 : 1;
	a = malloc(2 * size + SMTP_CANON_END_MAX);
	b = malloc(2 * size + SMTP_CANON_END_MAX);
	if (a == NULL || b == NULL)
		abort();
	na = fuzz_canon_run(data, size, size > 0 ? size : 1, a);
	nb = fuzz_canon_run(data, size, step, b);
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	if (na < 3 || memcmp(a + na - 3, ".\r\n", 3) != 0)
		abort();
	for (i = 0; i < na; i++) {
		if (a[i] == '\r' && (i + 1 >= na || a[i + 1] != '\n'))
			abort();
		if (a[i] == '\n' && (i == 0 || a[i - 1] != '\r'))
			abort();
		/* Every line starting with '.' is stuffed, but the last. */
		if ((i == 0 || a[i - 1] == '\n') && a[i] == '.' &&
		    i != na - 3 && (i + 1 >= na || a[i + 1] != '.'))
			abort();
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_replies((const char *)data, size);
	fuzz_canon((const char *)data, size);
	return (0);
}
