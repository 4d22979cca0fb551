/*
 * Address parsing: RFC 5322 address lists (section 3.4, with the
 * obsolete forms of section 4.4) and qualification of bare local names.
 * Whether a parsed address may go into the envelope is decided by
 * envelope_valid_address() (envelope.c), not here.
 *
 * The text is first cut into tokens (atoms, quoted strings, domain
 * literals and the specials < > @ , ; : .), dropping white space,
 * folding (CRLF or LF followed by WSP) and nested comments; each token
 * remembers its offset and whether white space or a comment preceded
 * it.  A small recursive-descent parser then reads groups, mailboxes
 * with display names (ignored: encoded words, quoted names with commas
 * and comments are display text), angle addresses with obsolete source
 * routes (<@a,@b:u@x> gives u@x), addr-specs and bare local names.
 *
 * Decisions:
 * - Empty list elements (",,", a trailing ",") are allowed (obs-addr-list).
 * - A group without its closing ';' at the end of the text is accepted;
 *   nested groups and "<>" inside a list are errors.
 * - In ADDR_MODE_ARGV, white space also separates addresses
 *   ("a@x b@y"), except inside angle brackets.
 * - Obsolete local parts with runs of dots or a trailing dot are
 *   accepted and emitted quoted; a domain must be dot-separated atoms or
 *   one domain literal.
 * - De-duplication compares local parts case-sensitively and domains
 *   case-insensitively (RFC 5321 section 2.4).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailferry.h"
#include "addr.h"
#include "util.h"

#define ADDR_BUF	(SMTP_ADDR_MAX * 2 + 8)

enum tok_type {
	TOK_ATOM,
	TOK_QSTR,
	TOK_DLIT,
	TOK_SPECIAL
};

struct tok {
	enum tok_type	 type;
	size_t		 off;	/* first byte in the text */
	size_t		 len;	/* raw length, quotes and brackets included */
	int		 ws;	/* white space or a comment came before it */
	char		 ch;	/* TOK_SPECIAL: which one */
};

struct sbuf {
	char		 b[ADDR_BUF];
	size_t		 len;
	int		 over;
};

struct parse {
	const char	*text;
	size_t		 len;
	struct tok	*t;
	size_t		 n;
	size_t		 cap;
	size_t		 p;
	enum addr_mode	 mode;
	int		 toomany;
	void		(*cb)(struct parse *, const char *, size_t);
	void		*arg;
	char		**cause;
};

struct offsets {
	size_t		*v;
	size_t		 n;
};

static int	 addr_err(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 is_atext(unsigned char);
static int	 lex(struct parse *);
static int	 lex_fold(struct parse *, size_t *);
static int	 lex_quoted(struct parse *, size_t *, char);
static int	 lex_comment(struct parse *, size_t *);
static void	 push(struct parse *, enum tok_type, size_t, size_t, int);
static int	 is_sp(const struct parse *, size_t, char);
static int	 is_word(const struct parse *, size_t);
static int	 parse_run(struct parse *);
static int	 parse_list(struct parse *);
static int	 starts_group(struct parse *);
static int	 parse_mailbox(struct parse *);
static int	 parse_angle(struct parse *);
static int	 parse_addr_spec(struct parse *, int);
static int	 parse_domain(struct parse *, struct sbuf *);
static void	 sb_add(struct sbuf *, const char *, size_t);
static void	 sb_word(struct sbuf *, const char *, size_t, enum tok_type);
static void	 cb_list(struct parse *, const char *, size_t);
static void	 cb_offsets(struct parse *, const char *, size_t);
static const char *find_at(const char *);

static int
addr_err(struct parse *ps, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (ps->cause != NULL && *ps->cause == NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
		xasprintf(ps->cause, "invalid address: %s", msg);
		free(msg);
	}
	return (-1);
}

static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return (1);
	if (c <= 0x20 || c == 0x7f)
		return (0);
	return (strchr("()<>[]:;@\\,.\"", c) == NULL);
}

static void
push(struct parse *ps, enum tok_type type, size_t off, size_t len, int ws)
{
	struct tok	*tk;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap == 0 ? 16 : ps->cap * 2;
		ps->t = xreallocarray(ps->t, ps->cap, sizeof(*ps->t));
	}
	tk = &ps->t[ps->n++];
	tk->type = type;
	tk->off = off;
	tk->len = len;
	tk->ws = ws;
	tk->ch = type == TOK_SPECIAL ? ps->text[off] : '\0';
}

/*
 * A line break is only allowed as folding (followed by WSP) or at the
 * very end; a bare CR is never allowed.  This keeps CR and LF out of
 * every address we produce.
 */
static int
lex_fold(struct parse *ps, size_t *ip)
{
	size_t	 j = *ip;

	if (ps->text[j] == '\r') {
		j++;
		if (j >= ps->len || ps->text[j] != '\n')
			return (addr_err(ps, "bare CR"));
	}
	j++;
	if (j < ps->len && ps->text[j] != ' ' && ps->text[j] != '\t')
		return (addr_err(ps, "line break inside an address list"));
	*ip = j;
	return (0);
}

static int
lex_quoted(struct parse *ps, size_t *ip, char close)
{
	const char	*what = close == '"' ? "quoted string" :
			    "domain literal";
	size_t		 i = *ip + 1;
	unsigned char	 c;

	while (i < ps->len) {
		c = ps->text[i];
		if (c == (unsigned char)close) {
			*ip = i + 1;
			return (0);
		}
		if (c == '\r' || c == '\n') {
			if (lex_fold(ps, &i) == -1)
				return (-1);
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (addr_err(ps, "control character in %s", what));
		if (c == '[' && close == ']')
			return (addr_err(ps, "'[' inside a domain literal"));
		if (c == '\\') {
			if (i + 1 >= ps->len)
				break;
			c = ps->text[i + 1];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return (addr_err(ps, "bad quoted pair"));
			i++;
		}
		i++;
	}
	return (addr_err(ps, "unterminated %s", what));
}

static int
lex_comment(struct parse *ps, size_t *ip)
{
	size_t		 i = *ip, depth = 0;
	unsigned char	 c;

	while (i < ps->len) {
		c = ps->text[i];
		if (c == '(')
			depth++;
		else if (c == ')') {
			if (--depth == 0) {
				*ip = i + 1;
				return (0);
			}
		} else if (c == '\r' || c == '\n') {
			if (lex_fold(ps, &i) == -1)
				return (-1);
			continue;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (addr_err(ps, "control character in comment"));
		else if (c == '\\') {
			if (i + 1 >= ps->len)
				break;
			c = ps->text[i + 1];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return (addr_err(ps, "bad quoted pair"));
			i++;
		}
		i++;
	}
	return (addr_err(ps, "unterminated comment"));
}

/* Cut the text into tokens. */
static int
lex(struct parse *ps)
{
	size_t		 i = 0, start;
	int		 ws = 0;
	unsigned char	 c;

	while (i < ps->len) {
		c = ps->text[i];
		start = i;
		if (c == ' ' || c == '\t') {
			ws = 1;
			i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (lex_fold(ps, &i) == -1)
				return (-1);
			ws = 1;
			continue;
		}
		if (c == '(') {
			if (lex_comment(ps, &i) == -1)
				return (-1);
			ws = 1;
			continue;
		}
		if (c == '"' || c == '[') {
			if (lex_quoted(ps, &i, c == '"' ? '"' : ']') == -1)
				return (-1);
			push(ps, c == '"' ? TOK_QSTR : TOK_DLIT, start,
			    i - start, ws);
		} else if (strchr("<>@,;:.", c) != NULL) {
			push(ps, TOK_SPECIAL, i++, 1, ws);
		} else if (is_atext(c)) {
			while (i < ps->len && is_atext(ps->text[i]))
				i++;
			push(ps, TOK_ATOM, start, i - start, ws);
		} else if (c < 0x20 || c == 0x7f)
			return (addr_err(ps, "control character 0x%02x", c));
		else
			return (addr_err(ps, "unexpected '%c'", c));
		ws = 0;
	}
	return (0);
}

static int
is_sp(const struct parse *ps, size_t k, char ch)
{
	return (k < ps->n && ps->t[k].type == TOK_SPECIAL &&
	    ps->t[k].ch == ch);
}

static int
is_word(const struct parse *ps, size_t k)
{
	return (k < ps->n &&
	    (ps->t[k].type == TOK_ATOM || ps->t[k].type == TOK_QSTR));
}

static void
sb_add(struct sbuf *sb, const char *s, size_t len)
{
	if (sb->over || len >= sizeof(sb->b) - sb->len) {
		sb->over = 1;
		return;
	}
	memcpy(sb->b + sb->len, s, len);
	sb->len += len;
	sb->b[sb->len] = '\0';
}

/* Append a word, removing the quotes, quoted pairs and folding. */
static void
sb_word(struct sbuf *sb, const char *s, size_t len, enum tok_type type)
{
	size_t	 i;

	if (type != TOK_QSTR) {
		for (i = 0; i < len; i++)
			if (s[i] != '\r' && s[i] != '\n')
				sb_add(sb, s + i, 1);
		return;
	}
	for (i = 1; i + 1 < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '\\')
			i++;
		sb_add(sb, s + i, 1);
	}
}

static int
parse_domain(struct parse *ps, struct sbuf *sb)
{
	struct tok	*tk;

	if (ps->p < ps->n && ps->t[ps->p].type == TOK_DLIT) {
		tk = &ps->t[ps->p++];
		sb_word(sb, ps->text + tk->off, tk->len, TOK_DLIT);
		return (0);
	}
	for (;;) {
		if (ps->p >= ps->n || ps->t[ps->p].type != TOK_ATOM)
			return (addr_err(ps, "missing or bad domain"));
		tk = &ps->t[ps->p++];
		sb_add(sb, ps->text + tk->off, tk->len);
		if (!is_sp(ps, ps->p, '.'))
			return (0);
		ps->p++;
		sb_add(sb, ".", 1);
	}
}

/*
 * local-part ["@" domain]; obsolete dots are tolerated.  With split_ws,
 * a word after white space starts the next address (argv mode).
 */
static int
parse_addr_spec(struct parse *ps, int split_ws)
{
	struct sbuf	 local, dom;
	char		 out[ADDR_BUF * 2];
	size_t		 start = ps->p, bare_end, i, o;
	int		 prev_word = 0, has_dom = 0;
	struct tok	*tk;

	memset(&local, 0, sizeof(local));
	memset(&dom, 0, sizeof(dom));
	if (!is_word(ps, ps->p))
		return (addr_err(ps, ps->p < ps->n && is_sp(ps, ps->p, '@') ?
		    "missing local part" : "expected an address"));
	while (ps->p < ps->n) {
		tk = &ps->t[ps->p];
		if (split_ws && tk->ws && ps->p > start)
			break;
		if (is_word(ps, ps->p)) {
			if (prev_word)
				break;
			sb_word(&local, ps->text + tk->off, tk->len, tk->type);
			prev_word = 1;
		} else if (is_sp(ps, ps->p, '.')) {
			sb_add(&local, ".", 1);
			prev_word = 0;
		} else
			break;
		ps->p++;
	}
	tk = &ps->t[ps->p - 1];
	bare_end = tk->off + tk->len;
	if (is_sp(ps, ps->p, '@')) {
		ps->p++;
		if (parse_domain(ps, &dom) == -1)
			return (-1);
		has_dom = 1;
	}
	if (local.over || dom.over)
		return (addr_err(ps, "address too long"));

	o = 0;
	if (util_dot_string(local.b, local.len, is_atext)) {
		memcpy(out, local.b, local.len);
		o = local.len;
	} else {
		out[o++] = '"';
		for (i = 0; i < local.len; i++) {
			if (local.b[i] == '"' || local.b[i] == '\\')
				out[o++] = '\\';
			out[o++] = local.b[i];
		}
		out[o++] = '"';
	}
	if (has_dom) {
		out[o++] = '@';
		memcpy(out + o, dom.b, dom.len);
		o += dom.len;
	}
	out[o] = '\0';
	if (o > SMTP_ADDR_MAX)
		return (addr_err(ps, "address too long"));
	ps->cb(ps, out, has_dom ? (size_t)-1 : bare_end);
	return (0);
}

/* After '<': [obs-route ":"] addr-spec ">". */
static int
parse_angle(struct parse *ps)
{
	struct sbuf	 route;

	if (is_sp(ps, ps->p, '>'))
		return (addr_err(ps, "empty address <> in a list"));
	if (is_sp(ps, ps->p, '@')) {
		memset(&route, 0, sizeof(route));
		while (is_sp(ps, ps->p, '@') || is_sp(ps, ps->p, ',')) {
			if (is_sp(ps, ps->p++, ','))
				continue;
			route.len = 0;
			if (parse_domain(ps, &route) == -1)
				return (-1);
		}
		if (!is_sp(ps, ps->p, ':'))
			return (addr_err(ps, "bad source route"));
		ps->p++;
	}
	if (parse_addr_spec(ps, 0) == -1)
		return (-1);
	if (!is_sp(ps, ps->p, '>'))
		return (addr_err(ps, "missing '>'"));
	ps->p++;
	return (0);
}

static int
parse_mailbox(struct parse *ps)
{
	size_t	 k, i;

	for (k = ps->p; k < ps->n; k++) {
		if (is_sp(ps, k, ',') || is_sp(ps, k, ';') ||
		    is_sp(ps, k, '<'))
			break;
	}
	if (!is_sp(ps, k, '<'))
		return (parse_addr_spec(ps, ps->mode == ADDR_MODE_ARGV));
	for (i = ps->p; i < k; i++) {
		if (!is_word(ps, i) && !is_sp(ps, i, '.'))
			return (addr_err(ps, "bad display name"));
	}
	ps->p = k + 1;
	return (parse_angle(ps));
}

/* display-name ":" starts a group. */
static int
starts_group(struct parse *ps)
{
	size_t	 k = ps->p;

	while (is_word(ps, k) || is_sp(ps, k, '.'))
		k++;
	return (k > ps->p && is_sp(ps, k, ':'));
}

static int
parse_list(struct parse *ps)
{
	int	 in_group = 0;

	while (ps->p < ps->n) {
		if (is_sp(ps, ps->p, ',')) {
			ps->p++;
			continue;
		}
		if (is_sp(ps, ps->p, ';')) {
			if (!in_group)
				return (addr_err(ps, "';' outside a group"));
			in_group = 0;
			ps->p++;
		} else if (starts_group(ps)) {
			if (in_group)
				return (addr_err(ps, "nested group"));
			while (!is_sp(ps, ps->p, ':'))
				ps->p++;
			ps->p++;
			in_group = 1;
			continue;
		} else if (parse_mailbox(ps) == -1)
			return (-1);
		if (ps->p >= ps->n || is_sp(ps, ps->p, ',') ||
		    is_sp(ps, ps->p, ';'))
			continue;
		if (ps->mode == ADDR_MODE_ARGV && ps->t[ps->p].ws)
			continue;
		if (ps->t[ps->p].type == TOK_SPECIAL)
			return (addr_err(ps, "unexpected '%c'", ps->t[ps->p].ch));
		return (addr_err(ps, "unexpected text after an address"));
	}
	return (0);
}

static int
parse_run(struct parse *ps)
{
	int	 rv;

	rv = lex(ps) == -1 ? -1 : parse_list(ps);
	free(ps->t);
	ps->t = NULL;
	return (rv);
}

static void
cb_list(struct parse *ps, const char *addr, size_t bare_end)
{
	struct addr_list	*l = ps->arg;

	(void)bare_end;
	if (l->n < ADDR_LIST_MAX)
		addr_list_add(l, addr);
	else
		ps->toomany = 1;
}

static void
cb_offsets(struct parse *ps, const char *addr, size_t bare_end)
{
	struct offsets	*o = ps->arg;

	(void)addr;
	if (bare_end == (size_t)-1)
		return;
	o->v = xreallocarray(o->v, o->n + 1, sizeof(*o->v));
	o->v[o->n++] = bare_end;
}

/* Parse an address list and append its addresses (de-duplicated). */
int
addr_parse_list(const char *text, size_t len, enum addr_mode mode,
    struct addr_list *out, char **cause)
{
	struct parse		 ps;
	struct addr_list	 tmp;
	size_t			 i;

	memset(&ps, 0, sizeof(ps));
	addr_list_init(&tmp);
	ps.text = text;
	ps.len = len;
	ps.mode = mode;
	ps.cb = cb_list;
	ps.arg = &tmp;
	ps.cause = cause;
	if (parse_run(&ps) == -1 || (ps.toomany &&
	    addr_err(&ps, "more than %d addresses", ADDR_LIST_MAX) == -1)) {
		addr_list_free(&tmp);
		return (-1);
	}
	for (i = 0; i < tmp.n; i++)
		addr_list_add(out, tmp.v[i]);
	addr_list_free(&tmp);
	return (0);
}

/*
 * Copy an address-list header value, appending "@domain" to each bare
 * local name and leaving everything else (names, comments, folding)
 * byte for byte.
 */
int
addr_qualify_list(const char *text, size_t len, const char *domain,
    char **out, char **cause)
{
	struct parse	 ps;
	struct offsets	 o;
	size_t		 i, dlen, at, olen;
	char		*s;

	memset(&ps, 0, sizeof(ps));
	memset(&o, 0, sizeof(o));
	ps.text = text;
	ps.len = len;
	ps.mode = ADDR_MODE_HEADER;
	ps.cb = cb_offsets;
	ps.arg = &o;
	ps.cause = cause;
	if (parse_run(&ps) == -1) {
		free(o.v);
		return (-1);
	}
	if (domain == NULL || *domain == '\0')
		o.n = 0;
	dlen = domain == NULL ? 0 : strlen(domain);
	olen = len + o.n * (dlen + 1);
	s = xmalloc(olen + 1);
	for (i = 0, at = 0; i < o.n; i++) {
		memcpy(s + at + i * (dlen + 1), text + at, o.v[i] - at);
		at = o.v[i];
		s[at + i * (dlen + 1)] = '@';
		memcpy(s + at + i * (dlen + 1) + 1, domain, dlen);
	}
	memcpy(s + at + o.n * (dlen + 1), text + at, len - at);
	s[olen] = '\0';
	free(o.v);
	*out = s;
	return (0);
}

/*
 * Parse the argument of -f/-r: "a", "<a>", "Name <a>", "a (comment)";
 * "", "<>" and white space only give the null sender "".
 */
int
addr_parse_sender(const char *arg, char **out, char **cause)
{
	struct addr_list	 l;
	const char		*s = arg, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s || (e - s == 2 && s[0] == '<' && s[1] == '>')) {
		*out = xstrdup("");
		return (0);
	}
	addr_list_init(&l);
	if (addr_parse_list(s, e - s, ADDR_MODE_HEADER, &l, cause) == -1)
		return (-1);
	if (l.n != 1) {
		addr_list_free(&l);
		xasprintf(cause, "invalid sender address: %s",
		    l.n == 0 ? "no address" : "more than one address");
		return (-1);
	}
	*out = l.v[0];
	l.v[0] = NULL;
	l.n = 0;
	addr_list_free(&l);
	return (0);
}

/* The last '@' outside quotes, or NULL. */
static const char *
find_at(const char *a)
{
	const char	*at = NULL;
	int		 inq = 0;

	for (; *a != '\0'; a++) {
		if (inq && *a == '\\' && a[1] != '\0')
			a++;
		else if (*a == '"')
			inq = !inq;
		else if (!inq && *a == '@')
			at = a;
	}
	return (at);
}

/* Compare two addresses: exact local parts, case-insensitive domains. */
int
addr_cmp(const char *a, const char *b)
{
	const char	*aa = find_at(a), *ba = find_at(b);
	size_t		 al, bl;

	al = aa == NULL ? strlen(a) : (size_t)(aa - a);
	bl = ba == NULL ? strlen(b) : (size_t)(ba - b);
	if (al != bl || memcmp(a, b, al) != 0)
		return (1);
	if (aa == NULL || ba == NULL)
		return (aa == ba ? 0 : 1);
	return (strcasecmp(aa + 1, ba + 1) != 0);
}

/* Append "@domain" to a bare name; returns a new string. */
char *
addr_qualify(const char *addr, const char *domain)
{
	char	*s;

	if (find_at(addr) != NULL || domain == NULL || *domain == '\0')
		return (xstrdup(addr));
	xasprintf(&s, "%s@%s", addr, domain);
	return (s);
}

/* The local part of an address, as written (a new string). */
char *
addr_localpart(const char *addr)
{
	const char	*at = find_at(addr);

	if (at == NULL)
		return (xstrdup(addr));
	return (xstrndup(addr, at - addr));
}

/* The domain of an address, or NULL for a bare name. */
const char *
addr_domain(const char *addr)
{
	const char	*at = find_at(addr);

	return (at == NULL ? NULL : at + 1);
}

/*
 * Whether the address is local: a bare name, @localhost, the loopback
 * literals, or one of the NULL-terminated local_names (case-insensitive).
 */
int
addr_is_local(const char *addr, const char *const *local_names)
{
	static const char *const builtin[] = { "localhost",
	    "localhost.localdomain", "[127.0.0.1]", "[IPv6:::1]", NULL };
	const char	*d = addr_domain(addr);
	size_t		 i;

	if (d == NULL)
		return (1);
	for (i = 0; builtin[i] != NULL; i++)
		if (strcasecmp(d, builtin[i]) == 0)
			return (1);
	for (i = 0; local_names != NULL && local_names[i] != NULL; i++)
		if (strcasecmp(d, local_names[i]) == 0)
			return (1);
	return (0);
}

/* Initialise an empty list. */
void
addr_list_init(struct addr_list *l)
{
	memset(l, 0, sizeof(*l));
}

/* Whether the list holds an address equal (addr_cmp) to this one. */
int
addr_list_contains(const struct addr_list *l, const char *addr)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (addr_cmp(l->v[i], addr) == 0)
			return (1);
	return (0);
}

/* Append a copy of addr unless already present; 1 if added. */
int
addr_list_add(struct addr_list *l, const char *addr)
{
	if (addr_list_contains(l, addr))
		return (0);
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(addr);
	return (1);
}

/* Append (de-duplicated) every address of src to dst. */
void
addr_list_copy(struct addr_list *dst, const struct addr_list *src)
{
	size_t	 i;

	for (i = 0; src != NULL && i < src->n; i++)
		addr_list_add(dst, src->v[i]);
}

/* Free the addresses and reset the list. */
void
addr_list_free(struct addr_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	addr_list_init(l);
}
