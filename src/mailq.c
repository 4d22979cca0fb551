/*
 * mailq.c: list the queue (mailq, sendmail -bp) and delete an entry.
 *
 * The listing is stable, one block per entry, so scripts can parse it:
 *
 *   ID                    SIZE  ARRIVAL              SENDER
 *   0V5K2M3Q4R5S6T7U       1234  2026-11-23 10:00:00  <me@example.org>
 *     next: 2026-11-23 10:05:00  attempts: 2  last: 451 4.3.0 try later
 *     to: <a@example.org> pending  (451 4.3.0 try later)
 *     to: <b@example.org> sent
 *
 * "next: now" when the entry is due; "(bounce)" after the sender of a
 * notification we made; a recipient's last reply in parentheses.
 *
 * and a last line "-- N Kbytes in N requests." (or "Mail queue is
 * empty").  Server replies are shown escaped, as stored.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "mailq.h"
#include "spool.h"

static const char *mailq_state[] = {
	"pending", "sent", "failed", "bouncing"
};

static void	mailq_time(char *, size_t, time_t);
static void	mailq_entry(FILE *, const struct spool_entry *, time_t);

static void
mailq_time(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		buf[0] = '\0';
}

static void
mailq_entry(FILE *f, const struct spool_entry *e, time_t now)
{
	struct spool_rcpt	*r;
	char			 arrival[32], next[32];

	mailq_time(arrival, sizeof(arrival), e->created);
	fprintf(f, "%-16s %9lld  %s  <%s>%s\n", e->id, (long long)e->msg_size,
	    arrival, e->meta.sender, e->meta.is_bounce ? "  (bounce)" : "");
	if (e->attempts == 0 || e->next_attempt <= now)
		snprintf(next, sizeof(next), "now");
	else
		mailq_time(next, sizeof(next), e->next_attempt);
	fprintf(f, "  next: %s  attempts: %u  last: %s\n", next, e->attempts,
	    e->last_error != NULL ? e->last_error : "-");
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		fprintf(f, "  to: <%s> %s", r->addr, mailq_state[r->state]);
		if (r->reply != NULL && r->state != SPOOL_RCPT_SENT)
			fprintf(f, "  (%s)", r->reply);
		fputc('\n', f);
	}
}

/* Print the queue listing; returns the number of entries listed. */
int
mailq_list(const struct conf *conf, FILE *f)
{
	struct spool_entry	 e;
	char			**ids = NULL, *cause = NULL;
	size_t			 nids = 0, i;
	long long		 bytes = 0;
	time_t			 now = time(NULL);
	int			 n = 0;

	if (spool_list(conf->queue_dir, &ids, &nids, &cause) == -1) {
		fprintf(stderr, MF_PROGNAME ": %s\n", cause);
		free(cause);
		return (-1);
	}
	for (i = 0; i < nids; i++) {
		memset(&e, 0, sizeof(e));
		if (spool_open(conf->queue_dir, ids[i], 0, &e, &cause) !=
		    SPOOL_OK) {
			/* Delivered and removed meanwhile, or corrupt. */
			free(cause);
			cause = NULL;
			continue;
		}
		if (n == 0)
			fprintf(f, "%-16s %9s  %-19s  %s\n", "ID", "SIZE",
			    "ARRIVAL", "SENDER");
		mailq_entry(f, &e, now);
		bytes += e.msg_size;
		n++;
		spool_close(&e);
	}
	spool_list_free(ids, nids);
	if (n == 0)
		fprintf(f, "Mail queue is empty\n");
	else
		fprintf(f, "-- %lld Kbytes in %d request%s.\n",
		    (bytes + 1023) / 1024, n, n == 1 ? "" : "s");
	return (n);
}

/*
 * Delete one entry: allowed to root and to the user who queued it.
 * A locked entry (being delivered) is left alone.  Returns 0, -1 (no
 * such entry, being delivered, error) or -2 (not the caller's).
 */
int
mailq_delete(const struct conf *conf, const char *id, uid_t uid,
    char **cause)
{
	struct spool_entry	 e;
	int			 r;

	if (!spool_id_valid(id)) {
		xasprintf(cause, "%s: not a queue id", id);
		return (-1);
	}
	memset(&e, 0, sizeof(e));
	/* Another user's entry is refused before it is ever locked. */
	r = spool_open_owned(conf->queue_dir, id, LOCK_EX | LOCK_NB,
	    uid == 0 ? SPOOL_ANY_OWNER : uid, &e, cause);
	if (r == SPOOL_NOT_MINE) {
		xasprintf(cause, "%s: not yours", id);
		return (-2);
	}
	if (r == SPOOL_LOCKED) {
		xasprintf(cause, "%s: being delivered, try again", id);
		return (-1);
	}
	if (r == SPOOL_GONE) {
		xasprintf(cause, "%s: no such entry", id);
		return (-1);
	}
	if (r != SPOOL_OK)
		return (-1);
	if (uid != 0 && uid != e.uid) {
		spool_close(&e);
		xasprintf(cause, "%s: not yours", id);
		return (-2);
	}
	r = spool_remove(conf->queue_dir, &e, cause);
	spool_close(&e);
	if (r == -1)
		return (-1);
	log_info("id=%s: deleted by uid %lu", id, (unsigned long)uid);
	return (0);
}
