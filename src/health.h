/*
 * health.h: the queue's health for monitoring (mailferry --health):
 * Nagios plugin exit codes, one line of output with perfdata.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stdio.h>
#include <time.h>

#include "conf.h"

/* Exit codes, Nagios plugin convention. */
enum health_status {
	HEALTH_OK = 0,
	HEALTH_WARNING = 1,
	HEALTH_CRITICAL = 2,
	HEALTH_UNKNOWN = 3
};

struct health_limits {
	time_t		 warn_age, crit_age;	/* oldest entry */
	unsigned int	 warn_queue, crit_queue;	/* entries queued */
};

struct health_result {
	enum health_status status;
	size_t		 queued;
	time_t		 oldest;	/* seconds, 0 if empty */
	time_t		 last_attempt;	/* of the last failed attempt */
	char		*last_error;	/* its error, escaped; or NULL */
	char		*cause;		/* UNKNOWN: why */
};

void	health_limits_conf(struct health_limits *, const struct conf *);
int	health_limits_arg(struct health_limits *, int, const char *,
	    char **);
void	health_check(const struct conf *, const struct health_limits *,
	    time_t, struct health_result *);
void	health_print(FILE *, const struct health_result *,
	    const struct health_limits *);
void	health_free(struct health_result *);

#endif /* HEALTH_H */
