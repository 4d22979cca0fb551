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
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "privsep.h"

#define OAUTH2_TAG		"mailferry-oauth2"
#define OAUTH2_GROUP		"mailferry"

static void	 usage(void) __attribute__((noreturn));
static int	 oauth2_check(const struct conf *, int, int);
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
		oauth2_device_start(&conf, &d);
		refresh = oauth2_device_poll(&conf, &d);
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
