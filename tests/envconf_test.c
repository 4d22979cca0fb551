/*
 * envconf_test: the MAILFERRY_* environment to configuration mapping
 * (src/envconf.c): names from conf.c's table, values through conf.c's
 * validators, refusals naming the variable, the atomic write.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "envconf.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct env_case {
	const char	*env[6];
	int		 rc;
	const char	*want[3];	/* lines of the text, or the cause */
};

static const struct env_case env_cases[] = {
	/* Nothing set: a file of defaults. */
	{ { "PATH=/bin", "HOME=/" }, 0, { "# Written by" } },
	/* The short names of the issue. */
	{ { "MAILFERRY_HOST=smtp.example.com", "MAILFERRY_PORT=465",
	    "MAILFERRY_TLS=implicit", "MAILFERRY_USER=app@example.com" },
	    0, { "[smarthost]\nhost = smtp.example.com\nport = 465\n"
	    "tls = implicit\nuser = app@example.com\n" } },
	{ { "MAILFERRY_PASSWORD_FILE=/run/secrets/smtp",
	    "MAILFERRY_AUTH=login" }, 0,
	    { "password_file = /run/secrets/smtp\n", "auth = login\n" } },
	{ { "MAILFERRY_FROM=app@example.com", "MAILFERRY_DOMAIN=example.com",
	    "MAILFERRY_REWRITE_FROM=always" }, 0,
	    { "[sender]\ndomain = example.com\nfrom = app@example.com\n"
	    "rewrite_from = always\n" } },
	/* Section names: always; [aliases] last. */
	{ { "MAILFERRY_ALIASES_ROOT=ops@example.com",
	    "MAILFERRY_QUEUE_DIR=/var/spool/mailferry",
	    "MAILFERRY_SMARTHOST_HOST=relay" }, 0,
	    { "[smarthost]\nhost = relay\n[queue]\ndir = /var/spool/mailferry\n"
	    "[aliases]\nroot = ops@example.com\n" } },
	{ { "MAILFERRY_DELIVERY=queue", "MAILFERRY_QUEUE_MAX_SIZE=10M" }, 0,
	    { "delivery = queue\nmax_size = 10M\n" } },
	/* Empty: unset.  Other variables: ignored. */
	{ { "MAILFERRY_USER=", "MAILFERRYX=1", "X_MAILFERRY_HOST=h",
	    "MAILFERRY_LIBEXECDIR=/x" }, 0,
	    { "# Written by" } },
	/* Cross-option rules hold on the whole set. */
	{ { "MAILFERRY_RETRY=5h", "MAILFERRY_MAX_RETRY=8h" }, 0,
	    { "retry = 5h\nmax_retry = 8h\n" } },
	{ { "MAILFERRY_RETRY=5h" }, CONF_ERR_SYNTAX,
	    { "retry must not exceed max_retry" } },
	{ { "MAILFERRY_PASSWORD_FILE=/s", "MAILFERRY_PASSWORD_COMMAND=cat" },
	    CONF_ERR_SYNTAX, { "exclusive" } },
	/* Bad values: conf.c's validators, the variable named. */
	{ { "MAILFERRY_PORT=hunter2" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_PORT:", "smarthost.port" } },
	{ { "MAILFERRY_HOST=ok", "MAILFERRY_TLS=maybe" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_TLS:" } },
	{ { "MAILFERRY_FROM=not an address" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_FROM:" } },
	{ { "MAILFERRY_QUEUE_DIR=relative/dir" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_QUEUE_DIR:" } },
	{ { "MAILFERRY_ALIASES_ROOT=not an address" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_ALIASES_ROOT:" } },
	/* Values that would not read back: refused before conf.c. */
	{ { "MAILFERRY_HOST=a\n[smarthost]\npassword_command=x" },
	    CONF_ERR_SYNTAX, { "MAILFERRY_HOST: control character" } },
	{ { "MAILFERRY_USER=hunter2 ; x" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_USER:", "\" ;\"" } },
	{ { "MAILFERRY_USER= hunter2" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_USER:" } },
	{ { "MAILFERRY_USER=hunter2\t" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_USER:" } },
	/* Names: unknown, twice, lower case. */
	{ { "MAILFERRY_HOTS=relay" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_HOTS: unknown variable" } },
	{ { "MAILFERRY_host=relay" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_host: unknown variable" } },
	{ { "MAILFERRY_HOST=a", "MAILFERRY_SMARTHOST_HOST=b" },
	    CONF_ERR_SYNTAX, { "MAILFERRY_SMARTHOST_HOST: the same option "
	    "as MAILFERRY_HOST" } },
	{ { "MAILFERRY_ALIASES_=x@example.com" }, CONF_ERR_SYNTAX,
	    { "unknown variable" } },
	/* A password in clear, under any name. */
	{ { "MAILFERRY_PASSWORD=hunter2" }, CONF_ERR_SYNTAX,
	    { "MAILFERRY_PASSWORD: passwords are not taken",
	    "MAILFERRY_PASSWORD_FILE" } },
	{ { "MAILFERRY_SMTP_PASS=hunter2" }, CONF_ERR_SYNTAX,
	    { "passwords are not taken" } },
	{ { "MAILFERRY_CLIENT_SECRET=hunter2" }, CONF_ERR_SYNTAX,
	    { "passwords are not taken" } },
	{ { "MAILFERRY_ALIASES_PASSWORD=hunter2" }, CONF_ERR_SYNTAX,
	    { "passwords are not taken" } },
};

ATF_TC_WITHOUT_HEAD(mapping);
ATF_TC_BODY(mapping, tc)
{
	const struct env_case	*t;
	char			*env[nitems(env_cases[0].env) + 1];
	char			*text, *cause;
	const char		*got;
	size_t			 i, j;
	int			 rc;

	for (i = 0; i < nitems(env_cases); i++) {
		t = &env_cases[i];
		for (j = 0; j < nitems(t->env) && t->env[j] != NULL; j++)
			env[j] = (char *)t->env[j];
		env[j] = NULL;
		text = cause = NULL;
		rc = envconf_build(env, &text, &cause);
		got = rc == 0 ? text : cause;
		if (rc != t->rc || got == NULL)
			atf_tc_fail("case %zu: rc %d, want %d: %s", i, rc,
			    t->rc, cause != NULL ? cause : "");
		for (j = 0; j < nitems(t->want) && t->want[j] != NULL; j++)
			if (strstr(got, t->want[j]) == NULL)
				atf_tc_fail("case %zu: \"%s\" lacks \"%s\"", i,
				    got, t->want[j]);
		if (rc != 0) {
			ATF_CHECK_MSG(text == NULL, "case %zu", i);
			ATF_CHECK_MSG(strstr(cause, "hunter") == NULL,
			    "case %zu shows the value: %s", i, cause);
			ATF_CHECK(strchr(cause, '\n') == NULL);
		}
		free(text);
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(write_file);
ATF_TC_BODY(write_file, tc)
{
	char		*env[] = { "MAILFERRY_HOST=relay.example.com",
			    "MAILFERRY_PORT=2525", NULL };
	char		*text, *cause = NULL, cwd[512], path[600];
	struct conf	 c;
	struct stat	 sb;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(path, sizeof(path), "%s/mailferry.conf", cwd);
	umask(077);
	ATF_REQUIRE_EQ(envconf_build(env, &text, &cause), 0);
	ATF_REQUIRE_EQ(envconf_write(text, path, &cause), 0);
	free(text);
	ATF_REQUIRE(stat(path, &sb) == 0);
	ATF_CHECK_EQ(sb.st_mode & 07777, 0644);
	conf_init(&c);
	ATF_REQUIRE_EQ(conf_load(&c, path, &cause), 0);
	ATF_CHECK_STREQ(c.host, "relay.example.com");
	ATF_CHECK_EQ(c.port, 2525);
	conf_free(&c);

	/* A text conf_load() refuses: the old file stays, no temp. */
	ATF_CHECK_EQ(envconf_write("[smarthost]\nport = 0\n", path, &cause),
	    CONF_ERR_SYNTAX);
	ATF_CHECK(cause != NULL && strstr(cause, "smarthost.port") != NULL);
	free(cause);
	ATF_REQUIRE(system("test $(ls | wc -l) = 1") == 0);
	conf_init(&c);
	ATF_REQUIRE_EQ(conf_load(&c, path, &cause), 0);
	ATF_CHECK_EQ(c.port, 2525);
	conf_free(&c);

	/* An unwritable place: temporary. */
	cause = NULL;
	ATF_CHECK_EQ(envconf_write("[smarthost]\n", "/nonexistent/x.conf",
	    &cause), CONF_ERR_TEMP);
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mapping);
	ATF_TP_ADD_TC(tp, write_file);
	return (atf_no_error());
}
