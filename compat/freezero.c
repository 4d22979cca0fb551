/*
 * freezero(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compat.h"

/*
 * Clear the size bytes at ptr, then free it.  ptr may be NULL.
 */
void
freezero(void *ptr, size_t size)
{
	if (ptr == NULL)
		return;
	explicit_bzero(ptr, size);
	free(ptr);
}
