/*
 * recallocarray(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

/*
 * Resize the array ptr of oldnmemb elements of size bytes to newnmemb
 * elements.  Growth is zero-filled; memory given up is cleared before it
 * is freed.  ptr NULL means calloc(newnmemb, size).  On failure return NULL
 * with errno set and leave ptr untouched.
 */
void *
recallocarray(void *ptr, size_t oldnmemb, size_t newnmemb, size_t size)
{
	size_t	 oldsize, newsize;
	void	*newptr;

	if (ptr == NULL)
		return (calloc(newnmemb, size));

	if (newnmemb != 0 && size > SIZE_MAX / newnmemb) {
		errno = ENOMEM;
		return (NULL);
	}
	/* oldnmemb describes an existing allocation, so this is misuse. */
	if (oldnmemb != 0 && size > SIZE_MAX / oldnmemb) {
		errno = EINVAL;
		return (NULL);
	}
	oldsize = oldnmemb * size;
	newsize = newnmemb * size;
	if (newsize == oldsize)
		return (ptr);

	/*
	 * Always move: realloc could free the old block, or its tail on a
	 * shrink, without clearing it, and callers use recallocarray exactly
	 * because the contents may be secret.
	 */
	if ((newptr = calloc(newnmemb, size)) == NULL)
		return (NULL);
	memcpy(newptr, ptr, oldsize < newsize ? oldsize : newsize);
	freezero(ptr, oldsize);
	return (newptr);
}
