/*
 * reply_test: the SMTP reply parser and the EHLO keyword parser, with
 * tables of good and hostile input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "reply.h"

/*
 * Feed a whole reply, "\n"-separated lines (the line splitter in net.c
 * has already removed CR LF), and return the last reply_parse_line()
 * result: 1 complete, 0 incomplete, -1 malformed.
 */
static int
feed(const char *wire, struct reply *r, int *complete_early)
{
	const char	*p, *nl;
	char		*cause = NULL;
	int		 rv = 0;

	*complete_early = 0;
	reply_reset(r);
	for (p = wire;; p = nl + 1) {
		if (rv == 1)
			*complete_early = 1;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		rv = reply_parse_line(p, nl - p, r, &cause);
		if (rv == -1) {
			ATF_CHECK(cause != NULL &&
			    strncmp(cause, "malformed reply: ", 17) == 0);
			free(cause);
			return (-1);
		}
		if (*nl == '\0')
			break;
	}
	return (rv);
}

ATF_TC_WITHOUT_HEAD(reply_table);
ATF_TC_BODY(reply_table, tc)
{
	static const struct {
		const char	*wire;
		int		 rv;
		int		 code;
		size_t		 nlines;
		const char	*string;
	} t[] = {
		{ "250 ok", 1, 250, 1, "250 ok" },
		{ "250-a\n250 b", 1, 250, 2, "250 a b" },
		{ "250", 1, 250, 1, "250" },
		{ "220 ", 1, 220, 1, "220" },
		{ "250-a\n250-b", 0, 250, 2, NULL },
		{ "250-\n250 x", 1, 250, 2, "250  x" },
		{ "250-a\n251 b", -1, 0, 0, NULL },
		{ "250-a\n550 b", -1, 0, 0, NULL },
		{ "2500 x", -1, 0, 0, NULL },
		{ "25 x", -1, 0, 0, NULL },
		{ "25", -1, 0, 0, NULL },
		{ "", -1, 0, 0, NULL },
		{ "abc", -1, 0, 0, NULL },
		{ "abc def", -1, 0, 0, NULL },
		{ "150 x", -1, 0, 0, NULL },
		{ "650 x", -1, 0, 0, NULL },
		{ "260 x", -1, 0, 0, NULL },
		{ "25x x", -1, 0, 0, NULL },
		{ " 250 x", -1, 0, 0, NULL },
		{ "250\tx", -1, 0, 0, NULL },
		{ "250_x", -1, 0, 0, NULL },
		{ "559 top", 1, 559, 1, "559 top" },
		{ "200 bottom", 1, 200, 1, "200 bottom" },
		{ "354 go ahead", 1, 354, 1, "354 go ahead" },
		{ "421 bye\r", 1, 421, 1, "421 bye\\x0d" },
		{ "250 a\x1b[31mred\x07", 1, 250, 1,
		    "250 a\\x1b[31mred\\x07" },
		{ "250 back\\slash", 1, 250, 1, "250 back\\\\slash" },
		{ "250 \xc3\xa9t\xc3\xa9", 1, 250, 1,
		    "250 \\xc3\\xa9t\\xc3\\xa9" },
		{ "250-a\n250\n250 c", 1, 250, 2, NULL },
	};
	struct reply	 r;
	size_t		 i;
	int		 rv, early;
	char		*s;

	reply_init(&r);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rv = feed(t[i].wire, &r, &early);
		if (t[i].wire[0] != '\0' && strcmp(t[i].wire,
		    "250-a\n250\n250 c") == 0) {
			/* A bare code ends the reply: the next line is new. */
			ATF_CHECK_EQ(early, 1);
			continue;
		}
		if (rv != t[i].rv) {
			atf_tc_fail("case %zu \"%s\": rv %d, want %d", i,
			    t[i].wire, rv, t[i].rv);
			continue;
		}
		if (rv == -1)
			continue;
		ATF_CHECK_EQ(early, 0);
		ATF_CHECK_EQ(r.code, t[i].code);
		ATF_CHECK_EQ(r.nlines, t[i].nlines);
		if (t[i].string != NULL) {
			s = reply_string(&r);
			if (strcmp(s, t[i].string) != 0)
				atf_tc_fail("case %zu: \"%s\", want \"%s\"",
				    i, s, t[i].string);
			free(s);
		}
	}
	reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(reply_nul_in_text);
ATF_TC_BODY(reply_nul_in_text, tc)
{
	struct reply	 r;
	char		*s;

	reply_init(&r);
	ATF_CHECK_EQ(reply_parse_line("250 a\0b", 7, &r, NULL), 1);
	s = reply_string(&r);
	ATF_CHECK_STREQ(s, "250 a\\x00b");
	free(s);
	reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(reply_limits);
ATF_TC_BODY(reply_limits, tc)
{
	struct reply	 r;
	char		*line, *cause = NULL, *s;
	size_t		 i;

	reply_init(&r);
	line = malloc(REPLY_LINE_ACCEPT + 2);
	ATF_REQUIRE(line != NULL);
	memcpy(line, "250 ", 4);
	memset(line + 4, 'x', REPLY_LINE_ACCEPT - 2);

	/* Exactly the limit is fine, one more is not. */
	ATF_CHECK_EQ(reply_parse_line(line, REPLY_LINE_ACCEPT, &r, NULL), 1);
	s = reply_string(&r);
	ATF_CHECK(strlen(s) <= REPLY_STRING_MAX - 1);
	free(s);
	ATF_CHECK_EQ(reply_parse_line(line, REPLY_LINE_ACCEPT + 1, &r,
	    &cause), -1);
	ATF_CHECK_STREQ(cause, "malformed reply: line too long");
	free(cause);
	cause = NULL;

	/* REPLY_LINES_MAX lines are fine, one more is not. */
	reply_reset(&r);
	for (i = 0; i < REPLY_LINES_MAX - 1; i++)
		ATF_REQUIRE_EQ(reply_parse_line("250-x", 5, &r, NULL), 0);
	ATF_CHECK_EQ(reply_parse_line("250 x", 5, &r, NULL), 1);
	ATF_CHECK_EQ(r.nlines, REPLY_LINES_MAX);
	reply_reset(&r);
	for (i = 0; i < REPLY_LINES_MAX; i++)
		ATF_REQUIRE_EQ(reply_parse_line("250-x", 5, &r, NULL), 0);
	ATF_CHECK_EQ(reply_parse_line("250 x", 5, &r, &cause), -1);
	ATF_CHECK_STREQ(cause, "malformed reply: too many lines");
	free(cause);
	free(line);
	reply_free(&r);
}

/* Escaping is cut at REPLY_STRING_MAX and never inside an escape. */
ATF_TC_WITHOUT_HEAD(reply_string_cut);
ATF_TC_BODY(reply_string_cut, tc)
{
	struct reply	 r;
	char		 line[1004];
	char		*s;
	size_t		 off, len;

	for (off = 0; off < 4; off++) {
		reply_init(&r);
		memcpy(line, "550 ", 4);
		memset(line + 4, 'a', off);
		memset(line + 4 + off, '\x01', sizeof(line) - 4 - off);
		ATF_REQUIRE_EQ(reply_parse_line(line, sizeof(line), &r, NULL),
		    1);
		s = reply_string(&r);
		len = strlen(s);
		ATF_CHECK(len <= REPLY_STRING_MAX - 1);
		ATF_CHECK(len > REPLY_STRING_MAX - 5);
		ATF_CHECK(len >= 4 && strcmp(s + len - 4, "\\x01") == 0);
		free(s);
		reply_free(&r);
	}
}

ATF_TC_WITHOUT_HEAD(reply_line_iter);
ATF_TC_BODY(reply_line_iter, tc)
{
	struct reply	 r;
	const char	*s;
	size_t		 len;

	reply_init(&r);
	ATF_CHECK_EQ(reply_parse_line("250-one", 7, &r, NULL), 0);
	ATF_CHECK_EQ(reply_parse_line("250-", 4, &r, NULL), 0);
	ATF_CHECK_EQ(reply_parse_line("250 three", 9, &r, NULL), 1);
	ATF_CHECK_EQ(reply_class(&r), 2);
	s = reply_line(&r, 0, &len);
	ATF_CHECK(s != NULL && len == 3 && memcmp(s, "one", 3) == 0);
	s = reply_line(&r, 1, &len);
	ATF_CHECK(s != NULL && len == 0);
	s = reply_line(&r, 2, &len);
	ATF_CHECK(s != NULL && len == 5 && memcmp(s, "three", 5) == 0);
	ATF_CHECK(reply_line(&r, 3, &len) == NULL);
	/* The next line starts a new reply. */
	ATF_CHECK_EQ(reply_parse_line("354 go", 6, &r, NULL), 1);
	ATF_CHECK_EQ(r.nlines, 1);
	ATF_CHECK_EQ(r.code, 354);
	ATF_CHECK_EQ(reply_class(&r), 3);
	reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(ehlo_table);
ATF_TC_BODY(ehlo_table, tc)
{
	static const struct {
		const char	*wire;
		unsigned int	 ext;
		unsigned int	 auth;
		long long	 size;
	} t[] = {
		{ "250 mx.example", 0, 0, 0 },
		{ "250-mx.example\n250 STARTTLS", EHLO_STARTTLS, 0, 0 },
		/* The greeting line is never a keyword. */
		{ "250 STARTTLS", 0, 0, 0 },
		{ "250-mx\n250-pipelining\n250 StartTls",
		    EHLO_STARTTLS | EHLO_PIPELINING, 0, 0 },
		{ "250-mx\n250-AUTH PLAIN LOGIN\n250 8BITMIME",
		    EHLO_AUTH | EHLO_8BITMIME,
		    EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN, 0 },
		{ "250-mx\n250-AUTH=LOGIN\n250 AUTH CRAM-MD5",
		    EHLO_AUTH, EHLO_AUTH_LOGIN | EHLO_AUTH_CRAM_MD5, 0 },
		{ "250-mx\n250-AUTH=LOGIN PLAIN\n250 DSN",
		    EHLO_AUTH | EHLO_DSN, EHLO_AUTH_LOGIN | EHLO_AUTH_PLAIN,
		    0 },
		{ "250-mx\n250 auth  login\tplain  xoauth2 oauthbearer "
		    "scram-sha-256 SCRAM-SHA-1 GSSAPI ",
		    EHLO_AUTH, EHLO_AUTH_LOGIN | EHLO_AUTH_PLAIN |
		    EHLO_AUTH_XOAUTH2 | EHLO_AUTH_OAUTHBEARER |
		    EHLO_AUTH_SCRAM_SHA_256, 0 },
		{ "250-mx\n250 AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 "
		    "SCRAM-SHA-256-PLUSX SCRAM-SHA-1-PLUS",
		    EHLO_AUTH, EHLO_AUTH_SCRAM_SHA_256_PLUS |
		    EHLO_AUTH_SCRAM_SHA_256, 0 },
		{ "250-mx\n250 AUTH scram-sha-256-plus", EHLO_AUTH,
		    EHLO_AUTH_SCRAM_SHA_256_PLUS, 0 },
		{ "250-mx\n250 AUTH EXTERNAL PLAIN", EHLO_AUTH,
		    EHLO_AUTH_EXTERNAL | EHLO_AUTH_PLAIN, 0 },
		{ "250-mx\n250 AUTH", EHLO_AUTH, 0, 0 },
		{ "250-mx\n250 AUTH PLAINX LOGI", EHLO_AUTH, 0, 0 },
		{ "250-mx\n250 SIZE 35882577", EHLO_SIZE, 0, 35882577 },
		{ "250-mx\n250 SIZE", EHLO_SIZE, 0, 0 },
		{ "250-mx\n250 size 0", EHLO_SIZE, 0, 0 },
		{ "250-mx\n250 SIZE abc", EHLO_SIZE, 0, 0 },
		{ "250-mx\n250 SIZE -5", EHLO_SIZE, 0, 0 },
		{ "250-mx\n250 SIZE 99999999999999999999999", EHLO_SIZE, 0, 0 },
		{ "250-mx\n250 SIZE 9223372036854775807", EHLO_SIZE, 0,
		    9223372036854775807LL },
		{ "250-mx\n250 SIZE=100", 0, 0, 0 },
		{ "250-mx\n250-SIZEX 100\n250 XSIZE 5", 0, 0, 0 },
		{ "250-mx\n250-STARTTLSX\n250 START TLS", 0, 0, 0 },
		{ "250-mx\n250- STARTTLS\n250 STARTTLS\x01", 0, 0, 0 },
		{ "250-mx\n250-SMTPUTF8\n250-ENHANCEDSTATUSCODES\n"
		    "250-DSN\n250-8bitmime\n250-PIPELINING\n250-SIZE 10\n"
		    "250-AUTH PLAIN\n250 STARTTLS",
		    EHLO_SMTPUTF8 | EHLO_ENHANCEDSTATUSCODES | EHLO_DSN |
		    EHLO_8BITMIME | EHLO_PIPELINING | EHLO_SIZE | EHLO_AUTH |
		    EHLO_STARTTLS, EHLO_AUTH_PLAIN, 10 },
		{ "250-mx\n250-X-UNKNOWN foo\n250-\n250 ", 0, 0, 0 },
		{ "250-mx\n250 STARTTLS\r", 0, 0, 0 },
		{ "250-mx\n250 STARTTLS ", EHLO_STARTTLS, 0, 0 },
	};
	struct reply	 r;
	struct ehlo	 e;
	size_t		 i;
	int		 early;

	reply_init(&r);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE_EQ(feed(t[i].wire, &r, &early), 1);
		reply_ehlo_parse(&r, &e);
		if (e.ext != t[i].ext || e.auth != t[i].auth ||
		    e.size != t[i].size)
			atf_tc_fail("case %zu: ext %#x auth %#x size %lld",
			    i, e.ext, e.auth, e.size);
	}
	reply_free(&r);
	ATF_CHECK_STREQ(reply_ehlo_name(EHLO_PIPELINING), "PIPELINING");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, reply_table);
	ATF_TP_ADD_TC(tp, reply_nul_in_text);
	ATF_TP_ADD_TC(tp, reply_limits);
	ATF_TP_ADD_TC(tp, reply_string_cut);
	ATF_TP_ADD_TC(tp, reply_line_iter);
	ATF_TP_ADD_TC(tp, ehlo_table);
	return (atf_no_error());
}
