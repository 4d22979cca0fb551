/*
 * Tests for opts.c: the sendmail 8 command line as real callers use it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "opts.h"

#define MAXARGS	24

struct opts_case {
	const char	*argv[MAXARGS];	/* NULL-terminated, argv[0] first */
	int		 rv;
	int		 mode;
	int		 extract;
	int		 ignore_dots;
	const char	*sender;	/* NULL: no -f; "" null sender */
	const char	*fullname;
	const char	*rcpts;		/* joined by '|' */
};

#define D	OPTS_MODE_DELIVER

static const struct opts_case cases[] = {
	/* Debian cron. */
	{ { "sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "user",
	    NULL }, 0, D, 0, 1, NULL, "CronDaemon", "user" },
	/* cronie. */
	{ { "sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t",
	    "-f", "user", NULL }, 0, D, 1, 1, "user", "CronDaemon", "" },
	/* busybox crond: bundled. */
	{ { "sendmail", "-ti", NULL }, 0, D, 1, 1, NULL, NULL, "" },
	/* mutt. */
	{ { "sendmail", "-oem", "-oi", "-f", "x@y", "--", "a@x", "b@y",
	    NULL }, 0, D, 0, 1, "x@y", NULL, "a@x|b@y" },
	/* PHP mail() forms of -f. */
	{ { "sendmail", "-t", "-i", "-fuser@x", NULL }, 0, D, 1, 1,
	    "user@x", NULL, "" },
	{ { "sendmail", "-t", "-i", "-f", "user@x", NULL }, 0, D, 1, 1,
	    "user@x", NULL, "" },
	{ { "sendmail", "-t", "-i", "-f<user@x>", NULL }, 0, D, 1, 1,
	    "user@x", NULL, "" },
	{ { "sendmail", "-f", "", "a@x", NULL }, 0, D, 0, 0, "", NULL,
	    "a@x" },
	{ { "sendmail", "-f", "<>", "a@x", NULL }, 0, D, 0, 0, "", NULL,
	    "a@x" },
	{ { "sendmail", "-r", "root", "a@x", NULL }, 0, D, 0, 0, "root",
	    NULL, "a@x" },
	{ { "sendmail", "-F", "Cron Daemon", "a@x", NULL }, 0, D, 0, 0,
	    NULL, "Cron Daemon", "a@x" },
	/* anacron, at, fail2ban. */
	{ { "sendmail", "-FAnacron", "-odi", "root", NULL }, 0, D, 0, 0,
	    NULL, "Anacron", "root" },
	{ { "sendmail", "-f", "root@h.x", "root@localhost", NULL }, 0, D,
	    0, 0, "root@h.x", NULL, "root@localhost" },
	/* Several recipients per argument. */
	{ { "sendmail", "-i", "a@x,root", "c@z,", "d@w e@v", NULL }, 0, D,
	    0, 1, NULL, NULL, "a@x|root|c@z|d@w|e@v" },
	{ { "sendmail", "a@x", "a@X", NULL }, 0, D, 0, 0, NULL, NULL,
	    "a@x" },
	/* -- ends options. */
	{ { "sendmail", "--", "-notanoption", NULL }, 0, D, 0, 0, NULL,
	    NULL, "-notanoption" },
	/* Options after recipients (permuted). */
	{ { "sendmail", "root", "-oi", NULL }, 0, D, 0, 1, NULL, NULL,
	    "root" },
	/* Ignored options with values must not become recipients. */
	{ { "sendmail", "-X", "/tmp/log", "-L", "tag", "-h", "17", "-p",
	    "smtp:h", "-A", "c", "-O", "Foo=bar", "a@x", NULL }, 0, D, 0, 0,
	    NULL, NULL, "a@x" },
	{ { "sendmail", "-N", "success,failure", "-R", "hdrs", "-V", "id1",
	    "-B", "7BIT", "a@x", NULL }, 0, D, 0, 0, NULL, NULL, "a@x" },
	{ { "sendmail", "-m", "-n", "-G", "-U", "-c", "-s", "-T", "-Mrfoo",
	    "-d0.1", "-e", "m", "-oQ/x", "-oL9", "-D", "f", "a@x", NULL }, 0,
	    D, 0, 0, NULL, NULL, "a@x" },
	{ { "sendmail", "-O", "IgnoreDots=true", "a@x", NULL }, 0, D, 0, 1,
	    NULL, NULL, "a@x" },
	{ { "sendmail", "-OIgnoreDots", "a@x", NULL }, 0, D, 0, 1, NULL,
	    NULL, "a@x" },
	{ { "sendmail", "-i", "-O", "IgnoreDots=false", "a@x", NULL }, 0, D,
	    0, 0, NULL, NULL, "a@x" },
	/* Modes. */
	{ { "sendmail", "-bs", NULL }, 0, OPTS_MODE_SMTP, 0, 0, NULL, NULL,
	    "" },
	{ { "sendmail", "-bs", "-odb", "-oem", NULL }, 0, OPTS_MODE_SMTP, 0,
	    0, NULL, NULL, "" },
	{ { "sendmail", "-b", "s", NULL }, 0, OPTS_MODE_SMTP, 0, 0, NULL,
	    NULL, "" },
	{ { "sendmail", "-bm", "a@x", NULL }, 0, D, 0, 0, NULL, NULL,
	    "a@x" },
	{ { "sendmail", "-bp", NULL }, 0, OPTS_MODE_PRINTQ, 0, 0, NULL, NULL,
	    "" },
	{ { "/usr/bin/mailq", NULL }, 0, OPTS_MODE_PRINTQ, 0, 0, NULL, NULL,
	    "" },
	{ { "newaliases", NULL }, 0, OPTS_MODE_NEWALIASES, 0, 0, NULL, NULL,
	    "" },
	{ { "sendmail", "-bi", NULL }, 0, OPTS_MODE_NEWALIASES, 0, 0, NULL,
	    NULL, "" },
	{ { "sendmail", "-I", NULL }, 0, OPTS_MODE_NEWALIASES, 0, 0, NULL,
	    NULL, "" },
	{ { "sendmail", "-bv", "root", NULL }, 0, OPTS_MODE_VERIFY, 0, 0,
	    NULL, NULL, "root" },
	{ { "sendmail", "-q", NULL }, 0, OPTS_MODE_RUNQ, 0, 0, NULL, NULL,
	    "" },
	{ { "sendmail", "-q", "-v", NULL }, 0, OPTS_MODE_RUNQ, 0, 0, NULL,
	    NULL, "" },
	{ { "sendmail", "-q5m", NULL }, 0, OPTS_MODE_RUNQ, 0, 0, NULL, NULL,
	    "" },
	{ { "sendmail", "-qIABC", NULL }, 0, OPTS_MODE_RUNQ, 0, 0, NULL,
	    NULL, "" },
	{ { "sendmail", "-qf", NULL }, 0, OPTS_MODE_RUNQ, 0, 0, NULL, NULL,
	    "" },
	/* Errors. */
	{ { "sendmail", "-bd", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bD", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bt", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bh", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bH", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bP", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-bz", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-b", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-K", "a@x", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL,
	    NULL, NULL },
	{ { "sendmail", "-tZ", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-:", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-f", NULL }, OPTS_ERR_USAGE, 0, 0, 0, NULL, NULL,
	    NULL },
	{ { "sendmail", "-N", "sometimes", "a@x", NULL }, OPTS_ERR_USAGE, 0,
	    0, 0, NULL, NULL, NULL },
	{ { "sendmail", "-N", "never,success", "a@x", NULL }, OPTS_ERR_USAGE,
	    0, 0, 0, NULL, NULL, NULL },
	{ { "sendmail", "-R", "body", "a@x", NULL }, OPTS_ERR_USAGE, 0, 0, 0,
	    NULL, NULL, NULL },
	{ { "sendmail", "-V", "a b", "a@x", NULL }, OPTS_ERR_USAGE, 0, 0, 0,
	    NULL, NULL, NULL },
	{ { "sendmail", "-f", "a@x, b@y", NULL }, OPTS_ERR_DATA, 0, 0, 0,
	    NULL, NULL, NULL },
	{ { "sendmail", "-f", "<a@x", NULL }, OPTS_ERR_DATA, 0, 0, 0, NULL,
	    NULL, NULL },
	{ { "sendmail", "a@x\r\nb@y", NULL }, OPTS_ERR_DATA, 0, 0, 0, NULL,
	    NULL, NULL },
	{ { "sendmail", "\"unbalanced", NULL }, OPTS_ERR_DATA, 0, 0, 0, NULL,
	    NULL, NULL },
};

static const char *
join(const struct addr_list *l)
{
	static char	 buf[1024];
	size_t		 i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strlcat(buf, "|", sizeof(buf));
		strlcat(buf, l->v[i], sizeof(buf));
	}
	return (buf);
}

static int
run(const char *const *av, struct opts *o, char **cause)
{
	char	*argv[MAXARGS];
	int	 argc;

	for (argc = 0; av[argc] != NULL; argc++)
		argv[argc] = (char *)av[argc];
	argv[argc] = NULL;
	*cause = NULL;
	return (opts_parse(argc, argv, o, cause));
}

ATF_TC_WITHOUT_HEAD(table);
ATF_TC_BODY(table, tc)
{
	const struct opts_case	*c;
	struct opts		 o;
	char			*cause;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		rv = run(c->argv, &o, &cause);
		ATF_CHECK_MSG(rv == c->rv, "case %zu (%s): rv %d want %d: %s",
		    i, c->argv[1] ? c->argv[1] : "", rv, c->rv,
		    cause ? cause : "");
		if (rv != 0) {
			ATF_CHECK_MSG(cause != NULL, "case %zu: no cause", i);
			free(cause);
			opts_free(&o);
			continue;
		}
		ATF_CHECK_MSG((int)o.mode == c->mode, "case %zu: mode %d",
		    i, o.mode);
		ATF_CHECK_MSG(o.extract == c->extract, "case %zu: -t", i);
		ATF_CHECK_MSG(o.ignore_dots == c->ignore_dots, "case %zu: -i",
		    i);
		if (c->sender == NULL)
			ATF_CHECK_MSG(o.sender == NULL, "case %zu: sender", i);
		else
			ATF_CHECK_MSG(o.sender != NULL &&
			    strcmp(o.sender, c->sender) == 0,
			    "case %zu: sender '%s'", i,
			    o.sender ? o.sender : "(null)");
		if (c->fullname == NULL)
			ATF_CHECK_MSG(o.fullname == NULL, "case %zu: -F", i);
		else
			ATF_CHECK_MSG(o.fullname != NULL &&
			    strcmp(o.fullname, c->fullname) == 0,
			    "case %zu: -F", i);
		ATF_CHECK_MSG(strcmp(join(&o.rcpts), c->rcpts) == 0,
		    "case %zu: rcpts '%s' want '%s'", i, join(&o.rcpts),
		    c->rcpts);
		free(cause);
		opts_free(&o);
	}
}

ATF_TC_WITHOUT_HEAD(values);
ATF_TC_BODY(values, tc)
{
	const char *const a1[] = { "sendmail", "-N", "Success,DELAY", "-R",
	    "full", "-V", "env+id=1", "-B", "8bitmime", "-C", "/etc/x.conf",
	    "-v", "-vv", "-odq", "a@x", NULL };
	const char *const a2[] = { "sendmail", "-odi", "-odb", NULL };
	const char *const a3[] = { "sendmail", "-O", "DeliveryMode=i", NULL };
	const char *const a4[] = { "sendmail", "-N", "never", NULL };
	struct opts	 o;
	char		*cause;

	ATF_REQUIRE_EQ(run(a1, &o, &cause), 0);
	ATF_CHECK_STREQ(o.dsn_notify, "SUCCESS,DELAY");
	ATF_CHECK_STREQ(o.dsn_ret, "FULL");
	ATF_CHECK_STREQ(o.dsn_envid, "env+id=1");
	ATF_CHECK_EQ(o.body, OPTS_BODY_8BITMIME);
	ATF_CHECK_STREQ(o.config, "/etc/x.conf");
	ATF_CHECK_EQ(o.verbose, 3);
	ATF_CHECK_EQ(o.delivery, OPTS_DELIVERY_QUEUE);
	opts_free(&o);

	ATF_REQUIRE_EQ(run(a2, &o, &cause), 0);
	ATF_CHECK_EQ(o.delivery, OPTS_DELIVERY_BACKGROUND);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a3, &o, &cause), 0);
	ATF_CHECK_EQ(o.delivery, OPTS_DELIVERY_FOREGROUND);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a4, &o, &cause), 0);
	ATF_CHECK_STREQ(o.dsn_notify, "NEVER");
	opts_free(&o);
}

ATF_TC_WITHOUT_HEAD(queue);
ATF_TC_BODY(queue, tc)
{
	const char *const a1[] = { "sendmail", "-q5m", NULL };
	const char *const a2[] = { "sendmail", "-qIABC", NULL };
	const char *const a3[] = { "sendmail", "-qR!example.com", NULL };
	const char *const a4[] = { "sendmail", "-q", NULL };
	const char *const a5[] = { "sendmail", "-qp1h30m", NULL };
	const char *const a6[] = { "sendmail", "-qwhatever", NULL };
	struct opts	 o;
	char		*cause;
	time_t		 t;

	ATF_REQUIRE_EQ(run(a1, &o, &cause), 0);
	ATF_CHECK_EQ(o.queue_interval, 300);
	ATF_CHECK_EQ(o.qfilter, OPTS_QFILTER_NONE);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a2, &o, &cause), 0);
	ATF_CHECK_EQ(o.queue_interval, 0);
	ATF_CHECK_EQ(o.qfilter, OPTS_QFILTER_ID);
	ATF_CHECK_STREQ(o.qfilter_str, "ABC");
	ATF_CHECK_EQ(o.qfilter_negate, 0);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a3, &o, &cause), 0);
	ATF_CHECK_EQ(o.qfilter, OPTS_QFILTER_RCPT);
	ATF_CHECK_EQ(o.qfilter_negate, 1);
	ATF_CHECK_STREQ(o.qfilter_str, "example.com");
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a4, &o, &cause), 0);
	ATF_CHECK_EQ(o.mode, OPTS_MODE_RUNQ);
	ATF_CHECK_EQ(o.queue_interval, 0);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a5, &o, &cause), 0);
	ATF_CHECK_EQ(o.queue_interval, 5400);
	opts_free(&o);
	ATF_REQUIRE_EQ(run(a6, &o, &cause), 0);
	ATF_CHECK_EQ(o.mode, OPTS_MODE_RUNQ);
	ATF_CHECK_EQ(o.queue_interval, 0);
	opts_free(&o);

	ATF_CHECK(opts_parse_interval("90s", &t) == 0 && t == 90);
	ATF_CHECK(opts_parse_interval("30", &t) == 0 && t == 1800);
	ATF_CHECK(opts_parse_interval("1d", &t) == 0 && t == 86400);
	ATF_CHECK_EQ(opts_parse_interval("", &t), -1);
	ATF_CHECK_EQ(opts_parse_interval("5x", &t), -1);
	ATF_CHECK_EQ(opts_parse_interval("m", &t), -1);
	ATF_CHECK_EQ(opts_parse_interval("99999999999999999999", &t), -1);
	ATF_CHECK_EQ(opts_parse_interval("100w", &t), -1);
}

ATF_TC_WITHOUT_HEAD(usage);
ATF_TC_BODY(usage, tc)
{
	ATF_CHECK(strncmp(opts_usage(), "usage: ", 7) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table);
	ATF_TP_ADD_TC(tp, values);
	ATF_TP_ADD_TC(tp, queue);
	ATF_TP_ADD_TC(tp, usage);
	return (atf_no_error());
}
