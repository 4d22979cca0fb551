/*
 * oauth2.c: the bearer token mailferry-send gives AUTH XOAUTH2 and
 * OAUTHBEARER when [oauth2] is configured (secret_read() comes here).
 *
 * Providers fill in the endpoints and the scope:
 *	google		https://oauth2.googleapis.com/token, .../device/code,
 *			scope https://mail.google.com/
 *	microsoft	https://login.microsoftonline.com/TENANT/oauth2/v2.0/
 *			token and devicecode; scope "https://outlook.office.com/
 *			SMTP.Send offline_access" (delegated) or
 *			"https://outlook.office365.com/.default" (app-only)
 *	generic		token_endpoint, device_endpoint, authorize_endpoint
 *			and scope as set
 * Explicit endpoints and scope override a preset (Google's and
 * Microsoft's authorization endpoints: accounts.google.com/o/oauth2/v2/
 * auth, login.microsoftonline.com/TENANT/oauth2/v2.0/authorize).
 *
 * Grants (RFC 6749): refresh_token (section 6) with the token from
 * refresh_token_file, client_credentials (section 4.4) with the secret
 * from client_secret_file.  Both files obey password_file's rules
 * (secret.c).  A new access token goes into the cache (oauth2_cache.c)
 * and is used until REFRESH_WINDOW before it expires (5 minutes, or a
 * tenth of its life when that is shorter); the AUTH refusal of a
 * cached token makes the caller ask again with force set (runq.c).  A
 * rotated refresh token in the reply is written back over
 * refresh_token_file atomically with the old file's owner and mode;
 * when that is impossible (a set-id run by a user cannot chown to root)
 * it is kept beside the cache ("<token_cache>.refresh", oauth2_cache.c)
 * and used instead of refresh_token_file until that file is newer
 * (mailferry-oauth2 authorize -f ran again) or a run by root saves it.
 *
 * Results are those of secret_read(): CONF_ERR_SYNTAX when the endpoint
 * refused the grant or client (the administrator must act: re-run the
 * authorization), CONF_ERR_INSECURE for unsafe files, CONF_ERR_TEMP for
 * network, TLS, HTTP 5xx and malformed replies.  No token or secret is
 * ever part of a cause or log line.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "secret.h"

#define OAUTH2_WINDOW_MAX	300	/* refresh this long before expiry */
#define OAUTH2_LIFE_DEFAULT	600	/* when expires_in is missing */
#define OAUTH2_MS_BASE		"https://login.microsoftonline.com/"

static int	 oauth2_fetch(const struct conf *, char **, time_t *, char **);
static int	 oauth2_grant_form(const struct conf *, char **, char **,
		    char **);
static void	 oauth2_rotated(const struct conf *, const char *);

enum oauth2_ep { OAUTH2_EP_TOKEN, OAUTH2_EP_DEVICE, OAUTH2_EP_AUTHORIZE };

/* The providers' endpoints; Microsoft's follow OAUTH2_MS_BASE tenant. */
static const struct {
	const char	*url[3];	/* by enum oauth2_ep */
	int		 tenant;
} oauth2_presets[] = {
	[CONF_OAUTH2_GOOGLE] = { { "https://oauth2.googleapis.com/token",
	    "https://oauth2.googleapis.com/device/code",
	    "https://accounts.google.com/o/oauth2/v2/auth" }, 0 },
	[CONF_OAUTH2_MICROSOFT] = { { "/oauth2/v2.0/token",
	    "/oauth2/v2.0/devicecode", "/oauth2/v2.0/authorize" }, 1 },
};

/* The endpoint set in the configuration, or the provider's (in buf). */
static const char *
oauth2_endpoint(const struct conf *c, const char *set, enum oauth2_ep ep,
    char *buf, size_t len)
{
	size_t	 p = (size_t)c->oauth2_provider;

	if (set != NULL)
		return (set);
	if (p >= sizeof(oauth2_presets) / sizeof(oauth2_presets[0]) ||
	    oauth2_presets[p].url[ep] == NULL)
		return (NULL);
	if (!oauth2_presets[p].tenant)
		return (oauth2_presets[p].url[ep]);
	snprintf(buf, len, OAUTH2_MS_BASE "%s%s", c->oauth2_tenant,
	    oauth2_presets[p].url[ep]);
	return (buf);
}

/* The token endpoint (buf may hold it); "" when unknown. */
const char *
oauth2_token_endpoint(const struct conf *c, char *buf, size_t len)
{
	const char	*url;

	url = oauth2_endpoint(c, c->oauth2_token_endpoint, OAUTH2_EP_TOKEN,
	    buf, len);
	return (url != NULL ? url : "");
}

/* The device authorization endpoint (RFC 8628), or NULL. */
const char *
oauth2_device_endpoint(const struct conf *c, char *buf, size_t len)
{
	return (oauth2_endpoint(c, c->oauth2_device_endpoint,
	    OAUTH2_EP_DEVICE, buf, len));
}

/* The authorization endpoint (RFC 8252 loopback flow), or NULL. */
const char *
oauth2_authorize_endpoint(const struct conf *c, char *buf, size_t len)
{
	return (oauth2_endpoint(c, c->oauth2_authorize_endpoint,
	    OAUTH2_EP_AUTHORIZE, buf, len));
}

/* The scope asked for; "" for a generic provider without one. */
const char *
oauth2_scope(const struct conf *c)
{
	if (c->oauth2_scope != NULL)
		return (c->oauth2_scope);
	switch (c->oauth2_provider) {
	case CONF_OAUTH2_GOOGLE:
		return ("https://mail.google.com/");
	case CONF_OAUTH2_MICROSOFT:
		return (c->oauth2_grant == CONF_GRANT_CLIENT ?
		    "https://outlook.office365.com/.default" :
		    "https://outlook.office.com/SMTP.Send offline_access");
	default:
		return ("");
	}
}

/*
 * The access token to use now: the cached one while it is fresh and
 * force is not set, else a new one from the token endpoint.  0 with
 * *token (freezero by the caller) and, when expires is not NULL, its
 * expiry; or a CONF_ERR_* code with a cause.
 */
int
oauth2_get(const struct conf *c, int force, char **token, time_t *expires,
    char **cause)
{
	time_t	 exp = 0, obtained = 0, window, now = time(NULL);
	int	 lock, rc;

	*token = NULL;
	if ((lock = oauth2_cache_lock(c, cause)) < 0)
		return (lock);
	if (!force && oauth2_cache_read(c, token, &exp, &obtained) == 0) {
		window = (exp - obtained) / 10;
		if (window > OAUTH2_WINDOW_MAX)
			window = OAUTH2_WINDOW_MAX;
		if (now < exp - window) {
			log_debug("oauth2: cached token, valid %llds more",
			    (long long)(exp - now));
			rc = 0;
			goto done;
		}
		freezero(*token, strlen(*token));
		*token = NULL;
	}
	rc = oauth2_fetch(c, token, &exp, cause);
done:
	close(lock);	/* releases the flock */
	if (rc == 0 && expires != NULL)
		*expires = exp;
	return (rc);
}

/*
 * Ask the token endpoint (the caller holds the cache lock), cache the
 * token and write back a rotated refresh token.
 */
static int
oauth2_fetch(const struct conf *c, char **token, time_t *expires,
    char **cause)
{
	struct oauth2_token	 t;
	enum oauth2_status	 st;
	char			 ep[2048 + 256], *form, *refresh = NULL;
	char			*why = NULL;
	int			 rc;

	if ((rc = oauth2_grant_form(c, &form, &refresh, cause)) != 0)
		return (rc);
	st = oauth2_request(c, oauth2_token_endpoint(c, ep, sizeof(ep)), form,
	    &t, cause);
	freezero(form, strlen(form));
	if (st != OAUTH2_OK) {
		if (refresh != NULL)
			freezero(refresh, strlen(refresh));
		return (st == OAUTH2_REFUSED ? CONF_ERR_SYNTAX : CONF_ERR_TEMP);
	}
	*expires = time(NULL) + (t.expires_in > 0 ? (time_t)t.expires_in :
	    OAUTH2_LIFE_DEFAULT);
	log_info("oauth2: new access token, valid %llds",
	    (long long)(*expires - time(NULL)));
	if (oauth2_cache_write(c, t.access, *expires, &why) == -1) {
		log_warnx("oauth2: token not cached: %s", why);
		free(why);
		why = NULL;
	}
	if (t.refresh != NULL && refresh != NULL &&
	    strcmp(t.refresh, refresh) != 0)
		oauth2_rotated(c, t.refresh);
	if (refresh != NULL)
		freezero(refresh, strlen(refresh));
	*token = t.access;
	t.access = NULL;
	oauth2_token_free(&t);
	return (0);
}

/*
 * Save a rotated refresh token over refresh_token_file; when that is
 * impossible (a set-id run by a user cannot give the file to root),
 * keep it beside the cache instead, where the next runs find it.
 */
static void
oauth2_rotated(const struct conf *c, const char *refresh)
{
	char	*why = NULL;

	if (oauth2_store_refresh(c->oauth2_refresh_token_file, refresh,
	    &why) == 0) {
		log_info("oauth2: rotated refresh token saved");
		oauth2_kept_drop(c);
		return;
	}
	log_debug("oauth2: %s", why);
	free(why);
	why = NULL;
	if (oauth2_kept_write(c, refresh, &why) == 0)
		log_info("oauth2: rotated refresh token kept beside the token "
		    "cache (refresh_token_file is not ours to replace)");
	else {
		log_warnx("oauth2: rotated refresh token not saved, the old "
		    "one stays: %s", why);
		free(why);
	}
}

/*
 * The form of this configuration's grant; *refresh gets the refresh
 * token sent (refresh_token grant), to notice a rotation.
 */
static int
oauth2_grant_form(const struct conf *c, char **form, char **refresh,
    char **cause)
{
	char	*secret = NULL, *e[4];
	int	 rc, i, client = c->oauth2_grant == CONF_GRANT_CLIENT;

	*form = NULL;
	if (c->oauth2_client_secret_file != NULL && (rc = secret_read_file(
	    "client_secret_file", c->oauth2_client_secret_file, &secret,
	    cause)) != 0)
		return (rc);
	if (!client && oauth2_kept_read(c, refresh) == -1 &&
	    (rc = secret_read_file("refresh_token_file",
	    c->oauth2_refresh_token_file, refresh, cause)) != 0) {
		if (secret != NULL)
			freezero(secret, strlen(secret));
		return (rc);
	}
	e[0] = oauth2_form_escape(c->oauth2_client_id);
	e[1] = oauth2_form_escape(secret != NULL ? secret : "");
	e[2] = oauth2_form_escape(client ? "" : *refresh);
	/* Google refuses a scope it did not grant: it keeps the original. */
	e[3] = oauth2_form_escape(!client && c->oauth2_scope == NULL &&
	    c->oauth2_provider == CONF_OAUTH2_GOOGLE ? "" : oauth2_scope(c));
	xasprintf(form, "grant_type=%s&client_id=%s%s%s%s%s%s%s",
	    client ? "client_credentials" : "refresh_token", e[0],
	    secret != NULL ? "&client_secret=" : "", e[1],
	    client ? "" : "&refresh_token=", e[2],
	    *e[3] != '\0' ? "&scope=" : "", e[3]);
	for (i = 0; i < 4; i++)
		freezero(e[i], strlen(e[i]));
	if (secret != NULL)
		freezero(secret, strlen(secret));
	return (0);
}

/*
 * POST form to the endpoint url and parse the token reply.  The cause
 * of a refusal says what the administrator must do.
 */
enum oauth2_status
oauth2_request(const struct conf *c, const char *url, const char *form,
    struct oauth2_token *t, char **cause)
{
	enum oauth2_status	 st;
	char			*body = NULL, *why = NULL;
	size_t			 len;
	long			 http;

	memset(t, 0, sizeof(*t));
	if (oauth2_post(url, c->oauth2_ca_file, form, &body, &len, &http,
	    &why) == -1) {
		xasprintf(cause, "token endpoint %s", why);
		free(why);
		return (OAUTH2_TEMP);
	}
	st = oauth2_parse_token(body, len, t, &why);
	freezero(body, len);
	if (st == OAUTH2_OK && http != 200) {
		oauth2_token_free(t);
		st = OAUTH2_BAD;
		why = xstrdup("a token with an error status");
	}
	if (st == OAUTH2_OK)
		return (st);
	if (st == OAUTH2_BAD && (http < 200 || http > 299)) {
		free(why);
		xasprintf(&why, "HTTP status %ld", http);
	}
	xasprintf(cause, "token endpoint %s: %s%s", url, why,
	    st != OAUTH2_REFUSED ? "" : c->oauth2_grant == CONF_GRANT_CLIENT ?
	    ": check client_id, client_secret_file, tenant and scope" :
	    ": re-run the authorization (mailferry-oauth2 authorize)");
	free(why);
	return (st == OAUTH2_BAD ? OAUTH2_TEMP : st);
}

/*
 * Replace refresh_token_file with a rotated token, keeping its owner
 * and mode.  A symbolic link (a mounted secret) is not rewritten.
 */
int
oauth2_store_refresh(const char *path, const char *token, char **cause)
{
	struct stat	 sb;
	char		*text;
	int		 rv;

	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "refresh_token_file %s: not a regular file "
		    "(a symbolic link?)", path);
		return (-1);
	}
	xasprintf(&text, "%s\n", token);
	rv = oauth2_write_atomic(path, text, sb.st_mode & 07777, &sb, cause);
	freezero(text, strlen(text));
	return (rv);
}
