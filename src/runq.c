/*
 * runq.c: one queue run of mailferry-send.
 *
 * A run lists msg/ and takes, in id (arrival) order, every entry it can
 * lock (flock LOCK_EX|LOCK_NB: a locked entry is being delivered by
 * another run, so it is skipped; there is no global lock, any number of
 * runs may work side by side).  It keeps the due ones (with
 * runq_opts.all, an admin's explicit `sendmail -q` after an outage,
 * every one not expired), at most RUNQ_BATCH_MAX at a time, and hands
 * them to the smarthost over ONE
 * session that serves the whole run (smtp.c pipelines each transaction
 * behind the previous end-of-data).  Then it lists msg/ again: entries
 * queued meanwhile (bounces made by this run, new submissions) go over
 * the same session; every entry is tried at most once per run.
 *
 * Each recipient's result is recorded: 2xx done for good (never sent
 * again), 5xx failed (bounced, or reported to a waiting caller), 4xx
 * and every session failure left pending with the next attempt pushed
 * back exponentially (retry, doubling up to max_retry).  The state file
 * is rewritten atomically; the message bytes are never touched.
 *
 * A session lost in the middle of a run: the entry being sent counts an
 * attempt (and backs off); the entries not yet tried are left untouched,
 * no attempt counted, still due.  If the lost session had delivered
 * something, a new one is opened for them (at most RUNQ_RECONNECT_MAX
 * times: servers that limit messages per connection); otherwise the run
 * stops and they wait for the next run.  A smarthost that cannot be
 * reached defers the entries of the current batch (one attempt each),
 * and those that submissions left to this run meanwhile (see Limits):
 * each submission gets its attempt, as if its own run had made it.
 *
 * Outcomes.  The run prints nothing.  Each entry it touches ends in one
 * struct runq_outcome (runq.h) handed to the caller's done() hook after
 * every decision about it is taken: what happened, and for an attempt,
 * an expiry or a bounce each recipient's new state and reply.  Under
 * -F, refusals first go to tell(); when the caller cannot be told, the
 * recipients are bounced instead, so an entry leaves the spool only
 * once delivered, reported or bounced.
 *
 * Clock jumps.  An entry's age is accumulated in its state file run by
 * run (runq_advance_age): each step is the wall-clock time since the
 * last attempt, never negative and at most the entry's own backoff
 * interval plus RUNQ_AGE_SLACK, so a clock that jumps forward ages mail
 * by one retry interval at most (it never expires early), and one that
 * jumps back ages it by nothing.  runq_due() treats a next attempt that
 * is further away than its whole backoff interval (or a last attempt in
 * the future) as due, so a clock set back never stalls mail either.
 * The price: time when no run happens at all (host down or suspended for
 * days) counts only one interval, so mail may stay longer than max_age.
 *
 * Limits (limit.c).  A run first takes one of max_sessions session
 * slots; a run that gets none touches nothing (no attempt counted, the
 * entries stay due) and leaves the work to the holders.  The run that
 * follows a submission (runq_opts.defer) does the same, before taking a
 * slot, when a run that will take its entry is active (limit.c's
 * sessions/run.* marks): a burst of submissions then rides on one
 * session instead of opening one each.  A holder, once
 * done, gives its slot back and looks at msg/ once more: if an entry
 * arrived that it has not seen (a submission whose run found no free
 * slot), it takes a slot again and goes on.  Before each batch the
 * run asks max_rate how many messages may go: the others are left
 * untouched, still due, for a later run.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "dsn.h"
#include "hostlist.h"
#include "limit.h"
#include "net.h"
#include "oauth2.h"
#include "runq.h"
#include "secret.h"
#include "smtp.h"
#include "spool.h"

struct runq_batch {
	struct spool_entry	 e[RUNQ_BATCH_MAX];
	struct smtp_msg		 m[RUNQ_BATCH_MAX];
	size_t			 n;
};

struct runq_ctx {
	const struct conf	*conf;
	const struct runq_opts	*ro;
	struct runq_result	*res;
	time_t			 start;		/* wall clock, run start */
	struct smtp_session	*s;
	char			*password;
	int			 have_password;
	int			 token_renewed;	/* OAuth2: once per run */
	int			 reconnects;
	int			 stop;		/* no more sessions this run */
	char			*down;		/* why no session could open */
	int			 slot;		/* session slot held, or -1 */
	int			 mark;		/* limit_run_mark(), or -1 */
	char			**ids;		/* the window of msg/ */
	size_t			 nids;
	size_t			 next;		/* runq_collect()'s cursor */
	char			 newest[SPOOL_ID_LEN + 1]; /* listed so far */
	char			 after[SPOOL_ID_LEN + 1]; /* runq_skip_old() */
	int			 forced_done;
	char			(*seen)[SPOOL_ID_LEN + 1]; /* sorted */
	size_t			 nseen;
	size_t			 seencap;
	char			**removed;	/* msg/ gone, state not yet */
	size_t			 nremoved;
};

/* The recipients an outcome is about, and what the attempt saw. */
struct runq_try {
	struct spool_rcpt	**r;		/* attempted (or expired) now */
	size_t			  n;
	const char		 *relay;
	const char		 *tls;
	const char		 *reply;	/* message-level, or NULL */
	unsigned int		  attempt;
	int			  msg_refused;
	int			  told;
};

#define RUNQ_KEPT_WHY	"its bounce could not be queued"
#define RUNQ_LOCKED_WHY	"being delivered by another queue run"

static int	 runq_seen(const struct runq_ctx *, const char *);
static void	 runq_see(struct runq_ctx *, const char *);
static void	 runq_unsee(struct runq_ctx *, const char *);
static int	 runq_forced(const struct runq_ctx *, const char *);
static struct runq_rcpt_outcome *runq_fill(const struct runq_ctx *,
		    const struct spool_entry *, const struct runq_try *,
		    enum runq_what, const char *, struct runq_outcome *);
static void	 runq_emit(struct runq_ctx *, const struct spool_entry *,
		    const struct runq_try *, enum runq_what, const char *);
static void	 runq_emit_id(struct runq_ctx *, const char *,
		    enum runq_what, const char *);
static void	 runq_take(struct runq_ctx *, struct runq_batch *,
		    const char *, int);
static int	 runq_take_refused(struct runq_ctx *, struct spool_entry *,
		    const char *, int, int);
static int	 runq_retry_bounce(struct runq_ctx *, struct spool_entry *);
static int	 runq_bounce(struct runq_ctx *, struct spool_entry *,
		    enum dsn_kind);
static void	 runq_hold(struct runq_ctx *, struct spool_entry *);
static void	 runq_remove(struct runq_ctx *, struct spool_entry *);
static void	 runq_sync_removed(struct runq_ctx *);
static size_t	 runq_collect(struct runq_ctx *, struct runq_batch *);
static void	 runq_prepare(struct spool_entry *, struct smtp_msg *);
static int	 runq_connect(struct runq_ctx *, struct runq_batch *);
static int	 runq_oauth2_renew(struct runq_ctx *, char **);
static void	 runq_deliver(struct runq_ctx *, struct runq_batch *);
static void	 runq_defer_all(struct runq_ctx *, struct runq_batch *,
		    const char *);
static void	 runq_record_all(struct spool_entry *,
		    const struct smtp_msg *, struct runq_try *);
static int	 runq_refusals(struct runq_ctx *, struct spool_entry *,
		    struct runq_try *);
static void	 runq_finish(struct runq_ctx *, struct spool_entry *,
		    struct smtp_msg *, const char *, const char *);
static void	 runq_keep(struct runq_ctx *, struct spool_entry *, int);
static void	 runq_expire(struct runq_ctx *, struct spool_entry *);
static void	 runq_close_entry(struct spool_entry *);
static void	 runq_free_batch(struct runq_batch *);
static double	 runq_delay(const struct spool_entry *);
static int	 runq_slot(struct runq_ctx *);
static int	 runq_fresh(struct runq_ctx *);
static int	 runq_linger(struct runq_ctx *);
static int	 runq_list(struct runq_ctx *, int (*)(void *, const char *));
static int	 runq_skip_seen(void *, const char *);
static int	 runq_skip_old(void *, const char *);
static void	 runq_defer_arrivals(struct runq_ctx *, struct runq_batch *);
static void	 runq_defer_batch(struct runq_ctx *, struct runq_batch *);
static void	 runq_limited(struct runq_ctx *, struct runq_batch *, size_t,
		    const char *);

/* Fill SMTP session parameters from the configuration. */
void
runq_params(struct smtp_params *p, const struct conf *conf,
    const char *password)
{
	memset(p, 0, sizeof(*p));
	p->host = conf->host;
	p->port = conf->port;
	p->implicit_tls = conf->tls == CONF_TLS_IMPLICIT;
	p->ca_file = conf->ca_file;
	p->fingerprint = conf->has_fingerprint ? conf->fingerprint : NULL;
	p->tls_min_version = conf->tls_min_version;
	p->user = conf->user;
	p->password = password;
	p->auth = (int)conf->auth;
	p->timeout = conf->timeout;
	p->connect_timeout = conf->connect_timeout;
	p->helo = conf->helo != NULL ? conf->helo : conf->domain;
	p->source_address = conf->source_address;
}

/* Seconds to wait after the given number of failed attempts. */
time_t
runq_backoff(const struct conf *conf, unsigned int attempts)
{
	time_t	 delay = conf->retry > 0 ? conf->retry : 1;

	while (attempts-- > 1 && delay < conf->max_retry)
		delay *= 2;
	return (delay > conf->max_retry ? conf->max_retry : delay);
}

/*
 * Add the time since the last attempt (or arrival) to e's age: never
 * negative, at most e's backoff interval plus RUNQ_AGE_SLACK.
 */
void
runq_advance_age(const struct conf *conf, struct spool_entry *e, time_t now)
{
	time_t	 ref, since, cap = RUNQ_AGE_SLACK;

	(void)conf;
	ref = e->last_attempt != 0 ? e->last_attempt : e->created;
	if (e->last_attempt != 0 && e->next_attempt > e->last_attempt)
		cap += e->next_attempt - e->last_attempt;
	since = now - ref;
	if (since < 0)
		since = 0;
	if (since > cap)
		since = cap;
	e->age += since;
}

/* Whether e has been queued for max_age or longer. */
int
runq_expired(const struct conf *conf, const struct spool_entry *e)
{
	return (e->age >= conf->max_age);
}

/* Whether e should be tried at now (see the clock notes above). */
int
runq_due(const struct conf *conf, const struct spool_entry *e, time_t now)
{
	time_t	 interval;

	if (e->next_attempt <= now)
		return (1);
	/* The wall clock went back: do not wait for the old future. */
	if (e->last_attempt > now)
		return (1);
	interval = e->next_attempt - e->last_attempt;
	if (e->last_attempt == 0 || interval > conf->max_retry)
		interval = conf->max_retry;
	return (e->next_attempt - now > interval);
}

/* Count a failed attempt begun at start and pick the next one. */
void
runq_schedule(const struct conf *conf, struct spool_entry *e, time_t start,
    time_t now)
{
	e->attempts++;
	e->last_attempt = start;
	e->next_attempt = now + runq_backoff(conf, e->attempts);
}

static double
runq_delay(const struct spool_entry *e)
{
	struct timespec	 ts;
	double		 d;

	clock_gettime(CLOCK_REALTIME, &ts);
	d = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - (double)e->created;
	return (d < 0 ? 0 : d);
}

/* ---- the set of ids this run has taken ------------------------------ */

/*
 * Fixed-size records, so that a run over a big queue that defers or
 * skips most of it keeps 17 bytes per entry, not a malloc'ed copy each.
 * Delivered entries leave the set (runq_remove): msg/ no longer lists
 * them, so the set holds only what is still queued.
 */
static int
runq_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));
}

static int
runq_seen(const struct runq_ctx *ctx, const char *id)
{
	return (ctx->nseen > 0 && bsearch(id, ctx->seen, ctx->nseen,
	    sizeof(*ctx->seen), runq_cmp) != NULL);
}

static void
runq_see(struct runq_ctx *ctx, const char *id)
{
	size_t	 lo = 0, hi = ctx->nseen, mid;
	int	 c;

	if (strlen(id) != SPOOL_ID_LEN)
		return;
	/* Listings are sorted: the usual place is the end. */
	if (hi > 0 && strcmp(ctx->seen[hi - 1], id) < 0)
		lo = hi;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(ctx->seen[mid], id)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ctx->nseen == ctx->seencap) {
		ctx->seencap = ctx->seencap == 0 ? 128 : ctx->seencap * 2;
		ctx->seen = xreallocarray(ctx->seen, ctx->seencap,
		    sizeof(*ctx->seen));
	}
	memmove(&ctx->seen[lo + 1], &ctx->seen[lo],
	    (ctx->nseen - lo) * sizeof(*ctx->seen));
	memcpy(ctx->seen[lo], id, sizeof(*ctx->seen));
	ctx->nseen++;
}

static void
runq_unsee(struct runq_ctx *ctx, const char *id)
{
	char	(*p)[SPOOL_ID_LEN + 1];
	size_t	  i;

	if (ctx->nseen == 0 || (p = bsearch(id, ctx->seen, ctx->nseen,
	    sizeof(*ctx->seen), runq_cmp)) == NULL)
		return;
	i = (size_t)(p - ctx->seen);
	memmove(&ctx->seen[i], &ctx->seen[i + 1],
	    (ctx->nseen - i - 1) * sizeof(*ctx->seen));
	ctx->nseen--;
}

/* spool_list_oldest() filters: taken already; or that, or not newer. */
static int
runq_skip_seen(void *arg, const char *id)
{
	return (runq_seen(arg, id));
}

static int
runq_skip_old(void *arg, const char *id)
{
	struct runq_ctx	*ctx = arg;

	return (strcmp(id, ctx->after) <= 0 || runq_seen(ctx, id));
}

/* ---- outcomes --------------------------------------------------------- */

static const char *const runq_what_names[] = {
	"sent", "deferred", "bounced", "refused", "expired", "kept",
	"not yours", "locked", "not found", "unreadable", "waiting"
};

static const char *const runq_rstate_names[] = {
	"sent", "deferred", "failed", "bouncing"
};

/* The name of what happened to an entry ("sent", "not found"...). */
const char *
runq_what_name(enum runq_what w)
{
	if ((size_t)w >= sizeof(runq_what_names) / sizeof(runq_what_names[0]))
		return ("unknown");
	return (runq_what_names[w]);
}

/* The name of a recipient's state ("sent", "deferred"...). */
const char *
runq_rstate_name(enum runq_rstate st)
{
	if ((size_t)st >= sizeof(runq_rstate_names) /
	    sizeof(runq_rstate_names[0]))
		return ("unknown");
	return (runq_rstate_names[st]);
}

static int
runq_forced(const struct runq_ctx *ctx, const char *id)
{
	return (ctx->ro->only_id != NULL && strcmp(ctx->ro->only_id, id) == 0);
}

/*
 * Describe e's attempt t in o; the recipients' states are read from the
 * spool entry, so they are the ones the entry now records.  Returns the
 * recipient array to free after the call.
 */
static struct runq_rcpt_outcome *
runq_fill(const struct runq_ctx *ctx, const struct spool_entry *e,
    const struct runq_try *t, enum runq_what what, const char *reason,
    struct runq_outcome *o)
{
	struct runq_rcpt_outcome	*rs;
	size_t				 i;

	memset(o, 0, sizeof(*o));
	o->id = e->id;
	o->what = what;
	o->reason = reason;
	o->sender = e->meta.sender;
	o->forced = runq_forced(ctx, e->id);
	o->relay = t->relay;
	o->tls = t->tls;
	o->reply = t->reply;
	o->attempt = t->attempt;
	o->msg_refused = t->msg_refused;
	o->told = t->told;
	o->delay = runq_delay(e);
	if (what == RUNQ_W_DEFERRED)
		o->next_attempt = e->next_attempt;
	rs = xcalloc(t->n + 1, sizeof(*rs));
	for (i = 0; i < t->n; i++) {
		rs[i].addr = t->r[i]->addr;
		rs[i].reply = t->r[i]->reply;
		switch (t->r[i]->state) {
		case SPOOL_RCPT_SENT:
			rs[i].state = RUNQ_R_SENT;
			break;
		case SPOOL_RCPT_FAILED:
			rs[i].state = RUNQ_R_FAILED;
			break;
		case SPOOL_RCPT_BOUNCING:
			rs[i].state = RUNQ_R_BOUNCING;
			break;
		default:
			rs[i].state = RUNQ_R_DEFERRED;
			break;
		}
	}
	o->rcpts = rs;
	o->nrcpts = t->n;
	return (rs);
}

/* Hand e's final outcome to the run's done() hook. */
static void
runq_emit(struct runq_ctx *ctx, const struct spool_entry *e,
    const struct runq_try *t, enum runq_what what, const char *reason)
{
	struct runq_outcome		 o;
	struct runq_rcpt_outcome	*rs;

	if (ctx->ro->done == NULL)
		return;
	rs = runq_fill(ctx, e, t, what, reason, &o);
	ctx->ro->done(&o, ctx->ro->arg);
	free(rs);
}

/* The outcome of an entry the run could not open: only for only_id. */
static void
runq_emit_id(struct runq_ctx *ctx, const char *id, enum runq_what what,
    const char *reason)
{
	struct runq_outcome	 o;

	if (ctx->ro->done == NULL || !runq_forced(ctx, id))
		return;
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.what = what;
	o.reason = reason;
	o.forced = 1;
	ctx->ro->done(&o, ctx->ro->arg);
}

/* ---- collecting ------------------------------------------------------ */

/*
 * e has refused recipients whose bounce could not be queued last time:
 * queue it now.  Returns -1 when e is done with for this run (removed,
 * or the bounce failed again), 0 when e goes on as usual.
 */
static int
runq_retry_bounce(struct runq_ctx *ctx, struct spool_entry *e)
{
	struct spool_rcpt	*r;
	struct runq_try		 t;
	size_t			 pending = 0;
	int			 rv = -1;

	memset(&t, 0, sizeof(t));
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		t.n += r->state == SPOOL_RCPT_BOUNCING;
		pending += r->state == SPOOL_RCPT_PENDING;
	}
	if (t.n == 0)
		return (0);
	t.r = xcalloc(t.n, sizeof(*t.r));
	t.n = 0;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		if (r->state == SPOOL_RCPT_BOUNCING)
			t.r[t.n++] = r;
	t.reply = e->last_error;
	t.attempt = e->attempts;
	if (runq_bounce(ctx, e, DSN_FAILED) == -1) {
		runq_hold(ctx, e);
		runq_emit(ctx, e, &t, RUNQ_W_KEPT, RUNQ_KEPT_WHY);
	} else if (pending == 0) {
		runq_remove(ctx, e);
		runq_emit(ctx, e, &t, RUNQ_W_BOUNCED, NULL);
	} else {
		/* Saved now: the entry may not be due, and one bounce is enough. */
		runq_hold(ctx, e);
		rv = 0;
	}
	free(t.r);
	return (rv);
}

/*
 * Queue the bounce for e's "bouncing" recipients: they become "failed"
 * once it is committed.  Until then they stay "bouncing" and the entry
 * stays in the spool: a message leaves only once delivered or reported.
 * Returns 0 or -1.
 */
static int
runq_bounce(struct runq_ctx *ctx, struct spool_entry *e, enum dsn_kind kind)
{
	struct spool_rcpt	*r;
	unsigned char		*sel;
	char			*cause = NULL;
	size_t			 i = 0, n = 0, nsel = 0;
	int			 rv = 0;

	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		n++;
	sel = xcalloc(n + 1, 1);
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		nsel += sel[i++] = r->state == SPOOL_RCPT_BOUNCING;
	if (nsel > 0 && dsn_queue(ctx->conf, e, kind, sel, &cause) == -1) {
		log_warnx("id=%s: bounce not queued, the entry stays: %s",
		    e->id, cause);
		free(cause);
		rv = -1;
	} else
		TAILQ_FOREACH(r, &e->meta.rcpts, entry)
			if (r->state == SPOOL_RCPT_BOUNCING)
				r->state = SPOOL_RCPT_FAILED;
	free(sel);
	return (rv);
}

/* Keep e for its bounce: save the state, count nothing as sent. */
static void
runq_hold(struct runq_ctx *ctx, struct spool_entry *e)
{
	char	*cause = NULL;

	if (spool_state_write(ctx->conf->queue_dir, e, &cause) == -1) {
		log_warnx("id=%s: cannot save state: %s", e->id, cause);
		free(cause);
	}
}

/* e is finished (delivered or reported): remove it. */
static void
runq_remove(struct runq_ctx *ctx, struct spool_entry *e)
{
	char	*cause = NULL;

	if (spool_unlink_msg(ctx->conf->queue_dir, e->id, &cause) == -1) {
		log_warnx("id=%s: %s", e->id, cause);
		free(cause);
		return;
	}
	runq_unsee(ctx, e->id);
	if (ctx->removed == NULL)
		ctx->removed = xcalloc(RUNQ_BATCH_MAX, sizeof(*ctx->removed));
	ctx->removed[ctx->nremoved++] = xstrdup(e->id);
	if (ctx->nremoved == RUNQ_BATCH_MAX)
		runq_sync_removed(ctx);
}

/*
 * Make the removals of the entries delivered so far durable, with one
 * fsync of msg/ and one of state/ for all of them (spool_state.c): after
 * each batch and before the run ends.
 */
static void
runq_sync_removed(struct runq_ctx *ctx)
{
	char	*cause = NULL;
	size_t	 i;

	if (spool_sync_removed(ctx->conf->queue_dir, ctx->removed,
	    ctx->nremoved, &cause) == -1) {
		log_warnx("queue %s: %s", ctx->conf->queue_dir, cause);
		free(cause);
	}
	for (i = 0; i < ctx->nremoved; i++)
		free(ctx->removed[i]);
	ctx->nremoved = 0;
}

/*
 * spool_open_owned() did not give us the entry: say so for a forced
 * one, quarantine a corrupt one.  Returns -1 when it is not taken.
 */
static int
runq_take_refused(struct runq_ctx *ctx, struct spool_entry *e,
    const char *id, int r, int forced)
{
	char	*cause = NULL;

	runq_close_entry(e);
	if (r == SPOOL_NOT_MINE || (r == SPOOL_CORRUPT &&
	    ctx->ro->owner != SPOOL_ANY_OWNER)) {
		/* Not ours to deliver or quarantine: a trusted run will. */
		if (forced)
			runq_emit_id(ctx, id, RUNQ_W_NOT_YOURS, "not yours");
		return (-1);
	}
	if (r == SPOOL_LOCKED) {
		runq_emit_id(ctx, id, RUNQ_W_LOCKED, RUNQ_LOCKED_WHY);
		return (-1);
	}
	if (r == SPOOL_GONE) {
		runq_emit_id(ctx, id, RUNQ_W_NOT_FOUND, NULL);
		return (-1);
	}
	if (r == SPOOL_CORRUPT && spool_quarantine(ctx->conf->queue_dir, id,
	    &cause) == -1) {
		log_warnx("id=%s: %s", id, cause);
		free(cause);
	}
	runq_emit_id(ctx, id, RUNQ_W_UNREADABLE, NULL);
	return (-1);
}

/* Lock and load one entry into b if it is due (or forced, or -a). */
static void
runq_take(struct runq_ctx *ctx, struct runq_batch *b, const char *id,
    int forced)
{
	const struct conf	*conf = ctx->conf;
	struct spool_entry	*e = &b->e[b->n];
	char			*cause = NULL;
	int			 r;

	runq_see(ctx, id);
	r = spool_open_owned(conf->queue_dir, id, LOCK_EX | LOCK_NB,
	    ctx->ro->owner, e, &cause);
	if (r != SPOOL_OK) {
		if (r != SPOOL_NOT_MINE && r != SPOOL_LOCKED &&
		    r != SPOOL_GONE && (r != SPOOL_CORRUPT ||
		    ctx->ro->owner == SPOOL_ANY_OWNER))
			log_warnx("id=%s: %s%s", id, cause != NULL ? cause :
			    "error", r == SPOOL_CORRUPT ?
			    ": moved to corrupt/" : "");
		free(cause);
		(void)runq_take_refused(ctx, e, id, r, forced);
		return;
	}
	/*
	 * The run after a submission is there for its entry's first
	 * attempt: the run it was left to made it already (see
	 * runq_defer_arrivals).
	 */
	if (forced && ctx->ro->defer && e->attempts > 0) {
		log_debug("id=%s: already tried by another queue run", id);
		runq_close_entry(e);
		return;
	}
	if (runq_retry_bounce(ctx, e) == -1) {
		runq_close_entry(e);
		return;
	}
	runq_advance_age(conf, e, ctx->start);
	if (!forced && runq_expired(conf, e)) {
		runq_expire(ctx, e);
		runq_close_entry(e);
		return;
	}
	if (!forced && !ctx->ro->all && !runq_due(conf, e, ctx->start)) {
		runq_close_entry(e);
		return;
	}
	b->n++;
}

/*
 * Fill b with due entries not yet taken by this run (the forced one
 * first).  Returns how many.  One listing of msg/ serves batch after
 * batch (ctx->ids from ctx->next on): listing again for each batch made
 * a run over a big queue quadratic.  A listing is a window: the
 * SPOOL_WINDOW oldest entries not taken yet, so that memory stays flat
 * however big the queue (a 100,000-entry queue is read 7 times).  Once
 * it is used up, msg/ is listed again, for the next window and what
 * arrived meanwhile, until a listing finds nothing new.
 */
static size_t
runq_collect(struct runq_ctx *ctx, struct runq_batch *b)
{
	const struct runq_opts	*ro = ctx->ro;
	size_t			 fresh = 0;
	int			 listed = 0;

	b->n = 0;
	if (!ctx->forced_done && ro->only_id != NULL) {
		ctx->forced_done = 1;
		runq_take(ctx, b, ro->only_id, 1);
	}
	if (ro->only)
		return (b->n);
	for (;;) {
		if (ctx->next == ctx->nids) {
			if ((listed && fresh == 0) ||
			    runq_list(ctx, runq_skip_seen) == -1)
				break;
			listed = 1;
		}
		fresh = 0;
		for (; ctx->next < ctx->nids && b->n < RUNQ_BATCH_MAX;
		    ctx->next++)
			if (!runq_seen(ctx, ctx->ids[ctx->next])) {
				fresh++;
				runq_take(ctx, b, ctx->ids[ctx->next], 0);
			}
		if (b->n > 0)
			break;
	}
	return (b->n);
}

/*
 * List a window of msg/ into ctx->ids, the ids skip() lets through
 * (the previous listing is dropped); 0 or -1.
 */
static int
runq_list(struct runq_ctx *ctx, int (*skip)(void *, const char *))
{
	char	*cause = NULL;

	spool_list_free(ctx->ids, ctx->nids);
	ctx->ids = NULL;
	ctx->nids = ctx->next = 0;
	if (spool_list_oldest(ctx->conf->queue_dir, ctx->ro->window != 0 ?
	    ctx->ro->window : SPOOL_WINDOW, skip, ctx, ctx->newest, &ctx->ids,
	    &ctx->nids, &cause) == -1) {
		log_warnx("queue %s: %s", ctx->conf->queue_dir, cause);
		free(cause);
		ctx->ids = NULL;
		ctx->nids = 0;
		return (-1);
	}
	return (0);
}

/* Point the SMTP message at e's bytes and its pending recipients. */
static void
runq_prepare(struct spool_entry *e, struct smtp_msg *m)
{
	struct spool_rcpt	*r;
	size_t			 n = 0;

	memset(m, 0, sizeof(*m));
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		if (r->state == SPOOL_RCPT_PENDING)
			n++;
	m->rcpts = xcalloc(n == 0 ? 1 : n, sizeof(*m->rcpts));
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		if (r->state != SPOOL_RCPT_PENDING)
			continue;
		m->rcpts[m->nrcpts].addr = r->addr;
		m->rcpts[m->nrcpts].notify = e->meta.dsn_notify;
		m->nrcpts++;
	}
	m->sender = e->meta.sender;
	m->fd = e->fd;
	m->offset = e->msg_offset;
	m->size = e->msg_size;
	m->body_8bit = e->meta.body_8bit;
	m->smtputf8 = e->meta.smtputf8;
	m->ret = e->meta.dsn_ret;
	m->envid = e->meta.dsn_envid;
	/* Until the server answers, nothing is sent. */
	m->result = MF_TEMP;
}

/* ---- the run ----------------------------------------------------------- */

/*
 * Run the queue once (see the top of this file).  Returns the number
 * of entries attempted.
 */
int
runq_run(const struct conf *conf, const struct runq_opts *ro,
    struct runq_result *res)
{
	struct runq_ctx		 ctx;
	struct runq_batch	*b;
	char			*cause = NULL;
	int			 n = 0;

	memset(res, 0, sizeof(*res));
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = conf;
	ctx.ro = ro;
	ctx.res = res;
	ctx.start = time(NULL);
	if (spool_clean_tmp(conf->queue_dir, SPOOL_TMP_MAX_AGE, &cause) == -1) {
		log_warnx("queue %s: %s", conf->queue_dir, cause);
		free(cause);
	}
	b = xcalloc(1, sizeof(*b));
	ctx.slot = ctx.mark = -1;
	while (runq_slot(&ctx) == 0) {
		do {
			while (!ctx.stop && runq_collect(&ctx, b) > 0) {
				n += (int)b->n;
				runq_deliver(&ctx, b);
				runq_free_batch(b);
				runq_sync_removed(&ctx);
			}
			runq_free_batch(b);
		} while (!ctx.stop && ctx.s != NULL && ro->defer &&
		    runq_linger(&ctx));
		if (ctx.s != NULL)
			smtp_close(ctx.s);
		ctx.s = NULL;
		limit_session_release(&ctx.slot);
		/* Let go of the mark first: see limit.c, sessions/run.*. */
		limit_session_release(&ctx.mark);
		if (ctx.stop || ro->only || !runq_fresh(&ctx))
			break;
	}
	if (ctx.down != NULL && !ro->only)
		runq_defer_arrivals(&ctx, b);
	runq_sync_removed(&ctx);
	free(ctx.removed);
	free(ctx.down);
	free(b);
	if (ctx.password != NULL)
		freezero(ctx.password, strlen(ctx.password));
	free(ctx.seen);
	spool_list_free(ctx.ids, ctx.nids);
	return (n);
}

/* Open the run's session if needed; -1 when the batch was deferred. */
static int
runq_connect(struct runq_ctx *ctx, struct runq_batch *b)
{
	const struct conf	*conf = ctx->conf;
	struct smtp_params	 p;
	enum mf_fail		 fail;
	char			*cause = NULL;
	int			 refused = 0;

	if (ctx->s != NULL)
		return (0);
	if (!ctx->have_password && secret_needed(conf) &&
	    secret_read(conf, &ctx->password, &cause) != 0) {
		runq_defer_all(ctx, b, cause);
		ctx->down = cause;
		ctx->stop = 1;
		return (-1);
	}
	ctx->have_password = 1;
	runq_params(&p, conf, ctx->password);
	p.client = ctx->ro->client;
	p.auth_refused = &refused;
	if ((ctx->s = smtp_open(&p, &fail, &cause)) == NULL && refused &&
	    runq_oauth2_renew(ctx, &cause) == 0) {
		free(cause);
		cause = NULL;
		runq_params(&p, conf, ctx->password);
		p.client = ctx->ro->client;
		ctx->s = smtp_open(&p, &fail, &cause);
	}
	if (ctx->s == NULL) {
		runq_defer_all(ctx, b, cause);
		ctx->down = cause != NULL ? cause : xstrdup("error");
		ctx->stop = 1;
		return (-1);
	}
	ctx->res->sessions++;
	return (0);
}

/*
 * The smarthost refused our OAuth2 token (revoked, or expired early):
 * get a new one, once per run.  0 to try again; -1 to give up, with
 * *cause replaced when the token endpoint said why.
 */
static int
runq_oauth2_renew(struct runq_ctx *ctx, char **cause)
{
	char	*why = NULL;

	if (ctx->conf->oauth2_provider == CONF_OAUTH2_NONE ||
	    ctx->token_renewed)
		return (-1);
	ctx->token_renewed = 1;
	log_info("%s: the token was refused: asking for a new one", *cause);
	if (ctx->password != NULL)
		freezero(ctx->password, strlen(ctx->password));
	ctx->password = NULL;
	if (oauth2_get(ctx->conf, 1, &ctx->password, NULL, &why) != 0) {
		free(*cause);
		*cause = why;
		return (-1);
	}
	return (0);
}

/* Send one batch over the run's session and record every result. */
static void
runq_deliver(struct runq_ctx *ctx, struct runq_batch *b)
{
	struct smtp_msg	*m;
	char		*cause = NULL;
	size_t		 i, ok, tried = 0, done = 0;
	int		 dead;

	for (i = 0; i < b->n; i++)
		runq_prepare(&b->e[i], &b->m[i]);
	if ((ok = limit_rate_take(ctx->conf, b->n, time(NULL), &cause)) <
	    b->n) {
		runq_limited(ctx, b, ok, cause != NULL ? cause :
		    "max_rate reached");
		free(cause);
		if (b->n == 0)
			return;
	}
	if (runq_connect(ctx, b) == -1)
		return;
	dead = smtp_send(ctx->s, b->m, b->n) == -1;
	for (i = 0; i < b->n; i++) {
		m = &b->m[i];
		if (dead && !m->attempted && m->result != MF_PERM) {
			/* Never tried: no attempt counted, still due. */
			log_debug("id=%s: not tried, session lost",
			    b->e[i].id);
			ctx->res->untouched++;
			runq_unsee(ctx, b->e[i].id);
			continue;
		}
		tried += m->attempted;
		done += m->result == MF_OK;
		runq_finish(ctx, &b->e[i], m, smtp_relay(ctx->s),
		    smtp_tls_version(ctx->s));
	}
	if (!dead)
		return;
	log_info("session to %s lost: %s", smtp_relay(ctx->s),
	    smtp_error(ctx->s) != NULL ? smtp_error(ctx->s) : "error");
	smtp_close(ctx->s);
	ctx->s = NULL;
	/* Go on with a new session only if the lost one made progress. */
	if ((done == 0 && tried < 2) || ++ctx->reconnects > RUNQ_RECONNECT_MAX)
		ctx->stop = 1;
}

/*
 * Take a session slot (limit.c) before touching any entry.  0 when
 * held; otherwise the run leaves everything as it is and says so.
 */
static int
runq_slot(struct runq_ctx *ctx)
{
	const struct runq_opts	*ro = ctx->ro;
	char			*cause = NULL, *why = NULL;
	int			 r;

	if (ro->defer && limit_run_active(ctx->conf,
	    ro->owner == SPOOL_ANY_OWNER, ro->owner)) {
		log_info("id=%s: left to the active queue run", ro->only_id);
		return (-1);
	}
	r = limit_session_take(ctx->conf, ro->owner == SPOOL_ANY_OWNER,
	    &ctx->slot, &cause);
	if (r == 0) {
		if (!ro->only)
			limit_run_mark(ctx->conf, ro->owner, &ctx->mark);
		return (0);
	}
	if (r == LIMIT_BUSY)
		xasprintf(&why, "waiting for a session slot (max_sessions "
		    "%u): the queue runs that hold them deliver it",
		    ctx->conf->max_sessions);
	else
		xasprintf(&why, "no session slot: %s", cause);
	log_info("queue run not started: %s", why);
	ctx->res->limited++;
	if (ro->only_id != NULL && !ctx->forced_done)
		runq_emit_id(ctx, ro->only_id, RUNQ_W_WAITING, why);
	free(cause);
	free(why);
	return (-1);
}

/*
 * Before the run that follows a submission says QUIT: wait up to
 * RUNQ_LINGER_MS for msg/ to change (a new entry renamed in, whose own
 * run left it to us, limit.c), looking every RUNQ_LINGER_POLL_MS.  1
 * when it changed: collect again.  Back-to-back submissions then share
 * this session.  stat() rather than a listing, so that a big queue
 * costs no more to watch than an empty one.
 */
static int
runq_linger(struct runq_ctx *ctx)
{
	struct timespec	 t = { 0, RUNQ_LINGER_POLL_MS * 1000000L };
	struct stat	 st, now;
	char		 path[PATH_MAX];
	int		 i, n;

	n = snprintf(path, sizeof(path), "%s/msg", ctx->conf->queue_dir);
	if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) == -1)
		return (0);
	for (i = 0; i < RUNQ_LINGER_MS / RUNQ_LINGER_POLL_MS; i++) {
		nanosleep(&t, NULL);
		if (stat(path, &now) == -1)
			return (0);
		if (now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		    now.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
			return (runq_fresh(ctx));
	}
	return (0);
}

/*
 * The run stopped because no session could be opened (ctx->down says
 * why).  Submissions that arrived meanwhile left their entries to this
 * run (runq_slot): defer them for the same reason, without trying the
 * smarthost again, so that each gets the attempt its own run would
 * have made instead of waiting, never tried, for a periodic run.
 * Arrivals are the entries newer than any this run listed (ids sort by
 * time); the older ones it did not reach stay untouched.
 */
static void
runq_defer_arrivals(struct runq_ctx *ctx, struct runq_batch *b)
{
	size_t	 i;

	memcpy(ctx->after, ctx->newest, sizeof(ctx->after));
	b->n = 0;
	/* Each one taken is seen: the next window is further on. */
	while (runq_list(ctx, runq_skip_old) == 0 && ctx->nids > 0)
		for (i = 0; i < ctx->nids; i++) {
			runq_take(ctx, b, ctx->ids[i], 0);
			if (b->n == RUNQ_BATCH_MAX ||
			    (b->n > 0 && i + 1 == ctx->nids))
				runq_defer_batch(ctx, b);
		}
}

/* Defer every entry of b without a session (ctx->down says why). */
static void
runq_defer_batch(struct runq_ctx *ctx, struct runq_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		runq_prepare(&b->e[i], &b->m[i]);
	runq_defer_all(ctx, b, ctx->down);
	runq_free_batch(b);
}

/* Whether msg/ holds an entry this run has not looked at yet. */
static int
runq_fresh(struct runq_ctx *ctx)
{
	char	**ids = NULL, *cause = NULL;
	size_t	  nids = 0;

	if (spool_list_oldest(ctx->conf->queue_dir, 1, runq_skip_seen, ctx,
	    ctx->newest, &ids, &nids, &cause) == -1) {
		free(cause);
		return (0);
	}
	spool_list_free(ids, nids);
	return (nids > 0);
}

/*
 * max_rate lets only the first ok entries of b go: the others are left
 * untouched (no attempt counted, still due) and this run stops.
 */
static void
runq_limited(struct runq_ctx *ctx, struct runq_batch *b, size_t ok,
    const char *why)
{
	const char	*only = ctx->ro->only_id;
	size_t		 i;

	log_info("max_rate: %zu of %zu messages wait: %s", b->n - ok, b->n,
	    why);
	for (i = ok; i < b->n; i++) {
		if (only != NULL && strcmp(b->e[i].id, only) == 0)
			runq_emit_id(ctx, only, RUNQ_W_WAITING, why);
		smtp_msg_clear(&b->m[i]);
		free(b->m[i].rcpts);
		memset(&b->m[i], 0, sizeof(b->m[i]));
		runq_close_entry(&b->e[i]);
		ctx->res->limited++;
	}
	b->n = ok;
	ctx->stop = 1;
}

/* The session could not be opened: every entry waits for next time. */
static void
runq_defer_all(struct runq_ctx *ctx, struct runq_batch *b, const char *cause)
{
	struct hostlist	 l;
	char		 relay[NET_RELAY_MAX], *why = NULL;
	size_t		 i;

	/* Every server of the list was tried: name them all. */
	if (ctx->conf->host != NULL && hostlist_parse(ctx->conf->host,
	    ctx->conf->port, &l, &why) == 0)
		hostlist_format(&l, relay, sizeof(relay));
	else
		strlcpy(relay, "none", sizeof(relay));
	free(why);
	for (i = 0; i < b->n; i++) {
		b->m[i].result = MF_TEMP;
		free(b->m[i].reply);
		b->m[i].reply = xstrdup(cause);
		runq_finish(ctx, &b->e[i], &b->m[i], relay, NULL);
	}
}

/* ---- results ---------------------------------------------------------- */

/* Copy one recipient's SMTP result into the spool entry. */
static void
runq_record(struct spool_rcpt *r, const struct smtp_msg *m,
    const struct smtp_rcpt *sr)
{
	enum mf_fail	 f;
	const char	*reply;

	/* A recipient the server took shares the message's fate. */
	f = sr->result != MF_OK ? sr->result : m->result;
	reply = sr->reply != NULL ? sr->reply : m->reply;
	free(r->reply);
	r->reply = reply != NULL ? xstrndup(reply, SPOOL_REPLY_MAX) : NULL;
	if (f == MF_OK)
		r->state = SPOOL_RCPT_SENT;
	else if (f == MF_PERM)
		r->state = SPOOL_RCPT_FAILED;
}

/* Record the result of every recipient this attempt was about, in t. */
static void
runq_record_all(struct spool_entry *e, const struct smtp_msg *m,
    struct runq_try *t)
{
	struct spool_rcpt	*r;
	size_t			 k = 0;

	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		t->n += r->state == SPOOL_RCPT_PENDING;
	t->r = xcalloc(t->n + 1, sizeof(*t->r));
	t->n = 0;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		if (r->state != SPOOL_RCPT_PENDING)
			continue;
		t->r[t->n++] = r;
		if (k < m->nrcpts)
			runq_record(r, m, &m->rcpts[k++]);
	}
}

/*
 * Refusals: tell the waiting caller, or the sender by a bounce (also
 * when the caller cannot be told).  Returns -1 when the bounce could
 * not be queued: the entry must stay.
 */
static int
runq_refusals(struct runq_ctx *ctx, struct spool_entry *e, struct runq_try *t)
{
	struct runq_outcome		 o;
	struct runq_rcpt_outcome	*rs;
	size_t				 i, nfailed = 0;
	int				 told;

	for (i = 0; i < t->n; i++)
		nfailed += t->r[i]->state == SPOOL_RCPT_FAILED;
	if (nfailed == 0)
		return (0);
	if (ctx->ro->report && ctx->ro->tell != NULL &&
	    runq_forced(ctx, e->id)) {
		rs = runq_fill(ctx, e, t, RUNQ_W_REFUSED, NULL, &o);
		told = ctx->ro->tell(&o, ctx->ro->arg) == 0;
		free(rs);
		if (told) {
			t->told = 1;
			return (0);
		}
		log_warnx("id=%s: the caller cannot be told, bouncing", e->id);
	}
	for (i = 0; i < t->n; i++)
		if (t->r[i]->state == SPOOL_RCPT_FAILED)
			t->r[i]->state = SPOOL_RCPT_BOUNCING;
	return (runq_bounce(ctx, e, DSN_FAILED));
}

/* Record the results of one entry's attempt and decide what is next. */
static void
runq_finish(struct runq_ctx *ctx, struct spool_entry *e, struct smtp_msg *m,
    const char *relay, const char *tls)
{
	struct runq_result	*res = ctx->res;
	struct runq_try		 t;
	enum runq_what		 what;
	const char		*why = NULL;
	size_t			 i, nfailed = 0, pending = 0;
	int			 held;

	memset(&t, 0, sizeof(t));
	t.relay = relay;
	t.tls = tls;
	t.reply = m->reply;
	t.attempt = e->attempts + 1;
	t.msg_refused = m->result == MF_PERM;
	runq_record_all(e, m, &t);
	for (i = 0; i < t.n; i++) {
		nfailed += t.r[i]->state == SPOOL_RCPT_FAILED;
		if (t.r[i]->state == SPOOL_RCPT_PENDING && pending++ == 0)
			why = t.r[i]->reply;
	}
	if (pending > 0) {
		if (why == NULL)
			why = m->reply != NULL ? m->reply : "deferred";
		runq_schedule(ctx->conf, e, ctx->start, time(NULL));
		free(e->last_error);
		e->last_error = xstrndup(why, SPOOL_REPLY_MAX);
	}
	held = runq_refusals(ctx, e, &t) == -1;
	res->bounced += nfailed > 0;
	if (pending > 0) {
		runq_keep(ctx, e, ctx->ro->report && runq_forced(ctx, e->id));
		what = RUNQ_W_DEFERRED;
	} else if (held) {
		runq_hold(ctx, e);
		what = RUNQ_W_KEPT;
	} else {
		res->sent += nfailed == 0;
		runq_remove(ctx, e);
		what = nfailed == 0 ? RUNQ_W_SENT : t.told ? RUNQ_W_REFUSED :
		    RUNQ_W_BOUNCED;
	}
	runq_emit(ctx, e, &t, what, what == RUNQ_W_DEFERRED ? e->last_error :
	    what == RUNQ_W_KEPT ? RUNQ_KEPT_WHY : NULL);
	free(t.r);
}

/* Some recipients are still pending: warn if due, save the state. */
static void
runq_keep(struct runq_ctx *ctx, struct spool_entry *e, int reported)
{
	const struct conf	*conf = ctx->conf;
	char			*cause = NULL;

	ctx->res->deferred++;
	if (!e->warned && conf->delay_warning > 0 &&
	    e->age >= conf->delay_warning && !reported) {
		if (dsn_queue(conf, e, DSN_DELAYED, NULL, &cause) == -1) {
			log_warnx("id=%s: no delay warning: %s", e->id, cause);
			free(cause);
			cause = NULL;
		}
		e->warned = 1;
	}
	if (spool_state_write(conf->queue_dir, e, &cause) == -1) {
		log_warnx("id=%s: cannot save state: %s", e->id, cause);
		free(cause);
	}
}

/* max_age is over: bounce what is still pending and drop the entry. */
static void
runq_expire(struct runq_ctx *ctx, struct spool_entry *e)
{
	struct spool_rcpt	*r;
	struct runq_try		 t;

	memset(&t, 0, sizeof(t));
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		t.n += r->state == SPOOL_RCPT_PENDING;
	t.r = xcalloc(t.n + 1, sizeof(*t.r));
	t.n = 0;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		if (r->state != SPOOL_RCPT_PENDING)
			continue;
		r->state = SPOOL_RCPT_BOUNCING;
		if (r->reply == NULL)
			r->reply = xstrdup(e->last_error != NULL ?
			    e->last_error : "never attempted");
		t.r[t.n++] = r;
	}
	t.reply = e->last_error;
	t.attempt = e->attempts;
	ctx->res->expired++;
	if (runq_bounce(ctx, e, DSN_EXPIRED) == -1)
		runq_hold(ctx, e);
	else
		runq_remove(ctx, e);
	runq_emit(ctx, e, &t, RUNQ_W_EXPIRED, NULL);
	free(t.r);
}

static void
runq_close_entry(struct spool_entry *e)
{
	spool_close(e);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

static void
runq_free_batch(struct runq_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++) {
		smtp_msg_clear(&b->m[i]);
		free(b->m[i].rcpts);
		memset(&b->m[i], 0, sizeof(b->m[i]));
		runq_close_entry(&b->e[i]);
	}
	b->n = 0;
}
