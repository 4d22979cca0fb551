/*
 * The canonical message form: what msg.c (the front end) emits, checked
 * again by the privileged side, which trusts no front end.
 *
 * A message is canonical when:
 *
 *  - every line ends in CRLF: no bare LF, no CR other than the one
 *    right before a LF, and the last line is terminated;
 *  - it holds no NUL byte and is not empty;
 *  - no line is longer than SMTP_LINE_MAX (998) octets without its CRLF;
 *  - it is at most max_size bytes (when max_size > 0);
 *  - with body_7bit, no byte anywhere (header or body) is >= 0x80;
 *  - its header section has no Bcc or Resent-Bcc field;
 *  - with force_from, its header section has exactly one From field,
 *    whose unfolded value (at most CANON_FROM_MAX bytes) parses as an
 *    RFC 5322 address list (addr_parse_list) of exactly one address
 *    equal (addr_cmp) to force_from; any display name is allowed.
 *
 * The header section is split exactly as msg.c splits its input: it
 * ends at the first empty line, or at the first line that is neither a
 * field (a name of bytes 0x21-0x7e other than ':', optional SP/HT, then
 * ':') nor a continuation (a line starting with SP or HT after a
 * field); that line is body.  Field names are compared case-insensitively
 * without the white space before the colon.
 *
 * The check is streaming: bytes are scanned a line segment at a time
 * with memchr(), only the first bytes of a header line (its name) are
 * looked at one by one, and the state is a fixed-size struct.  Causes
 * name the line and the rule, never the message bytes.
 */
#include "config.h"

#include <sys/types.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailferry.h"
#include "addr.h"
#include "canon.h"
#include "util.h"

/* Header line states (struct canon's ls). */
enum canon_ls {
	LS_START,	/* nothing of the line seen yet */
	LS_NAME,	/* in what may be a field name */
	LS_WSP,		/* white space after the name, before ':' */
	LS_REST		/* a field's value or a continuation */
};

static int	canon_fail(struct canon *, char **, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	name_byte(unsigned char);
static int	field_start(struct canon *, char **);
static int	head_end(struct canon *, char **);
static int	head_byte(struct canon *, unsigned char, char **);
static int	from_add(struct canon *, const void *, size_t, char **);
static ssize_t	scan(struct canon *, const unsigned char *, size_t, char **);

static int
canon_fail(struct canon *c, char **cause, const char *fmt, ...)
{
	va_list	 ap;

	c->failed = 1;
	va_start(ap, fmt);
	xvasprintf(cause, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Whether b may be part of a field name (msg.c's field_name()). */
static int
name_byte(unsigned char b)
{
	return (b > ' ' && b < 0x7f && b != ':');
}

/* Start checking a message against pol (copied). */
void
canon_init(struct canon *c, const struct canon_policy *pol)
{
	memset(c, 0, sizeof(*c));
	c->pol = *pol;
	if (c->pol.force_from != NULL && *c->pol.force_from == '\0')
		c->pol.force_from = NULL;
	c->line = 1;
	c->ls = LS_START;
}

/* A field's colon: check its name. */
static int
field_start(struct canon *c, char **cause)
{
	size_t	 n = c->namelen;

	c->field = 1;
	c->in_from = 0;
	c->ls = LS_REST;
	if (n == 3 && strncasecmp(c->name, "bcc", 3) == 0)
		return (canon_fail(c, cause, "line %llu: Bcc header present",
		    c->line));
	if (n == 10 && strncasecmp(c->name, "resent-bcc", 10) == 0)
		return (canon_fail(c, cause,
		    "line %llu: Resent-Bcc header present", c->line));
	if (n == 4 && strncasecmp(c->name, "from", 4) == 0 &&
	    c->pol.force_from != NULL) {
		if (++c->nfrom > 1)
			return (canon_fail(c, cause,
			    "line %llu: more than one From field", c->line));
		c->in_from = 1;
	}
	return (0);
}

/* The header section is over: check From against the policy. */
static int
head_end(struct canon *c, char **cause)
{
	struct addr_list	 l;
	char			*why = NULL;
	int			 ok;

	c->body = 1;
	c->in_from = 0;
	if (c->pol.force_from == NULL)
		return (0);
	if (c->nfrom == 0)
		return (canon_fail(c, cause, "no From field"));
	addr_list_init(&l);
	if (addr_parse_list(c->from, c->fromlen, ADDR_MODE_HEADER, &l,
	    &why) == -1) {
		free(why);
		return (canon_fail(c, cause, "From does not parse"));
	}
	ok = l.n == 1 && addr_cmp(l.v[0], c->pol.force_from) == 0;
	addr_list_free(&l);
	if (!ok)
		return (canon_fail(c, cause, "From is not <%s>",
		    c->pol.force_from));
	return (0);
}

/* One byte at the start of a header-section line (up to the colon). */
static int
head_byte(struct canon *c, unsigned char b, char **cause)
{
	if (b == '\n')
		return (canon_fail(c, cause, "line %llu: bare LF", c->line));
	if (b == '\0')
		return (canon_fail(c, cause, "line %llu: NUL byte", c->line));
	if (b >= 0x80 && c->pol.body_7bit)
		return (canon_fail(c, cause, "line %llu: 8-bit byte in a "
		    "7bit message", c->line));
	if (b == '\r') {
		/* An empty line, or a line that is no field: body next. */
		c->cr = 1;
		return (head_end(c, cause));
	}
	if (++c->col > SMTP_LINE_MAX)
		return (canon_fail(c, cause, "line %llu: longer than %d "
		    "octets", c->line, SMTP_LINE_MAX));
	switch (c->ls) {
	case LS_START:
		if ((b == ' ' || b == '\t') && c->field) {
			c->ls = LS_REST;
			return (c->in_from ? from_add(c, &b, 1, cause) : 0);
		}
		if (!name_byte(b))
			return (head_end(c, cause));
		c->ls = LS_NAME;
		c->namelen = 0;
		/* FALLTHROUGH */
	case LS_NAME:
		if (name_byte(b)) {
			if (c->namelen < sizeof(c->name))
				c->name[c->namelen] = b;
			c->namelen++;
			return (0);
		}
		/* FALLTHROUGH */
	case LS_WSP:
		if (b == ':')
			return (field_start(c, cause));
		if (b == ' ' || b == '\t') {
			c->ls = LS_WSP;
			return (0);
		}
		return (head_end(c, cause));
	default:
		return (0);
	}
}

/* Append to the buffered From value. */
static int
from_add(struct canon *c, const void *p, size_t n, char **cause)
{
	if (n > sizeof(c->from) - c->fromlen)
		return (canon_fail(c, cause, "line %llu: From longer than %zu "
		    "bytes", c->line, sizeof(c->from)));
	memcpy(c->from + c->fromlen, p, n);
	c->fromlen += n;
	return (0);
}

/*
 * The rest of a line from p: up to and including its LF, or all of
 * p[0..n).  Returns the bytes consumed, or -1.
 */
static ssize_t
scan(struct canon *c, const unsigned char *p, size_t n, char **cause)
{
	const unsigned char	*lf;
	size_t			 seg, text;

	lf = memchr(p, '\n', n);
	seg = lf == NULL ? n : (size_t)(lf - p);
	text = seg;
	if (seg > 0 && p[seg - 1] == '\r')
		text = seg - 1;
	else if (lf != NULL)
		return (canon_fail(c, cause, "line %llu: bare LF", c->line));
	if (memchr(p, '\r', text) != NULL)
		return (canon_fail(c, cause, "line %llu: bare CR", c->line));
	if (memchr(p, '\0', text) != NULL)
		return (canon_fail(c, cause, "line %llu: NUL byte", c->line));
	if (c->pol.body_7bit && util_has_8bit(p, text))
		return (canon_fail(c, cause, "line %llu: 8-bit byte in a "
		    "7bit message", c->line));
	if (text > SMTP_LINE_MAX - c->col)
		return (canon_fail(c, cause, "line %llu: longer than %d "
		    "octets", c->line, SMTP_LINE_MAX));
	c->col += text;
	if (c->in_from && from_add(c, p, text, cause) == -1)
		return (-1);
	if (lf == NULL) {
		c->cr = text != seg;
		return ((ssize_t)seg);
	}
	c->line++;
	c->col = 0;
	c->ls = LS_START;
	return ((ssize_t)seg + 1);
}

/* Check the next len bytes; -1 with *cause at the first violation. */
int
canon_feed(struct canon *c, const void *buf, size_t len, char **cause)
{
	const unsigned char	*p = buf, *end = p + len;
	ssize_t			 n;

	if (c->failed)
		return (canon_fail(c, cause, "message already refused"));
	if (c->pol.max_size > 0 && (off_t)len > c->pol.max_size - c->size)
		return (canon_fail(c, cause, "over the size limit (%lld "
		    "bytes)", (long long)c->pol.max_size));
	c->size += len;
	while (p < end) {
		if (c->cr) {
			if (*p++ != '\n')
				return (canon_fail(c, cause,
				    "line %llu: bare CR", c->line));
			c->cr = 0;
			c->line++;
			c->col = 0;
			c->ls = LS_START;
		} else if (!c->body && c->ls != LS_REST) {
			if (head_byte(c, *p++, cause) == -1)
				return (-1);
		} else {
			if ((n = scan(c, p, end - p, cause)) == -1)
				return (-1);
			p += n;
		}
	}
	return (0);
}

/* The message is complete: -1 with *cause if its end is not canonical. */
int
canon_end(struct canon *c, char **cause)
{
	if (c->failed)
		return (canon_fail(c, cause, "message already refused"));
	if (c->size == 0)
		return (canon_fail(c, cause, "empty message"));
	if (c->cr || c->col > 0 || c->ls != LS_START)
		return (canon_fail(c, cause, "line %llu: no CRLF at the end "
		    "of the message", c->line));
	if (!c->body)
		return (head_end(c, cause));
	return (0);
}
