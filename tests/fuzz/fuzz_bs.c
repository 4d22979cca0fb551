/*
 * libFuzzer target for bs.c: every input line through the -bs command
 * parser, and the whole input through the DATA dot scanner, in one
 * piece and split in two (the results must agree).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "bs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct sink {
	char	*buf;
	size_t	 len;
};

static void
collect(void *arg, const char *s, size_t len)
{
	struct sink	*o = arg;

	if (len == 0)
		abort();
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

static void
check_cmd(const char *line, size_t len)
{
	struct bs_cmd	 c;
	char		*cause = NULL;
	const char	*p;
	size_t		 i;
	int		 rv;

	rv = bs_parse_command(line, len, &c, &cause);
	if (rv != 0) {
		if (cause == NULL || (rv != BS_ERR_SYNTAX &&
		    rv != BS_ERR_COMMAND))
			abort();
		free(cause);
		return;
	}
	if (cause != NULL || c.arg == NULL || c.nparams > BS_PARAM_MAX)
		abort();
	for (p = c.arg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			abort();
	if ((c.verb == BS_MAIL || c.verb == BS_RCPT) &&
	    strlen(c.arg) > SMTP_PATH_MAX)
		abort();
	for (i = 0; i < c.nparams; i++) {
		if (c.params[i].key[0] == '\0' || strchr(c.params[i].key,
		    ' ') != NULL || (c.params[i].value != NULL &&
		    (c.params[i].value[0] == '\0' ||
		    strpbrk(c.params[i].value, " =") != NULL)))
			abort();
	}
	bs_cmd_free(&c);
}

static size_t
scan(const char *in, size_t len, size_t split, struct sink *o, int *end)
{
	enum bs_dot_state	 st = BS_DOT_BOL;
	size_t			 n;

	o->len = 0;
	if (split >= len)
		return (bs_dot_scan(&st, in, len, collect, o, end));
	n = bs_dot_scan(&st, in, split, collect, o, end);
	if (*end)
		return (n);
	if (n != split)
		abort();
	return (n + bs_dot_scan(&st, in + split, len - split, collect, o,
	    end));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *nl;
	struct sink	 a, b;
	size_t		 off, n1, n2;
	int		 e1, e2;

	for (off = 0; off <= size; off = nl - s + 1) {
		nl = memchr(s + off, '\n', size - off);
		if (nl == NULL)
			nl = s + size;
		check_cmd(s + off, nl - s - off);
	}

	a.buf = malloc(size + 1);
	b.buf = malloc(size + 1);
	if (a.buf == NULL || b.buf == NULL)
		abort();
	n1 = scan(s, size, size, &a, &e1);
	n2 = scan(s, size, size > 0 ? data[0] % size : 0, &b, &e2);
	if (n1 != n2 || e1 != e2 || a.len != b.len ||
	    memcmp(a.buf, b.buf, a.len) != 0 || a.len > n1 ||
	    (!e1 && n1 != size))
		abort();
	free(a.buf);
	free(b.buf);
	return (0);
}
