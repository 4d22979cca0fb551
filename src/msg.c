/*
 * Reading a submitted message: canonical lines, the header/body split,
 * -t recipients, Bcc removal, added and rewritten header fields, long
 * lines.  msg_read() drains a file descriptor; msg_feed()/msg_finish()
 * take the same bytes from any source (the -bs DATA phase, tests).
 *
 * Lines.  A line ends at LF; any CRs right before the LF belong to the
 * line end ("\r\r\n" from a double LF->CRLF conversion is one line
 * end).  Every other CR becomes a space: a bare CR or LF reaching the
 * smarthost is what SMTP smuggling needs, and a CR inside a line has no
 * meaning in a mail text anyway.  Output lines end in exactly CRLF; a
 * final CRLF is added when the input lacks one (CRs at the very end are
 * a line end).  A NUL byte is an error (MSG_ERR_DATA).
 *
 * Dots.  Without ignore_dots a line that is exactly "." ends the
 * message and the rest is discarded (msg_read() still reads to EOF, so
 * the caller never blocks on a full pipe).  ".." is never unstuffed
 * here: the -bs code unstuffs before feeding us.
 *
 * Split.  The header ends at the first empty line, or at the first line
 * that is neither a field ("Name:" with printable non-space name
 * characters, white space allowed before the colon) nor a continuation
 * (leading WSP after a field); an empty line is then inserted before
 * it.  So an indented heredoc is all body.  A first line "From " (an
 * mbox separator) is dropped, as sendmail does.  Header fields are kept
 * in memory (MSG_HEADER_MAX in all); the body is not.
 *
 * Long lines (over SMTP_LINE_MAX = 998 octets).  Header fields are
 * folded: CRLF before the last white space that fits, or, with none,
 * CRLF SP inserted at 998.  For the body, the choice is made once the
 * whole body has been seen, which is why the body is kept in a store
 * (memory up to MSG_BODY_MEM, then an unlinked tmpfile(3)) and the sink
 * receives the message only from msg_finish():
 *  - no long line: the body is sent as it came;
 *  - a long line in a single-part message (no Content-Type, or one that
 *    is not multipart/ or message/, with no CTE or 7bit/8bit/binary):
 *    the whole body is re-encoded quoted-printable (RFC 2045 6.7) and
 *    the Content-Transfer-Encoding field replaced (MIME-Version added if
 *    missing, and Content-Type text/plain; charset=UTF-8 if missing and
 *    the body is 8-bit).  Nothing is lost: a reader decodes the
 *    original bytes.  This is the cron/logwatch case.
 *  - a long line in a multipart or already-encoded message: re-encoding
 *    would need a MIME parser, so the line is hard-wrapped (CRLF after
 *    998 octets), which alters it, as Postfix and sendmail do too.
 *    msg.lines_broken says so (main can log it).
 * max_size counts input bytes; the QP expansion is not counted.
 *
 * Header work, in order, at the end: with -t, recipients from all
 * To/Cc/Bcc fields (or Resent-To/Cc/Bcc when any Resent- field exists)
 * are added to the argv ones, de-duplicated (addr_cmp: exact local
 * part, case-insensitive domain); a field that does not parse is an
 * error.  Then Bcc and Resent-Bcc are removed (always).  Bare names in
 * From, Sender, Reply-To, To, Cc and their Resent- forms are qualified
 * with the domain (other bytes kept), as Postfix does for local mail.
 * With force_from, From becomes that address (with -F's name) and the
 * original From moves to Reply-To unless one exists.  Missing From,
 * Date and Message-ID are appended, never duplicated.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "msg.h"
#include "util.h"

#define MSG_CHUNK	8192	/* body line pieces, output buffer */
#define MSG_QP_LINE	76	/* RFC 2045 6.7 rule 5 */

enum msg_state {
	MSG_ST_FIRST,		/* first line: maybe "From " */
	MSG_ST_HEADER,
	MSG_ST_BODY,
	MSG_ST_DONE,		/* lone "." seen: discard the rest */
	MSG_ST_ERROR
};

struct hdr {
	char		*raw;	/* lines joined by CRLF, no final CRLF */
	size_t		 len;
	size_t		 namelen;
	size_t		 valoff;	/* first byte after the colon */
	int		 drop;
};

/* Where the next NUL and CR of msg_feed()'s buffer are (NULL: unknown). */
struct msg_scan {
	const char		*nul;
	const char		*cr;
};

struct msg_reader {
	const struct msg_policy	*pol;
	const struct msg_sink	*sink;
	enum msg_state		 state;
	int			 err;
	/* Line assembly. */
	char			*line;
	size_t			 llen;
	size_t			 lcap;
	size_t			 pending_cr;
	int			 partial;	/* body line partly stored */
	size_t			 col;		/* body line length so far */
	off_t			 insize;
	/* Header fields. */
	struct hdr		*h;
	size_t			 nh;
	size_t			 caph;
	size_t			 hbytes;
	/* Body store. */
	char			*mem;
	size_t			 memlen;
	FILE			*spill;
	int			 long_line;
	int			 body_8bit;
	int			 dot_end;
	/* Output. */
	char			 obuf[MSG_CHUNK];
	size_t			 olen;
	off_t			 osize;
	char			**cause;
	int			 qp_pending;	/* a held-back WSP, or -1 */
	size_t			 qcol;
};

static int	 rd_err(struct msg_reader *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 line_add(struct msg_reader *, char);
static int	 msg_is_8bit(const char *);
static int	 line_end(struct msg_reader *);
static int	 header_line(struct msg_reader *);
static int	 body_line(struct msg_reader *, int);
static int	 body_store(struct msg_reader *, const char *, size_t);
static size_t	 body_bulk(struct msg_reader *, struct msg_scan *,
		    const char *, size_t);
static const char *scan_next(const char **, const char *, const char *, int);
static int	 store_line(struct msg_reader *, const char *, size_t);
static int	 store_put(struct msg_reader *, const char *, size_t);
static int	 store_spill(struct msg_reader *);
static size_t	 field_name(const char *, size_t, size_t *);
static void	 hdr_add(struct msg_reader *, const char *, size_t);
static struct hdr *hdr_find(struct msg_reader *, const char *);
static int	 hdr_is(const struct hdr *, const char *);
static char	*hdr_value(const struct hdr *);
static int	 headers_finish(struct msg_reader *, struct msg *);
static int	 extract_rcpts(struct msg_reader *, struct msg *);
static void	 hdr_set_value(struct hdr *, const char *);
static int	 looks_header(struct msg_reader *);
static int	 qp_put(struct msg_reader *, const char *, size_t);
static void	 qualify_from(struct msg_reader *);
static void	 force_from(struct msg_reader *);
static void	 add_missing(struct msg_reader *);
static int	 qp_wanted(struct msg_reader *);
static int	 out(struct msg_reader *, const char *, size_t);
static int	 out_flush(struct msg_reader *);
static int	 out_hline(struct msg_reader *, const char *, size_t);
static int	 out_headers(struct msg_reader *);
static int	 out_body(struct msg_reader *, int);
static int	 out_store(struct msg_reader *);
static int	 out_direct(struct msg_reader *, const char *, size_t);
static int	 out_body_byte(struct msg_reader *, unsigned char, int);
static int	 out_qp(struct msg_reader *, unsigned char);
static char	*b64(const unsigned char *, size_t);
static char	*encode_name(const char *);

static int
rd_err(struct msg_reader *r, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (r->state != MSG_ST_ERROR) {
		r->state = MSG_ST_ERROR;
		r->err = code;
		if (r->cause != NULL && fmt != NULL) {
			va_start(ap, fmt);
			xvasprintf(r->cause, fmt, ap);
			va_end(ap);
		}
	}
	return (r->err);
}

/* A new reader; the policy and sink must outlive it. */
struct msg_reader *
msg_reader_new(const struct msg_policy *pol, const struct msg_sink *sink)
{
	struct msg_reader	*r;

	r = xcalloc(1, sizeof(*r));
	r->pol = pol;
	r->sink = sink;
	r->state = MSG_ST_FIRST;
	r->qp_pending = -1;
	return (r);
}

/* Free a reader (and its temporary file). */
void
msg_reader_free(struct msg_reader *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nh; i++)
		free(r->h[i].raw);
	free(r->h);
	free(r->line);
	free(r->mem);
	if (r->spill != NULL)
		fclose(r->spill);
	free(r);
}

/* Feed input bytes; 0, or a MSG_ERR_* code (then stop feeding). */
int
msg_feed(struct msg_reader *r, const char *buf, size_t len, char **cause)
{
	struct msg_scan	 sc = { NULL, NULL };
	size_t		 i, n;
	char		 c;

	r->cause = cause;
	for (i = 0; i < len; i++) {
		if (r->state == MSG_ST_ERROR)
			return (r->err);
		if (r->state == MSG_ST_DONE)
			return (0);
		if (r->state == MSG_ST_BODY && (n = body_bulk(r, &sc, buf + i,
		    len - i)) > 0) {
			i += n - 1;
			continue;
		}
		c = buf[i];
		if (c == '\0')
			return (rd_err(r, MSG_ERR_DATA, "NUL byte in message"));
		if (r->pol->max_size > 0 && ++r->insize > r->pol->max_size)
			return (rd_err(r, MSG_ERR_DATA,
			    "message larger than max_size (%lld bytes)",
			    (long long)r->pol->max_size));
		if (c == '\r') {
			r->pending_cr++;
			continue;
		}
		if (c == '\n') {
			r->pending_cr = 0;
			if (line_end(r) != 0)
				return (r->err);
			continue;
		}
		for (; r->pending_cr > 0; r->pending_cr--)
			if (line_add(r, ' ') != 0)
				return (r->err);
		if (line_add(r, c) != 0)
			return (r->err);
	}
	return (r->state == MSG_ST_ERROR ? r->err : 0);
}

static int
line_add(struct msg_reader *r, char c)
{
	if (r->state != MSG_ST_BODY && r->hbytes + r->llen + 2 > MSG_HEADER_MAX)
		return (rd_err(r, MSG_ERR_DATA, "header larger than %d bytes",
		    MSG_HEADER_MAX));
	if (r->llen == r->lcap) {
		r->lcap = r->lcap == 0 ? 256 : r->lcap * 2;
		r->line = xreallocarray(r->line, r->lcap, 1);
	}
	r->line[r->llen++] = c;
	if (r->llen != MSG_CHUNK)
		return (0);
	if (r->state != MSG_ST_BODY && !looks_header(r)) {
		/* Too long for a field name: a body line. */
		r->state = MSG_ST_BODY;
	}
	if (r->state == MSG_ST_BODY)
		return (body_line(r, 0));
	return (0);
}

/* Whether the line being read can be a field or a continuation. */
static int
looks_header(struct msg_reader *r)
{
	size_t	 valoff;

	if ((r->line[0] == ' ' || r->line[0] == '\t') && r->nh > 0)
		return (1);
	return (field_name(r->line, r->llen, &valoff) > 0);
}

static int
line_end(struct msg_reader *r)
{
	int	 rv;

	switch (r->state) {
	case MSG_ST_FIRST:
		r->state = MSG_ST_HEADER;
		if (r->llen >= 5 && memcmp(r->line, "From ", 5) == 0) {
			r->llen = 0;
			return (0);
		}
		/* FALLTHROUGH */
	case MSG_ST_HEADER:
		rv = header_line(r);
		break;
	case MSG_ST_BODY:
		rv = body_line(r, 1);
		break;
	default:
		rv = 0;
		break;
	}
	r->llen = 0;
	return (rv);
}

/* Length of the field name if the line starts a field, else 0. */
static size_t
field_name(const char *s, size_t len, size_t *valoff)
{
	size_t	 i, n;

	for (i = 0; i < len && s[i] > ' ' && s[i] < 0x7f && s[i] != ':'; i++)
		;
	n = i;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n == 0 || i >= len || s[i] != ':')
		return (0);
	*valoff = i + 1;
	return (n);
}

static void
hdr_add(struct msg_reader *r, const char *s, size_t len)
{
	struct hdr	*h;
	size_t		 valoff = 0, n;

	n = field_name(s, len, &valoff);
	if (r->nh == r->caph) {
		r->caph = r->caph == 0 ? 32 : r->caph * 2;
		r->h = xreallocarray(r->h, r->caph, sizeof(*r->h));
	}
	h = &r->h[r->nh++];
	h->raw = xmalloc(len + 1);
	memcpy(h->raw, s, len);
	h->raw[len] = '\0';
	h->len = len;
	h->namelen = n;
	h->valoff = valoff;
	h->drop = 0;
	r->hbytes += len + 2;
}

static int
header_line(struct msg_reader *r)
{
	struct hdr	*h;
	size_t		 valoff;

	if (!r->pol->ignore_dots && r->llen == 1 && r->line[0] == '.') {
		r->dot_end = 1;
		r->state = MSG_ST_DONE;
		return (0);
	}
	if (r->llen == 0) {
		r->state = MSG_ST_BODY;
		return (0);
	}
	if ((r->line[0] == ' ' || r->line[0] == '\t') && r->nh > 0) {
		h = &r->h[r->nh - 1];
		h->raw = xreallocarray(h->raw, h->len + r->llen + 3, 1);
		memcpy(h->raw + h->len, "\r\n", 2);
		memcpy(h->raw + h->len + 2, r->line, r->llen);
		h->len += r->llen + 2;
		h->raw[h->len] = '\0';
		r->hbytes += r->llen + 2;
		return (0);
	}
	if (field_name(r->line, r->llen, &valoff) > 0) {
		hdr_add(r, r->line, r->llen);
		return (0);
	}
	/* Neither: the body starts here, after an inserted empty line. */
	r->state = MSG_ST_BODY;
	return (body_line(r, 1));
}

/* A piece of a body line; eol: the line ends after it. */
static int
body_line(struct msg_reader *r, int eol)
{
	if (eol && !r->pol->ignore_dots && !r->partial && r->llen == 1 &&
	    r->line[0] == '.') {
		r->dot_end = 1;
		r->state = MSG_ST_DONE;
		return (0);
	}
	if (body_store(r, r->line, r->llen) != 0)
		return (r->err);
	r->col += r->llen;
	if (r->col > SMTP_LINE_MAX)
		r->long_line = 1;
	r->llen = 0;
	r->partial = !eol;
	if (eol) {
		r->col = 0;
		return (body_store(r, "\r\n", 2));
	}
	return (0);
}

/*
 * The body's fast path: whole lines from buf (LF found, CRs only right
 * before it, no NUL) go to the store without the byte loop of
 * msg_feed(), which does the same work a byte at a time.  sc caches
 * where the next NUL and CR of the caller's buffer are, so each byte is
 * looked at by memchr() a bounded number of times.  Returns the bytes
 * consumed, or 0 when msg_feed() must take the next byte itself: a line
 * it has begun (llen, partial, pending CRs), a line that does not end
 * in buf, a NUL or a CR inside the line.
 */
static size_t
body_bulk(struct msg_reader *r, struct msg_scan *sc, const char *buf,
    size_t len)
{
	const char	*p = buf, *end = buf + len, *nl, *c;
	size_t		 dot = 0;

	if (r->llen > 0 || r->partial || r->pending_cr > 0)
		return (0);
	while (dot == 0 && p < end &&
	    (nl = memchr(p, '\n', end - p)) != NULL) {
		for (c = nl; c > p && c[-1] == '\r'; c--)
			;
		if (scan_next(&sc->cr, p, end, '\r') < c ||
		    scan_next(&sc->nul, p, end, '\0') <= nl)
			break;
		if (r->pol->max_size > 0 &&
		    (r->insize += nl + 1 - p) > r->pol->max_size) {
			rd_err(r, MSG_ERR_DATA, "message larger than "
			    "max_size (%lld bytes)", (long long)r->pol->max_size);
			return (len);
		}
		if (!r->pol->ignore_dots && c - p == 1 && *p == '.') {
			r->dot_end = 1;
			r->state = MSG_ST_DONE;
			dot = nl + 1 - p;
			break;
		}
		if (c - p > SMTP_LINE_MAX)
			r->long_line = 1;
		if (store_line(r, p, c - p) != 0)
			return (len);
		p = nl + 1;
	}
	if (!r->body_8bit && util_has_8bit(buf, p - buf))
		r->body_8bit = 1;
	return (p - buf + dot);
}

/* The first ch at or after from, before end (end if none), cached. */
static const char *
scan_next(const char **cache, const char *from, const char *end, int ch)
{
	if (*cache == NULL || *cache < from) {
		*cache = memchr(from, ch, end - from);
		if (*cache == NULL)
			*cache = end;
	}
	return (*cache);
}

static int
body_store(struct msg_reader *r, const char *s, size_t len)
{
	if (!r->body_8bit && util_has_8bit(s, len))
		r->body_8bit = 1;
	return (store_put(r, s, len));
}

/* Store a body line's len bytes at s and CRLF. */
static int
store_line(struct msg_reader *r, const char *s, size_t len)
{
	if (r->mem == NULL || r->memlen + len + 2 > MSG_BODY_MEM)
		return (store_put(r, s, len) != 0 ? -1 :
		    store_put(r, "\r\n", 2));
	memcpy(r->mem + r->memlen, s, len);
	memcpy(r->mem + r->memlen + len, "\r\n", 2);
	r->memlen += len + 2;
	return (0);
}

/*
 * Append to the body store: r->mem, then, once it is full, the spill
 * file, written MSG_BODY_MEM bytes at a time from r->mem (which then
 * holds the part not written yet).
 */
static int
store_put(struct msg_reader *r, const char *s, size_t len)
{
	if (len == 0)
		return (0);
	if (r->mem == NULL)
		r->mem = xmalloc(MSG_BODY_MEM);
	if (r->memlen + len > MSG_BODY_MEM && store_spill(r) != 0)
		return (-1);
	if (len > MSG_BODY_MEM) {
		if (fwrite(s, 1, len, r->spill) != len)
			return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
			    strerror(errno)));
		return (0);
	}
	memcpy(r->mem + r->memlen, s, len);
	r->memlen += len;
	return (0);
}

/* Move the stored bytes in r->mem to the spill file (made on demand). */
static int
store_spill(struct msg_reader *r)
{
	if (r->spill == NULL && (r->spill = tmpfile()) == NULL)
		return (rd_err(r, MSG_ERR_TEMP,
		    "cannot create a temporary file: %s", strerror(errno)));
	if (fwrite(r->mem, 1, r->memlen, r->spill) != r->memlen)
		return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
		    strerror(errno)));
	r->memlen = 0;
	return (0);
}

static int
hdr_is(const struct hdr *h, const char *name)
{
	return (!h->drop && h->namelen == strlen(name) &&
	    strncasecmp(h->raw, name, h->namelen) == 0);
}

static struct hdr *
hdr_find(struct msg_reader *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nh; i++)
		if (hdr_is(&r->h[i], name))
			return (&r->h[i]);
	return (NULL);
}

/* The value, unfolded and trimmed (a new string). */
static char *
hdr_value(const struct hdr *h)
{
	char	*v, *p;
	size_t	 i, n = 0;

	v = xmalloc(h->len - h->valoff + 1);
	for (i = h->valoff; i < h->len; i++)
		if (h->raw[i] != '\r' && h->raw[i] != '\n')
			v[n++] = h->raw[i];
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	v[n] = '\0';
	for (p = v; *p == ' ' || *p == '\t'; p++)
		;
	memmove(v, p, strlen(p) + 1);
	return (v);
}

static int
extract_rcpts(struct msg_reader *r, struct msg *m)
{
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *const resent[] = { "Resent-To", "Resent-Cc",
	    "Resent-Bcc", NULL };
	const char *const	*names = plain;
	struct hdr		*h;
	char			*cause = NULL;
	size_t			 i, j;

	for (i = 0; i < r->nh; i++)
		if (r->h[i].namelen > 7 &&
		    strncasecmp(r->h[i].raw, "Resent-", 7) == 0)
			names = resent;
	for (i = 0; i < r->nh; i++) {
		h = &r->h[i];
		for (j = 0; names[j] != NULL; j++) {
			if (!hdr_is(h, names[j]))
				continue;
			if (addr_parse_list(h->raw + h->valoff,
			    h->len - h->valoff, ADDR_MODE_HEADER, &m->rcpts,
			    &cause) == -1) {
				rd_err(r, MSG_ERR_DATA, "%s field: %s",
				    names[j], cause);
				free(cause);
				return (-1);
			}
			if (m->rcpts.n > ADDR_LIST_MAX) {
				rd_err(r, MSG_ERR_DATA,
				    "more than %d recipients", ADDR_LIST_MAX);
				return (-1);
			}
		}
	}
	return (0);
}

/* Replace the value of h, keeping "Name:" as it was. */
static void
hdr_set_value(struct hdr *h, const char *value)
{
	size_t	 vlen = strlen(value);

	h->raw = xreallocarray(h->raw, h->valoff + vlen + 1, 1);
	memcpy(h->raw + h->valoff, value, vlen + 1);
	h->len = h->valoff + vlen;
}

static void
qualify_from(struct msg_reader *r)
{
	/*
	 * As Postfix does for local submissions: a bare name in an address
	 * field gets the domain, so that replies from the far side work.
	 */
	static const char *const names[] = { "From", "Sender", "Reply-To",
	    "To", "Cc", "Resent-From", "Resent-Sender", "Resent-To",
	    "Resent-Cc", NULL };
	struct hdr	*h;
	char		*v, *cause = NULL;
	size_t		 i, j;

	if (r->pol->domain == NULL || *r->pol->domain == '\0')
		return;
	for (i = 0; i < r->nh; i++) {
		h = &r->h[i];
		for (j = 0; names[j] != NULL; j++) {
			if (!hdr_is(h, names[j]))
				continue;
			/* An unparsable From is left alone, not refused. */
			if (addr_qualify_list(h->raw + h->valoff,
			    h->len - h->valoff, r->pol->domain, &v,
			    &cause) == -1) {
				free(cause);
				cause = NULL;
				continue;
			}
			if (strcmp(v, h->raw + h->valoff) != 0)
				hdr_set_value(h, v);
			free(v);
		}
	}
}

static void
force_from(struct msg_reader *r)
{
	struct hdr	*h;
	char		*from, *v;
	size_t		 i;

	if ((h = hdr_find(r, "From")) != NULL &&
	    hdr_find(r, "Reply-To") == NULL) {
		v = hdr_value(h);
		if (*v != '\0') {
			xasprintf(&from, "Reply-To: %s", v);
			hdr_add(r, from, strlen(from));
			free(from);
		}
		free(v);
	}
	for (i = 0; i < r->nh; i++)
		if (hdr_is(&r->h[i], "From"))
			r->h[i].drop = 1;
	from = msg_format_from(r->pol->fullname, r->pol->force_from);
	hdr_add(r, from, strlen(from));
	free(from);
}

static void
add_missing(struct msg_reader *r)
{
	const char	*dom = r->pol->domain;
	char		*s, *a;
	time_t		 now = r->pol->now != 0 ? r->pol->now : time(NULL);

	if (dom == NULL || *dom == '\0')
		dom = "localhost";
	if (hdr_find(r, "From") == NULL) {
		if (r->pol->sender == NULL || *r->pol->sender == '\0')
			xasprintf(&a, "MAILER-DAEMON@%s", dom);
		else
			a = addr_qualify(r->pol->sender, r->pol->domain);
		s = msg_format_from(r->pol->fullname, a);
		hdr_add(r, s, strlen(s));
		free(s);
		free(a);
	}
	if (hdr_find(r, "Date") == NULL) {
		s = msg_format_date(now);
		hdr_add(r, s, strlen(s));
		free(s);
	}
	if (hdr_find(r, "Message-ID") == NULL) {
		if (r->pol->message_id != NULL)
			xasprintf(&s, "Message-ID: %s", r->pol->message_id);
		else
			xasprintf(&s, "Message-ID: <%lld.%08x%08x@%s>",
			    (long long)now, arc4random(), arc4random(), dom);
		hdr_add(r, s, strlen(s));
		free(s);
	}
}

/* Whether a long-lined body can be re-encoded (see the top). */
static int
qp_wanted(struct msg_reader *r)
{
	struct hdr	*h;
	char		*v;
	int		 ok = 1;

	if ((h = hdr_find(r, "Content-Type")) != NULL) {
		v = hdr_value(h);
		if (strncasecmp(v, "multipart/", 10) == 0 ||
		    strncasecmp(v, "message/", 8) == 0)
			ok = 0;
		free(v);
	}
	if ((h = hdr_find(r, "Content-Transfer-Encoding")) != NULL) {
		v = hdr_value(h);
		if (strcasecmp(v, "7bit") != 0 && strcasecmp(v, "8bit") != 0 &&
		    strcasecmp(v, "binary") != 0)
			ok = 0;
		free(v);
	}
	return (ok);
}
/* Whether a header field holds a byte beyond ASCII. */
static int
msg_is_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return (1);
	return (0);
}


static int
headers_finish(struct msg_reader *r, struct msg *m)
{
	static const char	 cte[] =
	    "Content-Transfer-Encoding: quoted-printable";
	static const char	 ctype[] =
	    "Content-Type: text/plain; charset=UTF-8";
	size_t			 i;

	addr_list_copy(&m->rcpts, r->pol->rcpts);
	if (r->pol->extract && extract_rcpts(r, m) == -1)
		return (-1);
	for (i = 0; i < r->nh; i++)
		if (hdr_is(&r->h[i], "Bcc") || hdr_is(&r->h[i], "Resent-Bcc"))
			r->h[i].drop = 1;
	qualify_from(r);
	if (r->pol->force_from != NULL && *r->pol->force_from != '\0')
		force_from(r);
	add_missing(r);
	if (r->long_line && qp_wanted(r)) {
		m->qp_encoded = 1;
		for (i = 0; i < r->nh; i++)
			if (hdr_is(&r->h[i], "Content-Transfer-Encoding"))
				r->h[i].drop = 1;
		if (hdr_find(r, "MIME-Version") == NULL)
			hdr_add(r, "MIME-Version: 1.0", 17);
		if (hdr_find(r, "Content-Type") == NULL && r->body_8bit)
			hdr_add(r, ctype, sizeof(ctype) - 1);
		hdr_add(r, cte, sizeof(cte) - 1);
	} else if (r->long_line)
		m->lines_broken = 1;
	m->body_8bit = r->body_8bit && !m->qp_encoded;
	for (i = 0; i < r->nh; i++)
		if (!r->h[i].drop && msg_is_8bit(r->h[i].raw))
			m->header_8bit = 1;
	return (0);
}

/* Finish: process the header, write the message to the sink. */
int
msg_finish(struct msg_reader *r, struct msg *m, char **cause)
{
	r->cause = cause;
	memset(m, 0, sizeof(*m));
	addr_list_init(&m->rcpts);
	if (r->state != MSG_ST_ERROR && r->state != MSG_ST_DONE &&
	    (r->llen > 0 || r->partial))
		line_end(r);
	if (r->state == MSG_ST_ERROR)
		return (r->err);
	m->dot_end = r->dot_end;
	if (headers_finish(r, m) == -1)
		goto fail;
	if (r->sink->begin != NULL &&
	    r->sink->begin(r->sink->arg, &m->rcpts, cause) == -1) {
		r->err = MSG_ERR_SINK;
		goto fail;
	}
	if (out_headers(r) != 0 ||
	    out_body(r, m->qp_encoded) != 0 || out_flush(r) != 0)
		goto fail;
	m->size = r->osize;
	return (0);
fail:
	addr_list_free(&m->rcpts);
	return (r->err);
}

static int
out_flush(struct msg_reader *r)
{
	char	*cause = NULL;

	if (r->olen == 0)
		return (0);
	if (r->sink->write(r->sink->arg, r->obuf, r->olen, &cause) == -1) {
		rd_err(r, MSG_ERR_SINK, "%s", cause != NULL ? cause :
		    "cannot write the message");
		free(cause);
		return (-1);
	}
	r->osize += r->olen;
	r->olen = 0;
	return (0);
}

static int
out(struct msg_reader *r, const char *s, size_t len)
{
	size_t	 n;

	while (len > 0) {
		if (r->olen == sizeof(r->obuf) && out_flush(r) != 0)
			return (-1);
		n = sizeof(r->obuf) - r->olen;
		if (n > len)
			n = len;
		memcpy(r->obuf + r->olen, s, n);
		r->olen += n;
		s += n;
		len -= n;
	}
	return (0);
}

/* One physical header line, folded if longer than SMTP_LINE_MAX. */
static int
out_hline(struct msg_reader *r, const char *s, size_t len)
{
	size_t	 k, room;
	int	 cont = 0;

	for (;;) {
		room = SMTP_LINE_MAX - (cont ? 1 : 0);
		if (len <= room)
			break;
		for (k = room; k > 0; k--)
			if ((s[k] == ' ' || s[k] == '\t') &&
			    s[k - 1] != ' ' && s[k - 1] != '\t')
				break;
		if (k == 0)
			k = room;
		if ((cont && out(r, " ", 1) != 0) || out(r, s, k) != 0 ||
		    out(r, "\r\n", 2) != 0)
			return (-1);
		cont = !(s[k] == ' ' || s[k] == '\t');
		s += k;
		len -= k;
	}
	if ((cont && out(r, " ", 1) != 0) || out(r, s, len) != 0)
		return (-1);
	return (out(r, "\r\n", 2));
}

static int
out_headers(struct msg_reader *r)
{
	const char	*s, *e, *end;
	size_t		 i;

	for (i = 0; i < r->nh; i++) {
		if (r->h[i].drop)
			continue;
		s = r->h[i].raw;
		end = s + r->h[i].len;
		for (;;) {
			e = memchr(s, '\r', end - s);
			if (out_hline(r, s, (e == NULL ? end : e) - s) != 0)
				return (-1);
			if (e == NULL)
				break;
			s = e + 2;
		}
	}
	return (out(r, "\r\n", 2));
}

/* Emit QP text, with a soft break first if the line would get too long. */
static int
qp_put(struct msg_reader *r, const char *s, size_t n)
{
	if (r->qcol + n > MSG_QP_LINE - 1) {
		if (out(r, "=\r\n", 3) != 0)
			return (-1);
		r->qcol = 0;
	}
	r->qcol += n;
	return (out(r, s, n));
}

/*
 * Quoted-printable, one byte at a time.  A space or tab is held back
 * until the next byte shows whether it ends the line (then it must be
 * encoded, RFC 2045 6.7 rule 3).
 */
static int
out_qp(struct msg_reader *r, unsigned char c)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 enc[3];

	if (r->qp_pending >= 0) {
		enc[0] = '=';
		enc[1] = hex[r->qp_pending >> 4];
		enc[2] = hex[r->qp_pending & 15];
		if (c == '\n') {
			/* The last item of a line needs no room for "=". */
			if (r->qcol + 3 > MSG_QP_LINE) {
				if (out(r, "=\r\n", 3) != 0)
					return (-1);
				r->qcol = 0;
			}
			if (out(r, enc, 3) != 0)
				return (-1);
		} else {
			enc[0] = (char)r->qp_pending;
			if (qp_put(r, enc, 1) != 0)
				return (-1);
		}
		r->qp_pending = -1;
	}
	if (c == '\n') {
		r->qcol = 0;
		return (out(r, "\r\n", 2));
	}
	if (c == ' ' || c == '\t') {
		r->qp_pending = c;
		return (0);
	}
	if (c == '=' || c < 0x20 || c >= 0x7f) {
		enc[0] = '=';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		return (qp_put(r, enc, 3));
	}
	enc[0] = c;
	return (qp_put(r, enc, 1));
}

/* One stored body byte (CR dropped: lines end in CRLF, LF marks them). */
static int
out_body_byte(struct msg_reader *r, unsigned char c, int qp)
{
	if (c == '\r')
		return (0);
	if (qp)
		return (out_qp(r, c));
	if (c == '\n') {
		r->qcol = 0;
		return (out(r, "\r\n", 2));
	}
	if (r->qcol == SMTP_LINE_MAX) {
		if (out(r, "\r\n", 2) != 0)
			return (-1);
		r->qcol = 0;
	}
	r->qcol++;
	return (out(r, (const char *)&c, 1));
}

static int
out_body(struct msg_reader *r, int qp)
{
	char	 buf[MSG_CHUNK];
	size_t	 i, n;

	r->qcol = 0;
	if (!qp && !r->long_line)
		return (out_store(r));
	if (r->spill == NULL) {
		for (i = 0; i < r->memlen; i++)
			if (out_body_byte(r, r->mem[i], qp) != 0)
				return (-1);
		return (0);
	}
	if (store_spill(r) != 0 || fflush(r->spill) != 0 ||
	    fseeko(r->spill, 0, SEEK_SET) != 0)
		return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
		    strerror(errno)));
	while ((n = fread(buf, 1, sizeof(buf), r->spill)) > 0)
		for (i = 0; i < n; i++)
			if (out_body_byte(r, buf[i], qp) != 0)
				return (-1);
	if (ferror(r->spill))
		return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
		    strerror(errno)));
	return (0);
}

/*
 * A body with no long line is stored exactly as it goes out (lines end
 * in CRLF): hand the store to the sink as it is, in big pieces, with no
 * byte loop and no copy into obuf.
 */
static int
out_store(struct msg_reader *r)
{
	char	*buf;
	size_t	 n;
	int	 rv = 0;

	if (out_flush(r) != 0)
		return (-1);
	if (r->spill == NULL)
		return (out_direct(r, r->mem, r->memlen));
	if (store_spill(r) != 0 || fflush(r->spill) != 0 ||
	    fseeko(r->spill, 0, SEEK_SET) != 0)
		return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
		    strerror(errno)));
	/* The store's memory is free now: read the spill file into it. */
	buf = r->mem;
	while (rv == 0 && (n = fread(buf, 1, MSG_BODY_MEM, r->spill)) > 0)
		rv = out_direct(r, buf, n);
	if (rv == 0 && ferror(r->spill))
		return (rd_err(r, MSG_ERR_TEMP, "temporary file: %s",
		    strerror(errno)));
	return (rv);
}

/* Write s to the sink now, bypassing obuf (which must be empty). */
static int
out_direct(struct msg_reader *r, const char *s, size_t len)
{
	char	*cause = NULL;

	if (len == 0)
		return (0);
	if (r->sink->write(r->sink->arg, s, len, &cause) == -1) {
		rd_err(r, MSG_ERR_SINK, "%s", cause != NULL ? cause :
		    "cannot write the message");
		free(cause);
		return (-1);
	}
	r->osize += len;
	return (0);
}

/* Read fd to EOF (always), canonicalise, write to the sink. */
int
msg_read(int fd, const struct msg_policy *pol, const struct msg_sink *sink,
    struct msg *m, char **cause)
{
	struct msg_reader	*r;
	char			 buf[65536];
	ssize_t			 n;
	int			 rv = 0;

	memset(m, 0, sizeof(*m));
	r = msg_reader_new(pol, sink);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (rv == 0) {
				xasprintf(cause, "cannot read the message: %s",
				    strerror(errno));
				rv = MSG_ERR_INPUT;
			}
			break;
		}
		if (n == 0)
			break;
		if (rv == 0)
			rv = msg_feed(r, buf, n, cause);
	}
	if (rv == 0)
		rv = msg_finish(r, m, cause);
	msg_reader_free(r);
	return (rv);
}

/* Free what msg_finish() filled in. */
void
msg_free(struct msg *m)
{
	addr_list_free(&m->rcpts);
}

static char *
b64(const unsigned char *s, size_t len)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*o, *p;
	uint32_t		 v;
	size_t			 i;

	p = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
		*p++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*p = '\0';
	return (o);
}

/*
 * A display name: atoms as they are, other ASCII as a quoted string,
 * anything 8-bit as RFC 2047 B encoded words of at most 45 input bytes
 * (75 characters), cut between UTF-8 characters.
 */
static char *
encode_name(const char *name)
{
	const unsigned char	*s = (const unsigned char *)name;
	char			*o, *w, *t;
	size_t			 i, n, len = strlen(name), olen = 0;
	int			 eight = 0, plain = 1;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80)
			eight = 1;
		else if (s[i] != ' ' && (strchr("()<>[]:;@\\,.\"", s[i]) !=
		    NULL))
			plain = 0;
	}
	if (!eight && plain)
		return (xstrdup(name));
	if (!eight) {
		o = xmalloc(len * 2 + 3);
		o[olen++] = '"';
		for (i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				o[olen++] = '\\';
			o[olen++] = s[i];
		}
		o[olen++] = '"';
		o[olen] = '\0';
		return (o);
	}
	o = xstrdup("");
	for (i = 0; i < len; i += n) {
		n = len - i > 45 ? 45 : len - i;
		while (n > 1 && i + n < len && (s[i + n] & 0xc0) == 0x80)
			n--;
		w = b64(s + i, n);
		xasprintf(&t, "%s%s=?UTF-8?B?%s?=", o, i == 0 ? "" : " ", w);
		free(w);
		free(o);
		o = t;
	}
	return (o);
}

/* "From: name <addr>" or "From: addr" (name sanitised and encoded). */
char *
msg_format_from(const char *fullname, const char *addr)
{
	char	*name, *p, *e, *s, *enc;

	if (fullname == NULL) {
		xasprintf(&s, "From: %s", addr);
		return (s);
	}
	name = xstrdup(fullname);
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (p = name; *p == ' '; p++)
		;
	for (e = p + strlen(p); e > p && e[-1] == ' '; e--)
		;
	*e = '\0';
	if (*p == '\0')
		xasprintf(&s, "From: %s", addr);
	else {
		enc = encode_name(p);
		xasprintf(&s, "From: %s <%s>", enc, addr);
		free(enc);
	}
	free(name);
	return (s);
}

/* "Date: Mon, 23 Nov 2026 09:13:01 +0100" in local time, C locale. */
char *
msg_format_date(time_t t)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	long		 off;
	char		*s;

	if (localtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	off = tm.tm_gmtoff / 60;
	xasprintf(&s, "Date: %s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
	return (s);
}
