/*
 * The envelope: what may be spooled and sent as MAIL FROM/RCPT TO
 * addresses and DSN parameters.  Every other module defers to this one.
 *
 * Address (RFC 5321 4.1.2 with RFC 6531 3.3):
 *
 *	Mailbox		Local-part "@" ( Domain / address-literal )
 *	Local-part	Dot-string / Quoted-string, at most 64 octets
 *	Dot-string	Atom *("." Atom); Atom = 1*atext (RFC 5322 atext
 *			or UTF-8 beyond ASCII)
 *	Quoted-string	DQUOTE *(qtextSMTP / "\" %d32-126) DQUOTE, so
 *			SP is allowed inside the quotes
 *	Domain		sub-domain *("." sub-domain), at most 255 octets;
 *			a sub-domain is letters, digits, '-' and UTF-8,
 *			not starting or ending with '-', at most 63 octets
 *	address-literal	"[" IPv4 / "IPv6:" IPv6 / tag ":" dcontent "]"
 *
 * The whole address is at most SMTP_ADDR_MAX octets.  On top of the
 * grammar, and also inside quotes: the UTF-8 must be well formed (no
 * overlong forms, surrogates or values past U+10FFFF), and no C0
 * control, DEL, C1 control (U+0080..U+009F), line or paragraph
 * separator (U+2028, U+2029) or bidi control (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) may appear anywhere, nor '<' or '>'
 * (servers look for the end of the path with them).  So an address can
 * never carry a line break into the spool, a log or the wire.  The null
 * sender "" is valid only where the caller passes ENVELOPE_NULL_OK.
 * A local part may not begin with '-' (an unquoted one; `"-x"@y` is
 * fine): such an address looks like an option to every program that
 * takes addresses on its command line, ours included (Postfix's
 * allow_min_user = no).
 *
 * DSN parameters (RFC 3461):
 *
 *	NOTIFY	NEVER, or a non-empty comma-separated subset of SUCCESS,
 *		FAILURE, DELAY.  From users: any case, repeats allowed.
 *		ENVELOPE_CANON (the spool): upper case, no repeats, in the
 *		order SUCCESS,FAILURE,DELAY, as envelope_notify_format()
 *		writes it.
 *	RET	FULL or HDRS (ENVELOPE_CANON: upper case only).
 *	ENVID	1..ENVELOPE_ENVID_MAX printable ASCII octets (0x21-0x7e),
 *		decoded; on the wire it is xtext ("+XX" for '+', '=' and
 *		any octet outside 0x21-0x7e).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailferry.h"
#include "envelope.h"
#include "util.h"

static size_t	envelope_utf8(const unsigned char *, size_t, uint32_t *);
static int	envelope_bad_cp(uint32_t);
static int	envelope_chars(const char *, size_t, const char **);
static int	envelope_atext(unsigned char);
static int	envelope_quoted(const char *, size_t);
static int	envelope_label(const char *, size_t);
static int	envelope_literal(const char *, size_t);
static const char *envelope_split(const char *, size_t);
static int	envelope_hex(int);

/* Length of the well-formed UTF-8 sequence at p (cp set), or 0. */
static size_t
envelope_utf8(const unsigned char *p, size_t left, uint32_t *cp)
{
	size_t	 n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return (0);
	if (left < n)
		return (0);
	*cp = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return (0);
	return (n);
}

/* Code points no address may hold: controls, separators, bidi. */
static int
envelope_bad_cp(uint32_t cp)
{
	return (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069));
}

/* The character rules that hold everywhere in an address. */
static int
envelope_chars(const char *s, size_t len, const char **why)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		if ((n = envelope_utf8(u + i, len - i, &cp)) == 0) {
			*why = "invalid UTF-8 in address";
			return (-1);
		}
		if (envelope_bad_cp(cp)) {
			*why = "control character in address";
			return (-1);
		}
		if (cp == '<' || cp == '>') {
			*why = "angle bracket in address";
			return (-1);
		}
	}
	return (0);
}

static int
envelope_atext(unsigned char c)
{
	if (c >= 0x80)
		return (1);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Quoted-string: qtextSMTP and quoted-pairSMTP between DQUOTEs. */
static int
envelope_quoted(const char *s, size_t len)
{
	size_t	 i;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return (0);
	for (i = 1; i < len - 1; i++) {
		if (s[i] == '"')
			return (0);
		if (s[i] == '\\') {
			if (++i >= len - 1 || (unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] > 0x7e)
				return (0);
		}
	}
	return (1);
}

/* Check a local part (len octets, no '@' after it). */
int
envelope_valid_localpart(const char *s, size_t len, const char **why)
{
	if (envelope_chars(s, len, why) == -1)
		return (-1);
	if (len == 0)
		*why = "empty local part";
	else if (len > ENVELOPE_LOCAL_MAX)
		*why = "local part longer than 64 octets";
	else if (s[0] == '-')
		*why = "address begins with '-' (looks like an option)";
	else if (s[0] == '"' ? !envelope_quoted(s, len) :
	    !util_dot_string(s, len, envelope_atext))
		*why = "bad local part";
	else
		return (0);
	return (-1);
}

/* One sub-domain: letters, digits, UTF-8 and inner hyphens. */
static int
envelope_label(const char *s, size_t len)
{
	size_t	 i;
	int	 c;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!(c >= 0x80 || c == '-' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return (0);
	}
	return (1);
}

/* "[" IPv4 / "IPv6:" IPv6 / tag ":" dcontent "]". */
static int
envelope_literal(const char *s, size_t len)
{
	unsigned char	 a[sizeof(struct in6_addr)];
	char		 lit[ENVELOPE_DOMAIN_MAX + 1];
	const char	*colon;
	size_t		 i;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(lit))
		return (0);
	memcpy(lit, s + 1, len - 2);
	lit[len - 2] = '\0';
	if ((colon = strchr(lit, ':')) == NULL)
		return (inet_pton(AF_INET, lit, a) == 1);
	if (strncasecmp(lit, "IPv6:", 5) == 0)
		return (inet_pton(AF_INET6, lit + 5, a) == 1);
	if (!envelope_label(lit, (size_t)(colon - lit)) || colon[1] == '\0')
		return (0);
	for (i = 1; colon[i] != '\0'; i++) {
		if (colon[i] < 33 || colon[i] > 126 || colon[i] == '[' ||
		    colon[i] == '\\' || colon[i] == ']')
			return (0);
	}
	return (1);
}

/* Check a domain or address literal of len octets. */
int
envelope_valid_domain(const char *s, size_t len, const char **why)
{
	const char	*dot;
	size_t		 n;

	if (envelope_chars(s, len, why) == -1)
		return (-1);
	*why = "bad domain";
	if (len == 0) {
		*why = "empty domain";
		return (-1);
	}
	if (len > ENVELOPE_DOMAIN_MAX) {
		*why = "domain longer than 255 octets";
		return (-1);
	}
	if (s[0] == '[')
		return (envelope_literal(s, len) ? 0 : -1);
	for (;;) {
		dot = memchr(s, '.', len);
		n = dot == NULL ? len : (size_t)(dot - s);
		if (!envelope_label(s, n))
			return (-1);
		if (dot == NULL)
			return (0);
		s += n + 1;
		len -= n + 1;
	}
}

/* The '@' between local part and domain, or NULL. */
static const char *
envelope_split(const char *s, size_t len)
{
	size_t	 i = 0;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++)
			if (s[i] == '\\' && i + 1 < len)
				i++;
		i++;
	}
	for (; i < len; i++)
		if (s[i] == '@')
			return (s + i);
	return (NULL);
}

/* Check a MAIL FROM/RCPT TO address; *why says what is wrong. */
int
envelope_valid_address(const char *s, int flags, const char **why)
{
	const char	*at;
	size_t		 len = strlen(s);

	if (len == 0) {
		if (flags & ENVELOPE_NULL_OK)
			return (0);
		*why = "empty address";
		return (-1);
	}
	if (len > SMTP_ADDR_MAX) {
		*why = "address too long";
		return (-1);
	}
	if (envelope_chars(s, len, why) == -1)
		return (-1);
	if ((at = envelope_split(s, len)) == NULL) {
		*why = s[0] == '"' && len > 1 && strchr(s + 1, '"') == NULL ?
		    "unbalanced quote in address" : "no '@' in address";
		return (-1);
	}
	if (envelope_valid_localpart(s, (size_t)(at - s), why) == -1)
		return (-1);
	return (envelope_valid_domain(at + 1, len - (at + 1 - s), why));
}

/* Whether the address needs SMTPUTF8 (any octet beyond ASCII). */
int
envelope_needs_smtputf8(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return (1);
	return (0);
}

/*
 * Parse a NOTIFY value into ENVELOPE_NOTIFY_* bits.  Users may write
 * any case and repeat words; ENVELOPE_CANON accepts only what
 * envelope_notify_format() writes.
 */
int
envelope_notify_parse(const char *s, int flags, unsigned int *bits,
    const char **why)
{
	static const char *const kw[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	char		 canon[ENVELOPE_NOTIFY_BUF];
	const char	*p = s;
	size_t		 i, n;

	*bits = 0;
	for (;;) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
			if (strlen(kw[i]) == n && strncasecmp(kw[i], p, n) == 0)
				break;
		if (i == sizeof(kw) / sizeof(kw[0])) {
			*why = "NOTIFY: unknown or empty keyword";
			return (-1);
		}
		*bits |= 1U << i;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if ((*bits & ENVELOPE_NOTIFY_NEVER) && *bits != ENVELOPE_NOTIFY_NEVER) {
		*why = "NOTIFY: NEVER with other keywords";
		return (-1);
	}
	if (flags & ENVELOPE_CANON) {
		envelope_notify_format(*bits, canon, sizeof(canon));
		if (strcmp(canon, s) != 0) {
			*why = "NOTIFY: not in canonical form";
			return (-1);
		}
	}
	return (0);
}

/* The canonical NOTIFY string for a set of bits (none is NEVER). */
void
envelope_notify_format(unsigned int bits, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (bits & ENVELOPE_NOTIFY_SUCCESS)
		strlcat(buf, ",SUCCESS", len);
	if (bits & ENVELOPE_NOTIFY_FAILURE)
		strlcat(buf, ",FAILURE", len);
	if (bits & ENVELOPE_NOTIFY_DELAY)
		strlcat(buf, ",DELAY", len);
	if (buf[0] == '\0')
		strlcpy(buf, "NEVER", len);
	else
		memmove(buf, buf + 1, strlen(buf));
}

/* Parse RET into its canonical "FULL" or "HDRS" (*canon). */
int
envelope_ret_parse(const char *s, int flags, const char **canon,
    const char **why)
{
	int	 (*cmp)(const char *, const char *);

	cmp = (flags & ENVELOPE_CANON) ? strcmp : strcasecmp;
	if (cmp(s, "FULL") == 0)
		*canon = "FULL";
	else if (cmp(s, "HDRS") == 0)
		*canon = "HDRS";
	else {
		*why = "RET: not FULL or HDRS";
		return (-1);
	}
	return (0);
}

/* Check a decoded ENVID: 1..ENVELOPE_ENVID_MAX printable ASCII. */
int
envelope_valid_envid(const char *s, const char **why)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e) {
			*why = "ENVID: not printable ASCII";
			return (-1);
		}
	}
	if (i == 0 || i > ENVELOPE_ENVID_MAX) {
		*why = "ENVID: empty or longer than 100 octets";
		return (-1);
	}
	return (0);
}

static int
envelope_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')	/* RFC 3461 says upper case */
		return (c - 'a' + 10);
	return (-1);
}

/* Decode an xtext ENVID (RFC 3461 4); NULL unless valid once decoded. */
char *
envelope_envid_decode(const char *s)
{
	char		 buf[ENVELOPE_ENVID_MAX + 1];
	const char	*why;
	size_t		 n = 0;
	int		 c;

	while (*s != '\0') {
		if (*s == '+') {
			if (envelope_hex(s[1]) == -1 ||
			    envelope_hex(s[2]) == -1)
				return (NULL);
			c = envelope_hex(s[1]) << 4 | envelope_hex(s[2]);
			s += 3;
		} else if (*s == '=' || *s < 0x21 || *s > 0x7e)
			return (NULL);
		else
			c = (unsigned char)*s++;
		if (n == ENVELOPE_ENVID_MAX)
			return (NULL);
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (envelope_valid_envid(buf, &why) == -1)
		return (NULL);
	return (xstrdup(buf));
}

/* Encode a valid ENVID as xtext for the wire (a new string). */
char *
envelope_envid_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*out, *p;

	out = p = xreallocarray(NULL, strlen(s) + 1, 3);
	for (; *s != '\0'; s++) {
		if (*s == '+' || *s == '=' || *s < 0x21 || *s > 0x7e) {
			*p++ = '+';
			*p++ = hex[(unsigned char)*s >> 4];
			*p++ = hex[(unsigned char)*s & 0xf];
		} else
			*p++ = *s;
	}
	*p = '\0';
	return (out);
}
