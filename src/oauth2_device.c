/*
 * oauth2_device.c: the device authorization grant of mailferry-oauth2
 * (RFC 8628), and the token requests it shares with the loopback flow
 * (oauth2_loopback.c).  Failures end the program through mf_die() with
 * the exit codes of oauth2_main.c.
 *
 * The device endpoint gets client_id and scope; the user is told where
 * to enter the user code; the token endpoint is polled at the interval
 * asked for (5 s slower after slow_down) until a token, a refusal or
 * the code's expiry.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "secret.h"

#define OAUTH2_DEVICE_GRANT	"urn:ietf:params:oauth:grant-type:device_code"

static char	*oauth2_refresh_of(struct oauth2_token *);

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
void
oauth2_device_start(const struct conf *c, struct oauth2_device *d)
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
char *
oauth2_device_poll(const struct conf *c, struct oauth2_device *d)
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
