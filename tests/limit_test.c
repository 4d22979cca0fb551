/*
 * Tests for the session and rate limits (src/limit.c): slots taken and
 * given back, slot 0 kept for trusted runs, a missing sessions/ that
 * keeps mail waiting; rate tokens counted, stale and future ones
 * dropped, a table of (max_rate, tokens present, wanted) -> granted.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "limit.h"
#include "spool.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static void
setup(struct conf *c, unsigned int sessions, unsigned int rate)
{
	char	 tmpl[] = "spool.XXXXXX", cwd[PATH_MAX], *cause = NULL;

	conf_init(c);
	ATF_REQUIRE(mkdtemp(tmpl) != NULL);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	free(c->queue_dir);
	xasprintf(&c->queue_dir, "%s/%s", cwd, tmpl);
	ATF_REQUIRE(spool_mkdirs(c->queue_dir, &cause) == 0);
	c->max_sessions = sessions;
	c->max_rate.count = rate;
	c->max_rate.per = 60;
}

/* Make a token file as another run would have. */
static void
token(const struct conf *c, long long t, int n)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/sessions/sent.%lld.99999.%d", c->queue_dir, t, n);
	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	free(path);
}

ATF_TC_WITHOUT_HEAD(slots);
ATF_TC_BODY(slots, tc)
{
	struct conf	 c;
	char		*cause = NULL;
	int		 a, b, d;

	setup(&c, 2, 0);
	ATF_CHECK(limit_session_take(&c, 1, &a, &cause) == 0);
	ATF_CHECK(limit_session_take(&c, 1, &b, &cause) == 0);
	ATF_CHECK(limit_session_take(&c, 1, &d, &cause) == LIMIT_BUSY);
	ATF_CHECK(d == -1);
	limit_session_release(&a);
	ATF_CHECK(a == -1);
	/* slot.0 is free again but kept for trusted runs. */
	ATF_CHECK(limit_session_take(&c, 0, &d, &cause) == LIMIT_BUSY);
	ATF_CHECK(limit_session_take(&c, 1, &d, &cause) == 0);
	limit_session_release(&b);
	ATF_CHECK(limit_session_take(&c, 0, &b, &cause) == 0);
	limit_session_release(&b);
	limit_session_release(&d);
	/* One slot: an ordinary user's run never gets it. */
	c.max_sessions = 1;
	ATF_CHECK(limit_session_take(&c, 0, &a, &cause) == LIMIT_BUSY);
	ATF_CHECK(limit_session_take(&c, 1, &a, &cause) == 0);
	limit_session_release(&a);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(no_dir);
ATF_TC_BODY(no_dir, tc)
{
	struct conf	 c;
	char		*cause = NULL, *path;
	int		 fd;

	setup(&c, 2, 5);
	xasprintf(&path, "%s/sessions", c.queue_dir);
	ATF_REQUIRE(rmdir(path) == 0);
	ATF_CHECK(limit_session_take(&c, 1, &fd, &cause) == -1);
	ATF_CHECK(cause != NULL && strstr(cause, "sessions") != NULL);
	free(cause);
	cause = NULL;
	/* Unknown rate state: nothing goes, the mail waits. */
	ATF_CHECK(limit_rate_take(&c, 3, time(NULL), &cause) == 0);
	free(cause);
	free(path);
	conf_free(&c);
}

static const struct {
	unsigned int	 rate;
	int		 recent;	/* tokens of others, within the period */
	int		 stale;		/* older than the period */
	int		 future;	/* more than a period ahead */
	size_t		 want;
	size_t		 granted;
} rate_cases[] = {
	{ 0, 0, 0, 0, 10, 10 },		/* unlimited */
	{ 0, 50, 0, 0, 10, 10 },
	{ 6, 0, 0, 0, 10, 6 },
	{ 6, 0, 0, 0, 4, 4 },
	{ 6, 4, 0, 0, 10, 2 },
	{ 6, 6, 0, 0, 1, 0 },
	{ 6, 9, 0, 0, 1, 0 },
	{ 6, 0, 9, 0, 10, 6 },		/* stale tokens do not count */
	{ 6, 0, 0, 9, 10, 6 },		/* nor do far-future ones */
	{ 6, 3, 5, 5, 10, 3 },
	{ 1, 0, 0, 0, 0, 0 },
	{ 1, 0, 0, 0, 3, 1 },
};

ATF_TC_WITHOUT_HEAD(rate_table);
ATF_TC_BODY(rate_table, tc)
{
	struct conf	 c;
	char		*cause = NULL;
	time_t		 now = time(NULL);
	size_t		 i, got;
	int		 k;

	for (i = 0; i < nitems(rate_cases); i++) {
		setup(&c, 2, rate_cases[i].rate);
		for (k = 0; k < rate_cases[i].recent; k++)
			token(&c, (long long)now - 30, k);
		for (k = 0; k < rate_cases[i].stale; k++)
			token(&c, (long long)now - 60, 100 + k);
		for (k = 0; k < rate_cases[i].future; k++)
			token(&c, (long long)now + 61, 200 + k);
		got = limit_rate_take(&c, rate_cases[i].want, now, &cause);
		ATF_CHECK_MSG(got == rate_cases[i].granted,
		    "case %zu: granted %zu, want %zu", i, got,
		    rate_cases[i].granted);
		/* What was granted is counted: nothing more now. */
		if (rate_cases[i].rate != 0 && rate_cases[i].recent +
		    rate_cases[i].granted >= rate_cases[i].rate)
			ATF_CHECK_MSG(limit_rate_take(&c, 1, now, &cause) == 0,
			    "case %zu: a second take got through", i);
		conf_free(&c);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, slots);
	ATF_TP_ADD_TC(tp, no_dir);
	ATF_TP_ADD_TC(tp, rate_table);
	return (atf_no_error());
}
