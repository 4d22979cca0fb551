/*
 * mailferry-send: the only program that reads the smarthost secret.
 *
 * Installed setgid mailferry in $(libexecdir)/mailferry; users reach it
 * through `sendmail -q`, `mailq` and the front end after a submission.
 * Its command line is small and strictly checked:
 *
 *   mailferry-send [-v] [-C conf] -q [-a | -I id]     queue run
 *   mailferry-send [-v] [-C conf] -I id [-F]          one entry now
 *   mailferry-send [-v] [-C conf] -t seconds          periodic runs
 *   mailferry-send [-C conf] -p [-j]                  list the queue
 *   mailferry-send [-C conf] -H [-W lim] [-X lim]     queue health
 *   mailferry-send [-C conf] -D id                    delete an entry
 *   mailferry-send [-v] [-C conf] -c                  check the relay
 *   mailferry-send [-C conf] -d                       dump the config
 *
 * -q runs the queue once: every due entry, over one session.  With
 * -a (an explicit `sendmail -q`) every entry is tried, due or not, as
 * Postfix, sendmail and dma do; expired ones still bounce.  With -I id
 * (the front end after each submission) id goes first, even if not
 * due, and the other due entries follow in the same session.
 *
 * -I id alone (sendmail -qI<ID>: an admin's "retry this one now")
 * tries only id, even if not due, and prints its fate on stdout:
 * "ID: sent", "ID: deferred: reason", "ID: bounced: reason" (the
 * sender gets a bounce), "ID: locked: ...", "ID: waiting: ..." (over
 * max_sessions or max_rate, limit.c) or "ID: not found".
 *
 * -F (foreground) delivers only id and reports its fate: exit 0 when
 * delivered, 75 with "queued: reason" when it stays queued, 67 or 69
 * with the server's reply when it was refused (no bounce then): one
 * line "<rcpt>: reply" per refused recipient, or "refused: reason".
 *
 * -t seconds (sendmail -q5m) stays in the foreground and runs the queue
 * every so many seconds until SIGTERM, SIGINT or SIGHUP.
 *
 * -p -j lists the queue as one JSON document (mailq.c shows it).
 *
 * -H prints one line about the queue's health and exits 0 (OK), 1
 * (WARNING), 2 (CRITICAL) or 3 (UNKNOWN, also for a bad -W/-X or an
 * unusable configuration), as Nagios plugins do (health.c).  -W and -X
 * override [health]'s warn_ and crit_ limits: "AGE,COUNT", "AGE" or
 * ",COUNT".  No other option is valid with -H; -W and -X only with it,
 * -j only with -p.
 *
 * -D id deletes an entry (root, or the user who queued it): exit 0,
 * 66 no such entry or being delivered, 77 not yours.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "health.h"
#include "helper.h"
#include "mailq.h"
#include "privsep.h"
#include "runq.h"
#include "secret.h"
#include "smtp.h"
#include "spool.h"

static int	send_quit;

/* The command line, checked. */
struct send_args {
	struct runq_opts	 ro;
	const char		*conf_path;
	const char		*del_id;	/* -D */
	const char		*warn, *crit;	/* -W, -X */
	long long		 interval;	/* -t */
	int			 mode;		/* option letter; 'j': -p -j */
	int			 verbose;
};

static void	send_usage(void) __attribute__((noreturn));
static void	send_args(int, char *[], struct send_args *);
static int	send_load_conf(struct conf *, const char *, int);
static uid_t	send_owner(void);
static int	send_periodic(const struct conf *, time_t);
static int	send_mode(const struct conf *, int, const char *, time_t);
static int	send_queue(const struct conf *, const struct runq_opts *);
static int	send_check(const struct conf *);
static int	send_health(const struct conf *, const char *, const char *);
static void	send_unknown(const char *) __attribute__((noreturn));

static void
send_usage(void)
{
	fprintf(stderr, "usage: mailferry-send [-v] [-C conf] "
	    "[-q [-a] | -I id [-F] | -t seconds | -p [-j] | -D id | -c | -d]\n"
	    "       mailferry-send [-C conf] -H [-W limits] [-X limits]\n");
	exit(EX_USAGE);
}

/* -H cannot go on: one UNKNOWN line, exit 3 (a monitor reads stdout). */
static void
send_unknown(const char *cause)
{
	struct health_result	 res;

	memset(&res, 0, sizeof(res));
	res.status = HEALTH_UNKNOWN;
	res.cause = (char *)cause;
	health_print(stdout, &res, NULL);
	exit(HEALTH_UNKNOWN);
}

/* -H: judge the queue against [health], then -w and -c. */
static int
send_health(const struct conf *conf, const char *warn, const char *crit)
{
	struct health_limits	 l;
	struct health_result	 res;
	char			*cause = NULL;
	int			 r;

	health_limits_conf(&l, conf);
	if ((warn != NULL && health_limits_arg(&l, 'w', warn, &cause) == -1) ||
	    (crit != NULL && health_limits_arg(&l, 'c', crit, &cause) == -1))
		send_unknown(cause);
	if (l.warn_age > l.crit_age || l.warn_queue > l.crit_queue)
		send_unknown("a warning limit exceeds its critical limit");
	health_check(conf, &l, time(NULL), &res);
	health_print(stdout, &res, &l);
	r = (int)res.status;
	health_free(&res);
	return (r);
}

/*
 * Load the configuration this run may trust (helper.c), and check the
 * spool for the modes that use it.
 */
static int
send_load_conf(struct conf *conf, const char *path, int mode)
{
	char	*cause = NULL;
	int	 r;

	if ((r = helper_load_conf(conf, path, &cause)) == 0 &&
	    mode != 'd' && mode != 'c')
		r = helper_check_spool(conf->queue_dir, &cause);
	/* Root's run makes a new spool's subdirectories, as the docs say. */
	if (r == 0 && mode != 'd' && mode != 'c' && privsep_may_create() &&
	    spool_mkdirs(conf->queue_dir, &cause) == -1) {
		log_debug("%s", cause);
		free(cause);
		cause = NULL;
	}
	if (r != 0 && mode == 'H')
		send_unknown(cause);
	if (r != 0) {
		fprintf(stderr, "mailferry: %s\n", cause);
		exit(r);
	}
	return (0);
}

/*
 * Whose entries this run may take: all of them for root and for a
 * program holding no privilege (a one-user install), else only the
 * caller's own, so that nobody can hold, report or bounce another
 * user's mail (a stopped run keeps its entries locked).
 */
static uid_t
send_owner(void)
{
	if (!privsep_privileged() || getuid() == 0)
		return (SPOOL_ANY_OWNER);
	return (getuid());
}

/*
 * Run the queue every interval seconds until SIGTERM or SIGINT.  The
 * signals are blocked during a run (a transaction is never cut short:
 * the run ends first) and awaited with sigtimedwait() in between, so the
 * program stops at once when idle and right after the run otherwise.
 * SIGKILL at any time is safe: nothing is lost, at worst a message whose
 * end-of-data was answered is sent again.
 */
static int
send_periodic(const struct conf *conf, time_t interval)
{
	struct runq_opts	 ro;
	struct runq_result	 res;
	struct timespec		 ts, t0, t1;
	sigset_t		 set;
	int			 sig = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
	memset(&ro, 0, sizeof(ro));
	ro.owner = send_owner();
	log_info("queue runner started, every %llds", (long long)interval);
	while (!send_quit) {
		runq_run(conf, &ro, &res);
		free(res.reason);
		if (res.sessions + res.expired + res.deferred > 0)
			log_debug("queue run: %zu sent, %zu deferred, "
			    "%zu bounced, %zu expired", res.sent, res.deferred,
			    res.bounced, res.expired);
		/* Sleep on the monotonic clock: wall-clock jumps do not count. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec >= interval)
				break;
			ts.tv_sec = interval - (t1.tv_sec - t0.tv_sec);
			ts.tv_nsec = 0;
			sig = sigtimedwait(&set, NULL, &ts);
			if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
				send_quit = 1;
				break;
			}
		}
	}
	log_info("queue runner stopped (signal %d)", sig);
	return (EX_OK);
}

/*
 * Connect, show TLS, certificate, AUTH result and the SIZE limit, and
 * send nothing (mailferry --check).
 */
static int
send_check(const struct conf *conf)
{
	struct smtp_params	 p;
	char			*password = NULL, *cause = NULL;
	int			 r;

	if (conf_check_relay(conf, &cause) == -1) {
		fprintf(stderr, "mailferry: %s\n", cause);
		return (EX_CONFIG);
	}
	if (conf->auth != CONF_AUTH_NONE && conf->user != NULL &&
	    (r = secret_read(conf, &password, &cause)) != 0) {
		fprintf(stderr, "mailferry: %s\n", cause);
		return (r == CONF_ERR_INSECURE ? EX_NOPERM :
		    r == CONF_ERR_SYNTAX ? EX_CONFIG : EX_TEMPFAIL);
	}
	runq_params(&p, conf, password);
	r = smtp_probe(&p, stdout, &cause);
	if (password != NULL)
		freezero(password, strlen(password));
	if (r == -1) {
		fprintf(stderr, "mailferry: check failed: %s\n", cause);
		return (EX_UNAVAILABLE);
	}
	return (EX_OK);
}

/* The modes other than a queue run: -d, -p, -D, -c and -t. */
static int
send_mode(const struct conf *conf, int mode, const char *del_id,
    time_t interval)
{
	FILE	*out = stdout;
	char	*cause = NULL;
	int	 r;

	switch (mode) {
	case 'd':
		conf_dump(conf, stdout);
		return (EX_OK);
	case 'p':
		return (mailq_list(conf, out) == -1 ? EX_IOERR : EX_OK);
	case 'j':
		if (mailq_list_json(conf, out) == -1)
			return (EX_IOERR);
		return (fflush(out) == EOF || ferror(out) ? EX_IOERR : EX_OK);
	case 'D':
		if ((r = mailq_delete(conf, del_id, getuid(), &cause)) != 0) {
			fprintf(stderr, "mailferry: %s\n", cause != NULL ?
			    cause : "cannot delete");
			free(cause);
			return (r == -2 ? EX_NOPERM : EX_NOINPUT);
		}
		return (EX_OK);
	case 'c':
		return (send_check(conf));
	default:
		return (send_periodic(conf, interval));
	}
}

/* A queue run (-q, -I id [-F]): its exit status as the options ask. */
static int
send_queue(const struct conf *conf, const struct runq_opts *ro)
{
	struct runq_result	 res;
	char			*cause = NULL;
	int			 r;

	if (conf_check_relay(conf, &cause) == -1) {
		fprintf(stderr, "mailferry: %s\n", cause);
		free(cause);
		return (EX_CONFIG);
	}
	runq_run(conf, ro, &res);
	if (res.status == EX_NOPERM) {
		fprintf(stderr, "mailferry: %s\n", res.reason);
		free(res.reason);
		return (EX_NOPERM);
	}
	r = ro->show ? res.status : EX_OK;
	if (ro->report && res.status == EX_TEMPFAIL)
		fprintf(stderr, "mailferry: queued: %s\n", res.reason != NULL ?
		    res.reason : "temporary failure");
	else if (ro->report && res.status != EX_OK && !res.told)
		fprintf(stderr, "mailferry: refused: %s\n",
		    res.reason != NULL ? res.reason : "permanent failure");
	free(res.reason);
	return (ro->report ? res.status : r);
}

/*
 * Parse the command line into a; every mode's options are checked here
 * (a wrong combination is a usage error, never a guess).
 */
static void
send_args(int argc, char *argv[], struct send_args *a)
{
	const char	*errstr;
	int		 ch, qflag = 0, jflag = 0, nopts = 0;

	while ((ch = getopt(argc, argv, "aC:cdD:FHI:jpqt:vW:X:")) != -1) {
		/* Every letter but -C, -j, -W and -X counts against -H. */
		nopts += strchr("CjWX", ch) == NULL;
		switch (ch) {
		case 'a':
			a->ro.all = 1;
			break;
		case 'C':
			a->conf_path = optarg;
			break;
		case 'W':
		case 'X':
			if (*(ch == 'W' ? &a->warn : &a->crit) != NULL)
				send_usage();
			*(ch == 'W' ? &a->warn : &a->crit) = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 'D':
			a->del_id = optarg;
			/* FALLTHROUGH */
		case 'c':
		case 'd':
		case 'H':
		case 'p':
			a->mode = ch;
			break;
		case 'F':
			a->ro.report = a->ro.only = 1;
			break;
		case 'I':
			if (!spool_id_valid(optarg))
				send_usage();
			a->ro.only_id = optarg;
			break;
		case 'q':
			qflag = 1;
			break;
		case 't':
			a->interval = strtonum(optarg, 1, 7 * 24 * 3600,
			    &errstr);
			if (errstr != NULL)
				send_usage();
			a->mode = 't';
			break;
		case 'v':
			a->verbose = 1;
			break;
		default:
			send_usage();
		}
	}
	if (optind != argc || (a->ro.report && a->ro.only_id == NULL) ||
	    (a->ro.report && qflag) ||
	    (a->ro.all && (!qflag || a->ro.only_id != NULL ||
	    a->mode != 'q')) ||
	    (jflag && (a->mode != 'p' || nopts != 1)) ||
	    ((a->warn != NULL || a->crit != NULL) && a->mode != 'H') ||
	    (a->mode == 'H' && nopts != 1))
		send_usage();
	if (jflag)
		a->mode = 'j';
	if (a->ro.only_id != NULL && !qflag && !a->ro.report)
		a->ro.only = a->ro.show = 1;
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct send_args	 a;
	int			 r;

	privsep_sanitise();
	memset(&a, 0, sizeof(a));
	a.mode = 'q';
	a.ro.owner = send_owner();
	send_args(argc, argv, &a);
	/* smtp.c writes to sockets: a peer gone is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	log_init("mailferry", a.verbose);
	send_load_conf(&conf, a.conf_path, a.mode);
	if (a.mode == 'q')
		r = send_queue(&conf, &a.ro);
	else if (a.mode == 'H')
		r = send_health(&conf, a.warn, a.crit);
	else
		r = send_mode(&conf, a.mode, a.del_id, (time_t)a.interval);
	conf_free(&conf);
	return (r);
}
