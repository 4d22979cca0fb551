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
 *
 * mailq --json (mailferry-send -p -j) prints the same entries as ONE
 * JSON document (RFC 8259), one entry per line inside "entries":
 *
 *   {"version":1,"time":1764781494,"entries":[
 *   {"id":"0V5K2M3Q4R5S6T7U","created":1764781000,
 *    "created_iso":"2026-12-03T17:00:00Z","age":494,"size":1234,
 *    "sender":"me@example.org","bounce":false,"attempts":2,
 *    "last_attempt":1764781300,"next_attempt":1764781600,
 *    "next_attempt_iso":"2026-12-03T17:13:20Z","due":false,
 *    "last_error":"451 4.3.0 try later",
 *    "recipients":[{"address":"a@example.org","state":"pending",
 *                   "reply":"451 4.3.0 try later"}]}
 *   ],"count":1,"bytes":1234}
 *
 * Times are seconds since the epoch and ISO 8601 in UTC; age is now
 * minus created (never negative); sender "" is the null sender;
 * last_attempt, last_error and reply are null when there is none;
 * state is pending, sent, failed or bouncing.  Strings go through
 * json_put_string() (json.c): hostile bytes come out as \u escapes.
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
#include "json.h"
#include "mailq.h"
#include "spool.h"

/* mailq_scan()'s place in the queue: after this id, up to that one. */
struct mailq_window {
	char	 after[SPOOL_ID_LEN + 1];
	char	 last[SPOOL_ID_LEN + 1];
};

/* What the listing callbacks share. */
struct mailq_out {
	FILE		*f;
	time_t		 now;
	int		 n;
	long long	 bytes;
};

static const char *mailq_state[] = {
	"pending", "sent", "failed", "bouncing"
};

static void	mailq_time(char *, size_t, time_t);
static void	mailq_put(FILE *, const char *, const char *, const char *,
		    int);
static void	mailq_entry(FILE *, const struct spool_entry *, time_t);
static void	mailq_text(const struct spool_entry *, void *);
static int	mailq_skip(void *, const char *);
static void	mailq_visit(const struct conf *, const char *,
		    void (*)(const struct spool_entry *, void *), void *);
static void	mailq_iso(char *, size_t, time_t);
static void	mailq_json_head(const struct mailq_out *);
static void	mailq_json_opt(FILE *, const char *, const char *);
static void	mailq_json_entry(const struct spool_entry *, void *);

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

/* spool_list_oldest()'s filter: listed already, or arrived since. */
static int
mailq_skip(void *arg, const char *id)
{
	const struct mailq_window	*w = arg;

	return (strcmp(id, w->after) <= 0 ||
	    (w->last[0] != '\0' && strcmp(id, w->last) > 0));
}

/* Call fn for entry id, unlocked, unless it is gone or unreadable. */
static void
mailq_visit(const struct conf *conf, const char *id,
    void (*fn)(const struct spool_entry *, void *), void *arg)
{
	struct spool_entry	 e;
	char			*why = NULL;

	memset(&e, 0, sizeof(e));
	if (spool_open(conf->queue_dir, id, 0, &e, &why) != SPOOL_OK) {
		/* Delivered and removed meanwhile, or corrupt. */
		free(why);
		return;
	}
	fn(&e, arg);
	spool_close(&e);
}

/*
 * Call fn for every readable entry of the queue, unlocked (a listing
 * never waits for a delivery), oldest first.  The queue is read window
 * entries at a time (0: SPOOL_WINDOW), so that memory stays flat
 * however long the queue; entries that arrive meanwhile are left out,
 * as a single listing would.  Returns 0, or -1 with cause if the queue
 * cannot be listed.
 */
int
mailq_scan(const struct conf *conf, size_t window,
    void (*fn)(const struct spool_entry *, void *), void *arg, char **cause)
{
	struct mailq_window	 w;
	char			**ids = NULL, newest[SPOOL_ID_LEN + 1] = "";
	size_t			 nids = 0, i;

	memset(&w, 0, sizeof(w));
	if (window == 0)
		window = SPOOL_WINDOW;
	do {
		if (spool_list_oldest(conf->queue_dir, window,
		    mailq_skip, &w, newest, &ids, &nids, cause) == -1)
			return (-1);
		/* The first listing sets the end. */
		if (w.last[0] == '\0')
			memcpy(w.last, newest, sizeof(w.last));
		for (i = 0; i < nids; i++)
			mailq_visit(conf, ids[i], fn, arg);
		if (nids > 0)
			memcpy(w.after, ids[nids - 1], sizeof(w.after));
		spool_list_free(ids, nids);
	} while (nids == window);
	return (0);
}

static void
mailq_text(const struct spool_entry *e, void *arg)
{
	struct mailq_out	*o = arg;

	if (o->n == 0)
		fprintf(o->f, "%-16s %9s  %-19s  %s\n", "ID", "SIZE",
		    "ARRIVAL", "SENDER");
	mailq_entry(o->f, e, o->now);
	o->bytes += e->msg_size;
	o->n++;
}

/* Print the queue listing; returns the number of entries listed. */
int
mailq_list(const struct conf *conf, FILE *f)
{
	struct mailq_out	 o;
	char			*cause = NULL;

	memset(&o, 0, sizeof(o));
	o.f = f;
	o.now = time(NULL);
	if (mailq_scan(conf, 0, mailq_text, &o, &cause) == -1) {
		fprintf(stderr, MF_PROGNAME ": %s\n", cause);
		free(cause);
		return (-1);
	}
	if (o.n == 0)
		fprintf(f, "Mail queue is empty\n");
	else
		fprintf(f, "-- %lld Kbytes in %d request%s.\n",
		    (o.bytes + 1023) / 1024, o.n, o.n == 1 ? "" : "s");
	return (o.n);
}

/* ISO 8601 in UTC: 2026-12-03T17:04:54Z. */
static void
mailq_iso(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

/* The JSON listing up to its first entry. */
static void
mailq_json_head(const struct mailq_out *o)
{
	fprintf(o->f, "{\"version\":1,\"time\":%lld,\"entries\":[\n",
	    (long long)o->now);
}

/* One entry of the JSON listing: a string or null. */
static void
mailq_json_opt(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (s == NULL)
		fputs("null", f);
	else
		json_put_string(f, s);
}

static void
mailq_json_entry(const struct spool_entry *e, void *arg)
{
	struct mailq_out	*o = arg;
	struct spool_rcpt	*r;
	char			 created[32], next[32];
	time_t			 nt;

	nt = e->attempts == 0 || e->next_attempt == 0 ? e->created :
	    e->next_attempt;
	mailq_iso(created, sizeof(created), e->created);
	mailq_iso(next, sizeof(next), nt);
	if (o->n == 0)
		mailq_json_head(o);
	fprintf(o->f, "%s{\"id\":\"%s\",\"created\":%lld,"
	    "\"created_iso\":\"%s\",\"age\":%lld,\"size\":%lld,\"sender\":",
	    o->n == 0 ? "" : ",\n", e->id, (long long)e->created, created,
	    (long long)(o->now > e->created ? o->now - e->created : 0),
	    (long long)e->msg_size);
	json_put_string(o->f, e->meta.sender);
	fprintf(o->f, ",\"bounce\":%s,\"attempts\":%u,\"last_attempt\":",
	    e->meta.is_bounce ? "true" : "false", e->attempts);
	if (e->last_attempt == 0)
		fputs("null", o->f);
	else
		fprintf(o->f, "%lld", (long long)e->last_attempt);
	fprintf(o->f, ",\"next_attempt\":%lld,\"next_attempt_iso\":\"%s\","
	    "\"due\":%s", (long long)nt, next,
	    e->attempts == 0 || nt <= o->now ? "true" : "false");
	mailq_json_opt(o->f, "last_error", e->last_error);
	fputs(",\"recipients\":[", o->f);
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		fprintf(o->f, "%s{\"address\":", r == TAILQ_FIRST(
		    &e->meta.rcpts) ? "" : ",");
		json_put_string(o->f, r->addr);
		fprintf(o->f, ",\"state\":\"%s\"", mailq_state[r->state]);
		mailq_json_opt(o->f, "reply", r->reply);
		fputc('}', o->f);
	}
	fputs("]}", o->f);
	o->bytes += e->msg_size;
	o->n++;
}

/*
 * Print the queue as one JSON document (the top of this file shows
 * it); returns the number of entries listed, -1 if the queue cannot
 * be read (nothing printed then).
 */
int
mailq_list_json(const struct conf *conf, FILE *f)
{
	struct mailq_out	 o;
	char			*cause = NULL;

	memset(&o, 0, sizeof(o));
	o.now = time(NULL);
	o.f = f;
	/* Nothing on stdout unless the queue can be listed. */
	if (mailq_scan(conf, 0, mailq_json_entry, &o, &cause) == -1) {
		fprintf(stderr, MF_PROGNAME ": %s\n", cause);
		free(cause);
		return (-1);
	}
	if (o.n == 0)
		mailq_json_head(&o);
	fprintf(f, "%s],\"count\":%d,\"bytes\":%lld}\n",
	    o.n == 0 ? "" : "\n", o.n, o.bytes);
	return (o.n);
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
