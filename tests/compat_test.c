/*
 * Tests for the portability layer in compat/.
 *
 * A libbsd build never links the files in compat/, so to test our
 * fallbacks in every build the test compiles them a second time, renamed
 * to mf_test_*.  Where configure found a system (libc or libbsd) version,
 * the same table is also run against it, to catch any place where ours
 * disagrees with what the rest of the world ships.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "compat.h"

/*
 * All system headers are in already, so their include guards keep the
 * renames below from touching the system's own declarations.
 */
size_t		 mf_test_strlcpy(char *, const char *, size_t);
size_t		 mf_test_strlcat(char *, const char *, size_t);
long long	 mf_test_strtonum(const char *, long long, long long,
		     const char **);
void		*mf_test_reallocarray(void *, size_t, size_t);
void		*mf_test_recallocarray(void *, size_t, size_t, size_t);
void		 mf_test_freezero(void *, size_t);
void		 mf_test_explicit_bzero(void *, size_t);

#define strlcpy		mf_test_strlcpy
#define strlcat		mf_test_strlcat
#define strtonum	mf_test_strtonum
#define reallocarray	mf_test_reallocarray
#define recallocarray	mf_test_recallocarray
#define freezero	mf_test_freezero
#define explicit_bzero	mf_test_explicit_bzero

#include "../compat/strlcpy.c"
#include "../compat/strlcat.c"
#include "../compat/strtonum.c"
#include "../compat/reallocarray.c"
#include "../compat/recallocarray.c"
#include "../compat/freezero.c"
#include "../compat/explicit_bzero.c"

#undef strlcpy
#undef strlcat
#undef strtonum
#undef reallocarray
#undef recallocarray
#undef freezero
#undef explicit_bzero

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Sentinel for bytes a function must not write. */
#define FILL		'#'
#define BUFLEN		16

typedef size_t	(*strl_fn)(char *, const char *, size_t);
typedef long long (*strtonum_fn)(const char *, long long, long long,
		    const char **);

/*
 * strlcpy
 */

static const struct {
	const char	*src;
	size_t		 size;
	const char	*want;		/* NULL: dst must be untouched */
	size_t		 ret;
} strlcpy_tests[] = {
	{ "hello",	10,	"hello",	5 },
	{ "hello",	6,	"hello",	5 },	/* exact fit */
	{ "hello",	5,	"hell",		5 },	/* truncated */
	{ "hello",	2,	"h",		5 },
	{ "hello",	1,	"",		5 },
	{ "hello",	0,	NULL,		5 },	/* size 0 */
	{ "",		1,	"",		0 },
	{ "",		0,	NULL,		0 },
};

static void
strlcpy_check(const char *name, strl_fn fn)
{
	char	 buf[BUFLEN];
	size_t	 i, j, ret, wantlen;

	for (i = 0; i < nitems(strlcpy_tests); i++) {
		memset(buf, FILL, sizeof(buf));
		ret = fn(buf, strlcpy_tests[i].src, strlcpy_tests[i].size);
		ATF_CHECK_EQ_MSG(ret, strlcpy_tests[i].ret,
		    "%s row %zu: returned %zu", name, i, ret);
		if (strlcpy_tests[i].want == NULL)
			wantlen = 0;
		else {
			ATF_CHECK_STREQ_MSG(buf, strlcpy_tests[i].want,
			    "%s row %zu", name, i);
			wantlen = strlen(strlcpy_tests[i].want) + 1;
		}
		/* Nothing written past the terminator. */
		for (j = wantlen; j < sizeof(buf); j++)
			ATF_CHECK_MSG(buf[j] == FILL,
			    "%s row %zu: byte %zu overwritten", name, i, j);
	}
}

ATF_TC_WITHOUT_HEAD(strlcpy_table);
ATF_TC_BODY(strlcpy_table, tc)
{
	strlcpy_check("compat", mf_test_strlcpy);
#ifdef HAVE_STRLCPY
	strlcpy_check("system", strlcpy);
#endif
}

/*
 * strlcat
 */

static const struct {
	const char	*dst;
	const char	*src;
	size_t		 size;
	const char	*want;		/* NULL: dst must be untouched */
	size_t		 ret;
} strlcat_tests[] = {
	{ "ab",		"cd",	10,	"abcd",	4 },
	{ "ab",		"cd",	5,	"abcd",	4 },	/* exact fit */
	{ "ab",		"cd",	4,	"abc",	4 },	/* truncated */
	{ "ab",		"cd",	3,	"ab",	4 },	/* no room at all */
	{ "",		"xyz",	4,	"xyz",	3 },
	{ "",		"xyz",	1,	"",	3 },
	{ "abc",	"",	4,	"abc",	3 },
	/* No NUL within size: dst counts as size long, is not touched. */
	{ "abc",	"de",	2,	NULL,	4 },
	{ "abc",	"de",	0,	NULL,	2 },	/* size 0 */
};

static void
strlcat_check(const char *name, strl_fn fn)
{
	char	 buf[BUFLEN], orig[BUFLEN];
	size_t	 i, j, ret, from;

	for (i = 0; i < nitems(strlcat_tests); i++) {
		memset(buf, FILL, sizeof(buf));
		memcpy(buf, strlcat_tests[i].dst,
		    strlen(strlcat_tests[i].dst) + 1);
		memcpy(orig, buf, sizeof(buf));
		ret = fn(buf, strlcat_tests[i].src, strlcat_tests[i].size);
		ATF_CHECK_EQ_MSG(ret, strlcat_tests[i].ret,
		    "%s row %zu: returned %zu", name, i, ret);
		if (strlcat_tests[i].want == NULL) {
			ATF_CHECK_MSG(memcmp(buf, orig, sizeof(buf)) == 0,
			    "%s row %zu: dst modified", name, i);
			continue;
		}
		ATF_CHECK_STREQ_MSG(buf, strlcat_tests[i].want,
		    "%s row %zu", name, i);
		from = strlen(strlcat_tests[i].want) + 1;
		if (from < strlen(strlcat_tests[i].dst) + 1)
			from = strlen(strlcat_tests[i].dst) + 1;
		for (j = from; j < sizeof(buf); j++)
			ATF_CHECK_MSG(buf[j] == FILL,
			    "%s row %zu: byte %zu overwritten", name, i, j);
	}
}

ATF_TC_WITHOUT_HEAD(strlcat_table);
ATF_TC_BODY(strlcat_table, tc)
{
	strlcat_check("compat", mf_test_strlcat);
#ifdef HAVE_STRLCAT
	strlcat_check("system", strlcat);
#endif
}

/*
 * strtonum
 */

static const struct {
	const char	*in;
	long long	 min, max;
	long long	 want;
} strtonum_good[] = {
	{ "0",				0,		10,		0 },
	{ "10",				0,		10,		10 },
	{ "-10",			-10,		10,		-10 },
	{ "+7",				0,		10,		7 },
	{ "  7",			0,		10,		7 },
	{ "007",			0,		10,		7 },
	{ "65535",			1,		65535,		65535 },
	{ "9223372036854775807",	LLONG_MIN,	LLONG_MAX,	LLONG_MAX },
	{ "-9223372036854775808",	LLONG_MIN,	LLONG_MAX,	LLONG_MIN },
};

static const struct {
	const char	*in;
	long long	 min, max;
	const char	*errstr;
	int		 errnum;
	int		 libbsd_differs;	/* skipped when lax */
} strtonum_bad[] = {
	{ "",		0, 10,	"invalid",	EINVAL, 0 },
	{ " ",		0, 10,	"invalid",	EINVAL, 0 },
	{ "abc",	0, 10,	"invalid",	EINVAL, 0 },
	{ "1x",		0, 10,	"invalid",	EINVAL, 0 },
	{ "1 ",		0, 10,	"invalid",	EINVAL, 0 },
	{ "0x10",	0, 100,	"invalid",	EINVAL, 0 },	/* decimal only */
	{ "1.5",	0, 10,	"invalid",	EINVAL, 0 },
	{ "-",		0, 10,	"invalid",	EINVAL, 0 },
	{ "11",		0, 10,	"too large",	ERANGE, 0 },
	{ "-1",		0, 10,	"too small",	ERANGE, 0 },
	{ "65536",	1, 65535, "too large",	ERANGE, 0 },
	{ "0",		1, 65535, "too small",	ERANGE, 0 },
	{ "9223372036854775808", LLONG_MIN, LLONG_MAX, "too large", ERANGE, 0 },
	{ "99999999999999999999", 0, 10, "too large", ERANGE, 0 },
	{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, "too small", ERANGE, 0 },
	{ "-99999999999999999999", 0, 10, "too small", ERANGE, 0 },
	/* The manual: minval > maxval is EINVAL/"invalid" (libbsd: no). */
	{ "5",		10, 1,	"invalid",	EINVAL, 1 },
};

static void
strtonum_check(const char *name, strtonum_fn fn, int lax)
{
	const char	*errstr;
	long long	 ll;
	size_t		 i;

	for (i = 0; i < nitems(strtonum_good); i++) {
		errstr = "unset";
		ll = fn(strtonum_good[i].in, strtonum_good[i].min,
		    strtonum_good[i].max, &errstr);
		ATF_CHECK_MSG(ll == strtonum_good[i].want,
		    "%s good %zu: got %lld", name, i, ll);
		ATF_CHECK_MSG(errstr == NULL, "%s good %zu: errstr %s",
		    name, i, errstr == NULL ? "NULL" : errstr);
	}

	for (i = 0; i < nitems(strtonum_bad); i++) {
		if (lax && strtonum_bad[i].libbsd_differs)
			continue;
		errstr = NULL;
		errno = 0;
		ll = fn(strtonum_bad[i].in, strtonum_bad[i].min,
		    strtonum_bad[i].max, &errstr);
		ATF_CHECK_MSG(ll == 0, "%s bad %zu: got %lld", name, i, ll);
		ATF_CHECK_MSG(errstr != NULL, "%s bad %zu: no errstr", name, i);
		if (errstr != NULL)
			ATF_CHECK_STREQ_MSG(errstr, strtonum_bad[i].errstr,
			    "%s bad %zu", name, i);
		/* libbsd 0.11 does not set errno at all; only errstr counts. */
		if (!lax)
			ATF_CHECK_EQ_MSG(errno, strtonum_bad[i].errnum,
			    "%s bad %zu: errno %d", name, i, errno);
	}
}

ATF_TC_WITHOUT_HEAD(strtonum_table);
ATF_TC_BODY(strtonum_table, tc)
{
	/*
	 * lax: libbsd 0.11's strtonum never sets errno and calls
	 * minval > maxval "too small"; callers must go by errstr.
	 */
	strtonum_check("compat", mf_test_strtonum, 0);
#ifdef HAVE_STRTONUM
	strtonum_check("system", strtonum, 1);
#endif
}

ATF_TC_WITHOUT_HEAD(strtonum_errno);
ATF_TC_BODY(strtonum_errno, tc)
{
	const char	*errstr;

	/* errstr may be NULL. */
	ATF_CHECK_EQ(mf_test_strtonum("42", 0, 100, NULL), 42);
	errno = 0;
	ATF_CHECK_EQ(mf_test_strtonum("420", 0, 100, NULL), 0);
	ATF_CHECK_EQ(errno, ERANGE);

	/* Success does not clobber errno, even after a failing strtoll. */
	errno = EINTR;
	ATF_CHECK_EQ(mf_test_strtonum("42", 0, 100, &errstr), 42);
	ATF_CHECK(errstr == NULL);
	ATF_CHECK_EQ(errno, EINTR);
}

/*
 * reallocarray
 */

static void
reallocarray_check(const char *name, void *(*fn)(void *, size_t, size_t))
{
	uint32_t	*p, *q;
	size_t		 i;

	p = fn(NULL, 4, sizeof(*p));
	ATF_REQUIRE_MSG(p != NULL, "%s: NULL", name);
	for (i = 0; i < 4; i++)
		p[i] = (uint32_t)i + 1;
	q = fn(p, 1000, sizeof(*p));
	ATF_REQUIRE_MSG(q != NULL, "%s: grow failed", name);
	p = q;
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ_MSG(p[i], i + 1, "%s: contents lost", name);

	/* Overflow: NULL, ENOMEM, and the old block is still ours. */
	errno = 0;
	q = fn(p, SIZE_MAX / 2, sizeof(*p));
	ATF_CHECK_MSG(q == NULL, "%s: overflow not detected", name);
	ATF_CHECK_EQ_MSG(errno, ENOMEM, "%s: errno %d", name, errno);
	errno = 0;
	q = fn(NULL, SIZE_MAX, SIZE_MAX);
	ATF_CHECK_MSG(q == NULL && errno == ENOMEM, "%s: SIZE_MAX^2", name);
	errno = 0;
	q = fn(NULL, (SIZE_MAX >> (sizeof(size_t) * 4)) + 2,
	    (SIZE_MAX >> (sizeof(size_t) * 4)) + 2);
	ATF_CHECK_MSG(q == NULL && errno == ENOMEM, "%s: sqrt overflow", name);
	ATF_CHECK_EQ_MSG(p[3], 4, "%s: old block damaged", name);
	free(p);

	/* Zero elements is not an overflow. */
	errno = 0;
	p = fn(NULL, 0, SIZE_MAX);
	ATF_CHECK_MSG(errno != ENOMEM, "%s: 0 * SIZE_MAX", name);
	free(p);
}

ATF_TC_WITHOUT_HEAD(reallocarray_overflow);
ATF_TC_BODY(reallocarray_overflow, tc)
{
	reallocarray_check("compat", mf_test_reallocarray);
#ifdef HAVE_REALLOCARRAY
	reallocarray_check("system", reallocarray);
#endif
}

/*
 * recallocarray
 */

static int
all_zero(const unsigned char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

static void
recallocarray_check(const char *name,
    void *(*fn)(void *, size_t, size_t, size_t))
{
	unsigned char	*p, *q;

	/* NULL ptr: like calloc, oldnmemb ignored. */
	p = fn(NULL, 12345, 8, 4);
	ATF_REQUIRE_MSG(p != NULL, "%s: NULL", name);
	ATF_CHECK_MSG(all_zero(p, 32), "%s: calloc not zeroed", name);

	/*
	 * Grow: old contents kept, new part zero.  Free a dirty block of
	 * the new size first so that the allocator most likely hands it
	 * back; fresh pages from the kernel would be zero anyway and hide
	 * a missing memset.
	 */
	memset(p, 'a', 32);
	if ((q = malloc(256)) == NULL)
		atf_tc_fail("malloc");
	memset(q, 0xa5, 256);
	free(q);
	q = fn(p, 8, 64, 4);
	ATF_REQUIRE_MSG(q != NULL, "%s: grow failed", name);
	p = q;
	ATF_CHECK_MSG(p[0] == 'a' && p[31] == 'a', "%s: grow lost data", name);
	ATF_CHECK_MSG(all_zero(p + 32, 256 - 32), "%s: grow not zeroed",
	    name);

	/* Shrink: prefix kept. */
	memset(p, 'b', 256);
	q = fn(p, 64, 2, 4);
	ATF_REQUIRE_MSG(q != NULL, "%s: shrink failed", name);
	p = q;
	ATF_CHECK_MSG(p[0] == 'b' && p[7] == 'b', "%s: shrink lost data",
	    name);

	/* Grow again after the shrink: the dropped bytes do not come back. */
	q = fn(p, 2, 4, 4);
	ATF_REQUIRE_MSG(q != NULL, "%s: regrow failed", name);
	p = q;
	ATF_CHECK_MSG(p[7] == 'b' && all_zero(p + 8, 8),
	    "%s: stale data after regrow", name);

	/* Overflow: NULL, ENOMEM, old block untouched. */
	errno = 0;
	q = fn(p, 4, SIZE_MAX / 2, 4);
	ATF_CHECK_MSG(q == NULL, "%s: overflow not detected", name);
	ATF_CHECK_EQ_MSG(errno, ENOMEM, "%s: errno %d", name, errno);
	ATF_CHECK_MSG(p[0] == 'b' && p[7] == 'b', "%s: old block damaged",
	    name);
	free(p);
}

ATF_TC_WITHOUT_HEAD(recallocarray_resize);
ATF_TC_BODY(recallocarray_resize, tc)
{
	recallocarray_check("compat", mf_test_recallocarray);
#ifdef HAVE_RECALLOCARRAY
	recallocarray_check("system", recallocarray);
#endif
}

/*
 * freezero, explicit_bzero
 */

ATF_TC_WITHOUT_HEAD(freezero_null);
ATF_TC_BODY(freezero_null, tc)
{
	char	*p;

	/* NULL is fine whatever the size; no crash is the test. */
	mf_test_freezero(NULL, 0);
	mf_test_freezero(NULL, 4096);

	if ((p = malloc(64)) == NULL)
		atf_tc_fail("malloc");
	memset(p, 'x', 64);
	mf_test_freezero(p, 64);
	if ((p = malloc(1)) == NULL)
		atf_tc_fail("malloc");
	mf_test_freezero(p, 0);
}

static void
explicit_bzero_check(const char *name, void (*fn)(void *, size_t))
{
	char	 buf[BUFLEN];
	size_t	 i;

	memset(buf, FILL, sizeof(buf));
	fn(buf + 2, 8);
	for (i = 0; i < sizeof(buf); i++)
		ATF_CHECK_MSG(buf[i] == ((i >= 2 && i < 10) ? 0 : FILL),
		    "%s: byte %zu is %d", name, i, buf[i]);

	memset(buf, FILL, sizeof(buf));
	fn(buf, 0);
	for (i = 0; i < sizeof(buf); i++)
		ATF_CHECK_MSG(buf[i] == FILL, "%s: len 0 wrote byte %zu",
		    name, i);
}

ATF_TC_WITHOUT_HEAD(explicit_bzero_zeroes);
ATF_TC_BODY(explicit_bzero_zeroes, tc)
{
	explicit_bzero_check("compat", mf_test_explicit_bzero);
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero_check("system", explicit_bzero);
#endif
}

/*
 * Queue macros.  Each test builds 1..NELEM, walks it with the _SAFE
 * iterator removing and freeing the even elements (with plain FOREACH
 * that is a use after free), then walks again removing the rest.
 */

#define NELEM	6

struct tq_elem {
	int			 n;
	TAILQ_ENTRY(tq_elem)	 entry;
};
TAILQ_HEAD(tq_head, tq_elem);

static void
tq_fill(struct tq_head *h)
{
	struct tq_elem	*e;
	int		 i;

	TAILQ_INIT(h);
	for (i = 1; i <= NELEM; i++) {
		if ((e = malloc(sizeof(*e))) == NULL)
			atf_tc_fail("malloc");
		e->n = i;
		TAILQ_INSERT_TAIL(h, e, entry);
	}
}

ATF_TC_WITHOUT_HEAD(tailq_foreach_safe);
ATF_TC_BODY(tailq_foreach_safe, tc)
{
	struct tq_head	 h;
	struct tq_elem	*e, *te;
	int		 seen, want;

	tq_fill(&h);
	seen = 0;
	TAILQ_FOREACH_SAFE(e, &h, entry, te) {
		ATF_CHECK_EQ(e->n, ++seen);
		if (e->n % 2 == 0) {
			TAILQ_REMOVE(&h, e, entry);
			free(e);
		}
	}
	ATF_CHECK_EQ(seen, NELEM);
	want = 1;
	TAILQ_FOREACH(e, &h, entry) {
		ATF_CHECK_EQ(e->n, want);
		want += 2;
	}
	ATF_CHECK_EQ(want, NELEM + 1);
	TAILQ_FOREACH_SAFE(e, &h, entry, te) {
		TAILQ_REMOVE(&h, e, entry);
		free(e);
	}
	ATF_CHECK(TAILQ_EMPTY(&h));
}

ATF_TC_WITHOUT_HEAD(tailq_foreach_reverse_safe);
ATF_TC_BODY(tailq_foreach_reverse_safe, tc)
{
	struct tq_head	 h;
	struct tq_elem	*e, *te;
	int		 seen, want;

	tq_fill(&h);
	seen = NELEM + 1;
	TAILQ_FOREACH_REVERSE_SAFE(e, &h, tq_head, entry, te) {
		ATF_CHECK_EQ(e->n, --seen);
		if (e->n % 2 == 0) {
			TAILQ_REMOVE(&h, e, entry);
			free(e);
		}
	}
	ATF_CHECK_EQ(seen, 1);
	want = NELEM - 1;
	TAILQ_FOREACH_REVERSE(e, &h, tq_head, entry) {
		ATF_CHECK_EQ(e->n, want);
		want -= 2;
	}
	ATF_CHECK_EQ(want, -1);
	TAILQ_FOREACH_REVERSE_SAFE(e, &h, tq_head, entry, te) {
		TAILQ_REMOVE(&h, e, entry);
		free(e);
	}
	ATF_CHECK(TAILQ_EMPTY(&h));
}

struct l_elem {
	int			 n;
	LIST_ENTRY(l_elem)	 entry;
};
LIST_HEAD(l_head, l_elem);

ATF_TC_WITHOUT_HEAD(list_foreach_safe);
ATF_TC_BODY(list_foreach_safe, tc)
{
	struct l_head	 h;
	struct l_elem	*e, *te;
	int		 i, seen, want;

	/* Insert at the head in reverse so the list reads 1..NELEM. */
	LIST_INIT(&h);
	for (i = NELEM; i >= 1; i--) {
		if ((e = malloc(sizeof(*e))) == NULL)
			atf_tc_fail("malloc");
		e->n = i;
		LIST_INSERT_HEAD(&h, e, entry);
	}
	seen = 0;
	LIST_FOREACH_SAFE(e, &h, entry, te) {
		ATF_CHECK_EQ(e->n, ++seen);
		if (e->n % 2 == 0) {
			LIST_REMOVE(e, entry);
			free(e);
		}
	}
	ATF_CHECK_EQ(seen, NELEM);
	want = 1;
	LIST_FOREACH(e, &h, entry) {
		ATF_CHECK_EQ(e->n, want);
		want += 2;
	}
	ATF_CHECK_EQ(want, NELEM + 1);
	LIST_FOREACH_SAFE(e, &h, entry, te) {
		LIST_REMOVE(e, entry);
		free(e);
	}
	ATF_CHECK(LIST_EMPTY(&h));
}

struct sl_elem {
	int			 n;
	SLIST_ENTRY(sl_elem)	 entry;
};
SLIST_HEAD(sl_head, sl_elem);

ATF_TC_WITHOUT_HEAD(slist_foreach_safe);
ATF_TC_BODY(slist_foreach_safe, tc)
{
	struct sl_head	 h;
	struct sl_elem	*e, *te;
	int		 i, seen, want;

	SLIST_INIT(&h);
	for (i = NELEM; i >= 1; i--) {
		if ((e = malloc(sizeof(*e))) == NULL)
			atf_tc_fail("malloc");
		e->n = i;
		SLIST_INSERT_HEAD(&h, e, entry);
	}
	seen = 0;
	SLIST_FOREACH_SAFE(e, &h, entry, te) {
		ATF_CHECK_EQ(e->n, ++seen);
		if (e->n % 2 == 0) {
			SLIST_REMOVE(&h, e, sl_elem, entry);
			free(e);
		}
	}
	ATF_CHECK_EQ(seen, NELEM);
	want = 1;
	SLIST_FOREACH(e, &h, entry) {
		ATF_CHECK_EQ(e->n, want);
		want += 2;
	}
	ATF_CHECK_EQ(want, NELEM + 1);
	SLIST_FOREACH_SAFE(e, &h, entry, te) {
		SLIST_REMOVE_HEAD(&h, entry);
		free(e);
	}
	ATF_CHECK(SLIST_EMPTY(&h));
}

struct stq_elem {
	int			 n;
	STAILQ_ENTRY(stq_elem)	 entry;
};
STAILQ_HEAD(stq_head, stq_elem);

ATF_TC_WITHOUT_HEAD(stailq_foreach_safe);
ATF_TC_BODY(stailq_foreach_safe, tc)
{
	struct stq_head	 h;
	struct stq_elem	*e, *te;
	int		 i, seen, want;

	STAILQ_INIT(&h);
	for (i = 1; i <= NELEM; i++) {
		if ((e = malloc(sizeof(*e))) == NULL)
			atf_tc_fail("malloc");
		e->n = i;
		STAILQ_INSERT_TAIL(&h, e, entry);
	}
	seen = 0;
	STAILQ_FOREACH_SAFE(e, &h, entry, te) {
		ATF_CHECK_EQ(e->n, ++seen);
		if (e->n % 2 == 0) {
			STAILQ_REMOVE(&h, e, stq_elem, entry);
			free(e);
		}
	}
	ATF_CHECK_EQ(seen, NELEM);
	want = 1;
	STAILQ_FOREACH(e, &h, entry) {
		ATF_CHECK_EQ(e->n, want);
		want += 2;
	}
	ATF_CHECK_EQ(want, NELEM + 1);
	/* The tail pointer must still be right after removals. */
	if ((e = malloc(sizeof(*e))) == NULL)
		atf_tc_fail("malloc");
	e->n = 99;
	STAILQ_INSERT_TAIL(&h, e, entry);
	seen = 0;
	STAILQ_FOREACH_SAFE(e, &h, entry, te) {
		seen = e->n;
		STAILQ_REMOVE_HEAD(&h, entry);
		free(e);
	}
	ATF_CHECK_EQ(seen, 99);
	ATF_CHECK(STAILQ_EMPTY(&h));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, strlcpy_table);
	ATF_TP_ADD_TC(tp, strlcat_table);
	ATF_TP_ADD_TC(tp, strtonum_table);
	ATF_TP_ADD_TC(tp, strtonum_errno);
	ATF_TP_ADD_TC(tp, reallocarray_overflow);
	ATF_TP_ADD_TC(tp, recallocarray_resize);
	ATF_TP_ADD_TC(tp, freezero_null);
	ATF_TP_ADD_TC(tp, explicit_bzero_zeroes);
	ATF_TP_ADD_TC(tp, tailq_foreach_safe);
	ATF_TP_ADD_TC(tp, tailq_foreach_reverse_safe);
	ATF_TP_ADD_TC(tp, list_foreach_safe);
	ATF_TP_ADD_TC(tp, slist_foreach_safe);
	ATF_TP_ADD_TC(tp, stailq_foreach_safe);

	return (atf_no_error());
}
