/*
 * runq.h: queue runs of mailferry-send: pick due entries, deliver them
 * over one session, record per-recipient results, back off, expire,
 * bounce.
 */
#ifndef RUNQ_H
#define RUNQ_H

#include "conf.h"
#include "spool.h"

#define RUNQ_BATCH_MAX		100	/* entries locked at a time */
#define RUNQ_RECONNECT_MAX	3	/* new sessions after a lost one */
#define RUNQ_AGE_SLACK		(15 * 60) /* see runq_advance_age() */

/* What a run was asked to do. */
struct runq_opts {
	const char	*only_id;	/* -I: this entry first, even if not due */
	int		 only;		/* deliver nothing else */
	int		 all;		/* -a: due or not */
	int		 report;	/* -F: a caller waits for only_id */
	int		 show;		/* print only_id's outcome on stdout */
	uid_t		 owner;		/* SPOOL_ANY_OWNER, or only this uid's */
};

/* How the run went; status and reason are about only_id (for -F). */
struct runq_result {
	int		 status;	/* sysexits */
	char		*reason;
	size_t		 sessions;	/* SMTP sessions opened */
	size_t		 sent;		/* entries finished (all sent) */
	size_t		 deferred;
	size_t		 bounced;	/* entries with a refused recipient */
	size_t		 expired;
	size_t		 untouched;	/* not tried: the session was lost */
	size_t		 limited;	/* not tried: max_sessions, max_rate */
	int		 told;		/* refusals printed (-F) */
};

struct smtp_params;
void	runq_params(struct smtp_params *, const struct conf *, const char *);
int	runq_run(const struct conf *, const struct runq_opts *,
	    struct runq_result *);
time_t	runq_backoff(const struct conf *, unsigned int);
void	runq_advance_age(const struct conf *, struct spool_entry *, time_t);
int	runq_expired(const struct conf *, const struct spool_entry *);
int	runq_due(const struct conf *, const struct spool_entry *, time_t);
void	runq_schedule(const struct conf *, struct spool_entry *, time_t,
	    time_t);

#endif /* RUNQ_H */
