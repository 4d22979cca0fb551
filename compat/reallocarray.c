/*
 * reallocarray(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "compat.h"

/*
 * realloc(ptr, nmemb * size), failing with ENOMEM instead of allocating a
 * short buffer when the multiplication overflows.
 */
void *
reallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		errno = ENOMEM;
		return (NULL);
	}
	return (realloc(ptr, nmemb * size));
}
