/*
 * explicit_bzero(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <string.h>

#include "compat.h"

/*
 * The compiler may delete a plain memset of memory that is about to be
 * freed or go out of scope, since nothing reads it afterwards.  Calling
 * memset through a volatile pointer forces a real call: the compiler
 * cannot know which function it will find there, so it cannot prove the
 * store dead.  This is plain C11, no asm.
 */
static void *(*volatile explicit_bzero_memset)(void *, int, size_t) = memset;

/*
 * Zero len bytes at buf in a way the optimiser will not remove.
 */
void
explicit_bzero(void *buf, size_t len)
{
	explicit_bzero_memset(buf, 0, len);
}
