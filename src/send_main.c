/*
 * mailferry-send: the only program that reads the smarthost secret.
 *
 * Installed setgid mailferry in $(libexecdir)/mailferry; users reach it
 * through `sendmail -q`, `mailq` and the front end after a submission.
 * Its command line is small and strictly checked:
 *
 *   mailferry-send [-v] [-C conf] -q [-I id]          queue run
 *   mailferry-send [-v] [-C conf] -I id [-F]          one entry now
 *   mailferry-send [-v] [-C conf] -t seconds          periodic runs
 *   mailferry-send [-C conf] -p                       list the queue
 *   mailferry-send [-C conf] -D id                    delete an entry
 *   mailferry-send [-v] [-C conf] -c                  check the relay
 *   mailferry-send [-C conf] -d                       dump the config
 *
 * -q runs the queue once: every due entry, over one session.  With
 * -I id (the front end after each submission) id goes first, even if
 * not due, and the other due entries follow in the same session.
 *
 * -I id alone (sendmail -qI<ID>: an admin's "retry this one now")
 * tries only id, even if not due, and prints its fate on stdout:
 * "ID: sent", "ID: deferred: reason", "ID: bounced: reason" (the
 * sender gets a bounce), "ID: locked: ..." or "ID: not found".
 *
 * -F (foreground) delivers only id and reports its fate: exit 0 when
 * delivered, 75 with "queued: reason" when it stays queued, 67 or 69
 * with the server's reply when it was refused (no bounce then).
 *
 * -t seconds (sendmail -q5m) stays in the foreground and runs the queue
 * every so many seconds until SIGTERM, SIGINT or SIGHUP.
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
#include "helper.h"
#include "mailq.h"
#include "privsep.h"
#include "record.h"
#include "runq.h"
#include "secret.h"
#include "smtp.h"
#include "spool.h"

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
	char		*refusal;	/* what the caller was told */
};

static int	send_quit;

static void	send_usage(void) __attribute__((noreturn));
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

static void
send_usage(void)
{
	mf_die_usage("usage: mailferry-send [-v] [-C conf] "
	    "[-q | -I id [-F] | -t seconds | -p | -D id | -c | -d]", NULL);
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
	free(rep->refusal);
	rep->reason = o->reason != NULL ? xstrdup(o->reason) : NULL;
	rep->refusal = xstrdup(o->reply != NULL ? o->reply :
	    "recipients refused");
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

	if (conf_check_relay(conf, &cause) == -1)
		mf_die(EX_CONFIG, "%s", cause);
	if (conf->auth != CONF_AUTH_NONE && conf->user != NULL &&
	    (r = secret_read(conf, &password, &cause)) != 0)
		mf_die(r == CONF_ERR_INSECURE ? EX_NOPERM :
		    r == CONF_ERR_SYNTAX ? EX_CONFIG : EX_TEMPFAIL, "%s", cause);
	runq_params(&p, conf, password);
	r = smtp_probe(&p, stdout, &cause);
	if (password != NULL)
		freezero(password, strlen(password));
	if (r == -1)
		mf_die(EX_UNAVAILABLE, "check failed: %s", cause);
	return (EX_OK);
}

/* The modes other than a queue run: -d, -p, -D, -c and -t. */
static int
send_mode(const struct conf *conf, int mode, const char *del_id,
    time_t interval)
{
	char	*cause = NULL;
	int	 r;

	switch (mode) {
	case 'd':
		conf_dump(conf, stdout);
		return (EX_OK);
	case 'p':
		return (mailq_list(conf, stdout) == -1 ? EX_IOERR : EX_OK);
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
		if (rep->told && rep->nsent == 0)
			mf_die(rep->msg_refused ? EX_UNAVAILABLE : EX_NOUSER,
			    "refused: %s", rep->refusal);
		if (rep->what == RUNQ_W_DEFERRED ||
		    rep->what == RUNQ_W_LOCKED)
			mf_die(EX_TEMPFAIL, "queued: %s", rep->reason != NULL ?
			    rep->reason : "temporary failure");
		return (EX_OK);
	}
	if (!rep->show)
		return (EX_OK);
	if (rep->what == RUNQ_W_LOCKED)
		return (EX_TEMPFAIL);
	return (rep->what == RUNQ_W_NOT_FOUND ? EX_NOINPUT : EX_OK);
}

/* A queue run (-q, -I id [-F]): its exit status as the options ask. */
static int
send_queue(const struct conf *conf, struct runq_opts *ro, int show)
{
	struct runq_result	 res;
	struct send_report	 rep;
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
	runq_run(conf, ro, &res);
	r = send_status(ro, &rep);
	free(rep.reason);
	free(rep.refusal);
	return (r);
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct runq_opts	 ro;
	const char		*conf_path = NULL, *errstr, *del_id = NULL;
	long long		 interval = 0;
	int			 ch, verbose = 0, mode = 'q', qflag = 0, r;
	int			 show = 0;

	privsep_sanitise();
	mf_exit_tag(MF_PROGNAME);
	memset(&ro, 0, sizeof(ro));
	ro.owner = send_owner();
	while ((ch = getopt(argc, argv, "C:cdD:FI:pqt:v")) != -1) {
		switch (ch) {
		case 'C':
			conf_path = optarg;
			break;
		case 'D':
			del_id = optarg;
			/* FALLTHROUGH */
		case 'c':
		case 'd':
		case 'p':
			mode = ch;
			break;
		case 'F':
			ro.report = ro.only = 1;
			break;
		case 'I':
			if (!spool_id_valid(optarg))
				send_usage();
			ro.only_id = optarg;
			break;
		case 'q':
			qflag = 1;
			break;
		case 't':
			interval = strtonum(optarg, 1, 7 * 24 * 3600, &errstr);
			if (errstr != NULL)
				send_usage();
			mode = 't';
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			send_usage();
		}
	}
	if (optind != argc || (ro.report && ro.only_id == NULL) ||
	    (ro.report && qflag))
		send_usage();
	if (ro.only_id != NULL && !qflag && !ro.report)
		ro.only = show = 1;
	/* smtp.c writes to sockets: a peer gone is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	log_init("mailferry", verbose);
	send_load_conf(&conf, conf_path, mode);
	if (mode == 'q' || mode == 't')
		send_log_setup(&conf, ro.report);
	if (mode == 'q')
		r = send_queue(&conf, &ro, show);
	else
		r = send_mode(&conf, mode, del_id, (time_t)interval);
	conf_free(&conf);
	return (r);
}
