/*
 * json.c: encode bytes as a JSON string (RFC 8259 section 7).
 *
 * The input is hostile (addresses, replies and errors from a spool
 * entry or a server) and need not be UTF-8.  The output is always a
 * valid JSON string of printable ASCII and valid UTF-8:
 *
 *   "  \  ->  \"  \\
 *   BS FF LF CR TAB  ->  \b \f \n \r \t
 *   other C0 controls and DEL  ->  \u00XX
 *   valid UTF-8 (shortest form, no surrogates, at most U+10FFFF)
 *     passes through, except the C1 controls U+0080-U+009F and the
 *     line and paragraph separators U+2028 and U+2029 (which break
 *     JavaScript readers): \u0080 ... \u009f, \u2028, \u2029
 *   every byte that is not part of a valid UTF-8 sequence  ->  \u00XX
 *     (read as Latin-1, so nothing is lost and nothing is merged)
 *
 * "/" is not escaped.  json_escape() returns the encoded text without
 * the quotes; json_put_string() writes it with them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "json.h"

#define JSON_ESC_MAX	6	/* output bytes per input byte, at most */

static size_t	json_utf8_len(const unsigned char *, size_t, unsigned int *);

/*
 * The length of the valid UTF-8 sequence at s (at most len bytes) and
 * its code point, or 0 if s does not start one.
 */
static size_t
json_utf8_len(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned int	 c, min;
	size_t		 n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/* Encode len bytes of s as the inside of a JSON string (allocated). */
char *
json_escape(const char *src, size_t len)
{
	const unsigned char	*s = (const unsigned char *)src;
	char			*out, *p;
	unsigned int		 cp;
	size_t			 i, n;

	out = p = xcalloc(len + 1, JSON_ESC_MAX);
	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '"' || s[i] == '\\') {
			*p++ = '\\';
			*p++ = (char)s[i];
		} else if (s[i] >= 0x20 && s[i] < 0x7f)
			*p++ = (char)s[i];
		else if (s[i] < 0x80 && strchr("\b\f\n\r\t", s[i]) != NULL &&
		    s[i] != '\0') {
			*p++ = '\\';
			*p++ = "btnvfr"[s[i] - '\b'];
		} else if (s[i] >= 0x80 &&
		    (n = json_utf8_len(s + i, len - i, &cp)) != 0) {
			if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
			    cp == 0x2029)
				p += snprintf(p, JSON_ESC_MAX + 1, "\\u%04x", cp);
			else {
				memcpy(p, s + i, n);
				p += n;
			}
		} else {
			n = 1;
			p += snprintf(p, JSON_ESC_MAX + 1, "\\u%04x", s[i]);
		}
	}
	*p = '\0';
	return (out);
}

/* Write s as a quoted JSON string; -1 on a write error. */
int
json_put_string(FILE *f, const char *s)
{
	char	*esc;
	int	 r;

	esc = json_escape(s, strlen(s));
	r = fprintf(f, "\"%s\"", esc);
	free(esc);
	return (r < 0 ? -1 : 0);
}
