/*
 * strlcpy(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <sys/types.h>

#include <string.h>

#include "compat.h"

/*
 * Copy src into dst of dstsize bytes, always NUL-terminating when dstsize
 * is not 0.  Return strlen(src); truncation happened if that is >= dstsize.
 */
size_t
strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t	srclen, n;

	srclen = strlen(src);
	if (dstsize != 0) {
		n = srclen < dstsize ? srclen : dstsize - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (srclen);
}
