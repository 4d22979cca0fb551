/*
 * oauth2_test: the OAuth2 pieces that need no network (src/oauth2*.c):
 * the token and device reply parsers (table-driven, good and bad),
 * the provider presets, the [oauth2] configuration checks, and the
 * token cache (atomic write, configuration id, expiry).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct token_case {
	const char		*json;
	enum oauth2_status	 st;
	const char		*access;	/* or a part of the cause */
	const char		*refresh;
	long long		 expires_in;
};

static const struct token_case token_cases[] = {
	{ "{\"access_token\":\"ya29.a0Af-_~+/=\",\"expires_in\":3599,"
	    "\"token_type\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}",
	    OAUTH2_OK, "ya29.a0Af-_~+/=", NULL, 3599 },
	{ "  {\"token_type\":\"bearer\",\"access_token\":\"eyJ0.eyJ1.c2ln\","
	    "\"expires_in\":\"3600\",\"ext_expires_in\":3600,"
	    "\"refresh_token\":\"0.AAAA-new\"}\r\n",
	    OAUTH2_OK, "eyJ0.eyJ1.c2ln", "0.AAAA-new", 3600 },
	{ "{\"access_token\":\"t\"}", OAUTH2_OK, "t", NULL, 0 },
	{ "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70008:"
	    " expired\"}", OAUTH2_REFUSED, "invalid_grant (AADSTS70008: "
	    "expired)", NULL, 0 },
	{ "{\"error\":\"invalid_client\"}", OAUTH2_REFUSED, "invalid_client",
	    NULL, 0 },
	{ "{\"error\":\"authorization_pending\"}", OAUTH2_PENDING,
	    "authorization_pending", NULL, 0 },
	{ "{\"error\":\"slow_down\"}", OAUTH2_SLOW_DOWN, "slow_down", NULL,
	    0 },
	{ "{\"error\":\"expired_token\"}", OAUTH2_EXPIRED, "expired_token",
	    NULL, 0 },
	{ "{\"error\":\"access_denied\"}", OAUTH2_EXPIRED, "access_denied",
	    NULL, 0 },
	{ "{\"error\":\"temporarily_unavailable\"}", OAUTH2_TEMP,
	    "temporarily_unavailable", NULL, 0 },
	/* The description is escaped and cut: one line. */
	{ "{\"error\":\"server_error\",\"error_description\":\"a\\nb\"}",
	    OAUTH2_TEMP, "server_error (a\\x0ab)", NULL, 0 },
	{ "{\"error\":42}", OAUTH2_BAD, "error is not a string", NULL, 0 },
	{ "", OAUTH2_BAD, "reply of 0 bytes", NULL, 0 },
	{ "<html>500</html>", OAUTH2_BAD, "not JSON", NULL, 0 },
	{ "{\"access_token\":", OAUTH2_BAD, "not JSON", NULL, 0 },
	{ "[\"access_token\"]", OAUTH2_BAD, "not a JSON object", NULL, 0 },
	{ "{\"access_token\":\"t\"} x", OAUTH2_BAD, "after the JSON", NULL, 0 },
	{ "{\"access_token\":\"t\"}{}", OAUTH2_BAD, "after the JSON", NULL, 0 },
	{ "{\"expires_in\":3600}", OAUTH2_BAD, "without access_token", NULL,
	    0 },
	{ "{\"access_token\":\"\"}", OAUTH2_BAD, "access_token is empty",
	    NULL, 0 },
	{ "{\"access_token\":\"a b\"}", OAUTH2_BAD, "bad characters", NULL,
	    0 },
	{ "{\"access_token\":\"a\\u0001b\"}", OAUTH2_BAD, "bad characters",
	    NULL, 0 },
	{ "{\"access_token\":\"a\\u0000b\"}", OAUTH2_BAD, "bad characters",
	    NULL, 0 },
	{ "{\"access_token\":\"a\\nb\"}", OAUTH2_BAD, "bad characters", NULL,
	    0 },
	{ "{\"access_token\":\"\\u00e9\"}", OAUTH2_BAD, "bad characters",
	    NULL, 0 },
	{ "{\"access_token\":7}", OAUTH2_BAD, "not a string", NULL, 0 },
	{ "{\"access_token\":\"t\",\"token_type\":\"mac\"}", OAUTH2_BAD,
	    "not Bearer", NULL, 0 },
	{ "{\"access_token\":\"t\",\"expires_in\":-5}", OAUTH2_BAD,
	    "expires_in: out of range", NULL, 0 },
	{ "{\"access_token\":\"t\",\"expires_in\":0}", OAUTH2_BAD,
	    "expires_in: out of range", NULL, 0 },
	{ "{\"access_token\":\"t\",\"expires_in\":99999999999}", OAUTH2_BAD,
	    "out of range", NULL, 0 },
	{ "{\"access_token\":\"t\",\"expires_in\":\"12x\"}", OAUTH2_BAD,
	    "expires_in", NULL, 0 },
	{ "{\"access_token\":\"t\",\"expires_in\":1.5}", OAUTH2_BAD,
	    "not a number", NULL, 0 },
	{ "{\"access_token\":\"t\",\"refresh_token\":\"r r\"}", OAUTH2_BAD,
	    "refresh_token", NULL, 0 },
	{ "{\"a\":[[[[[[[[[[1]]]]]]]]]]}", OAUTH2_BAD, "not JSON", NULL, 0 },
};

ATF_TC_WITHOUT_HEAD(token_replies);
ATF_TC_BODY(token_replies, tc)
{
	const struct token_case	*c;
	struct oauth2_token	 t;
	enum oauth2_status	 st;
	char			*cause;
	size_t			 i;

	for (i = 0; i < nitems(token_cases); i++) {
		c = &token_cases[i];
		cause = NULL;
		st = oauth2_parse_token(c->json, strlen(c->json), &t, &cause);
		ATF_CHECK_EQ_MSG(st, c->st, "case %zu: status %d, want %d (%s)",
		    i, st, c->st, cause != NULL ? cause : "");
		if (st == OAUTH2_OK) {
			ATF_CHECK_STREQ_MSG(t.access, c->access, "case %zu", i);
			if (c->refresh == NULL)
				ATF_CHECK_MSG(t.refresh == NULL, "case %zu", i);
			else
				ATF_CHECK_STREQ_MSG(t.refresh, c->refresh,
				    "case %zu", i);
			ATF_CHECK_EQ_MSG(t.expires_in, c->expires_in,
			    "case %zu", i);
			oauth2_token_free(&t);
		} else {
			ATF_CHECK_MSG(cause != NULL && strstr(cause, c->access)
			    != NULL && strchr(cause, '\n') == NULL,
			    "case %zu: cause '%s' lacks '%s'", i,
			    cause != NULL ? cause : "(null)", c->access);
			ATF_CHECK_MSG(t.access == NULL, "case %zu", i);
		}
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(token_reply_limits);
ATF_TC_BODY(token_reply_limits, tc)
{
	struct oauth2_token	 t;
	char			*big, *cause = NULL;
	size_t			 n = OAUTH2_TOKEN_MAX + 1;

	/* A token one byte too long; then one of the longest. */
	big = xmalloc(n + 64);
	memcpy(big, "{\"access_token\":\"", 17);
	memset(big + 17, 'a', n);
	memcpy(big + 17 + n, "\"}", 3);
	ATF_CHECK_EQ(oauth2_parse_token(big, strlen(big), &t, &cause),
	    OAUTH2_BAD);
	free(cause);
	cause = NULL;
	memcpy(big + 17 + n - 1, "\"}", 3);
	ATF_CHECK_EQ(oauth2_parse_token(big, strlen(big), &t, &cause),
	    OAUTH2_OK);
	oauth2_token_free(&t);
	/* NUL bytes in the reply. */
	ATF_CHECK_EQ(oauth2_parse_token("{\"access_token\":\"t\"}\0", 21, &t,
	    &cause), OAUTH2_BAD);
	free(cause);
	free(big);
}

struct device_case {
	const char		*json;
	enum oauth2_status	 st;
	const char		*uri;		/* or a part of the cause */
	long long		 interval;
};

static const struct device_case device_cases[] = {
	{ "{\"device_code\":\"d\",\"user_code\":\"WDJB-MJHT\","
	    "\"verification_uri\":\"https://microsoft.com/devicelogin\","
	    "\"expires_in\":900,\"interval\":5,\"message\":\"x\"}",
	    OAUTH2_OK, "https://microsoft.com/devicelogin", 5 },
	{ "{\"device_code\":\"d\",\"user_code\":\"GQVQ-JKEC\","
	    "\"verification_url\":\"https://www.google.com/device\","
	    "\"expires_in\":1800}", OAUTH2_OK,
	    "https://www.google.com/device", 5 },
	{ "{\"device_code\":\"d\",\"user_code\":\"u\"}", OAUTH2_BAD,
	    "without", 0 },
	{ "{\"error\":\"invalid_client\"}", OAUTH2_REFUSED, "invalid_client",
	    0 },
	{ "{\"device_code\":\"d d\",\"user_code\":\"u\","
	    "\"verification_uri\":\"v\"}", OAUTH2_BAD, "device_code", 0 },
	{ "{\"device_code\":\"d\",\"user_code\":\"u\","
	    "\"verification_uri\":\"v\",\"interval\":\"x\"}", OAUTH2_BAD,
	    "interval", 0 },
};

ATF_TC_WITHOUT_HEAD(device_replies);
ATF_TC_BODY(device_replies, tc)
{
	const struct device_case	*c;
	struct oauth2_device		 d;
	enum oauth2_status		 st;
	char				*cause;
	size_t				 i;

	for (i = 0; i < nitems(device_cases); i++) {
		c = &device_cases[i];
		cause = NULL;
		st = oauth2_parse_device(c->json, strlen(c->json), &d, &cause);
		ATF_CHECK_EQ_MSG(st, c->st, "case %zu: %s", i,
		    cause != NULL ? cause : "");
		if (st == OAUTH2_OK) {
			ATF_CHECK_STREQ_MSG(d.verification_uri, c->uri,
			    "case %zu", i);
			ATF_CHECK_EQ_MSG(d.interval, c->interval, "case %zu", i);
			oauth2_device_free(&d);
		} else
			ATF_CHECK_MSG(cause != NULL && strstr(cause, c->uri)
			    != NULL, "case %zu: cause '%s'", i,
			    cause != NULL ? cause : "(null)");
		free(cause);
	}
}

/* Load a configuration from text; the conf_load() result. */
static int
load(struct conf *c, const char *text, char **cause)
{
	FILE	*fp;
	int	 rc;

	conf_init(c);
	fp = fmemopen((void *)text, strlen(text), "r");
	ATF_REQUIRE(fp != NULL);
	*cause = NULL;
	rc = conf_load_fp(c, fp, "t.conf", cause);
	fclose(fp);
	return (rc);
}

#define HEAD	"[smarthost]\nhost = h\nuser = u@example.org\n" \
		"auth = xoauth2\n[oauth2]\n"

ATF_TC_WITHOUT_HEAD(presets);
ATF_TC_BODY(presets, tc)
{
	struct conf	 c;
	char		 buf[512], *cause;

	ATF_REQUIRE_EQ(load(&c, HEAD "provider = google\nclient_id = x\n"
	    "refresh_token_file = /r\n", &cause), 0);
	ATF_CHECK_STREQ(oauth2_token_endpoint(&c, buf, sizeof(buf)),
	    "https://oauth2.googleapis.com/token");
	ATF_CHECK_STREQ(oauth2_device_endpoint(&c, buf, sizeof(buf)),
	    "https://oauth2.googleapis.com/device/code");
	ATF_CHECK_STREQ(oauth2_scope(&c), "https://mail.google.com/");
	conf_free(&c);

	ATF_REQUIRE_EQ(load(&c, HEAD "provider = microsoft\nclient_id = x\n"
	    "tenant = contoso.onmicrosoft.com\nrefresh_token_file = /r\n",
	    &cause), 0);
	ATF_CHECK_STREQ(oauth2_token_endpoint(&c, buf, sizeof(buf)),
	    "https://login.microsoftonline.com/contoso.onmicrosoft.com/"
	    "oauth2/v2.0/token");
	ATF_CHECK_STREQ(oauth2_device_endpoint(&c, buf, sizeof(buf)),
	    "https://login.microsoftonline.com/contoso.onmicrosoft.com/"
	    "oauth2/v2.0/devicecode");
	ATF_CHECK_STREQ(oauth2_scope(&c),
	    "https://outlook.office.com/SMTP.Send offline_access");
	conf_free(&c);

	ATF_REQUIRE_EQ(load(&c, HEAD "provider = microsoft\nclient_id = x\n"
	    "grant = client_credentials\nclient_secret_file = /s\n", &cause),
	    0);
	ATF_CHECK_STREQ(oauth2_token_endpoint(&c, buf, sizeof(buf)),
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token");
	ATF_CHECK_STREQ(oauth2_scope(&c),
	    "https://outlook.office365.com/.default");
	conf_free(&c);
}

struct conf_case {
	const char	*text;
	const char	*want;	/* part of the error, or NULL: loads */
};

static const struct conf_case conf_cases[] = {
	{ HEAD "provider = generic\nclient_id = x\nrefresh_token_file = /r\n"
	    "token_endpoint = https://idp.example/token\n", NULL },
	{ HEAD "provider = generic\nclient_id = x\nrefresh_token_file = /r\n",
	    "needs token_endpoint" },
	{ HEAD "provider = generic\nclient_id = x\nrefresh_token_file = /r\n"
	    "token_endpoint = http://idp.example/token\n", "token_endpoint" },
	{ HEAD "provider = google\nrefresh_token_file = /r\n",
	    "needs client_id" },
	{ HEAD "provider = google\nclient_id = x\n",
	    "needs refresh_token_file" },
	{ HEAD "provider = google\nclient_id = x\ngrant = client_credentials\n"
	    "client_secret_file = /s\n", "Google offers no client_credentials" },
	{ HEAD "provider = microsoft\nclient_id = x\n"
	    "grant = client_credentials\n", "needs client_secret_file" },
	{ HEAD "provider = microsoft\nclient_id = x\ntenant = a/b\n"
	    "refresh_token_file = /r\n", "tenant" },
	{ HEAD "provider = microsoft\nclient_id = x\n"
	    "refresh_token_file = rel\n", "refresh_token_file" },
	{ "[smarthost]\nhost = h\nuser = u\nauth = plain\n[oauth2]\n"
	    "provider = google\nclient_id = x\nrefresh_token_file = /r\n",
	    "auth = xoauth2 or oauthbearer" },
	{ "[smarthost]\nhost = h\nuser = u\nauth = xoauth2\npassword_file = /p\n"
	    "[oauth2]\nprovider = google\nclient_id = x\n"
	    "refresh_token_file = /r\n", "replaces [smarthost] password_file" },
	{ HEAD "provider = yahoo\n", "provider" },
	{ HEAD "client_secret = hunter2\n", "password" },
};

ATF_TC_WITHOUT_HEAD(conf_checks);
ATF_TC_BODY(conf_checks, tc)
{
	struct conf	 c;
	char		*cause;
	size_t		 i;
	int		 rc;

	for (i = 0; i < nitems(conf_cases); i++) {
		rc = load(&c, conf_cases[i].text, &cause);
		if (conf_cases[i].want == NULL)
			ATF_CHECK_EQ_MSG(rc, 0, "case %zu: %s", i,
			    cause != NULL ? cause : "");
		else
			ATF_CHECK_MSG(rc != 0 && cause != NULL &&
			    strstr(cause, conf_cases[i].want) != NULL,
			    "case %zu: '%s' lacks '%s'", i,
			    cause != NULL ? cause : "(null)",
			    conf_cases[i].want);
		free(cause);
		conf_free(&c);
	}
}

ATF_TC_WITHOUT_HEAD(cache);
ATF_TC_BODY(cache, tc)
{
	struct conf	 c;
	struct stat	 sb;
	char		*cause, *tok = NULL, dir[512];
	time_t		 exp = 0, got = 0;
	int		 fd;

	ATF_REQUIRE(getcwd(dir, sizeof(dir) - 64) != NULL);
	strlcat(dir, "/q", sizeof(dir));
	ATF_REQUIRE(mkdir(dir, 0700) == 0);
	ATF_REQUIRE_EQ(load(&c, HEAD "provider = google\nclient_id = x\n"
	    "refresh_token_file = /r\n", &cause), 0);
	free(c.queue_dir);
	c.queue_dir = xstrdup(dir);
	ATF_CHECK_EQ(oauth2_cache_read(&c, &tok, &exp, &got), -1);
	fd = oauth2_cache_lock(&c, &cause);
	ATF_REQUIRE_MSG(fd >= 0, "%s", cause);
	ATF_REQUIRE_EQ(oauth2_cache_write(&c, "tok-1", 1234567890, &cause),
	    0);
	close(fd);
	ATF_REQUIRE_EQ(oauth2_cache_read(&c, &tok, &exp, &got), 0);
	ATF_CHECK_STREQ(tok, "tok-1");
	ATF_CHECK_EQ(exp, 1234567890);
	free(tok);
	ATF_REQUIRE(stat("q/oauth2/token", &sb) == 0);
	ATF_CHECK_EQ(sb.st_mode & 07777, 0600);
	ATF_REQUIRE(stat("q/oauth2", &sb) == 0);
	ATF_CHECK_EQ(sb.st_mode & 07777, 0700);
	/* Another client: a miss, not the other client's token. */
	free(c.oauth2_client_id);
	c.oauth2_client_id = xstrdup("y");
	tok = NULL;
	ATF_CHECK_EQ(oauth2_cache_read(&c, &tok, &exp, &got), -1);
	ATF_CHECK(tok == NULL);
	/* A cache others may read is not used. */
	free(c.oauth2_client_id);
	c.oauth2_client_id = xstrdup("x");
	ATF_REQUIRE(chmod("q/oauth2/token", 0604) == 0);
	ATF_CHECK_EQ(oauth2_cache_read(&c, &tok, &exp, &got), -1);
	/* A private directory is required. */
	ATF_REQUIRE(chmod("q/oauth2", 0755) == 0);
	ATF_CHECK(oauth2_cache_lock(&c, &cause) < 0);
	ATF_CHECK(cause != NULL && strstr(cause, "chmod 0770") != NULL);
	free(cause);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(kept_refresh);
ATF_TC_BODY(kept_refresh, tc)
{
	struct conf	 c;
	struct timespec	 ts[2];
	char		*cause, *tok = NULL, dir[512], rt[600];

	ATF_REQUIRE(getcwd(dir, sizeof(dir) - 64) != NULL);
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	ATF_REQUIRE(mkdir("q", 0700) == 0 && mkdir("q/oauth2", 0700) == 0);
	ATF_REQUIRE_EQ(load(&c, HEAD "provider = google\nclient_id = x\n"
	    "refresh_token_file = /r\n", &cause), 0);
	free(c.oauth2_refresh_token_file);
	c.oauth2_refresh_token_file = xstrdup(rt);
	free(c.queue_dir);
	strlcat(dir, "/q", sizeof(dir));
	c.queue_dir = xstrdup(dir);
	ATF_REQUIRE_EQ(oauth2_write_atomic(rt, "old\n", 0600, NULL, &cause),
	    0);
	ATF_CHECK_EQ(oauth2_kept_read(&c, &tok), -1);
	ATF_REQUIRE_EQ(oauth2_kept_write(&c, "new", &cause), 0);
	/* Newer than refresh_token_file: used. */
	ts[0].tv_sec = ts[1].tv_sec = 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ATF_REQUIRE(utimensat(AT_FDCWD, "rt", ts, 0) == 0);
	ATF_REQUIRE_EQ(oauth2_kept_read(&c, &tok), 0);
	ATF_CHECK_STREQ(tok, "new");
	free(tok);
	/* refresh_token_file written again (authorize -f): it wins. */
	ts[0].tv_sec = ts[1].tv_sec = 4000000000;
	ATF_REQUIRE(utimensat(AT_FDCWD, "rt", ts, 0) == 0);
	ATF_CHECK_EQ(oauth2_kept_read(&c, &tok), -1);
	oauth2_kept_drop(&c);
	ATF_CHECK(access("q/oauth2/token.refresh", F_OK) == -1);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(write_atomic);
ATF_TC_BODY(write_atomic, tc)
{
	char	*cause = NULL, buf[64];
	FILE	*fp;
	struct stat sb;

	ATF_REQUIRE_EQ(oauth2_write_atomic("f", "one\n", 0640, NULL, &cause),
	    0);
	ATF_REQUIRE_EQ(oauth2_write_atomic("f", "two\n", 0600, NULL, &cause),
	    0);
	ATF_REQUIRE(stat("f", &sb) == 0);
	ATF_CHECK_EQ(sb.st_mode & 07777, 0600);
	ATF_REQUIRE((fp = fopen("f", "r")) != NULL);
	ATF_REQUIRE(fgets(buf, sizeof(buf), fp) != NULL);
	fclose(fp);
	ATF_CHECK_STREQ(buf, "two\n");
	ATF_CHECK_EQ(oauth2_write_atomic("nodir/f", "x", 0600, NULL, &cause),
	    -1);
	ATF_CHECK(cause != NULL && strstr(cause, "nodir/f") != NULL);
	free(cause);
	/* A symbolic link is not written through. */
	ATF_REQUIRE(symlink("f", "l") == 0);
	cause = NULL;
	ATF_CHECK_EQ(oauth2_store_refresh("l", "r", &cause), -1);
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, token_replies);
	ATF_TP_ADD_TC(tp, token_reply_limits);
	ATF_TP_ADD_TC(tp, device_replies);
	ATF_TP_ADD_TC(tp, presets);
	ATF_TP_ADD_TC(tp, conf_checks);
	ATF_TP_ADD_TC(tp, cache);
	ATF_TP_ADD_TC(tp, kept_refresh);
	ATF_TP_ADD_TC(tp, write_atomic);
	return (atf_no_error());
}
