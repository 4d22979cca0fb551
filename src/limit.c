/*
 * limit.c: how many sessions to the smarthost, how many messages a
 * minute (or second, hour, day): [smarthost] max_sessions, max_rate.
 *
 * Both live in sessions/ under the queue directory (root:mailferry
 * 0770, checked like the other subdirectories), shared by every run of
 * mailferry-send on the spool, and so per configured smarthost:
 *
 *   sessions/slot.K  K = 0 .. max_sessions-1: empty files (0660).  A run
 *                    holds one with flock(LOCK_EX|LOCK_NB) for as long
 *                    as it may talk to the smarthost; the kernel lets
 *                    go when the run ends, however it ends.  slot.0 is
 *                    kept for trusted runs (root's, or any run of an
 *                    install without set-id helpers): an ordinary user
 *                    can stop a run of their own (SIGSTOP) while it
 *                    holds a slot, which must not stop the queue for
 *                    everyone else.
 *   sessions/run.any, sessions/run.UID
 *                    empty files (0660).  A run that takes every due
 *                    entry it may (not -I alone, not -F) holds LOCK_SH
 *                    on one of them while it holds a slot: run.any for a
 *                    trusted run (every owner's entries), run.UID for an
 *                    ordinary user's run (that user's only).  It lets go
 *                    before its last look at msg/ (runq.c).  The run
 *                    that follows a submission (-q -I id) first tries
 *                    LOCK_EX|LOCK_NB on the files of the runs that would
 *                    take its entry: if one is held, that run will see
 *                    the entry, already committed, before it ends, so
 *                    the submission leaves it to it instead of opening
 *                    one more session.  Nobody waits on these locks: a
 *                    run that cannot take LOCK_SH at once (a probe holds
 *                    LOCK_EX for a moment) just does not advertise, and
 *                    an ordinary user's stopped run only holds back
 *                    that user's own submissions.
 *   sessions/sent.T.PID.N
 *                    one empty file per message handed to the smarthost
 *                    (T: time(3) when it was made, PID and N make it
 *                    unique).  A run that wants to send k messages first
 *                    makes k of them, then counts every one younger than
 *                    the rate's period: it may send as many as leave the
 *                    count within max_rate and removes the others.  The
 *                    last run to count sees every file made before, so
 *                    concurrent runs never send more than max_rate
 *                    together (they may send fewer), and no lock exists
 *                    that a stopped run could hold.  Files older than
 *                    the period, or further in the future than one
 *                    period (the clock was set back), are removed.
 *
 * Every failure is on the safe side: the mail waits in the queue.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "limit.h"
#include "spool.h"

#define LIMIT_DIR	"sessions"
#define LIMIT_NAME_MAX	64
#define LIMIT_MARK_TRIES 5	/* limit_run_mark(), 1 ms apart */

static int	limit_dir(const struct conf *, char **);
static long long limit_token_time(const char *);
static size_t	limit_count(int, time_t, time_t, char **);
static int	limit_run_open(int, uid_t);

/* Open sessions/ under the queue directory. */
static int
limit_dir(const struct conf *conf, char **cause)
{
	char	 path[PATH_MAX];
	int	 fd, n;

	n = snprintf(path, sizeof(path), "%s/" LIMIT_DIR, conf->queue_dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		xasprintf(cause, "%s: path too long", conf->queue_dir);
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	return (fd);
}

/*
 * Take a free session slot: 0 with *fdp holding it, LIMIT_BUSY when
 * every slot this run may use is held, -1 with cause on an error.
 */
int
limit_session_take(const struct conf *conf, int trusted, int *fdp,
    char **cause)
{
	char		 name[LIMIT_NAME_MAX];
	unsigned int	 k;
	int		 dfd, fd;

	*fdp = -1;
	if ((dfd = limit_dir(conf, cause)) == -1)
		return (-1);
	for (k = trusted ? 0 : 1; k < conf->max_sessions; k++) {
		snprintf(name, sizeof(name), "slot.%u", k);
		if ((fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0660)) == -1) {
			xasprintf(cause, "%s/" LIMIT_DIR "/%s: %s",
			    conf->queue_dir, name, strerror(errno));
			close(dfd);
			return (-1);
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			log_debug("session slot %u of %u taken", k,
			    conf->max_sessions);
			*fdp = fd;
			close(dfd);
			return (0);
		}
		close(fd);
	}
	close(dfd);
	return (LIMIT_BUSY);
}

/* Open sessions/run.any (owner SPOOL_ANY_OWNER) or run.UID. */
static int
limit_run_open(int dfd, uid_t owner)
{
	char	 name[LIMIT_NAME_MAX];

	if (owner == SPOOL_ANY_OWNER)
		snprintf(name, sizeof(name), "run.any");
	else
		snprintf(name, sizeof(name), "run.%lu", (unsigned long)owner);
	return (openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0660));
}

/*
 * Say that a run taking owner's entries (SPOOL_ANY_OWNER: everyone's) is
 * active: *fdp holds the mark, or -1 when it could not be taken at once
 * (best effort: then later submissions just start runs of their own).
 */
void
limit_run_mark(const struct conf *conf, uid_t owner, int *fdp)
{
	char	*cause = NULL;
	int	 dfd, fd, i;

	*fdp = -1;
	if ((dfd = limit_dir(conf, &cause)) == -1) {
		free(cause);
		return;
	}
	fd = limit_run_open(dfd, owner);
	close(dfd);
	if (fd == -1)
		return;
	/* A probe holds LOCK_EX for microseconds: try a few times. */
	for (i = 0; i < LIMIT_MARK_TRIES; i++) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			*fdp = fd;
			return;
		}
		usleep(1000);
	}
	close(fd);
}

/*
 * Whether a run that will take an entry of uid (trusted: a run of
 * everyone's entries only) is active, per limit_run_mark().
 */
int
limit_run_active(const struct conf *conf, int trusted, uid_t uid)
{
	char	*cause = NULL;
	uid_t	 owners[2] = { SPOOL_ANY_OWNER, uid };
	int	 dfd, fd, i, active = 0;

	if ((dfd = limit_dir(conf, &cause)) == -1) {
		free(cause);
		return (0);
	}
	for (i = 0; i < (trusted ? 1 : 2) && !active; i++) {
		if ((fd = limit_run_open(dfd, owners[i])) == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1)
			active = errno == EWOULDBLOCK;
		close(fd);
	}
	close(dfd);
	return (active);
}

/* Give a session slot back (the file stays for the next run). */
void
limit_session_release(int *fdp)
{
	if (*fdp == -1)
		return;
	close(*fdp);
	*fdp = -1;
}

/* T of a token name "sent.T.PID.N", or -1 if it is not one. */
static long long
limit_token_time(const char *name)
{
	const char	*errstr;
	char		 t[24];
	long long	 v;
	size_t		 len;

	if (strncmp(name, "sent.", 5) != 0)
		return (-1);
	name += 5;
	len = strcspn(name, ".");
	if (len == 0 || len >= sizeof(t) || name[len] != '.')
		return (-1);
	memcpy(t, name, len);
	t[len] = '\0';
	v = strtonum(t, 0, LLONG_MAX, &errstr);
	return (errstr != NULL ? -1 : v);
}

/*
 * Count the tokens made within per seconds before now, removing the
 * stale ones; (size_t)-1 with cause on an error.
 */
static size_t
limit_count(int dfd, time_t now, time_t per, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	long long	 t;
	size_t		 n = 0;
	int		 fd;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		xasprintf(cause, LIMIT_DIR ": %s", strerror(errno));
		return ((size_t)-1);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if ((t = limit_token_time(de->d_name)) == -1)
			continue;
		if (t <= (long long)(now - per) || t > (long long)(now + per))
			(void)unlinkat(dfd, de->d_name, 0);
		else
			n++;
	}
	closedir(d);
	return (n);
}

/*
 * How many of want messages may go to the smarthost now under
 * max_rate (all of them when it is 0).  0 with cause on an error.
 */
size_t
limit_rate_take(const struct conf *conf, size_t want, time_t now,
    char **cause)
{
	char		 name[LIMIT_NAME_MAX];
	size_t		 made, n, others, grant;
	int		 dfd, fd;

	if (conf->max_rate.count == 0 || want == 0)
		return (want);
	if ((dfd = limit_dir(conf, cause)) == -1)
		return (0);
	if (want > conf->max_rate.count)
		want = conf->max_rate.count;
	for (made = 0; made < want; made++) {
		snprintf(name, sizeof(name), "sent.%lld.%ld.%zu",
		    (long long)now, (long)getpid(), made);
		if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0660)) == -1)
			break;
		close(fd);
	}
	if ((n = limit_count(dfd, now, conf->max_rate.per, cause)) ==
	    (size_t)-1)
		n = SIZE_MAX / 2;
	/* Ours fit in what the others' tokens leave. */
	others = n > made ? n - made : 0;
	grant = others >= conf->max_rate.count ? 0 :
	    conf->max_rate.count - others;
	if (grant > made)
		grant = made;
	while (made > grant) {
		made--;
		snprintf(name, sizeof(name), "sent.%lld.%ld.%zu",
		    (long long)now, (long)getpid(), made);
		(void)unlinkat(dfd, name, 0);
	}
	close(dfd);
	return (grant);
}
