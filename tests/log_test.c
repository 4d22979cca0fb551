/*
 * Tests for log records: the JSON string encoder (log.c), the record
 * renderer (record.c) in both formats, and the log file rules.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "record.h"
#include "runq.h"

#define T0	1700000000	/* 2023-11-14T22:13:20Z */

ATF_TC_WITHOUT_HEAD(json_string);
ATF_TC_BODY(json_string, tc)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "", 0, "\"\"" },
		{ "plain@example.net", 17, "\"plain@example.net\"" },
		/* Quote and backslash. */
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		/* C0 controls, NUL included. */
		{ "\n\r\t", 3, "\"\\u000a\\u000d\\u0009\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "\x1b[31m", 5, "\"\\u001b[31m\"" },
		/* DEL. */
		{ "x\x7fy", 3, "\"x\\u007fy\"" },
		/* C1 controls as UTF-8: U+0085, U+009B. */
		{ "\xc2\x85\xc2\x9b", 4, "\"\\u0085\\u009b\"" },
		/* Valid UTF-8 stays as it is: U+00F6, U+20AC, U+1F600. */
		{ "j\xc3\xb6rg", 5, "\"j\xc3\xb6rg\"" },
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" },
		{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"" },
		/* Line separator and a bidi override. */
		{ "\xe2\x80\xa8\xe2\x80\xae", 6, "\"\\u2028\\u202e\"" },
		/* Invalid: lone continuation, truncated, overlong, surrogate,
		 * above U+10FFFF, a Latin-1 byte. */
		{ "\x80", 1, "\"\\\\x80\"" },
		{ "a\xc3", 2, "\"a\\\\xc3\"" },
		{ "\xc0\xaf", 2, "\"\\\\xc0\\\\xaf\"" },
		{ "\xed\xa0\x80", 3, "\"\\\\xed\\\\xa0\\\\x80\"" },
		{ "\xf4\x90\x80\x80", 4,
		    "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"" },
		{ "j\xf6rg", 4, "\"j\\\\xf6rg\"" },
	};
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = log_json_string(t[i].in, t[i].len);
		ATF_CHECK_MSG(strcmp(got, t[i].want) == 0,
		    "case %zu: got %s, want %s", i, got, t[i].want);
		free(got);
	}
}

static const struct runq_rcpt_outcome partial[] = {
	{ "ann@example.net", RUNQ_R_SENT, "250 2.0.0 ok" },
	{ "bob@example.net", RUNQ_R_SENT, "250 2.0.0 ok" },
	{ "carol@example.net", RUNQ_R_DEFERRED, "450 4.2.0 busy" },
	{ "dave\"x@example.net", RUNQ_R_FAILED, "550 5.1.1 no\\x0d" },
};

static void
mkoutcome(struct runq_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->id = "0123456789ABCDEF";
	o->what = RUNQ_W_DEFERRED;
	o->reason = "450 4.2.0 busy";
	o->sender = "j\xc3\xb6rg@example.net";
	o->relay = "localhost[127.0.0.1]:2525";
	o->tls = "TLSv1.3";
	o->delay = 1.5;
	o->attempt = 2;
	o->next_attempt = T0 + 300;
	o->rcpts = partial;
	o->nrcpts = sizeof(partial) / sizeof(partial[0]);
}

ATF_TC_WITHOUT_HEAD(record_json);
ATF_TC_BODY(record_json, tc)
{
	struct runq_outcome	 o;
	char			*got;

	mkoutcome(&o);
	got = record_render(&o, 1, T0);
	ATF_REQUIRE(got != NULL);
	ATF_CHECK_STREQ(got, "{\"time\":\"2023-11-14T22:13:20Z\","
	    "\"id\":\"0123456789ABCDEF\",\"event\":\"deferred\","
	    "\"from\":\"j\xc3\xb6rg@example.net\","
	    "\"relay\":\"localhost[127.0.0.1]:2525\",\"tls\":\"TLSv1.3\","
	    "\"delay\":1.50,\"attempt\":2,"
	    "\"next_attempt\":\"2023-11-14T22:18:20Z\","
	    "\"reason\":\"450 4.2.0 busy\",\"recipients\":["
	    "{\"to\":\"ann@example.net\",\"status\":\"sent\","
	    "\"reply\":\"250 2.0.0 ok\"},"
	    "{\"to\":\"bob@example.net\",\"status\":\"sent\","
	    "\"reply\":\"250 2.0.0 ok\"},"
	    "{\"to\":\"carol@example.net\",\"status\":\"deferred\","
	    "\"reply\":\"450 4.2.0 busy\"},"
	    "{\"to\":\"dave\\\"x@example.net\",\"status\":\"failed\","
	    "\"reply\":\"550 5.1.1 no\\\\x0d\"}]}");
	free(got);

	/* No relay, no TLS: null; sent has no next attempt, no reason. */
	o.what = RUNQ_W_SENT;
	o.relay = o.tls = NULL;
	o.reply = "250 2.0.0 ok";
	o.sender = "";
	o.nrcpts = 1;
	got = record_render(&o, 1, T0);
	ATF_CHECK(strstr(got, "\"from\":\"\",\"relay\":null,\"tls\":null,")
	    != NULL);
	ATF_CHECK(strstr(got, "next_attempt") == NULL);
	ATF_CHECK(strstr(got, "reason") == NULL);
	free(got);

	/* An outcome without recipients makes no record. */
	o.nrcpts = 0;
	ATF_CHECK(record_render(&o, 1, T0) == NULL);
	ATF_CHECK(record_render(&o, 0, T0) == NULL);
}

ATF_TC_WITHOUT_HEAD(record_text);
ATF_TC_BODY(record_text, tc)
{
	static const struct {
		enum runq_what	 what;
		int		 told;
		const char	*want;	/* the failed recipient's status */
	} t[] = {
		{ RUNQ_W_DEFERRED, 0, "status=bounced" },
		{ RUNQ_W_DEFERRED, 1, "status=refused" },
		{ RUNQ_W_EXPIRED, 0, "status=expired" },
	};
	struct runq_outcome	 o;
	char			*got, *l2, *l3;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mkoutcome(&o);
		o.what = t[i].what;
		o.told = t[i].told;
		got = record_render(&o, 0, T0);
		ATF_REQUIRE(got != NULL);
		/* Three lines: sent (grouped), failed, deferred. */
		ATF_REQUIRE((l2 = strchr(got, '\n')) != NULL);
		*l2++ = '\0';
		ATF_REQUIRE((l3 = strchr(l2, '\n')) != NULL);
		*l3++ = '\0';
		ATF_CHECK(strchr(l3, '\n') == NULL);
		ATF_CHECK_STREQ(got, "id=0123456789ABCDEF "
		    "from=<j\\xc3\\xb6rg@example.net> "
		    "to=<ann@example.net>,<bob@example.net> "
		    "relay=localhost[127.0.0.1]:2525 tls=TLSv1.3 "
		    "delay=1.50 status=sent (250 2.0.0 ok)");
		ATF_CHECK_MSG(strstr(l2, "to=<dave\"x@example.net> ") != NULL &&
		    strstr(l2, t[i].want) != NULL &&
		    strstr(l2, "(550 5.1.1 no\\x0d)") != NULL, "%s", l2);
		ATF_CHECK_MSG(strstr(l3, "to=<carol@example.net> ") != NULL &&
		    strstr(l3, "status=deferred next=") != NULL &&
		    strstr(l3, " attempts=2 (450 4.2.0 busy)") != NULL,
		    "%s", l3);
		free(got);
	}
}

ATF_TC_WITHOUT_HEAD(what_names);
ATF_TC_BODY(what_names, tc)
{
	static const struct {
		enum runq_what	 w;
		const char	*name;
	} t[] = {
		{ RUNQ_W_SENT, "sent" }, { RUNQ_W_DEFERRED, "deferred" },
		{ RUNQ_W_BOUNCED, "bounced" }, { RUNQ_W_REFUSED, "refused" },
		{ RUNQ_W_EXPIRED, "expired" }, { RUNQ_W_KEPT, "kept" },
		{ RUNQ_W_NOT_YOURS, "not yours" }, { RUNQ_W_LOCKED, "locked" },
		{ RUNQ_W_NOT_FOUND, "not found" },
		{ RUNQ_W_UNREADABLE, "unreadable" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_STREQ(runq_what_name(t[i].w), t[i].name);
	ATF_CHECK_STREQ(runq_rstate_name(RUNQ_R_BOUNCING), "bouncing");
}

ATF_TC_WITHOUT_HEAD(open_file);
ATF_TC_BODY(open_file, tc)
{
	static const struct {
		const char	*path;
		mode_t		 mode;		/* 0: do not create first */
		int		 symlink;
		int		 want;		/* 1 ok, -1, LOG_FILE_REFUSED */
	} t[] = {
		{ "new.log", 0, 0, 1 },
		{ "mine.log", 0640, 0, 1 },
		{ "group.log", 0660, 0, 1 },
		{ "others.log", 0662, 0, LOG_FILE_REFUSED },
		{ "link.log", 0, 1, LOG_FILE_REFUSED },
		{ "nodir/x.log", 0, 0, -1 },
	};
	struct stat	 st;
	char		 cwd[1024], path[2048], *cause;
	size_t		 i;
	int		 fd;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	umask(022);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cwd, t[i].path);
		if (t[i].mode != 0) {
			ATF_REQUIRE((fd = open(path, O_CREAT | O_WRONLY,
			    0600)) != -1);
			close(fd);
			ATF_REQUIRE(chmod(path, t[i].mode) == 0);
		}
		if (t[i].symlink)
			ATF_REQUIRE(symlink("mine.log", path) == 0);
		cause = NULL;
		fd = log_open_file(path, &cause);
		if (t[i].want == 1) {
			ATF_CHECK_MSG(fd >= 0, "%s: %s", t[i].path, cause);
			if (fd >= 0)
				close(fd);
		} else
			ATF_CHECK_MSG(fd == t[i].want && cause != NULL,
			    "%s: %d", t[i].path, fd);
		free(cause);
	}
	/* A new file is created 0640. */
	snprintf(path, sizeof(path), "%s/new.log", cwd);
	ATF_REQUIRE(stat(path, &st) == 0);
	ATF_CHECK((st.st_mode & 07777) == 0640);
	/* A relative path is refused. */
	cause = NULL;
	ATF_CHECK(log_open_file("rel.log", &cause) == LOG_FILE_REFUSED);
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, json_string);
	ATF_TP_ADD_TC(tp, record_json);
	ATF_TP_ADD_TC(tp, record_text);
	ATF_TP_ADD_TC(tp, what_names);
	ATF_TP_ADD_TC(tp, open_file);
	return (atf_no_error());
}
