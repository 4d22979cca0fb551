/*
 * Portability layer.  mailferry is written against OpenBSD interfaces;
 * this header fills in what the host lacks.  Every source file includes
 * it after its system headers, and includes "config.h" before those:
 * config.h carries both the HAVE_* tests below and _GNU_SOURCE, without
 * which glibc hides reallocarray and explicit_bzero under -std=c11.
 *
 * The functions normally come from libc or from libbsd (configure adds
 * pkg-config libbsd-overlay, so the usual <string.h> and <stdlib.h>
 * declare them).  For each one configure did not find, AC_REPLACE_FUNCS
 * links in compat/<name>.c and leaves HAVE_<NAME> undefined, so the
 * prototype is declared here.
 */

#ifndef COMPAT_H
#define COMPAT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t		 strlcpy(char *, const char *, size_t);
#endif

#ifndef HAVE_STRLCAT
size_t		 strlcat(char *, const char *, size_t);
#endif

#ifndef HAVE_STRTONUM
long long	 strtonum(const char *, long long, long long, const char **);
#endif

#ifndef HAVE_REALLOCARRAY
void		*reallocarray(void *, size_t, size_t);
#endif

#ifndef HAVE_RECALLOCARRAY
void		*recallocarray(void *, size_t, size_t, size_t);
#endif

#ifndef HAVE_FREEZERO
void		 freezero(void *, size_t);
#endif

#ifndef HAVE_EXPLICIT_BZERO
void		 explicit_bzero(void *, size_t);
#endif

/*
 * glibc's <sys/queue.h> is an old 4.4BSD copy: it has the lists and
 * FOREACH, but none of the *_FOREACH_SAFE variants that let the loop
 * body remove (and free) the current element.  libbsd's overlay
 * <sys/queue.h> has them all.  Rather than ship a whole queue.h, add
 * just the missing iterators on top of whichever header we got; each
 * is guarded separately so a complete header wins.  They use only the
 * FIRST/NEXT/LAST/PREV accessors that every variant of the header has.
 */
#ifndef SLIST_FOREACH_SAFE
#define SLIST_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = SLIST_FIRST(head);					\
	    (var) != NULL && ((tvar) = SLIST_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = LIST_FIRST(head);					\
	    (var) != NULL && ((tvar) = LIST_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#ifndef STAILQ_FOREACH_SAFE
#define STAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = STAILQ_FIRST(head);				\
	    (var) != NULL && ((tvar) = STAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#ifndef TAILQ_FOREACH_REVERSE_SAFE
#define TAILQ_FOREACH_REVERSE_SAFE(var, head, headname, field, tvar)	\
	for ((var) = TAILQ_LAST(head, headname);			\
	    (var) != NULL &&						\
	    ((tvar) = TAILQ_PREV(var, headname, field), 1);		\
	    (var) = (tvar))
#endif

#endif /* COMPAT_H */
