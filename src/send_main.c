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
 * due, and the other due entries follow in the same session; when a
 * run that will take id is already active, it is left to that run
 * (runq.c, limit.c).
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
 *
 * The queue engine (runq.c) prints nothing: it hands this file one
 * outcome per entry (send_done) and, under -F, the refusals to tell the
 * caller (send_tell).  Here they become the log record of the attempt
 * (record.c, to the [log] target), the -qI line on stdout, the -F
 * lines on stderr and the exit status.
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
#include "oauth2.h"
#include "privsep.h"
#include "record.h"
#include "runq.h"
#include "secret.h"
#include "smtp.h"
#include "spool.h"
#include "tls.h"

/* What only_id's outcome was, for the exit status of -F and -qI. */
struct send_report {
	int		 show;		/* print only_id's fate on stdout */
	int		 json;		/* records as JSON lines */
	int		 seen;
	enum runq_what	 what;
	int		 told;		/* refusals went to stderr */
	int		 msg_refused;
	size_t		 nsent;
	char		*reason;	/* why deferred, locked... */
};

static int	send_quit;

/* The command line, checked. */
struct send_args {
	struct runq_opts	 ro;
	const char		*conf_path;
	const char		*del_id;	/* -D */
	const char		*warn, *crit;	/* -W, -X */
	long long		 interval;	/* -t */
	int			 show;		/* -I alone: print its fate */
	int			 mode;		/* option letter; 'j': -p -j */
	int			 verbose;
};

static void	send_usage(void) __attribute__((noreturn));
static void	send_args(int, char *[], struct send_args *);
static void	send_log_setup(const struct conf *, int);
static int	send_tell(const struct runq_outcome *, void *);
static void	send_done(const struct runq_outcome *, void *);
static int	send_status(const struct runq_opts *, struct send_report *);
static int	send_load_conf(struct conf *, const char *, int);
static uid_t	send_owner(void);
static int	send_periodic(const struct conf *, time_t);
static int	send_mode(const struct conf *, int, const char *, time_t);
static int	send_queue(const struct conf *, struct runq_opts *, int);
static int	send_check(const struct conf *);
static int	send_exit_of(int);
static const struct tls_client *send_client(const struct conf *,
		    struct tls_client *);
static int	send_check_oauth2(const struct conf *, int, char **, char **);
static int	send_health(const struct conf *, const char *, const char *);
static void	send_unknown(const char *) __attribute__((noreturn));

static void
send_usage(void)
{
	mf_die_usage("usage: mailferry-send [-v] [-C conf] "
	    "[-q [-a] | -I id [-F] | -t seconds | -p [-j] | -D id | -c | -d]\n"
	    "       mailferry-send [-C conf] -H [-W limits] [-X limits]", NULL);
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
	if (r != 0)
		mf_die(r, "%s", cause);
	return (0);
}

/*
 * Send log lines and records where [log] says (from the trusted
 * configuration only).  The default is syslog where /dev/log exists,
 * else stderr, except for a run whose stderr is a waiting caller's
 * (-F): that one keeps syslog unless target = stderr was chosen.  A
 * log file that cannot be opened falls back to stderr; one that is
 * refused (symbolic link, others may write it) stops the run.
 */
static void
send_log_setup(const struct conf *conf, int caller_waits)
{
	char	*cause = NULL;
	int	 fd, json = conf->log_format == CONF_LOG_JSON;

	switch (conf->log_target) {
	case CONF_LOG_SYSLOG:
		log_set_target(LOG_TARGET_SYSLOG, -1, json);
		break;
	case CONF_LOG_STDERR:
		log_set_target(LOG_TARGET_STDERR, -1, json);
		break;
	case CONF_LOG_FILE:
		if ((fd = log_open_file(conf->log_file, &cause)) ==
		    LOG_FILE_REFUSED)
			mf_die(EX_NOPERM, "%s", cause);
		if (fd == -1) {
			log_set_target(LOG_TARGET_STDERR, -1, json);
			log_warnx("%s: logging to stderr", cause);
			free(cause);
		} else
			log_set_target(LOG_TARGET_FILE, fd, json);
		break;
	case CONF_LOG_AUTO:
	default:
		log_set_target(access("/dev/log", F_OK) == 0 || caller_waits ?
		    LOG_TARGET_SYSLOG : LOG_TARGET_STDERR, -1, json);
		break;
	}
}

/* -F: tell the waiting caller each refused recipient; -1 if it cannot. */
static int
send_tell(const struct runq_outcome *o, void *arg)
{
	char	*a;
	size_t	 i;

	(void)arg;
	for (i = 0; i < o->nrcpts; i++) {
		if (o->rcpts[i].state != RUNQ_R_FAILED)
			continue;
		a = log_escape(o->rcpts[i].addr, strlen(o->rcpts[i].addr));
		fprintf(stderr, MF_PROGNAME ": <%s>: %s\n", a,
		    o->rcpts[i].reply != NULL ? o->rcpts[i].reply : "refused");
		free(a);
	}
	if (fflush(stderr) == EOF || ferror(stderr))
		return (-1);
	return (0);
}

/* Every outcome: its log record; only_id's also for -qI and -F. */
static void
send_done(const struct runq_outcome *o, void *arg)
{
	struct send_report	*rep = arg;
	const char		*why;
	char			*rec;
	size_t			 i;

	if ((rec = record_render(o, rep->json, time(NULL))) != NULL) {
		log_record(rec);
		free(rec);
	}
	if (!o->forced)
		return;
	rep->seen = 1;
	rep->what = o->what;
	rep->told = o->told;
	rep->msg_refused = o->msg_refused;
	for (i = rep->nsent = 0; i < o->nrcpts; i++)
		rep->nsent += o->rcpts[i].state == RUNQ_R_SENT;
	free(rep->reason);
	rep->reason = o->reason != NULL ? xstrdup(o->reason) : NULL;
	why = o->what == RUNQ_W_BOUNCED ? o->reply : o->reason;
	if (rep->show && o->what != RUNQ_W_NOT_YOURS) {
		printf("%s: %s%s%s\n", o->id, runq_what_name(o->what),
		    why != NULL ? ": " : "", why != NULL ? why : "");
		fflush(stdout);
	}
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
	struct send_report	 rep;
	struct tls_client	 tc;
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
	memset(&rep, 0, sizeof(rep));
	rep.json = conf->log_format == CONF_LOG_JSON;
	ro.owner = send_owner();
	ro.done = send_done;
	ro.arg = &rep;
	ro.client = send_client(conf, &tc);
	log_info("queue runner started, every %llds", (long long)interval);
	while (!send_quit) {
		runq_run(conf, &ro, &res);
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
	tls_client_free(&tc);
	return (EX_OK);
}

/* The exit status for a CONF_ERR_* of secret.c. */
static int
send_exit_of(int r)
{
	return (r == CONF_ERR_INSECURE ? EX_NOPERM :
	    r == CONF_ERR_SYNTAX ? EX_CONFIG : EX_TEMPFAIL);
}

/*
 * Load the client certificate and key (tls_cert_file, tls_key_file)
 * into tc once per run, before any entry is touched: a key that others
 * may read is 77, one that cannot be used or does not match is 78.
 * NULL when none is configured.
 */
static const struct tls_client *
send_client(const struct conf *conf, struct tls_client *tc)
{
	char	*pem = NULL, *cause = NULL;
	size_t	 len = 0;
	int	 r;

	memset(tc, 0, sizeof(*tc));
	if (conf->tls_cert_file == NULL)
		return (NULL);
	if ((r = secret_read_key(conf->tls_key_file, &pem, &len,
	    &cause)) != 0)
		mf_die(send_exit_of(r), "%s", cause);
	r = tls_client_load(tc, conf->tls_cert_file, pem, len, &cause);
	freezero(pem, len);
	if (r == -1)
		mf_die(EX_CONFIG, "%s", cause);
	return (tc);
}

/*
 * The OAuth2 token for a check (a new one when force is set): say
 * until when it is valid, never the token.
 */
static int
send_check_oauth2(const struct conf *conf, int force, char **token,
    char **cause)
{
	char		 when[64];
	struct tm	*tm;
	time_t		 exp = 0, now;
	int		 r;

	if ((r = oauth2_get(conf, force, token, &exp, cause)) != 0)
		return (r);
	now = time(NULL);
	if ((tm = gmtime(&exp)) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", tm) == 0)
		strlcpy(when, "?", sizeof(when));
	printf("oauth2: access token valid until %s (%llds)\n", when,
	    (long long)(exp - now));
	return (0);
}

/*
 * Connect, show TLS, certificate, AUTH result and the SIZE limit, and
 * send nothing (mailferry --check).
 */
static int
send_check(const struct conf *conf)
{
	struct smtp_params	 p;
	struct tls_client	 tc;
	const struct tls_client	*client;
	char			*password = NULL, *cause = NULL;
	int			 r, refused = 0, tried_new = 0;

	if (conf_check_relay(conf, &cause) == -1)
		mf_die(EX_CONFIG, "%s", cause);
	if (conf->oauth2_provider != CONF_OAUTH2_NONE)
		r = send_check_oauth2(conf, 0, &password, &cause);
	else if (secret_needed(conf))
		r = secret_read(conf, &password, &cause);
	else
		r = 0;
	client = send_client(conf, &tc);
	for (;;) {
		if (r != 0)
			mf_die(send_exit_of(r), "%s", cause);
		runq_params(&p, conf, password);
		p.client = client;
		p.auth_refused = &refused;
		r = smtp_probe(&p, stdout, &cause);
		if (password != NULL)
			freezero(password, strlen(password));
		password = NULL;
		/* A refused OAuth2 token: one new token, as a queue run. */
		if (r == 0 || !refused || tried_new ||
		    conf->oauth2_provider == CONF_OAUTH2_NONE)
			break;
		printf("oauth2: the token was refused: asking for a new one\n");
		free(cause);
		cause = NULL;
		tried_new = 1;
		r = send_check_oauth2(conf, 1, &password, &cause);
	}
	tls_client_free(&tc);
	if (r == -1)
		mf_die(EX_UNAVAILABLE, "check failed: %s", cause);
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
		if ((r = mailq_delete(conf, del_id, getuid(), &cause)) != 0)
			mf_die(r == -2 ? EX_NOPERM : EX_NOINPUT, "%s",
			    cause != NULL ? cause : "cannot delete");
		return (EX_OK);
	case 'c':
		return (send_check(conf));
	default:
		return (send_periodic(conf, interval));
	}
}

/* The exit status of a -F or -qI run, from only_id's outcome. */
static int
send_status(const struct runq_opts *ro, struct send_report *rep)
{
	if (ro->only_id == NULL || !rep->seen)
		return (EX_OK);
	if (rep->what == RUNQ_W_NOT_YOURS && ro->only)
		mf_die(EX_NOPERM, "%s: not yours", ro->only_id);
	if (ro->report) {
		/* The refusals are on stderr already: one line each. */
		if (rep->told && rep->nsent == 0)
			return (rep->msg_refused ? EX_UNAVAILABLE : EX_NOUSER);
		if (rep->what == RUNQ_W_DEFERRED ||
		    rep->what == RUNQ_W_LOCKED)
			mf_die(EX_TEMPFAIL, "queued: %s", rep->reason != NULL ?
			    rep->reason : "temporary failure");
		if (rep->what == RUNQ_W_WAITING)
			mf_die(EX_TEMPFAIL, "queued: waiting: %s",
			    rep->reason != NULL ? rep->reason : "limits");
		return (EX_OK);
	}
	if (!rep->show)
		return (EX_OK);
	if (rep->what == RUNQ_W_LOCKED || rep->what == RUNQ_W_WAITING)
		return (EX_TEMPFAIL);
	return (rep->what == RUNQ_W_NOT_FOUND ? EX_NOINPUT : EX_OK);
}

/* A queue run (-q, -I id [-F]): its exit status as the options ask. */
static int
send_queue(const struct conf *conf, struct runq_opts *ro, int show)
{
	struct runq_result	 res;
	struct send_report	 rep;
	struct tls_client	 tc;
	char			*cause = NULL;
	int			 r;

	if (conf_check_relay(conf, &cause) == -1)
		mf_die(EX_CONFIG, "%s", cause);
	memset(&rep, 0, sizeof(rep));
	rep.show = show;
	rep.json = conf->log_format == CONF_LOG_JSON;
	ro->tell = send_tell;
	ro->done = send_done;
	ro->arg = &rep;
	ro->client = send_client(conf, &tc);
	runq_run(conf, ro, &res);
	r = send_status(ro, &rep);
	free(rep.reason);
	tls_client_free(&tc);
	return (r);
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
		a->ro.only = a->show = 1;
	/* After a submission: a run already active takes the entry. */
	if (a->ro.only_id != NULL && qflag)
		a->ro.defer = 1;
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct send_args	 a;
	int			 r;

	privsep_sanitise();
	mf_exit_tag(MF_PROGNAME);
	memset(&a, 0, sizeof(a));
	a.mode = 'q';
	a.ro.owner = send_owner();
	send_args(argc, argv, &a);
	/* smtp.c writes to sockets: a peer gone is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	log_init("mailferry", a.verbose);
	send_load_conf(&conf, a.conf_path, a.mode);
	if (a.mode == 'q' || a.mode == 't')
		send_log_setup(&conf, a.ro.report);
	if (a.mode == 'q')
		r = send_queue(&conf, &a.ro, a.show);
	else if (a.mode == 'H')
		r = send_health(&conf, a.warn, a.crit);
	else
		r = send_mode(&conf, a.mode, a.del_id, (time_t)a.interval);
	conf_free(&conf);
	return (r);
}
