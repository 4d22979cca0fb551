/*
 * conf.h: the configuration file (INI, read with inih).
 * The option table in conf.c is the single source of names, defaults,
 * validation and the --dump-config view.
 */
#ifndef CONF_H
#define CONF_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <time.h>

enum conf_tls {
	CONF_TLS_STARTTLS,	/* EHLO, STARTTLS, EHLO again (port 587) */
	CONF_TLS_IMPLICIT	/* TLS from the first byte (port 465) */
};

enum conf_auth {
	CONF_AUTH_AUTO,		/* strongest mechanism advertised */
	CONF_AUTH_PLAIN,
	CONF_AUTH_LOGIN,
	CONF_AUTH_XOAUTH2,	/* the secret is an OAuth 2.0 bearer token */
	CONF_AUTH_OAUTHBEARER,	/* the same, RFC 7628 */
	CONF_AUTH_NONE,		/* no AUTH at all (IP-authorised relay) */
	CONF_AUTH_SCRAM,	/* SCRAM-SHA-256, -PLUS when offered */
	CONF_AUTH_SCRAM_PLUS,	/* SCRAM-SHA-256-PLUS only (TLS 1.3) */
	CONF_AUTH_CRAM_MD5,	/* only when configured, never by auto */
	CONF_AUTH_EXTERNAL	/* SASL EXTERNAL: the TLS client certificate */
};

enum conf_delivery {
	CONF_DELIVERY_BACKGROUND,
	CONF_DELIVERY_FOREGROUND,
	CONF_DELIVERY_QUEUE
};

enum conf_rewrite_from {
	CONF_REWRITE_NEVER,	/* keep the caller's sender and From */
	CONF_REWRITE_MISSING,	/* only fill in a missing From */
	CONF_REWRITE_ALWAYS	/* force envelope and From to `from` */
};

enum conf_log_target {
	CONF_LOG_AUTO,		/* syslog where /dev/log exists, else stderr */
	CONF_LOG_SYSLOG,
	CONF_LOG_STDERR,
	CONF_LOG_FILE
};

enum conf_log_format {
	CONF_LOG_TEXT,		/* key=value lines */
	CONF_LOG_JSON		/* one JSON object per line */
};

enum conf_oauth2_provider {
	CONF_OAUTH2_NONE,	/* no [oauth2]: the secret is a password */
	CONF_OAUTH2_GOOGLE,
	CONF_OAUTH2_MICROSOFT,
	CONF_OAUTH2_GENERIC	/* token_endpoint and scope set by hand */
};

enum conf_oauth2_grant {
	CONF_GRANT_REFRESH,	/* refresh_token: a user's delegated access */
	CONF_GRANT_CLIENT	/* client_credentials: app-only access */
};

struct conf_alias {
	char			*name;	/* local part, or "*" */
	char			*target;	/* comma-separated addresses */
	TAILQ_ENTRY(conf_alias)	 entry;
};
TAILQ_HEAD(conf_aliases, conf_alias);

/* [smarthost] max_rate: at most count messages per per seconds. */
struct conf_rate {
	unsigned int	 count;		/* 0: unlimited */
	time_t		 per;
};

struct conf {
	char		*path;

	/* [smarthost] */
	char		*host;			/* list: hostlist.c */
	unsigned int	 port;
	enum conf_tls	 tls;
	char		*user;
	char		*password_file;
	char		*password_command;
	enum conf_auth	 auth;
	char		*ca_file;
	unsigned char	 fingerprint[32];	/* SHA-256 pin */
	int		 has_fingerprint;
	int		 tls_min_version;	/* TLS1_2_VERSION or TLS1_3_VERSION */
	time_t		 timeout;		/* per reply, seconds */
	time_t		 connect_timeout;
	char		*helo;			/* name given in EHLO */
	unsigned int	 max_sessions;		/* concurrent, per spool */
	struct conf_rate max_rate;		/* messages sent */
	char		*tls_cert_file;		/* client certificate chain */
	char		*tls_key_file;		/* its key: a secret */
	char		*source_address;	/* IP literal to bind() */

	/* [sender] */
	char		*domain;
	char		*from;
	enum conf_rewrite_from rewrite_from;

	/* [aliases] */
	struct conf_aliases aliases;

	/* [queue] */
	char		*queue_dir;
	enum conf_delivery delivery;
	time_t		 retry;
	time_t		 max_retry;
	time_t		 max_age;
	time_t		 delay_warning;		/* 0: never */
	off_t		 max_size;

	/* [health] */
	time_t		 warn_age;		/* oldest entry */
	time_t		 crit_age;
	unsigned int	 warn_queue;		/* entries */
	unsigned int	 crit_queue;

	/* [oauth2]: mailferry-send obtains the bearer token (oauth2.c) */
	enum conf_oauth2_provider oauth2_provider;
	char		*oauth2_tenant;
	char		*oauth2_client_id;
	char		*oauth2_client_secret_file;
	char		*oauth2_refresh_token_file;
	enum conf_oauth2_grant oauth2_grant;
	char		*oauth2_token_endpoint;
	char		*oauth2_device_endpoint;
	char		*oauth2_authorize_endpoint;
	char		*oauth2_scope;
	char		*oauth2_ca_file;
	char		*oauth2_token_cache;

	/* [log] */
	enum conf_log_target log_target;
	char		*log_file;		/* target = file */
	enum conf_log_format log_format;
};

/* Return values of conf_load() and secret_read() besides 0. */
#define CONF_ERR_SYNTAX		-1	/* bad file: EX_CONFIG */
#define CONF_ERR_INSECURE	-2	/* secret readable by others: EX_NOPERM */
#define CONF_ERR_TEMP		-3	/* try again later: keep mail queued */

#ifndef MF_CONF_PATH
#define MF_CONF_PATH		"/etc/mailferry.conf"
#endif

void	 conf_init(struct conf *);
int	 conf_load(struct conf *, const char *, char **);
int	 conf_load_fp(struct conf *, FILE *, const char *, char **);
int	 conf_duration(const char *, long long, long long, time_t *);
int	 conf_check_relay(const struct conf *, char **);
void	 conf_dump(const struct conf *, FILE *);
const char *conf_option_name(size_t, const char **);
const char *conf_alias_lookup(const struct conf *, const char *);
void	 conf_free(struct conf *);

#endif /* CONF_H */
