/*
 * util.c: small helpers with no other home.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "util.h"

/* Write all len bytes to fd, across short writes and EINTR; 0 or -1. */
int
util_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Parse len bytes of s as a strict decimal: digits only, no sign, no
 * leading zero, at most max.  Returns 0 with *out set, or -1.  Every
 * number in our on-disk and on-pipe formats is read with this.
 */
int
util_decimal(const char *s, size_t len, long long max, long long *out)
{
	char		 buf[20];
	const char	*errstr;
	size_t		 i;

	if (len == 0 || len >= sizeof(buf) || (s[0] == '0' && len > 1))
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		buf[i] = s[i];
	}
	buf[len] = '\0';
	*out = strtonum(buf, 0, max, &errstr);
	return (errstr == NULL ? 0 : -1);
}

/*
 * Whether any of the n bytes at p is 8-bit (>= 0x80).  Eight bytes a
 * step and no early exit: the body scans of msg.c and canon.c call this
 * for every line, so it must cost well under one instruction a byte.
 */
int
util_has_8bit(const void *p, size_t n)
{
	const unsigned char	*b = p;
	uint64_t		 acc = 0, w;

	for (; n >= sizeof(w); n -= sizeof(w), b += sizeof(w)) {
		memcpy(&w, b, sizeof(w));
		acc |= w;
	}
	for (; n > 0; n--)
		acc |= *b++;
	return ((acc & 0x8080808080808080ULL) != 0);
}

/*
 * Whether the len bytes at s are a dot-string (RFC 5321) or dot-atom
 * (RFC 5322): words of characters atext() accepts, separated by single
 * dots, none at either end.  The two address parsers differ only in
 * atext.
 */
int
util_dot_string(const char *s, size_t len, int (*atext)(unsigned char))
{
	size_t	 i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return (0);
		} else if (!atext((unsigned char)s[i]))
			return (0);
	}
	return (1);
}
