/*
 * Delivery state of spool entries, and queue maintenance.
 *
 * State file state/ID, written only by mailferry-send while it holds
 * the entry's lock, always as a whole: tmp/ID.state, fsync, rename,
 * fsync(state/).  A missing file means a fresh entry.
 *
 *	"mailferry-state 1" LF
 *	id ID			must match the entry
 *	attempts N		0..SPOOL_ATTEMPTS_MAX
 *	last_attempt N		time_t, 0 = never
 *	next_attempt N		time_t, 0 = now
 *	warned 0|1		delay warning sent
 *	age N			optional (0 when missing): seconds the entry
 *				has been queued, as runq.c accounts them
 *				(immune to wall-clock jumps)
 *	last_error TEXT		optional
 *	rcpt I STATE[ TEXT]	optional, once per index I (0-based, in the
 *				entry's order); STATE is pending, sent,
 *				failed, or bouncing (failed, and its bounce
 *				is not queued yet: the entry stays until it
 *				is); TEXT the last reply
 *
 * Numbers are plain decimals (no sign, no leading zero).  TEXT is
 * 1..SPOOL_REPLY_MAX bytes of printable ASCII (0x20-0x7e): replies are
 * escaped with log_escape() before they are stored.  Each key except
 * rcpt appears once; the reader refuses anything else, and a refused
 * state file makes the whole entry corrupt.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "spool.h"
#include "util.h"

#define STATE_MAGIC		"mailferry-state 1"
#define SPOOL_ATTEMPTS_MAX	1000000
#define STATE_LINE_MAX		(SPOOL_REPLY_MAX + 64)

enum skey {
	SK_ID, SK_ATTEMPTS, SK_LAST, SK_NEXT, SK_WARNED, SK_ERROR, SK_RCPT,
	SK_AGE, SK_MAX
};

static const char *const skeys[SK_MAX] = {
	"id", "attempts", "last_attempt", "next_attempt", "warned",
	"last_error", "rcpt", "age"
};

struct sparse {
	struct spool_entry	 *e;
	struct spool_rcpt	**rcpts;	/* by index */
	size_t			  nrcpt;
	unsigned char		 *done;		/* rcpt index seen */
	unsigned int		  seen;
};

static int	st_text(const char *);
static int	st_rcpt(struct sparse *, char *);
static int	st_line(struct sparse *, char *);
static int	st_parse(struct sparse *, char *, size_t, char **);
static char	*st_clean(const char *);
static int	st_read(int, char **, size_t *, char **);
static int	fsync_dir(const char *, const char *);
static int	spool_rec_cmp(const void *, const void *);
static char	**spool_list_pack(const char *, size_t);
static DIR	*spool_list_open(const char *, char **);
static void	spool_heap_down(char *, size_t, size_t);
static void	spool_heap_up(char *, size_t, const char *);
static void	st_format(FILE *, const struct spool_entry *);
static int	clean_dir(const char *, const char *, time_t, int);

/* The state's name as stored: pending, sent or failed. */
const char *
spool_rcpt_state_name(enum spool_rcpt_state s)
{
	switch (s) {
	case SPOOL_RCPT_SENT:
		return ("sent");
	case SPOOL_RCPT_FAILED:
		return ("failed");
	case SPOOL_RCPT_BOUNCING:
		return ("bouncing");
	case SPOOL_RCPT_PENDING:
		break;
	}
	return ("pending");
}

static int
st_text(const char *s)
{
	size_t	 len = strlen(s);

	if (len == 0 || len > SPOOL_REPLY_MAX)
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return (-1);
	}
	return (0);
}

static int
st_rcpt(struct sparse *sp, char *v)
{
	struct spool_rcpt	*r;
	char			*word, *text;
	long long		 idx;

	if ((word = strchr(v, ' ')) == NULL)
		return (-1);
	*word++ = '\0';
	if ((text = strchr(word, ' ')) != NULL)
		*text++ = '\0';
	if (util_decimal(v, strlen(v), SPOOL_RCPT_MAX, &idx) == -1 ||
	    (size_t)idx >= sp->nrcpt || sp->done[idx])
		return (-1);
	sp->done[idx] = 1;
	r = sp->rcpts[idx];
	if (strcmp(word, "sent") == 0)
		r->state = SPOOL_RCPT_SENT;
	else if (strcmp(word, "failed") == 0)
		r->state = SPOOL_RCPT_FAILED;
	else if (strcmp(word, "pending") == 0)
		r->state = SPOOL_RCPT_PENDING;
	else if (strcmp(word, "bouncing") == 0)
		r->state = SPOOL_RCPT_BOUNCING;
	else
		return (-1);
	if (text != NULL) {
		if (st_text(text) == -1)
			return (-1);
		r->reply = xstrdup(text);
	}
	return (0);
}

static int
st_line(struct sparse *sp, char *line)
{
	struct spool_entry	*e = sp->e;
	char			*v;
	long long		 n;
	int			 k;

	if ((v = strchr(line, ' ')) == NULL)
		return (-1);
	*v++ = '\0';
	for (k = 0; k < SK_MAX; k++) {
		if (strcmp(line, skeys[k]) == 0)
			break;
	}
	if (k == SK_MAX || (k != SK_RCPT && (sp->seen & (1U << k)) != 0))
		return (-1);
	sp->seen |= 1U << k;
	switch (k) {
	case SK_ID:
		return (strcmp(v, e->id) == 0 ? 0 : -1);
	case SK_ATTEMPTS:
		if (util_decimal(v, strlen(v), SPOOL_ATTEMPTS_MAX, &n) == -1)
			return (-1);
		e->attempts = n;
		return (0);
	case SK_LAST:
	case SK_NEXT:
	case SK_AGE:
		if (util_decimal(v, strlen(v), LLONG_MAX, &n) == -1)
			return (-1);
		if (k == SK_LAST)
			e->last_attempt = n;
		else if (k == SK_NEXT)
			e->next_attempt = n;
		else
			e->age = n;
		return (0);
	case SK_WARNED:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return (-1);
		e->warned = (v[0] == '1');
		return (0);
	case SK_ERROR:
		if (st_text(v) == -1)
			return (-1);
		e->last_error = xstrdup(v);
		return (0);
	case SK_RCPT:
		return (st_rcpt(sp, v));
	}
	return (-1);
}

/* Parse a whole state file held in buf (len bytes, NUL after them). */
static int
st_parse(struct sparse *sp, char *buf, size_t len, char **cause)
{
	char	*line, *nl;
	size_t	 mlen = strlen(STATE_MAGIC);
	int	 k;

	if (memchr(buf, '\0', len) != NULL || len == 0 ||
	    buf[len - 1] != '\n') {
		xasprintf(cause, "state: NUL or unterminated line");
		return (-1);
	}
	if (len <= mlen || memcmp(buf, STATE_MAGIC "\n", mlen + 1) != 0) {
		xasprintf(cause, "state: bad magic");
		return (-1);
	}
	for (line = buf + mlen + 1; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		if (nl - line > STATE_LINE_MAX || st_line(sp, line) == -1) {
			xasprintf(cause, "state: bad line");
			return (-1);
		}
	}
	for (k = 0; k < SK_MAX; k++) {
		if (k != SK_ERROR && k != SK_RCPT && k != SK_AGE &&
		    (sp->seen & (1U << k)) == 0) {
			xasprintf(cause, "state: %s missing", skeys[k]);
			return (-1);
		}
	}
	return (0);
}

/* Read a whole state file: 0, SPOOL_CORRUPT or -1 (cause set). */
static int
st_read(int fd, char **bufp, size_t *lenp, char **cause)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 r;

	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "state: fstat: %s", strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_mode & S_IWOTH) != 0 || st.st_size > SPOOL_STATE_MAX) {
		xasprintf(cause, "state: not a plain file or too large");
		return (SPOOL_CORRUPT);
	}
	buf = xmalloc(st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			xasprintf(cause, "state: reading: %s", r == 0 ?
			    "file shrank" : strerror(errno));
			free(buf);
			return (r == 0 ? SPOOL_CORRUPT : -1);
		}
		got += r;
	}
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	return (0);
}

/*
 * Load state/ID into e (called by spool_open with the entry locked).
 * Returns SPOOL_OK, SPOOL_CORRUPT or -1, with cause set on failure.
 */
int
spool_state_load(const char *dir, struct spool_entry *e, char **cause)
{
	struct sparse		 sp;
	struct spool_rcpt	*r;
	char			 path[PATH_MAX], *buf = NULL;
	size_t			 len, i = 0;
	int			 fd, rv;

	if ((size_t)snprintf(path, sizeof(path), "%s/state/%s", dir, e->id) >=
	    sizeof(path)) {
		xasprintf(cause, "%s: path too long", dir);
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (SPOOL_OK);
		xasprintf(cause, "state: %s", strerror(errno));
		return ((errno == ELOOP || errno == EMLINK || errno == ENXIO) ?
		    SPOOL_CORRUPT : -1);
	}
	rv = st_read(fd, &buf, &len, cause);
	close(fd);
	if (rv != 0)
		return (rv);
	memset(&sp, 0, sizeof(sp));
	sp.e = e;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		sp.nrcpt++;
	sp.rcpts = xcalloc(sp.nrcpt + 1, sizeof(*sp.rcpts));
	sp.done = xcalloc(sp.nrcpt + 1, 1);
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		sp.rcpts[i++] = r;
	rv = st_parse(&sp, buf, len, cause) == 0 ? SPOOL_OK : SPOOL_CORRUPT;
	free(sp.rcpts);
	free(sp.done);
	free(buf);
	return (rv);
}

/* A storable copy of text: printable ASCII, at most SPOOL_REPLY_MAX. */
static char *
st_clean(const char *s)
{
	char	*out;

	if (s == NULL || *s == '\0')
		return (NULL);
	if (st_text(s) == 0)
		return (xstrdup(s));
	out = log_escape(s, strlen(s));
	if (strlen(out) > SPOOL_REPLY_MAX)
		out[SPOOL_REPLY_MAX] = '\0';
	return (out);
}

static int
fsync_dir(const char *dir, const char *sub)
{
	char	 path[PATH_MAX];
	int	 fd, rv;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	close(fd);
	return (rv);
}

static void
st_format(FILE *f, const struct spool_entry *e)
{
	struct spool_rcpt	*r;
	char			*s;
	size_t			 i = 0;

	fprintf(f, "%s\nid %s\nattempts %u\nlast_attempt %lld\n"
	    "next_attempt %lld\nwarned %d\n", STATE_MAGIC, e->id,
	    e->attempts > SPOOL_ATTEMPTS_MAX ? SPOOL_ATTEMPTS_MAX : e->attempts,
	    (long long)(e->last_attempt < 0 ? 0 : e->last_attempt),
	    (long long)(e->next_attempt < 0 ? 0 : e->next_attempt),
	    e->warned ? 1 : 0);
	if (e->age > 0)
		fprintf(f, "age %lld\n", (long long)e->age);
	if ((s = st_clean(e->last_error)) != NULL)
		fprintf(f, "last_error %s\n", s);
	free(s);
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		s = st_clean(r->reply);
		if (r->state != SPOOL_RCPT_PENDING || s != NULL)
			fprintf(f, "rcpt %zu %s%s%s\n", i,
			    spool_rcpt_state_name(r->state),
			    s != NULL ? " " : "", s != NULL ? s : "");
		free(s);
		i++;
	}
}

/*
 * Atomically replace state/ID with the state held in e.  The caller
 * holds the entry's lock, so tmp/ID.state is ours to reuse.
 */
int
spool_state_write(const char *dir, const struct spool_entry *e, char **cause)
{
	char	 tmp[PATH_MAX], path[PATH_MAX];
	FILE	*f;
	int	 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s.state", dir,
	    e->id) >= sizeof(tmp) || (size_t)snprintf(path, sizeof(path),
	    "%s/state/%s", dir, e->id) >= sizeof(path)) {
		xasprintf(cause, "%s: path too long", dir);
		return (-1);
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	st_format(f, e);
	if (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) == -1) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1 ||
	    fsync_dir(dir, "state") == -1)
		goto fail;
	return (0);
fail:
	xasprintf(cause, "writing state of %s: %s", e->id, strerror(errno));
	(void)unlink(tmp);
	return (-1);
}

/*
 * Listings hold ids as fixed-size records (SPOOL_REC bytes, NUL
 * included) and hand them out as one allocation: the pointer array,
 * then the records.  40 bytes per id as one malloc each became 25.
 */
#define SPOOL_REC	(SPOOL_ID_LEN + 1)

static int
spool_rec_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));
}

/* n records (sorted by the caller) as spool_list_oldest()'s array. */
static char **
spool_list_pack(const char *recs, size_t n)
{
	char	**ids, *p;
	size_t	  i;

	if (n == 0)
		return (NULL);
	ids = xreallocarray(NULL, n, sizeof(*ids) + SPOOL_REC);
	p = (char *)(ids + n);
	memcpy(p, recs, n * SPOOL_REC);
	for (i = 0; i < n; i++)
		ids[i] = p + i * SPOOL_REC;
	return (ids);
}

/* Open dir/msg; NULL with *cause set, or NULL and no cause if absent. */
static DIR *
spool_list_open(const char *dir, char **cause)
{
	char	 path[PATH_MAX];
	DIR	*d;

	*cause = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/msg", dir) >=
	    sizeof(path)) {
		xasprintf(cause, "%s: path too long", dir);
		return (NULL);
	}
	if ((d = opendir(path)) == NULL && errno != ENOENT)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	return (d);
}

/* Restore the max-heap of h[0..n) from i down (h[i] may be too small). */
static void
spool_heap_down(char *h, size_t n, size_t i)
{
	char	 t[SPOOL_REC];
	size_t	 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && strcmp(h + (c + 1) * SPOOL_REC,
		    h + c * SPOOL_REC) > 0)
			c++;
		if (strcmp(h + c * SPOOL_REC, h + i * SPOOL_REC) <= 0)
			break;
		memcpy(t, h + i * SPOOL_REC, SPOOL_REC);
		memcpy(h + i * SPOOL_REC, h + c * SPOOL_REC, SPOOL_REC);
		memcpy(h + c * SPOOL_REC, t, SPOOL_REC);
	}
}

/* Add id to the max-heap h[0..n) (room for one more). */
static void
spool_heap_up(char *h, size_t n, const char *id)
{
	size_t	 i = n, p;

	for (; i > 0 && strcmp(h + (p = (i - 1) / 2) * SPOOL_REC, id) < 0;
	    i = p)
		memcpy(h + i * SPOOL_REC, h + p * SPOOL_REC, SPOOL_REC);
	memcpy(h + i * SPOOL_REC, id, SPOOL_REC);
}

/*
 * The max oldest ids in msg/ that skip(arg, id) (if not NULL) does not
 * refuse, sorted; names of other shapes are skipped.  One readdir pass
 * and a heap of max ids: a queue run's or mailq's window, so that
 * memory does not grow with the queue.  newest (SPOOL_ID_LEN + 1
 * bytes) is raised to the newest id seen, refused or not.
 */
int
spool_list_oldest(const char *dir, size_t max,
    int (*skip)(void *, const char *), void *arg, char *newest,
    char ***idsp, size_t *np, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*heap;
	size_t		 n = 0;

	*idsp = NULL;
	*np = 0;
	if (max == 0 || (d = spool_list_open(dir, cause)) == NULL)
		return (max != 0 && *cause != NULL ? -1 : 0);
	heap = xreallocarray(NULL, max, SPOOL_REC);
	while ((de = readdir(d)) != NULL) {
		if (!spool_id_valid(de->d_name))
			continue;
		if (strcmp(de->d_name, newest) > 0)
			memcpy(newest, de->d_name, SPOOL_REC);
		if (skip != NULL && skip(arg, de->d_name))
			continue;
		if (n < max)
			spool_heap_up(heap, n++, de->d_name);
		else if (strcmp(de->d_name, heap) < 0) {
			memcpy(heap, de->d_name, SPOOL_REC);
			spool_heap_down(heap, n, 0);
		}
	}
	closedir(d);
	if (n > 0)
		qsort(heap, n, SPOOL_REC, spool_rec_cmp);
	*idsp = spool_list_pack(heap, n);
	*np = n;
	free(heap);
	return (0);
}

/* Free what spool_list_oldest() returned. */
void
spool_list_free(char **ids, size_t n)
{
	(void)n;
	free(ids);
}

/*
 * Remove a delivered entry (the caller holds its lock).  The message
 * goes first: a crash in between leaves a state file without an entry,
 * which spool_clean_tmp removes, never an entry that looks fresh.
 */
int
spool_remove(const char *dir, const struct spool_entry *e, char **cause)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/msg/%s", dir, e->id);
	if ((unlink(path) == -1 && errno != ENOENT) ||
	    fsync_dir(dir, "msg") == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/state/%s", dir, e->id);
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return (0);
		goto fail;
	}
	if (fsync_dir(dir, "state") == -1)
		goto fail;
	return (0);
fail:
	xasprintf(cause, "removing %s: %s", e->id, strerror(errno));
	return (-1);
}

/*
 * A queue run removes its delivered entries in bulk, with spool_remove's
 * order and fewer fsyncs: spool_unlink_msg() for each (the caller holds
 * its lock), then spool_sync_removed() for all of them -- one fsync of
 * msg/, then their state files and one fsync of state/.  A crash in
 * between still leaves state files without entries, never an entry
 * that looks fresh.  One fsync per entry made a run over a big queue
 * wait on the disk for each message.
 */
int
spool_unlink_msg(const char *dir, const char *id, char **cause)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/msg/%s", dir, id);
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "removing %s: %s", id, strerror(errno));
		return (-1);
	}
	return (0);
}

/* The second half of a bulk removal: see spool_unlink_msg(). */
int
spool_sync_removed(const char *dir, char *const *ids, size_t n,
    char **cause)
{
	char	 path[PATH_MAX];
	size_t	 i;
	int	 unlinked = 0;

	if (n == 0)
		return (0);
	if (fsync_dir(dir, "msg") == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/state/%s", dir, ids[i]);
		if (unlink(path) == 0)
			unlinked = 1;
		else if (errno != ENOENT)
			goto fail;
	}
	if (unlinked && fsync_dir(dir, "state") == -1)
		goto fail;
	return (0);
fail:
	xasprintf(cause, "removing delivered entries: %s", strerror(errno));
	return (-1);
}

/* Move a corrupt entry and its state into corrupt/ for inspection. */
int
spool_quarantine(const char *dir, const char *id, char **cause)
{
	char	 from[PATH_MAX], to[PATH_MAX];
	int	 try;

	if (!spool_id_valid(id)) {
		xasprintf(cause, "invalid queue id");
		return (-1);
	}
	snprintf(from, sizeof(from), "%s/msg/%s", dir, id);
	snprintf(to, sizeof(to), "%s/corrupt/%s", dir, id);
	for (try = 0; rename(from, to) == -1; try++) {
		if (errno != ENOENT || try > 0)
			goto fail;
		/* corrupt/ may be missing (older spools); create it once. */
		if (spool_mkdirs(dir, cause) == -1)
			return (-1);
	}
	snprintf(from, sizeof(from), "%s/state/%s", dir, id);
	snprintf(to, sizeof(to), "%s/corrupt/%s.state", dir, id);
	if (rename(from, to) == -1 && errno != ENOENT)
		goto fail;
	if (fsync_dir(dir, "corrupt") == -1 || fsync_dir(dir, "msg") == -1)
		goto fail;
	return (0);
fail:
	xasprintf(cause, "quarantining %s: %s", id, strerror(errno));
	return (-1);
}

static int
clean_dir(const char *dir, const char *sub, time_t max_age, int orphans)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[PATH_MAX];
	time_t		 now = time(NULL);
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return (errno == ENOENT ? 0 : -1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || S_ISDIR(st.st_mode) ||
		    now - st.st_mtime <= max_age)
			continue;
		/* A state file is an orphan once its entry is gone. */
		if (orphans) {
			snprintf(path, sizeof(path), "%s/msg/%s", dir,
			    de->d_name);
			if (!spool_id_valid(de->d_name) ||
			    lstat(path, &st) == 0 || errno != ENOENT)
				continue;
		}
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

/*
 * Remove files in tmp/ older than max_age seconds (a writer that died)
 * and state files whose entry is gone.  Returns how many, or -1.
 */
int
spool_clean_tmp(const char *dir, time_t max_age, char **cause)
{
	int	 n, m;

	if ((n = clean_dir(dir, "tmp", max_age, 0)) == -1 ||
	    (m = clean_dir(dir, "state", max_age, 1)) == -1) {
		xasprintf(cause, "cleaning %s: %s", dir, strerror(errno));
		return (-1);
	}
	return (n + m);
}
