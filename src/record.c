/*
 * record.c: the log record of one delivery attempt of one entry, made
 * from the queue engine's outcome (runq.h).
 *
 * Text (format = text), one line per group of recipients that share a
 * status and a reply, as key=value pairs:
 *
 *   id=ID from=<SENDER> to=<A>,<B> relay=HOST[ADDR]:PORT tls=TLSv1.3
 *   delay=SECONDS status=STATUS[ next=LOCALTIME attempts=N] (REPLY)
 *
 * STATUS is sent, deferred (with the next attempt and the attempt
 * count), bounced, refused (told to a waiting caller) or expired.
 * Addresses and replies are escaped with log_escape().
 *
 * JSON (format = json), one object on one line:
 *
 *   {"time":"2026-01-02T03:04:05Z","id":"ID","event":"deferred",
 *    "from":"SENDER","relay":"HOST[ADDR]:PORT" or null,
 *    "tls":"TLSv1.3" or null,"delay":1.25,"attempt":1,
 *    "next_attempt":"2026-01-02T03:09:05Z" (deferred only),
 *    "reason":"..." (why deferred, bounced, kept...; never for sent),
 *    "recipients":[{"to":"ADDR","status":"sent|deferred|failed|
 *    bouncing","reply":"250 ..." or null}, ...]}
 *
 * event is runq_what_name() of the outcome; strings are encoded with
 * log_json_string() (valid UTF-8; invalid bytes as \\xNN).  Only
 * outcomes that concern recipients (an attempt, an expiry, a bounce)
 * make a record.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailferry.h"
#include "record.h"
#include "runq.h"

static int	 record_class(enum runq_rstate);
static char	*record_text(const struct runq_outcome *);
static char	*record_text_group(const struct runq_outcome *, size_t,
		    unsigned char *);
static char	*record_json(const struct runq_outcome *, time_t);
static char	*record_jstr(const char *);
static void	 record_cat(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Failed and bouncing recipients are one group in the text form. */
static int
record_class(enum runq_rstate st)
{
	return (st == RUNQ_R_BOUNCING ? RUNQ_R_FAILED : (int)st);
}

static void
record_cat(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*add, *n;

	va_start(ap, fmt);
	xvasprintf(&add, fmt, ap);
	va_end(ap);
	xasprintf(&n, "%s%s", *s != NULL ? *s : "", add);
	free(add);
	free(*s);
	*s = n;
}

static char *
record_jstr(const char *s)
{
	return (s == NULL ? xstrdup("null") : log_json_string(s, strlen(s)));
}

/* One text line: o's recipients from i on with i's status and reply. */
static char *
record_text_group(const struct runq_outcome *o, size_t i,
    unsigned char *done)
{
	const struct runq_rcpt_outcome	*r = &o->rcpts[i], *q;
	const char			*status, *why;
	char				*to = NULL, *esc, *from, next[64];
	char				*line;
	size_t				 k, n;
	struct tm			 tm;

	for (k = i; k < o->nrcpts; k++) {
		q = &o->rcpts[k];
		if (done[k] || record_class(q->state) !=
		    record_class(r->state) || (q->reply == NULL) !=
		    (r->reply == NULL) || (q->reply != NULL &&
		    strcmp(q->reply, r->reply) != 0))
			continue;
		done[k] = 1;
		record_cat(&to, "%s<%s>", to == NULL ? "" : ",", q->addr);
	}
	if (r->state == RUNQ_R_SENT)
		status = "sent";
	else if (r->state == RUNQ_R_DEFERRED)
		status = "deferred";
	else
		status = o->what == RUNQ_W_EXPIRED ? "expired" : o->told ?
		    "refused" : "bounced";
	next[0] = '\0';
	if (r->state == RUNQ_R_DEFERRED && o->next_attempt != 0) {
		localtime_r(&o->next_attempt, &tm);
		n = strftime(next, sizeof(next), " next=%Y-%m-%dT%H:%M:%S%z",
		    &tm);
		snprintf(next + n, sizeof(next) - n, " attempts=%u",
		    o->attempt);
	}
	why = r->reply != NULL ? r->reply : o->reason != NULL ? o->reason :
	    o->reply != NULL ? o->reply : "no reply";
	/* Addresses come from a hostile spool entry: escape them. */
	esc = log_escape(to, strlen(to));
	from = log_escape(o->sender != NULL ? o->sender : "",
	    o->sender != NULL ? strlen(o->sender) : 0);
	xasprintf(&line, "id=%s from=<%s> to=%s relay=%s tls=%s delay=%.2f "
	    "status=%s%s (%s)", o->id, from, esc, o->relay != NULL ?
	    o->relay : "none", o->tls != NULL ? o->tls : "none", o->delay,
	    status, next, why);
	free(esc);
	free(from);
	free(to);
	return (line);
}

static char *
record_text(const struct runq_outcome *o)
{
	static const enum runq_rstate order[] = {
		RUNQ_R_SENT, RUNQ_R_FAILED, RUNQ_R_DEFERRED
	};
	unsigned char	*done;
	char		*out = NULL, *line;
	size_t		 i, k;

	done = xcalloc(o->nrcpts + 1, 1);
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < o->nrcpts; i++) {
			if (done[i] || record_class(o->rcpts[i].state) !=
			    (int)order[k])
				continue;
			line = record_text_group(o, i, done);
			record_cat(&out, "%s%s", out == NULL ? "" : "\n",
			    line);
			free(line);
		}
	free(done);
	return (out);
}

static char *
record_json(const struct runq_outcome *o, time_t now)
{
	char		 ts[32], *out = NULL, *a, *b, *c;
	struct tm	 tm;
	size_t		 i;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	a = record_jstr(o->id);
	b = record_jstr(o->sender != NULL ? o->sender : "");
	record_cat(&out, "{\"time\":\"%s\",\"id\":%s,\"event\":\"%s\","
	    "\"from\":%s,", ts, a, runq_what_name(o->what), b);
	free(a);
	free(b);
	a = record_jstr(o->relay);
	b = record_jstr(o->tls);
	record_cat(&out, "\"relay\":%s,\"tls\":%s,\"delay\":%.2f,"
	    "\"attempt\":%u", a, b, o->delay, o->attempt);
	free(a);
	free(b);
	if (o->what == RUNQ_W_DEFERRED && o->next_attempt != 0) {
		gmtime_r(&o->next_attempt, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		record_cat(&out, ",\"next_attempt\":\"%s\"", ts);
	}
	if (o->what != RUNQ_W_SENT &&
	    (o->reason != NULL || o->reply != NULL)) {
		a = record_jstr(o->reason != NULL ? o->reason : o->reply);
		record_cat(&out, ",\"reason\":%s", a);
		free(a);
	}
	record_cat(&out, ",\"recipients\":[");
	for (i = 0; i < o->nrcpts; i++) {
		a = record_jstr(o->rcpts[i].addr);
		c = record_jstr(o->rcpts[i].reply);
		record_cat(&out, "%s{\"to\":%s,\"status\":\"%s\",\"reply\":%s}",
		    i == 0 ? "" : ",", a, runq_rstate_name(o->rcpts[i].state),
		    c);
		free(a);
		free(c);
	}
	record_cat(&out, "]}");
	return (out);
}

/*
 * Render o's record as text lines (separated by newlines) or one JSON
 * line, made at now; NULL when o makes no record.
 */
char *
record_render(const struct runq_outcome *o, int json, time_t now)
{
	if (o->nrcpts == 0)
		return (NULL);
	return (json ? record_json(o, now) : record_text(o));
}
