/*
 * SMTP reply parser.  Everything here is hostile input: a smarthost (or
 * whoever sits between us and it) controls every byte.
 *
 * Wire format accepted (RFC 5321 section 4.2):
 *
 *	reply	= *( code "-" text CRLF ) code [ SP text ] CRLF
 *	code	= %x32-35 %x30-35 %x30-39	; 200..559
 *
 * - The caller (net.c) splits lines and strips the terminator.  A bare
 *   LF is accepted as a terminator, as most clients do: a client gains
 *   nothing by refusing it, and reply boundaries cannot smuggle mail.
 *   A CR anywhere else is kept as text (and escaped when shown).
 * - A line is at most REPLY_LINE_ACCEPT octets, a reply at most
 *   REPLY_LINES_MAX lines; every line of a reply carries the same code;
 *   a final line may be the bare code.  Anything else is a malformed
 *   reply: the caller gives up the session (a temporary failure).
 * - The text after the code is kept raw (it may contain any byte but
 *   LF); reply_string() is the only way it leaves this module, escaped
 *   with log_escape().
 *
 * EHLO keywords (RFC 5321 section 4.1.1.1) are matched without regard
 * to case; unknown keywords and malformed lines are ignored, so a
 * strange server costs us an extension, never the session.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailferry.h"
#include "reply.h"

static int	reply_fail(char **, const char *);
static void	reply_append(struct reply *, const char *, size_t);
static size_t	ehlo_word(const char *, size_t, size_t, size_t *);
static unsigned int ehlo_auth_mech(const char *, size_t);
static void	ehlo_line(const char *, size_t, struct ehlo *);

static const struct {
	const char	*name;
	unsigned int	 flag;
} ehlo_keywords[] = {
	{ "STARTTLS",		EHLO_STARTTLS },
	{ "AUTH",		EHLO_AUTH },
	{ "PIPELINING",		EHLO_PIPELINING },
	{ "SIZE",		EHLO_SIZE },
	{ "8BITMIME",		EHLO_8BITMIME },
	{ "DSN",		EHLO_DSN },
	{ "SMTPUTF8",		EHLO_SMTPUTF8 },
	{ "ENHANCEDSTATUSCODES", EHLO_ENHANCEDSTATUSCODES },
};

static const struct {
	const char	*name;
	unsigned int	 flag;
} ehlo_mechs[] = {
	{ "PLAIN",		EHLO_AUTH_PLAIN },
	{ "LOGIN",		EHLO_AUTH_LOGIN },
	{ "CRAM-MD5",		EHLO_AUTH_CRAM_MD5 },
	{ "SCRAM-SHA-256",	EHLO_AUTH_SCRAM_SHA_256 },
	{ "SCRAM-SHA-256-PLUS",	EHLO_AUTH_SCRAM_SHA_256_PLUS },
	{ "XOAUTH2",		EHLO_AUTH_XOAUTH2 },
	{ "OAUTHBEARER",	EHLO_AUTH_OAUTHBEARER },
	{ "EXTERNAL",		EHLO_AUTH_EXTERNAL },
};

/* Prepare an empty reply. */
void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* Forget the reply's lines but keep its buffer for the next one. */
void
reply_reset(struct reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->complete = 0;
	r->len = 0;
	if (r->text != NULL)
		r->text[0] = '\0';
}

/* Release the reply's buffer. */
void
reply_free(struct reply *r)
{
	free(r->text);
	reply_init(r);
}

static int
reply_fail(char **cause, const char *why)
{
	if (cause != NULL)
		xasprintf(cause, "malformed reply: %s", why);
	return (-1);
}

static void
reply_append(struct reply *r, const char *s, size_t len)
{
	size_t	 need;

	/* Bounded by REPLY_LINES_MAX * (REPLY_LINE_ACCEPT + 1). */
	need = r->len + len + 2;
	if (need > r->cap) {
		r->cap = need < 256 ? 256 : need * 2;
		r->text = xreallocarray(r->text, r->cap, 1);
	}
	if (r->nlines > 0)
		r->text[r->len++] = '\n';
	memcpy(r->text + r->len, s, len);
	r->len += len;
	r->text[r->len] = '\0';
}

/*
 * Add one line (without its terminator) to a reply.  Return 1 when the
 * reply is complete, 0 when more lines follow, -1 (and a cause) when
 * the line breaks the grammar.  A complete reply is reset by the next
 * call, so one struct serves a whole session.
 */
int
reply_parse_line(const char *line, size_t len, struct reply *r, char **cause)
{
	int	 code, last;

	if (r->complete)
		reply_reset(r);
	if (len > REPLY_LINE_ACCEPT)
		return (reply_fail(cause, "line too long"));
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' ||
	    line[2] < '0' || line[2] > '9')
		return (reply_fail(cause, "bad reply code"));
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3)
		last = 1;
	else if (line[3] == ' ')
		last = 1;
	else if (line[3] == '-')
		last = 0;
	else
		return (reply_fail(cause, "bad separator after code"));
	if (r->nlines > 0 && code != r->code)
		return (reply_fail(cause, "code changes inside a reply"));
	if (r->nlines >= REPLY_LINES_MAX)
		return (reply_fail(cause, "too many lines"));
	r->code = code;
	if (len > 4)
		reply_append(r, line + 4, len - 4);
	else
		reply_append(r, "", 0);
	r->nlines++;
	r->complete = last;
	return (last);
}

/* The reply's class: 2, 3, 4 or 5 (0 before a complete reply). */
int
reply_class(const struct reply *r)
{
	if (!r->complete)
		return (0);
	return (r->code / 100);
}

/*
 * Return line i of the reply's text (not NUL-terminated) and its length,
 * or NULL past the last line.
 */
const char *
reply_line(const struct reply *r, size_t i, size_t *lenp)
{
	const char	*p, *end, *nl;

	if (r->text == NULL || i >= r->nlines)
		return (NULL);
	p = r->text;
	end = r->text + r->len;
	for (; i > 0; i--) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			return (NULL);
		p = nl + 1;
	}
	nl = memchr(p, '\n', end - p);
	*lenp = (nl != NULL ? nl : end) - p;
	return (p);
}

/*
 * The reply as one escaped line, "CODE text text ...", the lines joined
 * by a space and cut (never inside an escape) to fit REPLY_STRING_MAX.
 */
char *
reply_string(const struct reply *r)
{
	char	*raw, *esc;
	size_t	 i, n, cut, step;

	raw = xmalloc(r->len + 5);
	n = (size_t)snprintf(raw, 5, "%03d", r->code);
	for (i = 0; i < r->len; i++) {
		if (i == 0)
			raw[n++] = ' ';
		raw[n++] = r->text[i] == '\n' ? ' ' : r->text[i];
	}
	esc = log_escape(raw, n);
	free(raw);
	for (cut = 0; esc[cut] != '\0'; cut += step) {
		step = 1;
		if (esc[cut] == '\\')
			step = esc[cut + 1] == 'x' ? 4 : 2;
		if (cut + step > REPLY_STRING_MAX - 1)
			break;
	}
	esc[cut] = '\0';
	return (esc);
}

/* Skip blanks from off, return the start of the next word and its length. */
static size_t
ehlo_word(const char *s, size_t len, size_t off, size_t *wlen)
{
	size_t	 end;

	while (off < len && (s[off] == ' ' || s[off] == '\t'))
		off++;
	end = off;
	while (end < len && s[end] != ' ' && s[end] != '\t')
		end++;
	*wlen = end - off;
	return (off);
}

static unsigned int
ehlo_auth_mech(const char *w, size_t wlen)
{
	size_t	 i;

	for (i = 0; i < sizeof(ehlo_mechs) / sizeof(ehlo_mechs[0]); i++)
		if (strlen(ehlo_mechs[i].name) == wlen &&
		    strncasecmp(ehlo_mechs[i].name, w, wlen) == 0)
			return (ehlo_mechs[i].flag);
	return (0);
}

static void
ehlo_line(const char *s, size_t len, struct ehlo *e)
{
	unsigned int	 flag = 0;
	size_t		 i, klen, off, wlen;
	const char	*errstr;
	char		 num[24];
	long long	 v;

	/* The keyword: letters, digits and '-'; legacy "AUTH=" ends at '='. */
	for (klen = 0; klen < len && (isalnum((unsigned char)s[klen]) ||
	    s[klen] == '-'); klen++)
		;
	if (klen == 0 || (klen < len && s[klen] != ' ' && s[klen] != '\t' &&
	    s[klen] != '='))
		return;
	if (klen < len && s[klen] == '=' &&
	    (klen != 4 || strncasecmp(s, "AUTH", 4) != 0))
		return;
	for (i = 0; i < sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]); i++)
		if (strlen(ehlo_keywords[i].name) == klen &&
		    strncasecmp(ehlo_keywords[i].name, s, klen) == 0)
			flag = ehlo_keywords[i].flag;
	if (flag == 0)
		return;
	e->ext |= flag;
	off = klen < len && s[klen] == '=' ? klen + 1 : klen;
	if (flag == EHLO_AUTH) {
		for (;;) {
			off = ehlo_word(s, len, off, &wlen);
			if (wlen == 0)
				break;
			e->auth |= ehlo_auth_mech(s + off, wlen);
			off += wlen;
		}
	} else if (flag == EHLO_SIZE) {
		/* "SIZE" alone, 0 or garbage: offered, no limit known. */
		off = ehlo_word(s, len, off, &wlen);
		if (wlen == 0 || wlen >= sizeof(num))
			return;
		memcpy(num, s + off, wlen);
		num[wlen] = '\0';
		v = strtonum(num, 0, LLONG_MAX, &errstr);
		if (errstr == NULL)
			e->size = v;
	}
}

/*
 * Fill e from a 250 reply to EHLO.  The first line is the server's
 * greeting, never a keyword.
 */
void
reply_ehlo_parse(const struct reply *r, struct ehlo *e)
{
	const char	*s;
	size_t		 i, len;

	memset(e, 0, sizeof(*e));
	for (i = 1; (s = reply_line(r, i, &len)) != NULL; i++)
		ehlo_line(s, len, e);
}

/* The keyword for one EHLO_* flag, for traces. */
const char *
reply_ehlo_name(unsigned int flag)
{
	size_t	 i;

	for (i = 0; i < sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]); i++)
		if (ehlo_keywords[i].flag == flag)
			return (ehlo_keywords[i].name);
	return ("?");
}
