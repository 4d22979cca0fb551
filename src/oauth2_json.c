/*
 * oauth2_json.c: the replies of a token endpoint (RFC 6749 sections
 * 5.1 and 5.2) and of a device authorization endpoint (RFC 8628
 * section 3.2), parsed with json-c.  The replies are hostile input.
 *
 * A reply is one JSON object, at most OAUTH2_REPLY_MAX bytes, nested
 * at most OAUTH2_JSON_DEPTH deep, with nothing but white space after
 * it.  Members:
 *  - success: access_token (1 to OAUTH2_TOKEN_MAX printable ASCII
 *    characters, no space: it goes into a SASL payload and a cache
 *    line), token_type "Bearer" (any case) if present, expires_in (a
 *    number or a string of digits, 1 s to a year; absent: 0, the
 *    caller assumes a short life), refresh_token (optional, a rotated
 *    token, same character rule).
 *  - error: error (a code), error_description (optional, shown
 *    escaped and cut).  Codes map to enum oauth2_status: RFC 8628's
 *    authorization_pending and slow_down, expired_token and
 *    access_denied end a device flow, the RFC 6749 client and grant
 *    errors need the administrator, the rest is temporary.
 *  - device: device_code, user_code, verification_uri (Google says
 *    verification_url), expires_in, interval (default 5 s).
 * A value of the wrong type is a malformed reply (OAUTH2_BAD).  Every
 * cause is one line that never contains a token.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mailferry.h"
#include "oauth2.h"

#define OAUTH2_JSON_DEPTH	8
#define OAUTH2_DESC_MAX		200	/* error_description shown */
#define OAUTH2_LIFE_MAX		(366LL * 86400)

static json_object *oauth2_json_object(const char *, size_t, char **);
static int	 oauth2_json_str(json_object *, const char *, int, char **,
		    char **);
static int	 oauth2_json_int(json_object *, const char *, long long *,
		    char **);
static int	 oauth2_token_chars(const char *, size_t);
static int	 oauth2_json_blank(const char *, size_t);
static enum oauth2_status oauth2_json_error(json_object *, char **);

static const struct {
	const char		*code;
	enum oauth2_status	 status;
} oauth2_errors[] = {
	{ "authorization_pending",	OAUTH2_PENDING },
	{ "slow_down",			OAUTH2_SLOW_DOWN },
	{ "expired_token",		OAUTH2_EXPIRED },
	{ "access_denied",		OAUTH2_EXPIRED },
	{ "invalid_grant",		OAUTH2_REFUSED },
	{ "invalid_client",		OAUTH2_REFUSED },
	{ "unauthorized_client",	OAUTH2_REFUSED },
	{ "unsupported_grant_type",	OAUTH2_REFUSED },
	{ "invalid_scope",		OAUTH2_REFUSED },
	{ "invalid_request",		OAUTH2_REFUSED },
	{ NULL,				OAUTH2_TEMP }
};

/*
 * A token endpoint's reply: OAUTH2_OK with t filled (the caller frees
 * it with oauth2_token_free()), or another status with a cause.
 */
enum oauth2_status
oauth2_parse_token(const char *buf, size_t len, struct oauth2_token *t,
    char **cause)
{
	json_object		*o;
	char			*type = NULL;
	enum oauth2_status	 st = OAUTH2_BAD;

	memset(t, 0, sizeof(*t));
	if ((o = oauth2_json_object(buf, len, cause)) == NULL)
		return (OAUTH2_BAD);
	if (json_object_object_get_ex(o, "error", NULL)) {
		st = oauth2_json_error(o, cause);
		json_object_put(o);
		return (st);
	}
	if (oauth2_json_str(o, "access_token", 1, &t->access, cause) == -1 ||
	    oauth2_json_str(o, "refresh_token", 1, &t->refresh, cause) == -1 ||
	    oauth2_json_int(o, "expires_in", &t->expires_in, cause) == -1 ||
	    oauth2_json_str(o, "token_type", 0, &type, cause) == -1)
		goto done;
	if (t->access == NULL)
		xasprintf(cause, "token reply without access_token");
	else if (type != NULL && strcasecmp(type, "bearer") != 0)
		xasprintf(cause, "token_type is not Bearer");
	else
		st = OAUTH2_OK;
done:
	free(type);
	json_object_put(o);
	if (st != OAUTH2_OK)
		oauth2_token_free(t);
	return (st);
}

/* A device authorization reply (RFC 8628 section 3.2). */
enum oauth2_status
oauth2_parse_device(const char *buf, size_t len, struct oauth2_device *d,
    char **cause)
{
	json_object		*o;
	enum oauth2_status	 st = OAUTH2_BAD;

	memset(d, 0, sizeof(*d));
	if ((o = oauth2_json_object(buf, len, cause)) == NULL)
		return (OAUTH2_BAD);
	if (json_object_object_get_ex(o, "error", NULL)) {
		st = oauth2_json_error(o, cause);
		json_object_put(o);
		return (st == OAUTH2_OK ? OAUTH2_BAD : st);
	}
	if (oauth2_json_str(o, "device_code", 1, &d->device_code,
	    cause) == -1 ||
	    oauth2_json_str(o, "user_code", 1, &d->user_code, cause) == -1 ||
	    oauth2_json_str(o, "verification_uri", 1, &d->verification_uri,
	    cause) == -1 ||
	    (d->verification_uri == NULL && oauth2_json_str(o,
	    "verification_url", 1, &d->verification_uri, cause) == -1) ||
	    oauth2_json_int(o, "expires_in", &d->expires_in, cause) == -1 ||
	    oauth2_json_int(o, "interval", &d->interval, cause) == -1)
		goto done;
	if (d->device_code == NULL || d->user_code == NULL ||
	    d->verification_uri == NULL)
		xasprintf(cause, "device reply without device_code, "
		    "user_code or verification_uri");
	else
		st = OAUTH2_OK;
	if (d->interval == 0)
		d->interval = 5;
done:
	json_object_put(o);
	if (st != OAUTH2_OK)
		oauth2_device_free(d);
	return (st);
}

void
oauth2_token_free(struct oauth2_token *t)
{
	if (t->access != NULL)
		freezero(t->access, strlen(t->access));
	if (t->refresh != NULL)
		freezero(t->refresh, strlen(t->refresh));
	memset(t, 0, sizeof(*t));
}

void
oauth2_device_free(struct oauth2_device *d)
{
	if (d->device_code != NULL)
		freezero(d->device_code, strlen(d->device_code));
	free(d->user_code);
	free(d->verification_uri);
	memset(d, 0, sizeof(*d));
}

/* One JSON object filling buf (bar white space), or NULL with cause. */
static json_object *
oauth2_json_object(const char *buf, size_t len, char **cause)
{
	json_tokener	*tok;
	json_object	*o = NULL;
	size_t		 end;

	if (len == 0 || len > OAUTH2_REPLY_MAX || len > INT_MAX) {
		xasprintf(cause, "reply of %zu bytes: not a token reply", len);
		return (NULL);
	}
	if ((tok = json_tokener_new_ex(OAUTH2_JSON_DEPTH)) == NULL)
		mf_die(EX_OSERR, "json_tokener_new_ex: out of memory");
	o = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		xasprintf(cause, "reply is not JSON (%s)",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	} else if (!oauth2_json_blank(buf + end, len - end)) {
		xasprintf(cause, "reply has bytes after the JSON object");
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		xasprintf(cause, "reply is not a JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return (o);
}

/*
 * Member key as a string into *out (NULL when absent).  A token (token
 * set) must be printable ASCII without space; any other string must
 * not hold NUL bytes.  -1 with cause when the member is malformed.
 */
static int
oauth2_json_str(json_object *o, const char *key, int token, char **out,
    char **cause)
{
	json_object	*v;
	const char	*s;
	size_t		 len;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return (0);
	if (!json_object_is_type(v, json_type_string)) {
		xasprintf(cause, "%s is not a string", key);
		return (-1);
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > OAUTH2_TOKEN_MAX || strlen(s) != len ||
	    (token && !oauth2_token_chars(s, len))) {
		xasprintf(cause, "%s is empty, too long or has bad "
		    "characters", key);
		return (-1);
	}
	*out = xstrndup(s, len);
	return (0);
}

/* Member key as seconds (a number or digits), 0 when absent. */
static int
oauth2_json_int(json_object *o, const char *key, long long *out,
    char **cause)
{
	json_object	*v;
	const char	*s, *err = NULL;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return (0);
	if (json_object_is_type(v, json_type_int))
		*out = (long long)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		*out = strtonum(s, 1, OAUTH2_LIFE_MAX, &err);
	} else
		err = "not a number";
	if (err == NULL && (*out < 1 || *out > OAUTH2_LIFE_MAX))
		err = "out of range";
	if (err == NULL)
		return (0);
	xasprintf(cause, "%s: %s", key, err);
	return (-1);
}

/* Whether the len bytes at s are JSON white space (s is not a string). */
static int
oauth2_json_blank(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return (0);
	return (1);
}

/* RFC 6750 b64token and JWT characters: printable ASCII, no space. */
static int
oauth2_token_chars(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (0);
	return (1);
}

/* An error reply: its status and a one-line cause. */
static enum oauth2_status
oauth2_json_error(json_object *o, char **cause)
{
	json_object	*v;
	char		*code = NULL, *desc = NULL, *ecode, *edesc = NULL;
	size_t		 i;

	if (oauth2_json_str(o, "error", 0, &code, cause) == -1 ||
	    code == NULL)
		return (OAUTH2_BAD);
	if (json_object_object_get_ex(o, "error_description", &v) &&
	    json_object_is_type(v, json_type_string))
		desc = xstrndup(json_object_get_string(v), OAUTH2_DESC_MAX);
	for (i = 0; oauth2_errors[i].code != NULL; i++)
		if (strcmp(oauth2_errors[i].code, code) == 0)
			break;
	ecode = log_escape(code, strlen(code) > 64 ? 64 : strlen(code));
	if (desc != NULL)
		edesc = log_escape(desc, strlen(desc));
	xasprintf(cause, "%s%s%s%s", ecode, edesc != NULL ? " (" : "",
	    edesc != NULL ? edesc : "", edesc != NULL ? ")" : "");
	free(ecode);
	free(edesc);
	free(code);
	free(desc);
	return (oauth2_errors[i].status);
}
