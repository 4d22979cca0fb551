/*
 * strlcat(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <sys/types.h>

#include <string.h>

#include "compat.h"

/*
 * Append src to the NUL-terminated string in dst of dstsize bytes, always
 * NUL-terminating unless dst held no NUL within dstsize bytes.  Return the
 * length of the string it tried to create, initial strlen(dst) + strlen(src);
 * truncation happened if that is >= dstsize.
 */
size_t
strlcat(char *dst, const char *src, size_t dstsize)
{
	const char	*nul;
	size_t		 dstlen, srclen, n;

	/*
	 * Look for the end of dst only within dstsize bytes: the manual says
	 * a dst with no NUL there counts as dstsize long and is left alone,
	 * so a wrong size cannot make us read or write past the buffer.
	 */
	nul = memchr(dst, '\0', dstsize);
	srclen = strlen(src);
	if (nul == NULL)
		return (dstsize + srclen);
	dstlen = (size_t)(nul - dst);

	n = dstsize - dstlen - 1;
	if (srclen < n)
		n = srclen;
	memcpy(dst + dstlen, src, n);
	dst[dstlen + n] = '\0';
	return (dstlen + srclen);
}
