/*
 * runq.h: queue runs of mailferry-send: pick due entries, deliver them
 * over one session, record per-recipient results, back off, expire,
 * bounce.
 */
#ifndef RUNQ_H
#define RUNQ_H

#include <time.h>

#include "conf.h"
#include "spool.h"

#define RUNQ_BATCH_MAX		100	/* entries locked at a time */
#define RUNQ_RECONNECT_MAX	3	/* new sessions after a lost one */
#define RUNQ_AGE_SLACK		(15 * 60) /* see runq_advance_age() */
#define RUNQ_LINGER_MS		100	/* see runq_linger() */
#define RUNQ_LINGER_POLL_MS	5

/* What happened to one entry in a run (runq_outcome.what). */
enum runq_what {
	RUNQ_W_SENT,		/* every recipient done: entry removed */
	RUNQ_W_DEFERRED,	/* some recipients wait for the next attempt */
	RUNQ_W_BOUNCED,		/* finished, the refused ones bounced */
	RUNQ_W_REFUSED,		/* finished, the refusals told to the caller */
	RUNQ_W_EXPIRED,		/* max_age over: bounced, removed */
	RUNQ_W_KEPT,		/* finished, but its bounce is not queued yet */
	RUNQ_W_NOT_YOURS,	/* another user's entry (forced only) */
	RUNQ_W_LOCKED,		/* being delivered by another run */
	RUNQ_W_NOT_FOUND,
	RUNQ_W_UNREADABLE,	/* corrupt, moved to corrupt/ */
	RUNQ_W_WAITING		/* max_sessions or max_rate: not tried */
};

/* One recipient's result in this attempt. */
enum runq_rstate {
	RUNQ_R_SENT,
	RUNQ_R_DEFERRED,
	RUNQ_R_FAILED,		/* refused; bounced or told to the caller */
	RUNQ_R_BOUNCING		/* refused; its bounce is not queued yet */
};

struct runq_rcpt_outcome {
	const char		*addr;	/* as in the spool: untrusted */
	enum runq_rstate	 state;
	const char		*reply;	/* escaped, or NULL */
};

/*
 * One entry's outcome, handed to the run's hooks; every pointer is
 * valid during the call only.  rcpts are the recipients attempted now
 * (or expired); entries not opened (locked, not found...) have only
 * id, what and reason.
 */
struct runq_outcome {
	const char			*id;
	enum runq_what			 what;
	const char			*reason;	/* escaped, or NULL */
	const char			*reply;		/* message-level, or NULL */
	const char			*sender;	/* untrusted, or NULL */
	const char			*relay;		/* NULL: none */
	const char			*tls;		/* NULL: none */
	double				 delay;		/* since queued, s */
	unsigned int			 attempt;	/* this one, from 1 */
	time_t				 next_attempt;	/* deferred only */
	int				 msg_refused;	/* the message got a 5xx */
	int				 told;		/* refusals went to tell() */
	int				 forced;	/* it is only_id */
	const struct runq_rcpt_outcome	*rcpts;
	size_t				 nrcpts;
};

/*
 * What a run was asked to do.  tell() is called for only_id under -F
 * when recipients were refused (state RUNQ_R_FAILED, what still to be
 * decided): 0 when the caller was told, -1 when it could not be (its
 * stderr is gone), and then the engine bounces instead: an entry leaves
 * the spool only once delivered or reported.  done() is called once per
 * entry the run touched, after every decision, with the final outcome.
 */
struct runq_opts {
	const char	*only_id;	/* -I: this entry first, even if not due */
	int		 only;		/* deliver nothing else */
	int		 all;		/* -a: due or not */
	int		 report;	/* -F: a caller waits for only_id */
	int		 defer;		/* -q -I: leave it to an active run */
	uid_t		 owner;		/* SPOOL_ANY_OWNER, or only this uid's */
	size_t		 window;	/* listed at a time; 0: SPOOL_WINDOW */
	const struct tls_client *client; /* client certificate, or NULL */
	int		(*tell)(const struct runq_outcome *, void *);
	void		(*done)(const struct runq_outcome *, void *);
	void		*arg;
};

/* How the run went, in numbers. */
struct runq_result {
	size_t		 sessions;	/* SMTP sessions opened */
	size_t		 sent;		/* entries finished (all sent) */
	size_t		 deferred;
	size_t		 bounced;	/* entries with a refused recipient */
	size_t		 expired;
	size_t		 untouched;	/* not tried: the session was lost */
	size_t		 limited;	/* not tried: max_sessions, max_rate */
};

struct smtp_params;
struct tls_client;
void	runq_params(struct smtp_params *, const struct conf *, const char *);
int	runq_run(const struct conf *, const struct runq_opts *,
	    struct runq_result *);
time_t	runq_backoff(const struct conf *, unsigned int);
void	runq_advance_age(const struct conf *, struct spool_entry *, time_t);
int	runq_expired(const struct conf *, const struct spool_entry *);
int	runq_due(const struct conf *, const struct spool_entry *, time_t);
const char *runq_what_name(enum runq_what);
const char *runq_rstate_name(enum runq_rstate);
void	runq_schedule(const struct conf *, struct spool_entry *, time_t,
	    time_t);

#endif /* RUNQ_H */
