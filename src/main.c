/*
 * mailferry: the front end, installed as sendmail, mailq, newaliases.
 *
 * It holds no privilege and never sees the smarthost password.  It
 * parses the sendmail command line (opts.c), reads and canonicalises
 * the message (msg.c), resolves the recipients (alias.c) and streams the
 * entry to the setgid spool writer (deliver.c, submit.c); then it starts
 * mailferry-send.  This file is the only one that decides an exit
 * status: see EXIT STATUS in mailferry(8).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "alias.h"
#include "bs.h"
#include "conf.h"
#include "deliver.h"
#include "msg.h"
#include "opts.h"
#include "privsep.h"
#include "spool.h"
#include "submit.h"

static int	main_helpers_setid(void);
static const char *main_conf_path(const char *);
static void	main_load_conf(struct conf *, const char *);
static int	main_long_option(int, char **);
static int	main_health(int, char **, const char *);
static int	main_send(enum submit_op, const char *, const char *, int);
static int	main_runq(const struct opts *, const char *);
static int	main_newaliases(const struct conf *);
static int	main_verify(const struct conf *, const struct opts *);
static int	main_deliver(const struct conf *, const struct opts *,
		    const char *);
static int	main_begin(void *, const struct addr_list *, char **);
static int	main_after_commit(const struct conf *, const struct opts *,
		    const char *, const char *);

/* Whether the helpers are installed set-id (a privileged install). */
static int
main_helpers_setid(void)
{
	struct stat	 st;

	if (stat(submit_helper_path("mailferry-send"), &st) == -1)
		return (0);
	return ((st.st_mode & (S_ISUID | S_ISGID)) != 0);
}

/*
 * -C names another configuration only for root, or when the file and
 * its directories are root's alone (so nobody else could have written
 * what the setgid helpers will trust).  Without set-id helpers (a
 * single-user install) the caller's own files are fine too.
 */
static const char *
main_conf_path(const char *arg)
{
	char	*cause = NULL;

	if (arg == NULL)
		return (NULL);
	if (getuid() != 0 && main_helpers_setid())
		privsep_set_strict();
	if (getuid() != 0 && privsep_path_trusted(arg, &cause) == -1)
		mf_die(EX_NOPERM, "-C %s: %s", arg, cause);
	return (arg);
}

static void
main_load_conf(struct conf *conf, const char *path)
{
	char	*cause = NULL;
	int	 r;

	conf_init(conf);
	if ((r = conf_load(conf, path != NULL ? path : MF_CONF_PATH,
	    &cause)) != 0)
		mf_die(r == CONF_ERR_INSECURE ? EX_NOPERM : EX_CONFIG, "%s",
		    cause);
}

/* Ask mailferry-send for op (waited for: its exit status). */
static int
main_send(enum submit_op op, const char *conf_arg, const char *id,
    int verbose)
{
	struct submit_req	 req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.conf_path = conf_arg;
	req.id = id;
	req.verbose = verbose;
	return (submit_send(&req));
}

/*
 * --health [-w LIMITS] [-c LIMITS]: one line and a Nagios exit status
 * (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).  mailferry-send checks the
 * limits; if it cannot be run at all, the answer is UNKNOWN too.
 */
static int
main_health(int argc, char **argv, const char *conf_arg)
{
	struct submit_req	 req;
	int			 i, r;

	memset(&req, 0, sizeof(req));
	req.op = SUBMIT_OP_HEALTH;
	req.conf_path = conf_arg;
	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || (strcmp(argv[i], "-w") != 0 &&
		    strcmp(argv[i], "-c") != 0) || (argv[i][1] == 'w' ?
		    req.warn : req.crit) != NULL) {
			printf("MAILFERRY UNKNOWN - usage: mailferry [-C file] "
			    "--health [-w AGE,COUNT] [-c AGE,COUNT]\n");
			return (3);
		}
		if (argv[i][1] == 'w')
			req.warn = argv[i + 1];
		else
			req.crit = argv[i + 1];
	}
	if ((r = submit_send(&req)) > 3) {
		printf("MAILFERRY UNKNOWN - %s failed (exit %d)\n",
		    submit_helper_path("mailferry-send"), r);
		r = 3;
	}
	return (r);
}

/*
 * Our own long options, which no sendmail caller uses:
 * --check, --dump-config, --delete ID, --health, --run-due, --version,
 * --help, and the JSON queue listing: mailq --json or sendmail -bp --json.
 */
static int
main_long_option(int argc, char **argv)
{
	const char	*conf_arg = NULL, *name;
	int		 i = 1;

	if (argc < 1)
		return (-1);
	if (argc > 2 && strcmp(argv[1], "-C") == 0) {
		conf_arg = main_conf_path(argv[2]);
		i = 3;
	}
	name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if ((i + 1 == argc && strcmp(argv[i], "--json") == 0 &&
	    strcmp(name, "mailq") == 0) || (i + 2 == argc &&
	    strcmp(argv[i], "-bp") == 0 && strcmp(argv[i + 1], "--json") == 0))
		return (main_send(SUBMIT_OP_LIST_JSON, conf_arg, NULL, 0));
	if (i >= argc || strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
		return (-1);
	if (strcmp(argv[i], "--health") == 0)
		return (main_health(argc - i - 1, argv + i + 1, conf_arg));
	if (strcmp(argv[i], "--version") == 0 && argc == i + 1) {
		printf("mailferry %s\n", PACKAGE_VERSION);
		return (EX_OK);
	}
	if (strcmp(argv[i], "--help") == 0 && argc == i + 1) {
		printf("%s\n", opts_usage());
		printf("       mailferry [-C file] --check | --dump-config | "
		    "--delete ID | --run-due | --version\n");
		printf("       mailferry [-C file] --health [-w AGE,COUNT] "
		    "[-c AGE,COUNT]\n");
		printf("       mailq [-C file] --json | "
		    "sendmail [-C file] -bp --json\n");
		return (EX_OK);
	}
	if (strcmp(argv[i], "--check") == 0 && argc == i + 1)
		return (main_send(SUBMIT_OP_CHECK, conf_arg, NULL, 0));
	if (strcmp(argv[i], "--dump-config") == 0 && argc == i + 1)
		return (main_send(SUBMIT_OP_DUMP, conf_arg, NULL, 0));
	/* The periodic runners (timer, cron): backoff is honoured. */
	if (strcmp(argv[i], "--run-due") == 0 && argc == i + 1)
		return (main_send(SUBMIT_OP_RUN_DUE, conf_arg, NULL, 0));
	if (strcmp(argv[i], "--delete") == 0 && argc == i + 2)
		return (main_send(SUBMIT_OP_DELETE, conf_arg, argv[i + 1],
		    0));
	mf_die_usage(opts_usage(), "unknown option %s", argv[i]);
}

/* -q forms: once, every interval, or one entry now (-qI<ID>). */
static int
main_runq(const struct opts *o, const char *conf_arg)
{
	struct submit_req	 req;
	int			 saved;

	if (o->queue_interval > 0) {
		/*
		 * Become the runner (no fork): a supervisor's SIGTERM must
		 * reach the process that runs the queue.
		 */
		memset(&req, 0, sizeof(req));
		req.op = SUBMIT_OP_PERIODIC;
		req.conf_path = conf_arg;
		req.interval = (long long)o->queue_interval;
		req.verbose = o->verbose;
		(void)submit_send(&req);
		saved = errno;
		mf_die(EX_OSERR, "cannot run %s: %s",
		    submit_helper_path("mailferry-send"), strerror(saved));
	}
	if (o->qfilter == OPTS_QFILTER_ID && !o->qfilter_negate &&
	    o->qfilter_str != NULL && spool_id_valid(o->qfilter_str))
		return (main_send(SUBMIT_OP_RUN_ONE, conf_arg, o->qfilter_str,
		    o->verbose));
	return (main_send(SUBMIT_OP_RUNQ, conf_arg, NULL, o->verbose));
}

/* newaliases: check that every alias parses; nothing to rebuild. */
static int
main_newaliases(const struct conf *conf)
{
	struct conf_alias	*a;
	struct addr_list	 l;
	char			*cause = NULL;
	int			 n = 0, bad = 0;

	TAILQ_FOREACH(a, &conf->aliases, entry) {
		addr_list_init(&l);
		if (addr_parse_list(a->target, strlen(a->target),
		    ADDR_MODE_ARGV, &l, &cause) == -1 || l.n == 0) {
			fprintf(stderr, MF_PROGNAME ": alias %s: %s\n",
			    a->name, cause != NULL ? cause : "empty");
			free(cause);
			cause = NULL;
			bad++;
		}
		addr_list_free(&l);
		n++;
	}
	return (bad != 0 ? EX_CONFIG : EX_OK);
}

/* -bv: print where each recipient goes, send nothing. */
static int
main_verify(const struct conf *conf, const struct opts *o)
{
	struct addr_list	 out;
	char			*cause = NULL;
	size_t			 i, k;

	for (i = 0; i < o->rcpts.n; i++) {
		addr_list_init(&out);
		if (alias_expand_one(conf, deliver_local_names(),
		    o->rcpts.v[i], &out, 0, &cause) == -1) {
			printf("%s... %s\n", o->rcpts.v[i], cause);
			free(cause);
			cause = NULL;
		} else
			for (k = 0; k < out.n; k++)
				printf("%s... deliverable: relay %s to <%s>\n",
				    o->rcpts.v[i], conf->host != NULL ?
				    conf->host : "(no host)", out.v[k]);
		addr_list_free(&out);
	}
	return (EX_OK);
}

/*
 * The message main_deliver() is reading: msg_finish() sets its 8-bit
 * flags before it calls main_begin(), which is when the entry's
 * BODY=8BITMIME wish must be known (RFC 6152: 8-bit text needs it).
 */
static const struct msg	*main_msg;

/* The message's recipients are known: resolve them, open the spool. */
static int
main_begin(void *arg, const struct addr_list *rcpts, char **cause)
{
	struct deliver	*d = arg;

	if (main_msg != NULL && (main_msg->body_8bit || main_msg->header_8bit))
		d->meta.body_8bit = 1;
	if (deliver_recipients(d, rcpts, cause) == -1)
		return (-1);
	return (deliver_open(d, cause));
}

/* Start delivery of the durable entry id as -od or the config says. */
static int
main_after_commit(const struct conf *conf, const struct opts *o,
    const char *conf_arg, const char *id)
{
	enum conf_delivery	 how = conf->delivery;
	int			 r;

	switch (o->delivery) {
	case OPTS_DELIVERY_BACKGROUND:
		how = CONF_DELIVERY_BACKGROUND;
		break;
	case OPTS_DELIVERY_FOREGROUND:
		how = CONF_DELIVERY_FOREGROUND;
		break;
	case OPTS_DELIVERY_QUEUE:
		how = CONF_DELIVERY_QUEUE;
		break;
	case OPTS_DELIVERY_DEFAULT:
		break;
	}
	switch (how) {
	case CONF_DELIVERY_QUEUE:
		return (EX_OK);
	case CONF_DELIVERY_BACKGROUND:
		(void)main_send(SUBMIT_OP_AFTER_BACKGROUND, conf_arg, id, 0);
		return (EX_OK);
	case CONF_DELIVERY_FOREGROUND:
		break;
	}
	r = main_send(SUBMIT_OP_AFTER_FOREGROUND, conf_arg, id, o->verbose);
	/*
	 * Refused for good: the entry is gone and the caller must know.
	 * Anything else leaves it queued (mailferry-send said why), and a
	 * queued message is an accepted one.
	 */
	if (r == EX_NOUSER || r == EX_UNAVAILABLE)
		return (r);
	return (EX_OK);
}

/* Pipe mode: read the message on stdin and queue it. */
static int
main_deliver(const struct conf *conf, const struct opts *o,
    const char *conf_arg)
{
	struct deliver		 d;
	struct msg_policy	 policy;
	struct msg_sink		 sink;
	struct msg		 m;
	char			*cause = NULL;
	int			 r, status;

	if (deliver_init(&d, conf, conf_arg, o->sender, &cause) == -1)
		mf_die(d.status, "%s", cause);
	d.meta.body_8bit = o->body == OPTS_BODY_8BITMIME;
	if (o->dsn_notify != NULL)
		d.meta.dsn_notify = xstrdup(o->dsn_notify);
	if (o->dsn_ret != NULL)
		d.meta.dsn_ret = xstrdup(o->dsn_ret);
	if (o->dsn_envid != NULL)
		d.meta.dsn_envid = xstrdup(o->dsn_envid);

	memset(&policy, 0, sizeof(policy));
	policy.ignore_dots = o->ignore_dots;
	policy.extract = o->extract;
	policy.max_size = conf->max_size;
	policy.domain = conf->domain;
	policy.sender = d.sender;
	if (conf->from != NULL && conf->rewrite_from != CONF_REWRITE_NEVER)
		policy.sender = conf->from;
	if (conf->from != NULL && conf->rewrite_from == CONF_REWRITE_ALWAYS)
		policy.force_from = conf->from;
	policy.fullname = o->fullname;
	policy.rcpts = &o->rcpts;
	deliver_sink(&d, &sink);
	sink.begin = main_begin;

	memset(&m, 0, sizeof(m));
	main_msg = &m;
	if ((r = msg_read(STDIN_FILENO, &policy, &sink, &m, &cause)) != 0) {
		deliver_abort(&d);
		switch (r) {
		case MSG_ERR_DATA:
			status = EX_DATAERR;
			break;
		case MSG_ERR_INPUT:
			status = EX_NOINPUT;
			break;
		case MSG_ERR_SINK:
			status = d.status != 0 ? d.status : EX_TEMPFAIL;
			break;
		default:
			status = EX_TEMPFAIL;
			break;
		}
		mf_die(status, "%s", cause != NULL ? cause : "failed");
	}
	msg_free(&m);
	if ((r = deliver_commit(&d, &cause)) != 0)
		mf_die(r, "not accepted: %s", cause);
	r = main_after_commit(conf, o, conf_arg, d.id);
	deliver_free(&d);
	return (r);
}

int
main(int argc, char *argv[])
{
	struct conf	 conf;
	struct opts	 o;
	const char	*conf_arg;
	char		*cause = NULL;
	int		 r;

	/* A caller that does not wait may hang up; we finish anyway. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	log_init(MF_PROGNAME, 0);
	if ((r = main_long_option(argc, argv)) != -1)
		return (r);

	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(argc, argv, &o, &cause)) != 0) {
		if (r == OPTS_ERR_DATA)
			mf_die(EX_DATAERR, "%s", cause);
		mf_die_usage(opts_usage(), "%s", cause);
	}
	if (o.verbose)
		log_init(MF_PROGNAME, 1);
	conf_arg = main_conf_path(o.config);
	main_load_conf(&conf, conf_arg);

	switch (o.mode) {
	case OPTS_MODE_PRINTQ:
		r = main_send(SUBMIT_OP_LIST, conf_arg, NULL, 0);
		break;
	case OPTS_MODE_RUNQ:
		r = main_runq(&o, conf_arg);
		break;
	case OPTS_MODE_NEWALIASES:
		r = main_newaliases(&conf);
		break;
	case OPTS_MODE_VERIFY:
		r = main_verify(&conf, &o);
		break;
	case OPTS_MODE_SMTP:
		r = bs_run(&conf, &o, conf_arg);
		break;
	case OPTS_MODE_DELIVER:
	default:
		r = main_deliver(&conf, &o, conf_arg);
		break;
	}
	opts_free(&o);
	conf_free(&conf);
	return (r);
}
