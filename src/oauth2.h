/*
 * oauth2.h: OAuth 2.0 bearer tokens for AUTH XOAUTH2 / OAUTHBEARER,
 * obtained by mailferry-send itself ([oauth2] in mailferry.conf):
 * refresh_token (RFC 6749 section 6) and client_credentials (section
 * 4.4) grants, a token cache, and the device authorization grant
 * (RFC 8628) of mailferry-oauth2.  Linked only into mailferry-send and
 * mailferry-oauth2 (libmailferry_send.a): libcurl and json-c stay out
 * of the front end and mailferry-queue.
 */
#ifndef OAUTH2_H
#define OAUTH2_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

struct conf;
struct stat;

#define OAUTH2_REPLY_MAX	(64 * 1024)	/* token endpoint body */
#define OAUTH2_TOKEN_MAX	8192		/* an access or refresh token */

/* What a token or device endpoint answered (oauth2_json.c). */
enum oauth2_status {
	OAUTH2_OK,		/* a token (or device code) */
	OAUTH2_PENDING,		/* authorization_pending (RFC 8628) */
	OAUTH2_SLOW_DOWN,	/* slow_down: poll 5 s slower */
	OAUTH2_REFUSED,		/* invalid_grant, invalid_client...: fix it */
	OAUTH2_EXPIRED,		/* expired_token, access_denied (device) */
	OAUTH2_TEMP,		/* anything else: try again later */
	OAUTH2_BAD		/* not a token response at all */
};

struct oauth2_token {
	char	*access;	/* access_token */
	char	*refresh;	/* a rotated refresh_token, or NULL */
	long long expires_in;	/* seconds; 0: not given */
};

struct oauth2_device {
	char	*device_code;
	char	*user_code;
	char	*verification_uri;	/* Google: verification_url */
	long long expires_in;
	long long interval;		/* 5 when not given */
};

/* oauth2_json.c: parsers of endpoint replies (hostile input). */
enum oauth2_status oauth2_parse_token(const char *, size_t,
	    struct oauth2_token *, char **);
enum oauth2_status oauth2_parse_device(const char *, size_t,
	    struct oauth2_device *, char **);
void	 oauth2_token_free(struct oauth2_token *);
void	 oauth2_device_free(struct oauth2_device *);

/* oauth2_http.c: one HTTPS POST of a form, verified, bounded. */
int	 oauth2_post(const char *, const char *, const char *, char **,
	    size_t *, long *, char **);
char	*oauth2_form_escape(const char *);

/* oauth2.c: endpoints, grants, and the token mailferry-send uses. */
const char *oauth2_token_endpoint(const struct conf *, char *, size_t);
const char *oauth2_device_endpoint(const struct conf *, char *, size_t);
const char *oauth2_authorize_endpoint(const struct conf *, char *, size_t);
const char *oauth2_scope(const struct conf *);
int	 oauth2_get(const struct conf *, int, char **, time_t *, char **);
enum oauth2_status oauth2_request(const struct conf *, const char *,
	    const char *, struct oauth2_token *, char **);
int	 oauth2_store_refresh(const char *, const char *, char **);

/* oauth2_device.c, oauth2_loopback.c: mailferry-oauth2 only. */
char	*oauth2_client_form(const struct conf *, const char *, const char *,
	    const char *);
char	*oauth2_token_by_form(const struct conf *, const char *);
void	 oauth2_device_start(const struct conf *, struct oauth2_device *);
char	*oauth2_device_poll(const struct conf *, struct oauth2_device *);
char	*oauth2_loopback(const struct conf *);

/* oauth2_cache.c: the access token cache, locked and atomic. */
char	*oauth2_cache_path(const struct conf *, char **);
int	 oauth2_cache_lock(const struct conf *, char **);
int	 oauth2_cache_read(const struct conf *, char **, time_t *, time_t *);
int	 oauth2_cache_write(const struct conf *, const char *, time_t,
	    char **);
int	 oauth2_write_atomic(const char *, const char *, mode_t,
	    const struct stat *, char **);
int	 oauth2_kept_read(const struct conf *, char **);
int	 oauth2_kept_write(const struct conf *, const char *, char **);
void	 oauth2_kept_drop(const struct conf *);

#endif /* OAUTH2_H */
