/*
 * health.c: the queue's health (mailferry --health, mailferry-send -H).
 *
 * Three facts decide the status, checked against [health] in
 * mailferry.conf or -w/-c on the command line:
 *   - the age of the oldest entry (now minus its arrival; at least the
 *     age accumulated run by run, so a clock set back hides nothing);
 *   - the number of entries queued;
 *   - whether the last delivery attempt failed: an entry that was tried
 *     (attempts > 0) and kept a last error is a deferred message.
 * CRITICAL when the age or the count reaches its crit_ limit, else
 * WARNING when one reaches its warn_ limit or an attempt failed, else
 * OK.  UNKNOWN when the queue cannot be read.
 *
 * The output is one line (Nagios plugin format), then the exit status
 * 0, 1, 2 or 3:
 *
 *   MAILFERRY OK - 3 queued, oldest 2m, last error none | queued=3;100;1000;0 oldest=120s;3600;14400;0
 *   MAILFERRY WARNING - 1 queued, oldest 1h5m, last error 451 4.3.0 try later | ...
 *
 * The error text comes from a spool entry (hostile): it is escaped and
 * cut, and '|' (the perfdata separator) becomes '/'.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailferry.h"
#include "conf.h"
#include "health.h"
#include "mailq.h"
#include "spool.h"

#define HEALTH_ERROR_SHOW	120	/* bytes of the last error shown */
#define HEALTH_QUEUE_MAX	1000000

static const char *health_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

struct health_scan {
	struct health_result	*res;
	time_t			 now;
};

static void	health_entry(const struct spool_entry *, void *);
static void	health_age(char *, size_t, time_t);

/* The thresholds of the configuration's [health] section. */
void
health_limits_conf(struct health_limits *l, const struct conf *conf)
{
	l->warn_age = conf->warn_age;
	l->crit_age = conf->crit_age;
	l->warn_queue = conf->warn_queue;
	l->crit_queue = conf->crit_queue;
}

/*
 * Apply -w or -c (which): "AGE,COUNT", "AGE[,]" or ",COUNT", AGE a
 * duration (N, Ns, Nm, Nh, Nd) and COUNT a number of entries.
 * Returns 0, or -1 with cause.
 */
int
health_limits_arg(struct health_limits *l, int which, const char *arg,
    char **cause)
{
	const char	*comma, *errstr = NULL;
	char		 age[32];
	time_t		 t;
	long long	 n;
	size_t		 len;

	comma = strchr(arg, ',');
	len = comma != NULL ? (size_t)(comma - arg) : strlen(arg);
	if (len >= sizeof(age) || (len == 0 && (comma == NULL ||
	    comma[1] == '\0')))
		goto bad;
	memcpy(age, arg, len);
	age[len] = '\0';
	if (len > 0) {
		if (conf_duration(age, 1, 60 * 86400LL, &t) == -1)
			goto bad;
		*(which == 'w' ? &l->warn_age : &l->crit_age) = t;
	}
	if (comma != NULL && comma[1] != '\0') {
		n = strtonum(comma + 1, 1, HEALTH_QUEUE_MAX, &errstr);
		if (errstr != NULL)
			goto bad;
		*(which == 'w' ? &l->warn_queue : &l->crit_queue) =
		    (unsigned int)n;
	}
	return (0);
bad:
	xasprintf(cause, "-%c: want AGE,COUNT, AGE or ,COUNT (AGE like 30m, "
	    "COUNT from 1 to %d)", which, HEALTH_QUEUE_MAX);
	return (-1);
}

static void
health_entry(const struct spool_entry *e, void *arg)
{
	struct health_scan	*hs = arg;
	struct health_result	*res = hs->res;
	time_t			 age;

	res->queued++;
	age = hs->now > e->created ? hs->now - e->created : 0;
	if (e->age > age)
		age = e->age;
	if (age > res->oldest)
		res->oldest = age;
	if (e->attempts == 0 || e->last_error == NULL ||
	    (res->last_error != NULL && e->last_attempt < res->last_attempt))
		return;
	free(res->last_error);
	res->last_error = xstrdup(e->last_error);
	res->last_attempt = e->last_attempt;
}

/* Look at the queue and judge it against l. */
void
health_check(const struct conf *conf, const struct health_limits *l,
    time_t now, struct health_result *res)
{
	struct health_scan	 hs;

	memset(res, 0, sizeof(*res));
	hs.res = res;
	hs.now = now;
	if (mailq_scan(conf, 0, health_entry, &hs, &res->cause) == -1) {
		res->status = HEALTH_UNKNOWN;
		return;
	}
	if (res->oldest >= l->crit_age || res->queued >= l->crit_queue)
		res->status = HEALTH_CRITICAL;
	else if (res->oldest >= l->warn_age || res->queued >= l->warn_queue ||
	    res->last_error != NULL)
		res->status = HEALTH_WARNING;
	else
		res->status = HEALTH_OK;
}

/* An age the way people say it: 45s, 2m, 1h5m, 3d2h. */
static void
health_age(char *buf, size_t len, time_t t)
{
	long long	 s = (long long)t;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, s % 3600 >= 60 ? "%lldh%lldm" : "%lldh",
		    s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, s % 86400 >= 3600 ? "%lldd%lldh" : "%lldd",
		    s / 86400, s % 86400 / 3600);
}

/* Print res as one line in the Nagios plugin format. */
void
health_print(FILE *f, const struct health_result *res,
    const struct health_limits *l)
{
	char	 age[32], *err, *p;

	if (res->status == HEALTH_UNKNOWN) {
		err = log_escape(res->cause != NULL ? res->cause : "error",
		    strlen(res->cause != NULL ? res->cause : "error"));
		fprintf(f, "MAILFERRY UNKNOWN - %s\n", err);
		free(err);
		return;
	}
	health_age(age, sizeof(age), res->oldest);
	fprintf(f, "MAILFERRY %s - %zu queued, oldest %s, last error ",
	    health_names[res->status], res->queued,
	    res->queued == 0 ? "none" : age);
	if (res->last_error == NULL)
		fputs("none", f);
	else {
		err = log_escape(res->last_error, strlen(res->last_error));
		if (strlen(err) > HEALTH_ERROR_SHOW)
			strlcpy(err + HEALTH_ERROR_SHOW - 3, "...", 4);
		for (p = err; *p != '\0'; p++)
			if (*p == '|')
				*p = '/';
		fputs(err, f);
		free(err);
	}
	fprintf(f, " | queued=%zu;%u;%u;0 oldest=%llds;%lld;%lld;0\n",
	    res->queued, l->warn_queue, l->crit_queue,
	    (long long)res->oldest, (long long)l->warn_age,
	    (long long)l->crit_age);
}

/* Release what health_check() allocated. */
void
health_free(struct health_result *res)
{
	free(res->last_error);
	free(res->cause);
	memset(res, 0, sizeof(*res));
}
