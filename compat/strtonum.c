/*
 * strtonum(3) for systems without it, written from the manual page.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "compat.h"

/*
 * Convert the decimal number in nptr, which must lie in [minval, maxval].
 * On failure return 0, set errno (EINVAL or ERANGE) and point *errstr at
 * "invalid", "too small" or "too large"; on success set *errstr to NULL.
 * errstr may be NULL.
 */
long long
strtonum(const char *nptr, long long minval, long long maxval,
    const char **errstr)
{
	long long	 ll;
	char		*ep;
	const char	*error;
	int		 saved_errno, errnum;

	saved_errno = errno;
	ll = 0;
	error = NULL;
	errnum = 0;

	if (minval > maxval) {
		error = "invalid";
		errnum = EINVAL;
	} else {
		errno = 0;
		ll = strtoll(nptr, &ep, 10);
		/* Nothing converted, or something left over. */
		if (ep == nptr || *ep != '\0') {
			error = "invalid";
			errnum = EINVAL;
		} else if ((ll == LLONG_MIN && errno == ERANGE) || ll < minval) {
			error = "too small";
			errnum = ERANGE;
		} else if ((ll == LLONG_MAX && errno == ERANGE) || ll > maxval) {
			error = "too large";
			errnum = ERANGE;
		}
	}

	if (errstr != NULL)
		*errstr = error;
	if (error != NULL) {
		errno = errnum;
		return (0);
	}
	/* strtoll may have touched errno; success leaves the caller's. */
	errno = saved_errno;
	return (ll);
}
