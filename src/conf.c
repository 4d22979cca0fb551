/*
 * conf.c: the configuration file, /etc/mailferry.conf.
 *
 * Format: INI as read by inih.  `[section]` lines, `key = value` lines,
 * comments on lines starting with `;` or `#` and after ` ;` inside a
 * line.  Leading white space is ignored (no continuation lines).  Every
 * line must be at most CONF_LINE_MAX bytes (without the line end) and
 * free of NUL and control characters other than TAB: inih would
 * silently split a longer line into two, so such a file is refused.
 *
 * The table conf_opts[] is the single source of section and key names,
 * types, defaults, bounds, validators and the conf_dump() view.  The
 * [aliases] section is free-form: every key is a local part (or `*`)
 * and its value a comma-separated list of addresses.
 *
 * Error messages name the file, the line and the key but never the
 * value, which might be a password typed under the wrong key.  A
 * password key in the file is always an error; when the file is also
 * readable by group or others the error is CONF_ERR_INSECURE.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/tls1.h>

#include "mailferry.h"
#include "conf.h"
#include "envelope.h"
#include "hostlist.h"

#ifndef MF_QUEUE_DIR
#define MF_QUEUE_DIR		"/var/spool/mailferry"
#endif

#define CONF_LINE_MAX		199	/* inih r55: 200-byte buffer */
#define CONF_FILE_MAX		(1024 * 1024)	/* whole file */
#define CONF_NAME_SHOW		64	/* key names quoted in errors */
#define CONF_MAILNAME		"/etc/mailname"
#define CONF_DOMAIN_MAX		253
#define CONF_MAXOPTS		64

#define DAY			86400LL

enum conf_type {
	CONF_T_STRING,		/* free text, optional validator */
	CONF_T_HOST,		/* host name or IP address */
	CONF_T_PORT,		/* 1-65535 */
	CONF_T_ENUM,		/* one of enums[] */
	CONF_T_BOOL,		/* yes/no, true/false, on/off, 1/0 */
	CONF_T_DURATION,	/* N, Ns, Nm, Nh, Nd */
	CONF_T_SIZE,		/* N, NK, NM, NG (powers of 1024) */
	CONF_T_PATH,		/* absolute path */
	CONF_T_FINGERPRINT,	/* sha256: + 32 hex bytes, colons allowed */
	CONF_T_COUNT,		/* N from min to max */
	CONF_T_RATE		/* 0, or N/second, N/minute, N/hour, N/day */
};

struct conf_enum {
	const char	*name;
	int		 value;
};

struct conf_unit {
	char		 letter;	/* lower case; input is folded */
	long long	 mult;
};

struct conf_opt {
	const char		*section;	/* NULL: any section */
	const char		*key;
	enum conf_type		 type;
	size_t			 off;	/* into struct conf */
	const char		*def;	/* default, parsed like input */
	const struct conf_enum	*enums;
	long long		 min, max;	/* port, duration, size */
	int			(*valid)(const char *);
	int			 secret;	/* refused in the file */
};

/* State of one conf_load_fp() call. */
struct conf_state {
	struct conf	*conf;
	FILE		*fp;
	const char	*name;
	int		 lineno;
	size_t		 total;
	int		 rc;		/* first error, 0 if none */
	int		 errline;
	int		 secret;	/* line of a password key, or 0 */
	char		*secret_section;
	char		*secret_key;
	char		*cause;
	int		 seen[CONF_MAXOPTS];	/* line of each option */
};

static int	 conf_valid_domain(const char *);
static int	 conf_valid_helo(const char *);
static int	 conf_valid_hosts(const char *);
static int	 conf_valid_ip(const char *);
static int	 conf_valid_local(const char *, size_t);
static int	 conf_valid_address(const char *);
static int	 conf_valid_addrlist(const char *);
static int	 conf_valid_text(const char *);
static int	 conf_valid_tenant(const char *);
static int	 conf_valid_https(const char *);
static int	 conf_finish_oauth2(struct conf_state *);
static int	 conf_find(const char *, const char *);
static int	 conf_is_secret(const char *);
static int	 conf_known_section(const char *);
static int	 conf_number(const char *, const struct conf_unit *,
		    long long, long long, long long *);
static int	 conf_set(struct conf *, const struct conf_opt *,
		    const char *, char *, size_t);
static void	 conf_explain(const struct conf_opt *, char *, size_t);
static int	 conf_set_fingerprint(struct conf *, const char *);
static void	 conf_error(struct conf_state *, int, const char *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static char	*conf_show(const char *);
static char	*conf_reader(char *, int, void *);
static int	 conf_check_line(struct conf_state *, char *, size_t);
static int	 conf_handler(void *, const char *, const char *,
		    const char *);
static int	 conf_alias_add(struct conf_state *, const char *,
		    const char *);
static void	 conf_finish(struct conf_state *);
static int	 conf_check_client(struct conf_state *);
static int	 conf_check_pair(struct conf_state *, const char *,
		    const char *, int);
static void	 conf_secret_error(struct conf_state *);
static const char *conf_default_domain(void);
static void	 conf_fmt_unit(long long, const struct conf_unit *,
		    const char *, char *, size_t);
static void	 conf_fmt(const struct conf *, const struct conf_opt *,
		    char *, size_t);
static int	 conf_set_rate(void *, const char *, long long);
static void	 conf_fmt_rate(const void *, char *, size_t);

static const struct conf_enum conf_tls_names[] = {
	{ "starttls",	CONF_TLS_STARTTLS },
	{ "implicit",	CONF_TLS_IMPLICIT },
	{ NULL,		0 }
};

static const struct conf_enum conf_auth_names[] = {
	{ "auto",	CONF_AUTH_AUTO },
	{ "plain",	CONF_AUTH_PLAIN },
	{ "login",	CONF_AUTH_LOGIN },
	{ "xoauth2",	CONF_AUTH_XOAUTH2 },
	{ "oauthbearer",	CONF_AUTH_OAUTHBEARER },
	{ "none",	CONF_AUTH_NONE },
	{ "scram-sha-256",	CONF_AUTH_SCRAM },
	{ "scram-sha-256-plus",	CONF_AUTH_SCRAM_PLUS },
	{ "cram-md5",	CONF_AUTH_CRAM_MD5 },
	{ "external",	CONF_AUTH_EXTERNAL },
	{ NULL,		0 }
};

static const struct conf_enum conf_tlsver_names[] = {
	{ "1.2",	TLS1_2_VERSION },
	{ "1.3",	TLS1_3_VERSION },
	{ NULL,		0 }
};

static const struct conf_enum conf_rewrite_names[] = {
	{ "never",	CONF_REWRITE_NEVER },
	{ "missing",	CONF_REWRITE_MISSING },
	{ "always",	CONF_REWRITE_ALWAYS },
	{ NULL,		0 }
};

static const struct conf_enum conf_delivery_names[] = {
	{ "background",	CONF_DELIVERY_BACKGROUND },
	{ "foreground",	CONF_DELIVERY_FOREGROUND },
	{ "queue",	CONF_DELIVERY_QUEUE },
	{ NULL,		0 }
};

static const struct conf_enum conf_log_target_names[] = {
	{ "auto",	CONF_LOG_AUTO },
	{ "syslog",	CONF_LOG_SYSLOG },
	{ "stderr",	CONF_LOG_STDERR },
	{ "file",	CONF_LOG_FILE },
	{ NULL,		0 }
};

static const struct conf_enum conf_log_format_names[] = {
	{ "text",	CONF_LOG_TEXT },
	{ "json",	CONF_LOG_JSON },
	{ NULL,		0 }
};

static const struct conf_enum conf_oauth2_provider_names[] = {
	{ "none",	CONF_OAUTH2_NONE },
	{ "google",	CONF_OAUTH2_GOOGLE },
	{ "microsoft",	CONF_OAUTH2_MICROSOFT },
	{ "generic",	CONF_OAUTH2_GENERIC },
	{ NULL,		0 }
};

static const struct conf_enum conf_oauth2_grant_names[] = {
	{ "refresh_token",	CONF_GRANT_REFRESH },
	{ "client_credentials",	CONF_GRANT_CLIENT },
	{ NULL,			0 }
};

static const struct conf_enum conf_bool_names[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
	{ NULL, 0 }
};

static const struct conf_unit conf_time_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', DAY }, { '\0', 0 }
};

static const struct conf_unit conf_size_units[] = {
	{ 'k', 1024LL }, { 'm', 1024LL * 1024 }, { 'g', 1024LL * 1024 * 1024 },
	{ '\0', 0 }
};

static const struct conf_enum conf_rate_units[] = {
	{ "second", 1 }, { "s", 1 }, { "minute", 60 }, { "min", 60 },
	{ "m", 60 }, { "hour", 3600 }, { "h", 3600 }, { "day", DAY },
	{ "d", DAY }, { NULL, 0 }
};

static const char *const conf_sections[] = {
	"smarthost", "sender", "aliases", "queue", "health", "log", "oauth2",
	NULL
};

#define O(f)	offsetof(struct conf, f)
static const struct conf_opt conf_opts[] = {
	{ "smarthost", "host", CONF_T_HOST, O(host), NULL, NULL, 0, 0,
	    NULL, 0 },
	{ "smarthost", "port", CONF_T_PORT, O(port), "587", NULL, 1, 65535,
	    NULL, 0 },
	{ "smarthost", "tls", CONF_T_ENUM, O(tls), "starttls",
	    conf_tls_names, 0, 0, NULL, 0 },
	{ "smarthost", "user", CONF_T_STRING, O(user), NULL, NULL, 0, 0,
	    conf_valid_text, 0 },
	{ "smarthost", "password_file", CONF_T_PATH, O(password_file),
	    NULL, NULL, 0, 0, NULL, 0 },
	{ "smarthost", "password_command", CONF_T_STRING,
	    O(password_command), NULL, NULL, 0, 0, conf_valid_text, 0 },
	{ "smarthost", "auth", CONF_T_ENUM, O(auth), "auto",
	    conf_auth_names, 0, 0, NULL, 0 },
	{ "smarthost", "ca_file", CONF_T_PATH, O(ca_file), NULL, NULL, 0, 0,
	    NULL, 0 },
	{ "smarthost", "fingerprint", CONF_T_FINGERPRINT, O(fingerprint),
	    NULL, NULL, 0, 0, NULL, 0 },
	{ "smarthost", "tls_min_version", CONF_T_ENUM, O(tls_min_version),
	    "1.2", conf_tlsver_names, 0, 0, NULL, 0 },
	{ "smarthost", "timeout", CONF_T_DURATION, O(timeout), "5m", NULL,
	    1, 3600, NULL, 0 },
	{ "smarthost", "connect_timeout", CONF_T_DURATION,
	    O(connect_timeout), "30s", NULL, 1, 600, NULL, 0 },
	{ "smarthost", "helo", CONF_T_STRING, O(helo), NULL, NULL, 0, 0,
	    conf_valid_helo, 0 },
	{ "smarthost", "max_sessions", CONF_T_COUNT, O(max_sessions), "2",
	    NULL, 1, 100, NULL, 0 },
	{ "smarthost", "max_rate", CONF_T_RATE, O(max_rate), "0", NULL,
	    0, 1000000, NULL, 0 },
	{ "smarthost", "tls_cert_file", CONF_T_PATH, O(tls_cert_file), NULL,
	    NULL, 0, 0, NULL, 0 },
	{ "smarthost", "tls_key_file", CONF_T_PATH, O(tls_key_file), NULL,
	    NULL, 0, 0, NULL, 0 },
	{ "smarthost", "source_address", CONF_T_STRING, O(source_address),
	    NULL, NULL, 0, 0, conf_valid_ip, 0 },
	{ "sender", "domain", CONF_T_STRING, O(domain), NULL, NULL, 0, 0,
	    conf_valid_domain, 0 },
	{ "sender", "from", CONF_T_STRING, O(from), NULL, NULL, 0, 0,
	    conf_valid_address, 0 },
	{ "sender", "rewrite_from", CONF_T_ENUM, O(rewrite_from), "never",
	    conf_rewrite_names, 0, 0, NULL, 0 },
	{ "queue", "dir", CONF_T_PATH, O(queue_dir), MF_QUEUE_DIR, NULL,
	    0, 0, NULL, 0 },
	{ "queue", "delivery", CONF_T_ENUM, O(delivery), "background",
	    conf_delivery_names, 0, 0, NULL, 0 },
	{ "queue", "retry", CONF_T_DURATION, O(retry), "5m", NULL,
	    1, DAY, NULL, 0 },
	{ "queue", "max_retry", CONF_T_DURATION, O(max_retry), "4h", NULL,
	    1, 7 * DAY, NULL, 0 },
	{ "queue", "max_age", CONF_T_DURATION, O(max_age), "5d", NULL,
	    1, 60 * DAY, NULL, 0 },
	{ "queue", "delay_warning", CONF_T_DURATION, O(delay_warning), "4h",
	    NULL, 0, 60 * DAY, NULL, 0 },
	{ "queue", "max_size", CONF_T_SIZE, O(max_size), "35M", NULL,
	    1024, 2048LL * 1024 * 1024, NULL, 0 },
	{ "health", "warn_age", CONF_T_DURATION, O(warn_age), "1h", NULL,
	    1, 60 * DAY, NULL, 0 },
	{ "health", "crit_age", CONF_T_DURATION, O(crit_age), "4h", NULL,
	    1, 60 * DAY, NULL, 0 },
	{ "health", "warn_queue", CONF_T_COUNT, O(warn_queue), "100", NULL,
	    1, 1000000, NULL, 0 },
	{ "health", "crit_queue", CONF_T_COUNT, O(crit_queue), "1000", NULL,
	    1, 1000000, NULL, 0 },
	{ "log", "target", CONF_T_ENUM, O(log_target), "auto",
	    conf_log_target_names, 0, 0, NULL, 0 },
	{ "log", "file", CONF_T_PATH, O(log_file), NULL, NULL, 0, 0, NULL,
	    0 },
	{ "log", "format", CONF_T_ENUM, O(log_format), "text",
	    conf_log_format_names, 0, 0, NULL, 0 },
	{ "oauth2", "provider", CONF_T_ENUM, O(oauth2_provider), "none",
	    conf_oauth2_provider_names, 0, 0, NULL, 0 },
	{ "oauth2", "tenant", CONF_T_STRING, O(oauth2_tenant), "common",
	    NULL, 0, 0, conf_valid_tenant, 0 },
	{ "oauth2", "client_id", CONF_T_STRING, O(oauth2_client_id), NULL,
	    NULL, 0, 0, conf_valid_text, 0 },
	{ "oauth2", "client_secret_file", CONF_T_PATH,
	    O(oauth2_client_secret_file), NULL, NULL, 0, 0, NULL, 0 },
	{ "oauth2", "refresh_token_file", CONF_T_PATH,
	    O(oauth2_refresh_token_file), NULL, NULL, 0, 0, NULL, 0 },
	{ "oauth2", "grant", CONF_T_ENUM, O(oauth2_grant), "refresh_token",
	    conf_oauth2_grant_names, 0, 0, NULL, 0 },
	{ "oauth2", "token_endpoint", CONF_T_STRING,
	    O(oauth2_token_endpoint), NULL, NULL, 0, 0, conf_valid_https, 0 },
	{ "oauth2", "device_endpoint", CONF_T_STRING,
	    O(oauth2_device_endpoint), NULL, NULL, 0, 0, conf_valid_https, 0 },
	{ "oauth2", "authorize_endpoint", CONF_T_STRING,
	    O(oauth2_authorize_endpoint), NULL, NULL, 0, 0, conf_valid_https,
	    0 },
	{ "oauth2", "scope", CONF_T_STRING, O(oauth2_scope), NULL, NULL, 0, 0,
	    conf_valid_text, 0 },
	{ "oauth2", "ca_file", CONF_T_PATH, O(oauth2_ca_file), NULL, NULL, 0,
	    0, NULL, 0 },
	{ "oauth2", "token_cache", CONF_T_PATH, O(oauth2_token_cache), NULL,
	    NULL, 0, 0, NULL, 0 },
	/* Never accepted: the password lives in password_file. */
	{ NULL, "password", CONF_T_STRING, 0, NULL, NULL, 0, 0, NULL, 1 },
	{ NULL, "pass", CONF_T_STRING, 0, NULL, NULL, 0, 0, NULL, 1 },
	{ NULL, "passwd", CONF_T_STRING, 0, NULL, NULL, 0, 0, NULL, 1 },
	{ NULL, "secret", CONF_T_STRING, 0, NULL, NULL, 0, 0, NULL, 1 },
};
#undef O
#define CONF_NOPTS	(sizeof(conf_opts) / sizeof(conf_opts[0]))

_Static_assert(CONF_NOPTS <= CONF_MAXOPTS, "raise CONF_MAXOPTS");
_Static_assert(sizeof(enum conf_tls) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_auth) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_log_target) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_log_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_delivery) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_rewrite_from) == sizeof(int), "enum size");

/* Set every option to its default. */
void
conf_init(struct conf *c)
{
	char	 why[128];
	size_t	 i;

	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->aliases);
	for (i = 0; i < CONF_NOPTS; i++) {
		if (conf_opts[i].def == NULL)
			continue;
		if (conf_set(c, &conf_opts[i], conf_opts[i].def, why,
		    sizeof(why)) == -1)
			fatalx("conf_init: bad default for %s: %s",
			    conf_opts[i].key, why);
	}
}

/* Load the configuration file at path (once, after conf_init). */
int
conf_load(struct conf *c, const char *path, char **cause)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		xasprintf(cause, "%s: cannot open the configuration file: %s",
		    path, strerror(errno));
		return (errno == EACCES ? CONF_ERR_INSECURE : CONF_ERR_SYNTAX);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (CONF_ERR_SYNTAX);
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		fatal("fdopen");
	rc = conf_load_fp(c, fp, path, cause);
	fclose(fp);
	return (rc);
}

/* Load a configuration from an open stream; name is used in messages. */
int
conf_load_fp(struct conf *c, FILE *fp, const char *name, char **cause)
{
	struct conf_state	 st;
	int			 rc;

	memset(&st, 0, sizeof(st));
	st.conf = c;
	st.fp = fp;
	st.name = name;
	free(c->path);
	c->path = xstrdup(name);

	rc = ini_parse_stream(conf_reader, &st, conf_handler, &st);
	if (rc == -2)
		fatalx("ini_parse_stream: out of memory");
	if (rc > 0 && (st.rc == 0 || rc < st.errline) && st.secret == 0) {
		free(st.cause);
		st.cause = NULL;
		st.rc = 0;
		conf_error(&st, rc, NULL, NULL,
		    "syntax error: expected [section] or key = value");
	}
	if (st.secret != 0)
		conf_secret_error(&st);
	free(st.secret_section);
	free(st.secret_key);
	if (st.rc == 0)
		conf_finish(&st);
	if (st.rc != 0) {
		*cause = st.cause;
		return (st.rc);
	}
	return (0);
}

/*
 * inih's line reader: read one line, enforce the limits and hand inih
 * the line without its end and without leading white space.
 */
static char *
conf_reader(char *buf, int size, void *arg)
{
	struct conf_state	*st = arg;
	size_t			 len = 0, max;
	int			 ch, any = 0, bad = 0;

	if (size < 2)
		return (NULL);
	max = (size_t)size - 1;
	if (max > CONF_LINE_MAX)
		max = CONF_LINE_MAX;
	for (;;) {
		if ((ch = getc(st->fp)) == EOF)
			break;
		any = 1;
		if (++st->total > CONF_FILE_MAX) {
			st->lineno++;
			conf_error(st, st->lineno, NULL, NULL,
			    "file larger than %d bytes", CONF_FILE_MAX);
			return (NULL);
		}
		if (ch == '\n')
			break;
		if (ch == '\r') {
			if ((ch = getc(st->fp)) == '\n')
				break;
			if (ch != EOF)
				ungetc(ch, st->fp);
			ch = '\r';
		}
		if (len < max)
			buf[len++] = (char)ch;
		else
			bad = 1;
	}
	if (ferror(st->fp)) {
		conf_error(st, st->lineno + 1, NULL, NULL, "read error: %s",
		    strerror(errno));
		return (NULL);
	}
	if (!any)
		return (NULL);
	st->lineno++;
	if (bad) {
		conf_error(st, st->lineno, NULL, NULL,
		    "line longer than %zu bytes", max);
		len = 0;
	}
	if (conf_check_line(st, buf, len) == -1)
		len = 0;
	buf[len] = '\0';
	return (buf);
}

/* Refuse NUL and control bytes; strip indentation; check [section]. */
static int
conf_check_line(struct conf_state *st, char *buf, size_t len)
{
	unsigned char	 ch;
	size_t		 i, skip;
	char		*end, *show;

	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		ch = (unsigned char)buf[i];
		if (ch == '\0') {
			conf_error(st, st->lineno, NULL, NULL, "NUL byte");
			return (-1);
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			conf_error(st, st->lineno, NULL, NULL,
			    "control character 0x%02x", ch);
			return (-1);
		}
	}
	/* Without indentation inih sees no continuation lines. */
	skip = strspn(buf, " \t");
	memmove(buf, buf + skip, len - skip);
	buf[len - skip] = '\0';
	if (buf[0] != '[' || (end = strchr(buf, ']')) == NULL)
		return (0);
	*end = '\0';
	if (!conf_known_section(buf + 1)) {
		show = conf_show(buf + 1);
		conf_error(st, st->lineno, NULL, NULL,
		    "unknown section [%s]", show);
		free(show);
	}
	*end = ']';
	return (0);
}

/* inih's callback: one key = value line. */
static int
conf_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct conf_state	*st = arg;
	const struct conf_opt	*o;
	char			 why[160];
	int			 i;

	if (conf_is_secret(key)) {
		if (st->secret == 0) {
			st->secret = st->lineno;
			st->secret_section = xstrdup(section);
			st->secret_key = xstrdup(key);
		}
		return (0);
	}
	/* After the first error only look for passwords. */
	if (st->rc != 0)
		return (0);
	if (*section == '\0') {
		conf_error(st, st->lineno, section, key,
		    "key outside of any [section]");
		return (0);
	}
	if (!conf_known_section(section)) {
		conf_error(st, st->lineno, section, key, "unknown section");
		return (0);
	}
	if (strcasecmp(section, "aliases") == 0)
		return (conf_alias_add(st, key, value));
	if ((i = conf_find(section, key)) == -1) {
		conf_error(st, st->lineno, section, key, "unknown key");
		return (0);
	}
	o = &conf_opts[i];
	if (st->seen[i] != 0) {
		conf_error(st, st->lineno, section, key,
		    "duplicate key, first set on line %d", st->seen[i]);
		return (0);
	}
	st->seen[i] = st->lineno;
	if (*value == '\0') {
		conf_error(st, st->lineno, section, key, "empty value");
		return (0);
	}
	if (conf_set(st->conf, o, value, why, sizeof(why)) == -1) {
		conf_error(st, st->lineno, section, key, "%s", why);
		return (0);
	}
	return (1);
}

/* Add one [aliases] entry. */
static int
conf_alias_add(struct conf_state *st, const char *key, const char *value)
{
	struct conf_alias	*a;
	char			*name;
	size_t			 i;

	if ((strcmp(key, "*") != 0 && !conf_valid_local(key, strlen(key)))) {
		conf_error(st, st->lineno, "aliases", key,
		    "not a valid local part (or *)");
		return (0);
	}
	TAILQ_FOREACH(a, &st->conf->aliases, entry) {
		if (strcasecmp(a->name, key) == 0) {
			conf_error(st, st->lineno, "aliases", key,
			    "duplicate alias");
			return (0);
		}
	}
	if (*value == '\0' || !conf_valid_addrlist(value)) {
		conf_error(st, st->lineno, "aliases", key,
		    "expected a comma-separated list of addresses");
		return (0);
	}
	name = xstrdup(key);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	a = xcalloc(1, sizeof(*a));
	a->name = name;
	a->target = xstrdup(value);
	TAILQ_INSERT_TAIL(&st->conf->aliases, a, entry);
	return (1);
}

/* The line-independent checks and the defaults that depend on others. */
static void
conf_finish(struct conf_state *st)
{
	struct conf	*c = st->conf;
	int		 tls, port, pf, pc, retry, maxr;

	tls = st->seen[conf_find("smarthost", "tls")];
	port = st->seen[conf_find("smarthost", "port")];
	if (tls == 0 && c->port == 465)
		c->tls = CONF_TLS_IMPLICIT;
	if (port == 0 && tls != 0 && c->tls == CONF_TLS_IMPLICIT)
		c->port = 465;

	pf = st->seen[conf_find("smarthost", "password_file")];
	pc = st->seen[conf_find("smarthost", "password_command")];
	if (pf != 0 && pc != 0) {
		conf_error(st, pf > pc ? pf : pc, "smarthost",
		    pf > pc ? "password_file" : "password_command",
		    "password_file and password_command are exclusive");
		return;
	}
	if (conf_check_client(st) == -1)
		return;
	retry = st->seen[conf_find("queue", "retry")];
	maxr = st->seen[conf_find("queue", "max_retry")];
	if (c->retry > c->max_retry) {
		conf_error(st, retry > maxr ? retry : maxr, "queue",
		    retry > maxr ? "retry" : "max_retry",
		    "retry must not exceed max_retry");
		return;
	}
	if (conf_check_pair(st, "warn_age", "crit_age",
	    c->warn_age > c->crit_age) == -1 ||
	    conf_check_pair(st, "warn_queue", "crit_queue",
	    c->warn_queue > c->crit_queue) == -1)
		return;
	if (c->log_target == CONF_LOG_FILE && c->log_file == NULL) {
		conf_error(st, st->seen[conf_find("log", "target")], "log",
		    "target", "target = file needs file = /absolute/path");
		return;
	}
	if (conf_finish_oauth2(st) == -1)
		return;
	if (c->domain == NULL)
		c->domain = xstrdup(conf_default_domain());
	if (c->helo == NULL)
		c->helo = xstrdup(c->domain);
}

/*
 * A client certificate needs its key and the reverse; auth = external
 * needs the certificate.
 */
static int
conf_check_client(struct conf_state *st)
{
	struct conf	*c = st->conf;
	int		 cf, kf;

	cf = st->seen[conf_find("smarthost", "tls_cert_file")];
	kf = st->seen[conf_find("smarthost", "tls_key_file")];
	if ((cf == 0) != (kf == 0)) {
		conf_error(st, cf != 0 ? cf : kf, "smarthost",
		    cf != 0 ? "tls_cert_file" : "tls_key_file",
		    "tls_cert_file and tls_key_file go together");
		return (-1);
	}
	if (c->auth == CONF_AUTH_EXTERNAL && cf == 0) {
		conf_error(st, st->seen[conf_find("smarthost", "auth")],
		    "smarthost", "auth", "auth = external needs "
		    "tls_cert_file and tls_key_file");
		return (-1);
	}
	return (0);
}

/*
 * [oauth2] needs a bearer mechanism, a client and the grant's
 * credential; it replaces password_file and password_command.  Each
 * error names the line of the key to fix (the provider's otherwise).
 */
static int
conf_finish_oauth2(struct conf_state *st)
{
	struct conf	*c = st->conf;
	const char	*key = "provider", *what = NULL;
	int		 line;

	if (c->oauth2_provider == CONF_OAUTH2_NONE)
		return (0);
	if (c->auth != CONF_AUTH_XOAUTH2 && c->auth != CONF_AUTH_OAUTHBEARER)
		what = "needs [smarthost] auth = xoauth2 or oauthbearer";
	else if (c->password_file != NULL || c->password_command != NULL)
		what = "replaces [smarthost] password_file and "
		    "password_command: remove them";
	else if (c->oauth2_client_id == NULL)
		what = "needs client_id";
	else if (c->oauth2_grant == CONF_GRANT_REFRESH &&
	    c->oauth2_refresh_token_file == NULL)
		what = "grant = refresh_token needs refresh_token_file "
		    "(mailferry-oauth2 authorize writes it)";
	else if (c->oauth2_grant == CONF_GRANT_CLIENT &&
	    c->oauth2_client_secret_file == NULL)
		what = "grant = client_credentials needs client_secret_file";
	else if (c->oauth2_grant == CONF_GRANT_CLIENT &&
	    c->oauth2_provider == CONF_OAUTH2_GOOGLE)
		what = "Google offers no client_credentials grant for SMTP";
	else if (c->oauth2_provider == CONF_OAUTH2_GENERIC &&
	    c->oauth2_token_endpoint == NULL)
		what = "provider = generic needs token_endpoint";
	if (what == NULL)
		return (0);
	line = st->seen[conf_find("oauth2", key)];
	conf_error(st, line != 0 ? line : st->seen[conf_find("smarthost",
	    "auth")], "oauth2", key, "[oauth2] %s", what);
	return (-1);
}

/* [health] warn must not exceed crit: an error on the later line. */
static int
conf_check_pair(struct conf_state *st, const char *warn, const char *crit,
    int bad)
{
	int	 w, c;

	if (!bad)
		return (0);
	w = st->seen[conf_find("health", warn)];
	c = st->seen[conf_find("health", crit)];
	conf_error(st, w > c ? w : c, "health", w > c ? warn : crit,
	    "%s must not exceed %s", warn, crit);
	return (-1);
}

/* Report a password key: insecure if the file is readable by others. */
static void
conf_secret_error(struct conf_state *st)
{
	struct stat	 sb;
	int		 fd;

	free(st->cause);
	st->cause = NULL;
	st->rc = 0;
	fd = fileno(st->fp);
	if (fd != -1 && fstat(fd, &sb) == 0 &&
	    (sb.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		conf_error(st, st->secret, st->secret_section, st->secret_key,
		    "the file contains a password and is readable by other "
		    "users: remove it, change the password, and put it in "
		    "a file named by password_file (mode 0640 or stricter)");
		st->rc = CONF_ERR_INSECURE;
		return;
	}
	conf_error(st, st->secret, st->secret_section, st->secret_key,
	    "passwords are not allowed in the configuration file: put it "
	    "in a file named by password_file");
}

/* Record the first error as "<file>:<line>: <what> (key <s.k>)". */
static void
conf_error(struct conf_state *st, int line, const char *section,
    const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*what, *s, *k;

	if (st->rc != 0)
		return;
	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	if (key != NULL) {
		s = conf_show(section != NULL ? section : "");
		k = conf_show(key);
		xasprintf(&st->cause, "%s:%d: %s (key %s.%s)", st->name, line,
		    what, s, k);
		free(s);
		free(k);
	} else
		xasprintf(&st->cause, "%s:%d: %s", st->name, line, what);
	free(what);
	st->rc = CONF_ERR_SYNTAX;
	st->errline = line;
}

/* A name from the file, escaped and shortened for a message. */
static char *
conf_show(const char *name)
{
	char	*e, *out;
	size_t	 len;

	len = strlen(name);
	if (len <= CONF_NAME_SHOW)
		return (log_escape(name, len));
	e = log_escape(name, CONF_NAME_SHOW);
	xasprintf(&out, "%s...", e);
	free(e);
	return (out);
}

/*
 * The key of option i of the table and its section, or NULL past the
 * end; *section is NULL for the password keys (never accepted).
 */
const char *
conf_option_name(size_t i, const char **section)
{
	if (i >= CONF_NOPTS)
		return (NULL);
	*section = conf_opts[i].secret ? NULL : conf_opts[i].section;
	return (conf_opts[i].key);
}

/* Index of section.key in conf_opts (section NULL: secret keys), or -1. */
static int
conf_find(const char *section, const char *key)
{
	size_t	 i;

	for (i = 0; i < CONF_NOPTS; i++) {
		if (strcasecmp(conf_opts[i].key, key) != 0)
			continue;
		if (conf_opts[i].section == NULL) {
			if (section == NULL)
				return ((int)i);
			continue;
		}
		if (section != NULL &&
		    strcasecmp(conf_opts[i].section, section) == 0)
			return ((int)i);
	}
	return (-1);
}

/*
 * Whether key is, or looks like, a password: the secret keys of the
 * table, and any other key whose name contains "pass" or "secret"
 * (smtp_password, passphrase, client_secret...), so that a password
 * is never accepted, not even as an alias target.
 */
static int
conf_is_secret(const char *key)
{
	static const char *const words[] = { "pass", "secret" };
	size_t	 i, j, len;
	int	 n;

	if ((n = conf_find(NULL, key)) != -1)
		return (conf_opts[n].secret);
	/* A known key in the wrong section is an unknown key. */
	for (i = 0; i < CONF_NOPTS; i++)
		if (strcasecmp(conf_opts[i].key, key) == 0)
			return (0);
	len = strlen(key);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (j = 0; j + strlen(words[i]) <= len; j++)
			if (strncasecmp(key + j, words[i],
			    strlen(words[i])) == 0)
				return (1);
	return (0);
}

static int
conf_known_section(const char *name)
{
	size_t	 i;

	for (i = 0; conf_sections[i] != NULL; i++)
		if (strcasecmp(conf_sections[i], name) == 0)
			return (1);
	return (0);
}

/* Parse digits and an optional unit letter into [min, max]. */
static int
conf_number(const char *s, const struct conf_unit *units, long long min,
    long long max, long long *out)
{
	char		 num[24];
	const char	*errstr;
	long long	 v, mult = 1;
	size_t		 n, i;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return (-1);
	memcpy(num, s, n);
	num[n] = '\0';
	if (s[n] != '\0') {
		for (i = 0; units[i].letter != '\0'; i++)
			if ((s[n] | 0x20) == units[i].letter)
				break;
		if (units[i].letter == '\0' || s[n + 1] != '\0')
			return (-1);
		mult = units[i].mult;
	}
	v = strtonum(num, 0, max / mult, &errstr);
	if (errstr != NULL || v * mult < min)
		return (-1);
	*out = v * mult;
	return (0);
}

/* Parse value for option o and store it in c. */
static int
conf_set(struct conf *c, const struct conf_opt *o, const char *value,
    char *why, size_t whylen)
{
	void			*p = (char *)c + o->off;
	const struct conf_enum	*e;
	const char		*errstr;
	long long		 v;
	size_t			 i;

	switch (o->type) {
	case CONF_T_STRING:
		if (o->valid != NULL && !o->valid(value))
			goto bad;
		break;
	case CONF_T_HOST:
		if (!conf_valid_hosts(value))
			goto bad;
		break;
	case CONF_T_PATH:
		if (value[0] != '/' || strlen(value) >= PATH_MAX)
			goto bad;
		break;
	case CONF_T_PORT:
	case CONF_T_COUNT:
		v = strtonum(value, o->min, o->max, &errstr);
		if (errstr != NULL)
			goto bad;
		*(unsigned int *)p = (unsigned int)v;
		return (0);
	case CONF_T_BOOL:
	case CONF_T_ENUM:
		e = o->type == CONF_T_BOOL ? conf_bool_names : o->enums;
		for (i = 0; e[i].name != NULL; i++)
			if (strcasecmp(e[i].name, value) == 0)
				break;
		if (e[i].name == NULL)
			goto bad;
		*(int *)p = e[i].value;
		return (0);
	case CONF_T_DURATION:
		if (conf_number(value, conf_time_units, o->min, o->max,
		    &v) == -1)
			goto bad;
		*(time_t *)p = (time_t)v;
		return (0);
	case CONF_T_SIZE:
		if (conf_number(value, conf_size_units, o->min, o->max,
		    &v) == -1)
			goto bad;
		*(off_t *)p = (off_t)v;
		return (0);
	case CONF_T_FINGERPRINT:
		if (conf_set_fingerprint(c, value) == -1)
			goto bad;
		return (0);
	case CONF_T_RATE:
		if (conf_set_rate(p, value, o->max) == -1)
			goto bad;
		return (0);
	}
	free(*(char **)p);
	*(char **)p = xstrdup(value);
	return (0);
bad:
	conf_explain(o, why, whylen);
	return (-1);
}

/* "0" (unlimited) or "N/unit", N from 1 to max. */
static int
conf_set_rate(void *p, const char *s, long long max)
{
	struct conf_rate	*r = p;
	const char		*slash, *errstr;
	char			 num[16];
	long long		 n;
	size_t			 i;

	if (strcmp(s, "0") == 0) {
		r->count = 0;
		r->per = 60;
		return (0);
	}
	if ((slash = strchr(s, '/')) == NULL || (size_t)(slash - s) >=
	    sizeof(num))
		return (-1);
	memcpy(num, s, slash - s);
	num[slash - s] = '\0';
	n = strtonum(num, 1, max, &errstr);
	if (errstr != NULL)
		return (-1);
	for (i = 0; conf_rate_units[i].name != NULL; i++)
		if (strcasecmp(conf_rate_units[i].name, slash + 1) == 0)
			break;
	if (conf_rate_units[i].name == NULL)
		return (-1);
	r->count = (unsigned int)n;
	r->per = conf_rate_units[i].value;
	return (0);
}

/* Format a rate as it is written: "0" or "N/minute". */
static void
conf_fmt_rate(const void *p, char *buf, size_t len)
{
	const struct conf_rate	*r = p;
	size_t			 i;

	if (r->count == 0) {
		strlcpy(buf, "0", len);
		return;
	}
	for (i = 0; conf_rate_units[i].name != NULL; i++)
		if (conf_rate_units[i].value == r->per)
			break;
	snprintf(buf, len, "%u/%s", r->count, conf_rate_units[i].name);
}

/* Parse a duration (N, Ns, Nm, Nh, Nd) from min to max seconds. */
int
conf_duration(const char *s, long long min, long long max, time_t *out)
{
	long long	 v;

	if (conf_number(s, conf_time_units, min, max, &v) == -1)
		return (-1);
	*out = (time_t)v;
	return (0);
}

/* Describe what option o accepts, for an error message. */
static void
conf_explain(const struct conf_opt *o, char *why, size_t whylen)
{
	const struct conf_enum	*e;
	char			 lo[32], hi[32];
	size_t			 i;

	switch (o->type) {
	case CONF_T_HOST:
		snprintf(why, whylen, "not a list of host names or IP "
		    "addresses (host or host:port, separated by commas)");
		break;
	case CONF_T_PATH:
		snprintf(why, whylen, "not an absolute path");
		break;
	case CONF_T_PORT:
		snprintf(why, whylen, "not a port number (1-65535)");
		break;
	case CONF_T_BOOL:
	case CONF_T_ENUM:
		e = o->type == CONF_T_BOOL ? conf_bool_names : o->enums;
		snprintf(why, whylen, "not one of the accepted words");
		for (i = 0; e[i].name != NULL; i++)
			if (strlcat(why, i == 0 ? ": " : ", ", whylen) >=
			    whylen || strlcat(why, e[i].name, whylen) >= whylen)
				break;
		break;
	case CONF_T_DURATION:
		conf_fmt_unit(o->min, conf_time_units, "s", lo, sizeof(lo));
		conf_fmt_unit(o->max, conf_time_units, "s", hi, sizeof(hi));
		snprintf(why, whylen, "not a duration (N, Ns, Nm, Nh or Nd) "
		    "from %s to %s", lo, hi);
		break;
	case CONF_T_SIZE:
		conf_fmt_unit(o->min, conf_size_units, "", lo, sizeof(lo));
		conf_fmt_unit(o->max, conf_size_units, "", hi, sizeof(hi));
		snprintf(why, whylen, "not a size (N, NK, NM or NG) from "
		    "%s to %s", lo, hi);
		break;
	case CONF_T_FINGERPRINT:
		snprintf(why, whylen, "not sha256: followed by 64 hex digits");
		break;
	case CONF_T_COUNT:
		snprintf(why, whylen, "not a number from %lld to %lld",
		    o->min, o->max);
		break;
	case CONF_T_RATE:
		snprintf(why, whylen, "not 0 or N/second, N/minute, N/hour "
		    "or N/day with N from 1 to %lld", o->max);
		break;
	default:
		snprintf(why, whylen, "malformed value");
		break;
	}
}

/* "sha256:" then 32 hex byte pairs, optionally separated by colons. */
static int
conf_set_fingerprint(struct conf *c, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	  fp[32];
	const char	 *hi, *lo;
	size_t		  i;

	if (strncasecmp(s, "sha256:", 7) != 0)
		return (-1);
	s += 7;
	for (i = 0; i < sizeof(fp); i++) {
		if (s[0] == '\0' || s[1] == '\0' ||
		    (hi = strchr(hex, s[0] | 0x20)) == NULL ||
		    (lo = strchr(hex, s[1] | 0x20)) == NULL)
			return (-1);
		fp[i] = (unsigned char)(((hi - hex) << 4) | (lo - hex));
		s += 2;
		if (i + 1 < sizeof(fp) && *s == ':')
			s++;
	}
	if (*s != '\0')
		return (-1);
	memcpy(c->fingerprint, fp, sizeof(fp));
	c->has_fingerprint = 1;
	return (0);
}

/* A host name: dot-separated labels of letters, digits and hyphens. */
static int
conf_valid_domain(const char *s)
{
	size_t	 len, label = 0;

	len = strlen(s);
	if (len == 0 || len > CONF_DOMAIN_MAX || s[0] == '.' ||
	    s[len - 1] == '.')
		return (0);
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-'))
			return (0);
		if (++label > 63)
			return (0);
	}
	return (1);
}

/* A host name, an IP address, or an address literal in brackets. */
static int
conf_valid_helo(const char *s)
{
	unsigned char	 a[sizeof(struct in6_addr)];
	char		 lit[64];
	size_t		 len;

	if (conf_valid_domain(s) || inet_pton(AF_INET, s, a) == 1 ||
	    inet_pton(AF_INET6, s, a) == 1)
		return (1);
	len = strlen(s);
	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(lit))
		return (0);
	memcpy(lit, s + 1, len - 2);
	lit[len - 2] = '\0';
	if (strncasecmp(lit, "IPv6:", 5) == 0)
		return (inet_pton(AF_INET6, lit + 5, a) == 1);
	return (inet_pton(AF_INET, lit, a) == 1);
}

/* A host list (hostlist.c) of host names and IP addresses. */
static int
conf_valid_hosts(const char *s)
{
	struct hostlist	 l;
	char		*cause = NULL;
	size_t		 i;

	if (hostlist_parse(s, 1, &l, &cause) == -1) {
		free(cause);
		return (0);
	}
	for (i = 0; i < l.n; i++)
		if (!conf_valid_helo(l.e[i].name) || l.e[i].name[0] == '[')
			return (0);
	return (1);
}

/* An IPv4 or IPv6 address literal (source_address). */
static int
conf_valid_ip(const char *s)
{
	unsigned char	 a[sizeof(struct in6_addr)];

	return (inet_pton(AF_INET, s, a) == 1 ||
	    inet_pton(AF_INET6, s, a) == 1);
}

/* A local part by the envelope rules (envelope.c). */
static int
conf_valid_local(const char *s, size_t len)
{
	const char	*why;

	return (envelope_valid_localpart(s, len, &why) == 0);
}

/* local@domain, as used for `from`: a valid envelope address. */
static int
conf_valid_address(const char *s)
{
	const char	*why;

	return (envelope_valid_address(s, 0, &why) == 0);
}

/* Alias targets: addresses or bare local names, separated by commas. */
static int
conf_valid_addrlist(const char *s)
{
	char		 one[SMTP_ADDR_MAX + 1];
	const char	*end;
	size_t		 len;

	for (;;) {
		s += strspn(s, " \t");
		end = s + strcspn(s, ",");
		len = (size_t)(end - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(one))
			return (0);
		memcpy(one, s, len);
		one[len] = '\0';
		if (!conf_valid_address(one) && !conf_valid_local(one, len))
			return (0);
		if (*end == '\0')
			return (1);
		s = end + 1;
	}
}

/* Free text: anything the line reader let through, not too long. */
static int
conf_valid_text(const char *s)
{
	return (strlen(s) <= CONF_LINE_MAX);
}

/* A Microsoft tenant: a name or GUID, never a path or query part. */
static int
conf_valid_tenant(const char *s)
{
	size_t	 n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");

	return (n > 0 && n <= 255 && s[n] == '\0');
}

/* An endpoint URL: https only (the token travels in the reply). */
static int
conf_valid_https(const char *s)
{
	return (strncasecmp(s, "https://", 8) == 0 && s[8] != '\0' &&
	    strlen(s) <= 2048 && strpbrk(s, " \t\"<>") == NULL);
}

/*
 * The default domain: the first line of /etc/mailname, else the
 * canonical name of the host, else its name.  Computed once.
 */
static const char *
conf_default_domain(void)
{
	static char	 domain[CONF_DOMAIN_MAX + 1];
	struct addrinfo	 hints, *res;
	char		 host[CONF_DOMAIN_MAX + 2];
	FILE		*fp;

	if (domain[0] != '\0')
		return (domain);
	if ((fp = fopen(CONF_MAILNAME, "re")) != NULL) {
		if (fgets(host, sizeof(host), fp) != NULL) {
			host[strcspn(host, " \t\r\n")] = '\0';
			if (conf_valid_domain(host))
				strlcpy(domain, host, sizeof(domain));
		}
		fclose(fp);
		if (domain[0] != '\0')
			return (domain);
	}
	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (host[0] != '\0' && getaddrinfo(host, NULL, &hints, &res) == 0) {
		if (res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    conf_valid_domain(res->ai_canonname))
			strlcpy(domain, res->ai_canonname, sizeof(domain));
		freeaddrinfo(res);
	}
	if (domain[0] == '\0' && conf_valid_domain(host))
		strlcpy(domain, host, sizeof(domain));
	if (domain[0] == '\0')
		strlcpy(domain, "localhost", sizeof(domain));
	return (domain);
}

/* Check what mailferry-send needs to relay: a host and credentials. */
int
conf_check_relay(const struct conf *c, char **cause)
{
	const char	*path = c->path != NULL ? c->path : MF_CONF_PATH;
	const char	*what = NULL;
	int		 secret, external;

	secret = c->password_file != NULL || c->password_command != NULL ||
	    c->oauth2_provider != CONF_OAUTH2_NONE;
	/* With EXTERNAL, user is only the authorisation identity. */
	external = c->auth == CONF_AUTH_EXTERNAL;
	if (c->host == NULL)
		what = "[smarthost] host is not set";
	else if (external && c->tls_cert_file == NULL)
		what = "[smarthost] auth = external needs tls_cert_file";
	else if (external)
		what = NULL;
	else if (c->auth != CONF_AUTH_NONE && c->user != NULL && !secret)
		what = "[smarthost] user is set but neither password_file "
		    "nor password_command";
	else if (c->auth != CONF_AUTH_NONE && c->user == NULL && secret)
		what = "[smarthost] a password source is set but user is not";
	else if (c->auth != CONF_AUTH_AUTO && c->auth != CONF_AUTH_NONE &&
	    c->user == NULL)
		what = "[smarthost] auth needs user and password_file";
	else if (c->oauth2_provider != CONF_OAUTH2_NONE && c->user == NULL)
		what = "[oauth2] needs [smarthost] user (the mailbox)";
	if (what == NULL)
		return (0);
	xasprintf(cause, "%s: %s", path, what);
	return (-1);
}

/* Format v with the largest unit that divides it exactly. */
static void
conf_fmt_unit(long long v, const struct conf_unit *units, const char *one,
    char *buf, size_t len)
{
	const struct conf_unit	*best = NULL;
	size_t			 i;

	for (i = 0; units[i].letter != '\0'; i++)
		if (v != 0 && units[i].mult > 1 && v % units[i].mult == 0)
			best = &units[i];
	if (best == NULL)
		snprintf(buf, len, "%lld%s", v, one);
	else if (units == conf_size_units)
		snprintf(buf, len, "%lld%c", v / best->mult,
		    best->letter - 'a' + 'A');
	else
		snprintf(buf, len, "%lld%c", v / best->mult, best->letter);
}

/* Format the effective value of option o. */
static void
conf_fmt(const struct conf *c, const struct conf_opt *o, char *buf,
    size_t len)
{
	const void	*p = (const char *)c + o->off;
	const char	*s;
	size_t		 i;

	buf[0] = '\0';
	switch (o->type) {
	case CONF_T_STRING:
	case CONF_T_HOST:
	case CONF_T_PATH:
		if ((s = *(char *const *)p) != NULL)
			strlcpy(buf, s, len);
		break;
	case CONF_T_PORT:
		snprintf(buf, len, "%u", *(const unsigned int *)p);
		break;
	case CONF_T_BOOL:
		strlcpy(buf, *(const int *)p ? "yes" : "no", len);
		break;
	case CONF_T_ENUM:
		for (i = 0; o->enums[i].name != NULL; i++)
			if (o->enums[i].value == *(const int *)p)
				strlcpy(buf, o->enums[i].name, len);
		break;
	case CONF_T_DURATION:
		conf_fmt_unit((long long)*(const time_t *)p, conf_time_units,
		    "s", buf, len);
		break;
	case CONF_T_SIZE:
		conf_fmt_unit((long long)*(const off_t *)p, conf_size_units,
		    "", buf, len);
		break;
	case CONF_T_FINGERPRINT:
		if (!c->has_fingerprint || len < 7 + 32 * 3)
			break;
		strlcpy(buf, "sha256:", len);
		for (i = 0; i < sizeof(c->fingerprint); i++)
			snprintf(buf + 7 + i * 3, len - 7 - i * 3, "%02x%s",
			    c->fingerprint[i], i + 1 < 32 ? ":" : "");
		break;
	case CONF_T_COUNT:
		snprintf(buf, len, "%u", *(const unsigned int *)p);
		break;
	case CONF_T_RATE:
		conf_fmt_rate(p, buf, len);
		break;
	}
}

/* Print every effective option as "section.key = value". */
void
conf_dump(const struct conf *c, FILE *fp)
{
	const struct conf_alias	*a;
	char			 buf[PATH_MAX + 1];
	size_t			 i;

	for (i = 0; i < CONF_NOPTS; i++) {
		if (conf_opts[i].secret)
			continue;
		conf_fmt(c, &conf_opts[i], buf, sizeof(buf));
		fprintf(fp, "%s.%s =%s%s\n", conf_opts[i].section,
		    conf_opts[i].key, buf[0] != '\0' ? " " : "", buf);
	}
	TAILQ_FOREACH(a, &c->aliases, entry)
		fprintf(fp, "aliases.%s = %s\n", a->name, a->target);
}

/* The target list for a local part: exact match, else `*`, else NULL. */
const char *
conf_alias_lookup(const struct conf *c, const char *localpart)
{
	const struct conf_alias	*a, *star = NULL;

	TAILQ_FOREACH(a, &c->aliases, entry) {
		if (strcasecmp(a->name, localpart) == 0)
			return (a->target);
		if (strcmp(a->name, "*") == 0)
			star = a;
	}
	return (star != NULL ? star->target : NULL);
}

/* Release everything conf_init() and conf_load() allocated. */
void
conf_free(struct conf *c)
{
	struct conf_alias	*a, *t;
	size_t			 i;

	for (i = 0; i < CONF_NOPTS; i++) {
		if (conf_opts[i].secret)
			continue;
		switch (conf_opts[i].type) {
		case CONF_T_STRING:
		case CONF_T_HOST:
		case CONF_T_PATH:
			free(*(char **)((char *)c + conf_opts[i].off));
			break;
		default:
			break;
		}
	}
	TAILQ_FOREACH_SAFE(a, &c->aliases, entry, t) {
		TAILQ_REMOVE(&c->aliases, a, entry);
		free(a->name);
		free(a->target);
		free(a);
	}
	free(c->path);
	explicit_bzero(c, sizeof(*c));
	TAILQ_INIT(&c->aliases);
}
