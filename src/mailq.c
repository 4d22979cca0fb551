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
 * empty").  Addresses, replies and errors come from a spool entry,
 * which is hostile input: they are printed through log_escape(), so
 * control bytes (C0, DEL and every byte of a non-ASCII character, C1
 * controls included) show as \xHH and cannot move the terminal.
 * Replies and errors are stored escaped (spool_state.c) and shown as
 * stored when they are printable ASCII.
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
static void	mailq_put(FILE *, const char *, const char *, const char *,
		    int);
static void	mailq_entry(FILE *, const struct spool_entry *, time_t);

static void
mailq_time(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		buf[0] = '\0';
}

/*
 * Print pre, s escaped by log_escape(), post: an entry is hostile.
 * Stored replies are escaped already (spool_state.c): with stored set,
 * text that is all printable ASCII is shown as it is.
 */
static void
mailq_put(FILE *f, const char *pre, const char *s, const char *post,
    int stored)
{
	const char	*p;
	char		*esc;

	for (p = s; stored && *p >= 0x20 && *p <= 0x7e; p++)
		;
	if (stored && *p == '\0') {
		fprintf(f, "%s%s%s", pre, s, post);
		return;
	}
	esc = log_escape(s, strlen(s));
	fprintf(f, "%s%s%s", pre, esc, post);
	free(esc);
}

static void
mailq_entry(FILE *f, const struct spool_entry *e, time_t now)
{
	struct spool_rcpt	*r;
	char			 arrival[32], next[32];

	mailq_time(arrival, sizeof(arrival), e->created);
	fprintf(f, "%-16s %9lld  %s  ", e->id, (long long)e->msg_size,
	    arrival);
	mailq_put(f, "<", e->meta.sender, ">", 0);
	fprintf(f, "%s\n", e->meta.is_bounce ? "  (bounce)" : "");
	if (e->attempts == 0 || e->next_attempt <= now)
		snprintf(next, sizeof(next), "now");
	else
		mailq_time(next, sizeof(next), e->next_attempt);
	fprintf(f, "  next: %s  attempts: %u  last: ", next, e->attempts);
	mailq_put(f, "", e->last_error != NULL ? e->last_error : "-",
	    "\n", 1);
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		mailq_put(f, "  to: <", r->addr, ">", 0);
		fprintf(f, " %s", mailq_state[r->state]);
		if (r->reply != NULL && r->state != SPOOL_RCPT_SENT)
			mailq_put(f, "  (", r->reply, ")", 1);
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
