/*
 * mailferry-oauth2: obtain the first refresh token for [oauth2], once,
 * as the administrator.  mailferry-send refreshes it from then on.
 *
 * usage: mailferry-oauth2 [-f] [-d | -l] [-C conf] authorize
 *
 * Two flows (oauth2_check() picks one): -l, the loopback redirect of
 * RFC 8252 (oauth2_loopback.c), and -d, the device authorization grant
 * of RFC 8628: it asks the device endpoint for a code, prints where to
 * enter it,
 * polls the token endpoint at the interval asked (slower after
 * slow_down) until the user approved, refused or the code expired, and
 * writes the refresh token to refresh_token_file: atomically, mode 0640
 * root:mailferry when run by root and that group exists, else 0600 for
 * the running user.  An existing file is replaced only with -f.  It
 * holds no privilege and refuses to run set-id.  The token never
 * appears on the terminal.
 *
 * Exit status: 0 written; 64 usage; 69 refused or expired; 73 the file
 * exists or cannot be written; 75 network or endpoint trouble; 77 run
 * set-id or an unsafe file; 78 configuration error.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "privsep.h"
#include "secret.h"

#define OAUTH2_TAG		"mailferry-oauth2"
#define OAUTH2_GROUP		"mailferry"
#define OAUTH2_DEVICE_GRANT	"urn:ietf:params:oauth:grant-type:device_code"

static void	 usage(void) __attribute__((noreturn));
static int	 oauth2_check(const struct conf *, int, int);
static void	 oauth2_start(const struct conf *, struct oauth2_device *);
static char	*oauth2_poll(const struct conf *, struct oauth2_device *);
static char	*oauth2_refresh_of(struct oauth2_token *);
static void	 oauth2_save(const struct conf *, const char *);

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-f] [-d | -l] [-C conf] authorize\n",
	    OAUTH2_TAG);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct oauth2_device	 d;
	const char		*path = MF_CONF_PATH;
	char			*cause = NULL, *refresh;
	int			 ch, force = 0, flow = 0, rc;

	mf_exit_tag(OAUTH2_TAG);
	if (privsep_privileged())
		mf_die(EX_NOPERM, "refusing to run set-id");
	log_init(OAUTH2_TAG, 0);
	log_set_stderr(1);
	while ((ch = getopt(argc, argv, "C:dfl")) != -1) {
		switch (ch) {
		case 'C':
			path = optarg;
			break;
		case 'd':
		case 'l':
			if (flow != 0 && flow != ch)
				usage();
			flow = ch;
			break;
		case 'f':
			force = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "authorize") != 0)
		usage();
	conf_init(&conf);
	if ((rc = conf_load(&conf, path, &cause)) != 0)
		mf_die(rc == CONF_ERR_INSECURE ? EX_NOPERM : EX_CONFIG, "%s",
		    cause);
	if (oauth2_check(&conf, force, flow) == 'l')
		refresh = oauth2_loopback(&conf);
	else {
		oauth2_start(&conf, &d);
		refresh = oauth2_poll(&conf, &d);
		oauth2_device_free(&d);
	}
	oauth2_save(&conf, refresh);
	freezero(refresh, strlen(refresh));
	printf("refresh token written to %s\n", conf.oauth2_refresh_token_file);
	printf("check it: mailferry --check\n");
	conf_free(&conf);
	return (EX_OK);
}

/*
 * What authorize needs: a refresh_token grant and the flow's endpoint.
 * The flow: -d or -l as asked; else the loopback redirect for Google
 * (its device flow refuses the mail scope), the device flow where a
 * device endpoint is known, the loopback redirect otherwise.
 */
static int
oauth2_check(const struct conf *c, int force, int flow)
{
	char	 buf[512];

	if (c->oauth2_provider == CONF_OAUTH2_NONE)
		mf_die(EX_CONFIG, "%s: no [oauth2] provider", c->path);
	if (c->oauth2_grant != CONF_GRANT_REFRESH)
		mf_die(EX_CONFIG, "%s: grant = client_credentials needs no "
		    "authorization: mailferry-send uses client_secret_file",
		    c->path);
	if (flow == 0)
		flow = c->oauth2_provider != CONF_OAUTH2_GOOGLE &&
		    oauth2_device_endpoint(c, buf, sizeof(buf)) != NULL ?
		    'd' : 'l';
	if (flow == 'd' && oauth2_device_endpoint(c, buf, sizeof(buf)) ==
	    NULL)
		mf_die(EX_CONFIG, "%s: [oauth2] device_endpoint is not set",
		    c->path);
	if (flow == 'l' && oauth2_authorize_endpoint(c, buf, sizeof(buf)) ==
	    NULL)
		mf_die(EX_CONFIG, "%s: [oauth2] authorize_endpoint is not set",
		    c->path);
	if (!force && access(c->oauth2_refresh_token_file, F_OK) == 0)
		mf_die(EX_CANTCREAT, "%s exists: -f replaces it",
		    c->oauth2_refresh_token_file);
	return (flow);
}

/*
 * client_id, client_secret (when configured), then name=value and the
 * scope or the device code.  The caller frees it with freezero.
 */
char *
oauth2_client_form(const struct conf *c, const char *head,
    const char *name, const char *value)
{
	char	*secret = NULL, *cause = NULL, *e[3], *form;
	int	 rc, i;

	if (c->oauth2_client_secret_file != NULL && (rc = secret_read_file(
	    "client_secret_file", c->oauth2_client_secret_file, &secret,
	    &cause)) != 0)
		mf_die(rc == CONF_ERR_INSECURE ? EX_NOPERM : rc ==
		    CONF_ERR_TEMP ? EX_TEMPFAIL : EX_CONFIG, "%s", cause);
	e[0] = oauth2_form_escape(c->oauth2_client_id);
	e[1] = oauth2_form_escape(secret != NULL ? secret : "");
	e[2] = oauth2_form_escape(value);
	xasprintf(&form, "%sclient_id=%s%s%s&%s=%s", head, e[0],
	    secret != NULL ? "&client_secret=" : "", e[1], name, e[2]);
	for (i = 0; i < 3; i++)
		freezero(e[i], strlen(e[i]));
	if (secret != NULL)
		freezero(secret, strlen(secret));
	return (form);
}

/* Ask for a device code and tell the user where to enter it. */
static void
oauth2_start(const struct conf *c, struct oauth2_device *d)
{
	char			 buf[512], *form, *body, *cause = NULL;
	const char		*url = oauth2_device_endpoint(c, buf,
				    sizeof(buf));
	enum oauth2_status	 st;
	size_t			 len;
	long			 http;

	/* RFC 8628 3.1: client_id and scope; no secret is needed. */
	form = oauth2_client_form(c, "", "scope", oauth2_scope(c));
	if (oauth2_post(url, c->oauth2_ca_file, form, &body, &len, &http,
	    &cause) == -1)
		mf_die(EX_TEMPFAIL, "device endpoint %s", cause);
	freezero(form, strlen(form));
	st = oauth2_parse_device(body, len, d, &cause);
	freezero(body, len);
	if (st != OAUTH2_OK)
		mf_die(st == OAUTH2_REFUSED ? EX_CONFIG : EX_TEMPFAIL,
		    "device endpoint %s: %s", url, st == OAUTH2_BAD &&
		    http != 200 ? "HTTP error" : cause);
	if (d->expires_in == 0)
		d->expires_in = 900;
	printf("To allow mailferry to send as %s:\n"
	    "  1. open %s\n  2. enter the code %s\n"
	    "Waiting up to %lld minutes...\n", c->user != NULL ? c->user :
	    "the mailbox", d->verification_uri, d->user_code,
	    (d->expires_in + 59) / 60);
	fflush(stdout);
}

/* Poll until the user decides; the refresh token. */
static char *
oauth2_poll(const struct conf *c, struct oauth2_device *d)
{
	struct oauth2_token	 t;
	enum oauth2_status	 st;
	char			 buf[512], *form, *cause = NULL;
	const char		*url = oauth2_token_endpoint(c, buf,
				    sizeof(buf));
	time_t			 end = time(NULL) + (time_t)d->expires_in;
	long long		 interval = d->interval;

	form = oauth2_client_form(c, "grant_type=" OAUTH2_DEVICE_GRANT "&",
	    "device_code", d->device_code);
	for (;;) {
		if (time(NULL) + interval > end)
			mf_die(EX_UNAVAILABLE, "the code expired: run "
			    "authorize again");
		sleep((unsigned int)interval);
		free(cause);
		cause = NULL;
		st = oauth2_request(c, url, form, &t, &cause);
		if (st == OAUTH2_OK)
			break;
		if (st == OAUTH2_SLOW_DOWN)
			interval += 5;
		else if (st != OAUTH2_PENDING)
			mf_die(st == OAUTH2_TEMP ? EX_TEMPFAIL : EX_UNAVAILABLE,
			    "%s", cause);
	}
	freezero(form, strlen(form));
	return (oauth2_refresh_of(&t));
}

/* The refresh token of a token reply, which must have one. */
static char *
oauth2_refresh_of(struct oauth2_token *t)
{
	char	*refresh;

	if (t->refresh == NULL)
		mf_die(EX_UNAVAILABLE, "the token endpoint gave no refresh "
		    "token (does the scope ask for offline access?)");
	refresh = t->refresh;
	t->refresh = NULL;
	oauth2_token_free(t);
	return (refresh);
}

/*
 * One token request that must succeed (the loopback flow's code
 * exchange): the refresh token.
 */
char *
oauth2_token_by_form(const struct conf *c, const char *form)
{
	struct oauth2_token	 t;
	char			 buf[512], *cause = NULL;
	enum oauth2_status	 st;

	st = oauth2_request(c, oauth2_token_endpoint(c, buf, sizeof(buf)),
	    form, &t, &cause);
	if (st != OAUTH2_OK)
		mf_die(st == OAUTH2_TEMP ? EX_TEMPFAIL : EX_UNAVAILABLE, "%s",
		    cause);
	return (oauth2_refresh_of(&t));
}

/* Write refresh_token_file where mailferry-send can read it. */
static void
oauth2_save(const struct conf *c, const char *refresh)
{
	struct stat	 like;
	struct group	*gr;
	char		*text, *cause = NULL;
	mode_t		 mode = 0600;
	int		 rv;

	memset(&like, 0, sizeof(like));
	like.st_uid = geteuid();
	like.st_gid = getegid();
	if (getuid() == 0 && (gr = getgrnam(OAUTH2_GROUP)) != NULL) {
		like.st_gid = gr->gr_gid;
		mode = 0640;
	}
	xasprintf(&text, "%s\n", refresh);
	rv = oauth2_write_atomic(c->oauth2_refresh_token_file, text, mode,
	    &like, &cause);
	freezero(text, strlen(text));
	if (rv == -1)
		mf_die(EX_CANTCREAT, "%s", cause);
}
