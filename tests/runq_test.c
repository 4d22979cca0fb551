/*
 * Tests for the queue run logic: the backoff table, age accounting that
 * wall-clock jumps cannot fool, due decisions, and whole simulated lives
 * of an entry under a clock that jumps forward or back.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailferry.h"
#include "conf.h"
#include "mailq.h"
#include "runq.h"
#include "spool.h"

#define MIN	60
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define YEAR	(365 * DAY)
#define T0	1700000000

static void
mkconf(struct conf *c, time_t retry, time_t max_retry, time_t max_age)
{
	conf_init(c);
	c->retry = retry;
	c->max_retry = max_retry;
	c->max_age = max_age;
}

static void
mkentry(struct spool_entry *e, time_t created)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->created = created;
}

ATF_TC_WITHOUT_HEAD(backoff_table);
ATF_TC_BODY(backoff_table, tc)
{
	static const struct {
		time_t		 retry, max;
		unsigned int	 attempts;
		time_t		 want;
	} t[] = {
		/* The defaults: 5 min doubling to 4 h. */
		{ 5 * MIN, 4 * HOUR, 0, 5 * MIN },
		{ 5 * MIN, 4 * HOUR, 1, 5 * MIN },
		{ 5 * MIN, 4 * HOUR, 2, 10 * MIN },
		{ 5 * MIN, 4 * HOUR, 3, 20 * MIN },
		{ 5 * MIN, 4 * HOUR, 4, 40 * MIN },
		{ 5 * MIN, 4 * HOUR, 5, 80 * MIN },
		{ 5 * MIN, 4 * HOUR, 6, 160 * MIN },
		{ 5 * MIN, 4 * HOUR, 7, 4 * HOUR },
		{ 5 * MIN, 4 * HOUR, 8, 4 * HOUR },
		{ 5 * MIN, 4 * HOUR, 1000, 4 * HOUR },
		{ 5 * MIN, 4 * HOUR, 1000000, 4 * HOUR },
		{ 5 * MIN, 4 * HOUR, 0xffffffffU, 4 * HOUR },
		/* The test suite's: 1 s doubling to 2 s. */
		{ 1, 2, 1, 1 },
		{ 1, 2, 2, 2 },
		{ 1, 2, 50, 2 },
		/* No doubling at all. */
		{ HOUR, HOUR, 1, HOUR },
		{ HOUR, HOUR, 9, HOUR },
		/* Hostile values never give zero or overflow. */
		{ 0, 10, 1, 1 },
		{ 0, 10, 5, 10 },
		{ 3, (time_t)1 << 62, 200, (time_t)1 << 62 },
	};
	struct conf	 c;
	size_t		 i;
	time_t		 got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mkconf(&c, t[i].retry, t[i].max, 5 * DAY);
		got = runq_backoff(&c, t[i].attempts);
		if (got != t[i].want)
			atf_tc_fail("case %zu: backoff(%u) = %lld, want %lld",
			    i, t[i].attempts, (long long)got,
			    (long long)t[i].want);
		conf_free(&c);
	}
}

ATF_TC_WITHOUT_HEAD(age_steps);
ATF_TC_BODY(age_steps, tc)
{
	static const struct {
		const char	*what;
		time_t		 last, next, now, age0, want;
	} t[] = {
		{ "fresh entry, first run", 0, 0, T0 + 30, 0, 30 },
		{ "fresh entry, clock far ahead", 0, 0, T0 + YEAR, 0,
		    RUNQ_AGE_SLACK },
		{ "fresh entry, clock before arrival", 0, 0, T0 - DAY, 0, 0 },
		{ "on time after a 5 min backoff", T0, T0 + 5 * MIN,
		    T0 + 5 * MIN, 100, 100 + 5 * MIN },
		{ "a late run counts in full", T0, T0 + 5 * MIN,
		    T0 + 15 * MIN, 0, 15 * MIN },
		{ "clock jumped a year ahead", T0, T0 + 5 * MIN, T0 + YEAR,
		    7, 7 + 5 * MIN + RUNQ_AGE_SLACK },
		{ "clock jumped back", T0, T0 + 5 * MIN, T0 - HOUR, 50, 50 },
		{ "4 h backoff, cron 5 min late", T0, T0 + 4 * HOUR,
		    T0 + 4 * HOUR + 5 * MIN, 0, 4 * HOUR + 5 * MIN },
	};
	struct conf		 c;
	struct spool_entry	 e;
	size_t			 i;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mkentry(&e, T0);
		e.last_attempt = t[i].last;
		e.next_attempt = t[i].next;
		e.attempts = t[i].last != 0;
		e.age = t[i].age0;
		runq_advance_age(&c, &e, t[i].now);
		if (e.age != t[i].want)
			atf_tc_fail("%s: age %lld, want %lld", t[i].what,
			    (long long)e.age, (long long)t[i].want);
	}
	conf_free(&c);
}

/*
 * renameat(2) as the spool calls it: only a commit (an entry moving
 * from tmp/ to msg/) uses it.  This definition takes the place of
 * libc's for the library linked into this program; with fail_commits
 * set every commit fails as on a full disk.
 */
static int	 fail_commits;

int
renameat(int olddirfd, const char *oldpath, int newdirfd,
    const char *newpath)
{
	if (fail_commits) {
		errno = ENOSPC;
		return (-1);
	}
#ifdef SYS_renameat
	return ((int)syscall(SYS_renameat, olddirfd, oldpath, newdirfd,
	    newpath));
#else
	return ((int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd,
	    newpath, 0));
#endif
}

/* The names in dir/sub, but dot files; returns how many. */
static int
list_dir(const char *dir, const char *sub, char names[][64], int max)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	int		 n = 0;

	xasprintf(&path, "%s/%s", dir, sub);
	ATF_REQUIRE((d = opendir(path)) != NULL);
	free(path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			strlcpy(names[n], de->d_name, sizeof(names[n]));
		n++;
	}
	closedir(d);
	return (n);
}

#define OLD_ID	"0123456789ABCDEF"

/*
 * A new spool under the work directory holding entry OLD_ID of ours,
 * from a@example.com to b@example.org, created at created.
 */
static void
add_entry(const char *dir, const char *id, time_t created)
{
	char	 entry[512], *path;
	int	 fd, n;

	n = snprintf(entry, sizeof(entry), "mailferry-spool 1\nid %s"
	    "\ncreated %lld\nuid %lu\nsender a@example.com\n"
	    "rcpt b@example.org\nbody 7bit\nsmtputf8 0\nbounce 0\n\n"
	    "Subject: %s\r\n\r\nhello\r\n", id,
	    (long long)created, (unsigned long)getuid(), id);
	xasprintf(&path, "%s/msg/%s", dir, id);
	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640)) !=
	    -1);
	ATF_REQUIRE(write(fd, entry, n) == n);
	close(fd);
	free(path);
}

/* A new, empty spool under the work directory. */
static char *
mkspool(void)
{
	char	 tmpl[] = "spool.XXXXXX", cwd[PATH_MAX];
	char	*dir, *cause = NULL;

	ATF_REQUIRE(mkdtemp(tmpl) != NULL);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	xasprintf(&dir, "%s/%s", cwd, tmpl);
	ATF_REQUIRE(spool_mkdirs(dir, &cause) == 0);
	return (dir);
}

/*
 * A new spool under the work directory holding entry OLD_ID of ours,
 * from a@example.com to b@example.org, created at created.
 */
static char *
mkspool_entry(time_t created)
{
	char	*dir;

	dir = mkspool();
	add_entry(dir, OLD_ID, created);
	return (dir);
}

/* OLD_ID is the only entry left, its recipient "bouncing". */
static void
check_held(const char *dir)
{
	struct spool_entry	 e;
	char			 names[4][64], *cause = NULL;

	ATF_REQUIRE_EQ(list_dir(dir, "msg", names, 4), 1);
	ATF_REQUIRE_STREQ(names[0], OLD_ID);
	ATF_REQUIRE_EQ(spool_open(dir, OLD_ID, LOCK_EX | LOCK_NB, &e,
	    &cause), SPOOL_OK);
	ATF_REQUIRE(TAILQ_FIRST(&e.meta.rcpts) != NULL);
	ATF_CHECK_EQ(TAILQ_FIRST(&e.meta.rcpts)->state, SPOOL_RCPT_BOUNCING);
	spool_close(&e);
}

/*
 * An expired entry whose bounce cannot be committed stays in the spool,
 * its recipient "bouncing"; the next run queues the bounce and only
 * then removes the entry.  A message leaves only once reported.
 */
ATF_TC_WITHOUT_HEAD(bounce_before_remove);
ATF_TC_BODY(bounce_before_remove, tc)
{
	struct conf		 c;
	struct runq_opts	 ro;
	struct runq_result	 res;
	struct spool_entry	 e;
	char			*dir, *cause = NULL, names[4][64];

	dir = mkspool_entry(time(NULL) - HOUR);
	/* Its age grows by RUNQ_AGE_SLACK at most a run: over max_age. */
	mkconf(&c, 5 * MIN, 4 * HOUR, MIN);
	free(c.queue_dir);
	c.queue_dir = xstrdup(dir);
	memset(&ro, 0, sizeof(ro));
	ro.owner = SPOOL_ANY_OWNER;

	/* The bounce cannot be written: the entry stays, bouncing. */
	fail_commits = 1;
	memset(&res, 0, sizeof(res));
	(void)runq_run(&c, &ro, &res);
	fail_commits = 0;
	check_held(dir);

	/* Now it can: the bounce is queued, then the entry removed. */
	memset(&res, 0, sizeof(res));
	(void)runq_run(&c, &ro, &res);
	ATF_REQUIRE_EQ(list_dir(dir, "msg", names, 4), 1);
	ATF_CHECK(strcmp(names[0], OLD_ID) != 0);
	ATF_REQUIRE_EQ(spool_open(dir, names[0], 0, &e, &cause), SPOOL_OK);
	ATF_CHECK(e.meta.is_bounce);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

/*
 * Start tests/smarthost with script (NULL: it accepts everything),
 * recording into rec/; returns its pid and sets *port.
 */
static pid_t
start_smarthost_with(const char *script, int *port)
{
	FILE	*f;
	pid_t	 pid;
	int	 i;

	ATF_REQUIRE(system("sh " MF_SRCDIR "/tests/gen-certs.sh "
	    MF_BUILDDIR "/tests/certs >/dev/null 2>&1") == 0);
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "%s", script != NULL ? script : "");
	fclose(f);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		execl(MF_BUILDDIR "/tests/smarthost", "smarthost", "-P", "port",
		    "-a", "60", "-d", "rec", "-s", "script",
		    "-c", MF_BUILDDIR "/tests/certs/good.pem",
		    "-k", MF_BUILDDIR "/tests/certs/good.key", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if ((f = fopen("port", "r")) != NULL) {
			if (fscanf(f, "%d", port) == 1) {
				fclose(f);
				return (pid);
			}
			fclose(f);
		}
		usleep(100000);
	}
	kill(pid, SIGTERM);
	atf_tc_fail("the smarthost did not start");
	return (-1);
}

/* The smarthost refusing every recipient (550). */
static pid_t
start_smarthost(int *port)
{
	return (start_smarthost_with("on RCPT reply 550 5.1.1 no such user\n",
	    port));
}

/* A configuration for the smarthost on port and the spool dir. */
static void
smarthost_conf(struct conf *c, int port, const char *dir)
{
	FILE	*f;
	char	*text, *cause = NULL;

	xasprintf(&text, "[smarthost]\nhost = localhost\nport = %d\n"
	    "tls = starttls\nca_file = %s/tests/certs/ca.pem\n"
	    "timeout = 10s\nconnect_timeout = 5s\n[sender]\n"
	    "domain = example.org\n[queue]\ndir = %s\n", port,
	    MF_BUILDDIR, dir);
	ATF_REQUIRE((f = fmemopen(text, strlen(text), "r")) != NULL);
	conf_init(c);
	ATF_REQUIRE_MSG(conf_load_fp(c, f, "test.conf", &cause) == 0, "%s",
	    cause);
	fclose(f);
	free(text);
}

/*
 * A recipient refused with a 5xx and a bounce that cannot be committed:
 * the entry stays, "bouncing", and is not counted as finished.
 */
ATF_TC_WITHOUT_HEAD(bounce_after_5xx);
ATF_TC_BODY(bounce_after_5xx, tc)
{
	struct conf		 c;
	struct runq_opts	 ro;
	struct runq_result	 res;
	char			*dir;
	pid_t			 pid;
	int			 port;

	dir = mkspool_entry(time(NULL));
	pid = start_smarthost(&port);
	smarthost_conf(&c, port, dir);
	memset(&ro, 0, sizeof(ro));
	ro.owner = SPOOL_ANY_OWNER;

	fail_commits = 1;
	memset(&res, 0, sizeof(res));
	(void)runq_run(&c, &ro, &res);
	fail_commits = 0;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	ATF_CHECK_EQ(res.sessions, 1);
	check_held(dir);
	conf_free(&c);
	free(dir);
}

#define WINDOW_ENTRIES	7

/*
 * WINDOW_ENTRIES entries, a window of 2 and the smarthost's answer to
 * RCPT (NULL: 250): run once with -a and check the counts.  Windows
 * are listed again and again; the run must take each entry once and
 * stop.
 */
static void
window_run(const char *script, struct runq_result *res, char *dir)
{
	struct conf		 c;
	struct runq_opts	 ro;
	char			 id[SPOOL_ID_LEN + 1];
	pid_t			 pid;
	int			 port, i;

	/* Out of order on disk: the window takes the oldest first. */
	for (i = WINDOW_ENTRIES - 1; i >= 0; i--) {
		snprintf(id, sizeof(id), "0123456789ABCD%02d", i);
		add_entry(dir, id, time(NULL));
	}
	pid = start_smarthost_with(script, &port);
	smarthost_conf(&c, port, dir);
	memset(&ro, 0, sizeof(ro));
	ro.owner = SPOOL_ANY_OWNER;
	ro.all = 1;
	ro.window = 2;
	memset(res, 0, sizeof(*res));
	ATF_CHECK_EQ(runq_run(&c, &ro, res), WINDOW_ENTRIES);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	conf_free(&c);
}

/* A queue bigger than the window: each entry sent once, in order. */
ATF_TC_WITHOUT_HEAD(window_sends_all);
ATF_TC_BODY(window_sends_all, tc)
{
	struct runq_result	 res;
	char			*dir, names[WINDOW_ENTRIES + 1][64], *path;
	char			 want[64];
	FILE			*f;
	int			 i;

	dir = mkspool();
	window_run(NULL, &res, dir);
	ATF_CHECK_EQ(res.sent, WINDOW_ENTRIES);
	ATF_CHECK_EQ(res.sessions, 1);
	ATF_CHECK_EQ(list_dir(dir, "msg", names, WINDOW_ENTRIES + 1), 0);
	/* The smarthost got them once each, oldest first. */
	for (i = 0; i <= WINDOW_ENTRIES; i++) {
		xasprintf(&path, "rec/session.1/msg.%d.data", i + 1);
		f = fopen(path, "r");
		free(path);
		if (i == WINDOW_ENTRIES) {
			ATF_CHECK_MSG(f == NULL, "a message too many");
			break;
		}
		ATF_REQUIRE_MSG(f != NULL, "message %d missing", i + 1);
		snprintf(want, sizeof(want), "Subject: 0123456789ABCD%02d\r\n",
		    i);
		ATF_REQUIRE(fgets(names[0], sizeof(names[0]), f) != NULL);
		while (strncmp(names[0], "Subject:", 8) != 0 &&
		    fgets(names[0], sizeof(names[0]), f) != NULL)
			;
		ATF_CHECK_STREQ(names[0], want);
		fclose(f);
	}
	free(dir);
}

/*
 * Every entry deferred, with -a (all due): after its attempt each one
 * is still listed, window after window; the run tries each once.
 */
ATF_TC_WITHOUT_HEAD(window_defers_once);
ATF_TC_BODY(window_defers_once, tc)
{
	struct runq_result	 res;
	struct spool_entry	 e;
	char			*dir, names[WINDOW_ENTRIES + 1][64];
	char			*cause = NULL;
	int			 i, n;

	dir = mkspool();
	window_run("on RCPT reply 451 4.2.0 later\n", &res, dir);
	ATF_CHECK_EQ(res.deferred, WINDOW_ENTRIES);
	ATF_CHECK_EQ(res.sessions, 1);
	n = list_dir(dir, "msg", names, WINDOW_ENTRIES + 1);
	ATF_REQUIRE_EQ(n, WINDOW_ENTRIES);
	for (i = 0; i < n; i++) {
		ATF_REQUIRE_EQ(spool_open(dir, names[i], 0, &e, &cause),
		    SPOOL_OK);
		ATF_CHECK_EQ_MSG(e.attempts, 1, "%s: %u attempts", names[i],
		    e.attempts);
		spool_close(&e);
	}
	free(dir);
}

static const char	*scan_dir;	/* for scan_arrive() */

/* mailq_scan()'s callback: append the entry's id to the string arg. */
static void
scan_collect(const struct spool_entry *e, void *arg)
{
	char	*got = arg;

	if (*got != '\0')
		strlcat(got, " ", 512);
	strlcat(got, e->id, 512);
}

/* The same, and a new entry arrives (newest of all) at the first one. */
static void
scan_arrive(const struct spool_entry *e, void *arg)
{
	if (*(char *)arg == '\0')
		add_entry(scan_dir, "0123456789ABCD99", time(NULL));
	scan_collect(e, arg);
}

/*
 * mailq_scan() a window at a time: every entry once, oldest first,
 * whatever the window; an entry that arrives during the scan is left
 * out (the first listing sets the end), even though it sorts last.
 */
ATF_TC_WITHOUT_HEAD(scan_windows);
ATF_TC_BODY(scan_windows, tc)
{
	struct conf	 c;
	char		*dir, *path, got[512], want[512];
	char		 id[SPOOL_ID_LEN + 1], *cause = NULL;
	size_t		 window;
	int		 i;

	dir = mkspool();
	for (i = 6; i >= 0; i--) {
		snprintf(id, sizeof(id), "0123456789ABCD%02d", i);
		add_entry(dir, id, time(NULL));
	}
	want[0] = '\0';
	for (i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "0123456789ABCD%02d", i);
		if (i > 0)
			strlcat(want, " ", sizeof(want));
		strlcat(want, id, sizeof(want));
	}
	conf_init(&c);
	free(c.queue_dir);
	c.queue_dir = xstrdup(dir);
	scan_dir = dir;
	xasprintf(&path, "%s/msg/0123456789ABCD99", dir);
	for (window = 0; window <= 8; window++) {
		got[0] = '\0';
		ATF_REQUIRE(mailq_scan(&c, window, scan_collect, got,
		    &cause) == 0);
		ATF_CHECK_STREQ_MSG(got, want, "window %zu", window);
		got[0] = '\0';
		ATF_REQUIRE(mailq_scan(&c, window, scan_arrive, got,
		    &cause) == 0);
		ATF_CHECK_STREQ_MSG(got, want, "window %zu, arrival", window);
		ATF_REQUIRE(unlink(path) == 0);
	}
	free(path);
	conf_free(&c);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(expired);
ATF_TC_BODY(expired, tc)
{
	struct conf		 c;
	struct spool_entry	 e;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	mkentry(&e, T0);
	e.age = 5 * DAY - 1;
	ATF_CHECK(!runq_expired(&c, &e));
	e.age = 5 * DAY;
	ATF_CHECK(runq_expired(&c, &e));
	e.age = 0;
	ATF_CHECK(!runq_expired(&c, &e));
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(due);
ATF_TC_BODY(due, tc)
{
	static const struct {
		const char	*what;
		time_t		 last, next, now;
		int		 want;
	} t[] = {
		{ "never tried", 0, 0, T0, 1 },
		{ "next attempt reached", T0, T0 + 5 * MIN, T0 + 5 * MIN, 1 },
		{ "next attempt passed", T0, T0 + 5 * MIN, T0 + DAY, 1 },
		{ "still backing off", T0, T0 + 5 * MIN, T0 + 4 * MIN, 0 },
		{ "just tried", T0, T0 + 4 * HOUR, T0, 0 },
		{ "clock back before the last attempt", T0, T0 + 5 * MIN,
		    T0 - 1, 1 },
		{ "clock back a year", T0, T0 + 5 * MIN, T0 - YEAR, 1 },
		{ "next attempt absurdly far (hostile state)", T0,
		    T0 + 10 * YEAR, T0 + 1, 1 },
		{ "no last attempt, next far ahead", 0, T0 + DAY, T0, 1 },
		{ "no last attempt, next soon", 0, T0 + MIN, T0, 0 },
	};
	struct conf		 c;
	struct spool_entry	 e;
	size_t			 i;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mkentry(&e, T0 - HOUR);
		e.last_attempt = t[i].last;
		e.next_attempt = t[i].next;
		if (runq_due(&c, &e, t[i].now) != t[i].want)
			atf_tc_fail("%s: due %d, want %d", t[i].what,
			    !t[i].want, t[i].want);
	}
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(schedule);
ATF_TC_BODY(schedule, tc)
{
	struct conf		 c;
	struct spool_entry	 e;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	mkentry(&e, T0);
	runq_schedule(&c, &e, T0 + 10, T0 + 20);
	ATF_CHECK_EQ(e.attempts, 1);
	ATF_CHECK_EQ(e.last_attempt, T0 + 10);
	ATF_CHECK_EQ(e.next_attempt, T0 + 20 + 5 * MIN);
	runq_schedule(&c, &e, T0 + 400, T0 + 400);
	ATF_CHECK_EQ(e.attempts, 2);
	ATF_CHECK_EQ(e.next_attempt, T0 + 400 + 10 * MIN);
	conf_free(&c);
}

/*
 * Simulate a queue run every `period` seconds of real time on an entry
 * that always fails temporarily; the wall clock is real time plus
 * `jump` from `jump_at` on.  Returns the real time of expiry and the
 * longest real gap between two attempts.
 */
static void
simulate(const struct conf *c, time_t period, time_t jump_at, time_t jump,
    time_t *expired_at, time_t *max_gap)
{
	struct spool_entry	 e, tmp;
	time_t			 real, wall, last_real = 0;

	mkentry(&e, T0);
	*max_gap = 0;
	*expired_at = -1;
	for (real = 0; real < 60 * DAY; real += period) {
		wall = T0 + real + (real >= jump_at ? jump : 0);
		tmp = e;
		runq_advance_age(c, &tmp, wall);
		if (runq_expired(c, &tmp)) {
			*expired_at = real;
			return;
		}
		if (!runq_due(c, &tmp, wall))
			continue;
		e = tmp;
		runq_schedule(c, &e, wall, wall);
		if (real - last_real > *max_gap && last_real != 0)
			*max_gap = real - last_real;
		last_real = real;
	}
}

ATF_TC_WITHOUT_HEAD(life_steady);
ATF_TC_BODY(life_steady, tc)
{
	struct conf	 c;
	time_t		 exp, gap;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	simulate(&c, 5 * MIN, 0, 0, &exp, &gap);
	ATF_CHECK(exp >= 5 * DAY);
	ATF_CHECK(exp <= 5 * DAY + 5 * MIN);
	ATF_CHECK(gap <= 4 * HOUR + 5 * MIN);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(life_clock_forward);
ATF_TC_BODY(life_clock_forward, tc)
{
	struct conf	 c;
	time_t		 exp, gap, at;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	/* A jump of a year, early or late in the entry's life. */
	for (at = 10 * MIN; at < 5 * DAY; at += 17 * HOUR) {
		simulate(&c, 5 * MIN, at, YEAR, &exp, &gap);
		if (exp < 5 * DAY - 4 * HOUR - RUNQ_AGE_SLACK)
			atf_tc_fail("jump at %lld: expired after %lld s",
			    (long long)at, (long long)exp);
		ATF_CHECK(gap <= 4 * HOUR + 5 * MIN);
	}
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(life_clock_back);
ATF_TC_BODY(life_clock_back, tc)
{
	struct conf	 c;
	time_t		 exp, gap, at;

	mkconf(&c, 5 * MIN, 4 * HOUR, 5 * DAY);
	/* A year back: never stalled longer than max_retry, still expires. */
	for (at = 10 * MIN; at < 5 * DAY; at += 17 * HOUR) {
		simulate(&c, 5 * MIN, at, -YEAR, &exp, &gap);
		if (exp < 5 * DAY || exp > 6 * DAY)
			atf_tc_fail("jump at %lld: expired after %lld s",
			    (long long)at, (long long)exp);
		if (gap > 4 * HOUR + 5 * MIN)
			atf_tc_fail("jump at %lld: stalled %lld s",
			    (long long)at, (long long)gap);
	}
	conf_free(&c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, backoff_table);
	ATF_TP_ADD_TC(tp, age_steps);
	ATF_TP_ADD_TC(tp, expired);
	ATF_TP_ADD_TC(tp, bounce_before_remove);
	ATF_TP_ADD_TC(tp, bounce_after_5xx);
	ATF_TP_ADD_TC(tp, due);
	ATF_TP_ADD_TC(tp, schedule);
	ATF_TP_ADD_TC(tp, life_steady);
	ATF_TP_ADD_TC(tp, life_clock_forward);
	ATF_TP_ADD_TC(tp, life_clock_back);
	ATF_TP_ADD_TC(tp, window_sends_all);
	ATF_TP_ADD_TC(tp, window_defers_once);
	ATF_TP_ADD_TC(tp, scan_windows);
	return (atf_no_error());
}
