/*
 * Tests for bs.c: the -bs command-line parser (verbs, paths, ESMTP
 * parameters; good and hostile lines) and the DATA dot scanner (dot
 * unstuffing, the end-of-data line, any split of the input).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "bs.h"

#define OK	0
#define SYN	BS_ERR_SYNTAX
#define CMD	BS_ERR_COMMAND

struct parse_case {
	const char	*line;
	int		 rv;
	enum bs_verb	 verb;
	const char	*arg;		/* expected arg when rv == OK */
	const char	*params;	/* "K=V K2" joined by ' ', or "" */
};

static const struct parse_case parse_cases[] = {
	/* Greetings. */
	{ "HELO client.example", OK, BS_HELO, "client.example", "" },
	{ "helo [127.0.0.1]", OK, BS_HELO, "[127.0.0.1]", "" },
	{ "EHLO x", OK, BS_EHLO, "x", "" },
	{ "EhLo   x  ", OK, BS_EHLO, "x", "" },
	{ "EHLO", SYN, 0, NULL, NULL },
	{ "HELO   ", SYN, 0, NULL, NULL },
	/* MAIL. */
	{ "MAIL FROM:<a@b>", OK, BS_MAIL, "a@b", "" },
	{ "MAIL FROM:<a@b> SIZE=100 BODY=8BITMIME", OK, BS_MAIL, "a@b",
	    "SIZE=100 BODY=8BITMIME" },
	{ "mail from: <a@b>", OK, BS_MAIL, "a@b", "" },
	{ "Mail From:<a@b>", OK, BS_MAIL, "a@b", "" },
	{ "MAIL FROM:<>", OK, BS_MAIL, "", "" },
	{ "MAIL FROM:<> RET=HDRS ENVID=QQ+2B1", OK, BS_MAIL, "",
	    "RET=HDRS ENVID=QQ+2B1" },
	{ "MAIL FROM:a@b", OK, BS_MAIL, "a@b", "" },
	{ "MAIL FROM:a@b SIZE=5", OK, BS_MAIL, "a@b", "SIZE=5" },
	{ "MAIL FROM:<@r1,@r2:u@x>", OK, BS_MAIL, "u@x", "" },
	{ "MAIL FROM:<\"a >b\"@x>", OK, BS_MAIL, "\"a >b\"@x", "" },
	{ "MAIL FROM:<\"a\\\"> b\"@x> SMTPUTF8", OK, BS_MAIL,
	    "\"a\\\"> b\"@x", "SMTPUTF8" },
	{ "MAIL FROM:<a@b>\tSIZE=1", OK, BS_MAIL, "a@b", "SIZE=1" },
	{ "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc.example>", OK, BS_MAIL,
	    "j\xc3\xb6rg@b\xc3\xbc.example", "" },
	{ "MAIL FROM <a@b>", SYN, 0, NULL, NULL },	/* missing colon */
	{ "MAIL <a@b>", SYN, 0, NULL, NULL },
	{ "MAIL", SYN, 0, NULL, NULL },
	{ "MAIL FROM:", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b>x", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> =1", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> SIZE=", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> SIZE==1", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> SI_ZE=1", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> -X", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<@r1,@r2>", SYN, 0, NULL, NULL },
	{ "MAIL FROM:a@b>", SYN, 0, NULL, NULL },
	{ "MAIL FROM:<a@b> A B C D E F G H I J K L M N O P Q", SYN, 0, NULL,
	    NULL },
	/* RCPT. */
	{ "RCPT TO:<postmaster>", OK, BS_RCPT, "postmaster", "" },
	{ "RCPT TO:<b@c> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@c", OK,
	    BS_RCPT, "b@c", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@c" },
	{ "rcpt to:   <b@c>  ", OK, BS_RCPT, "b@c", "" },
	{ "RCPT TO:<>", OK, BS_RCPT, "", "" },	/* refused later */
	{ "RCPT FROM:<b@c>", SYN, 0, NULL, NULL },
	{ "RCPT TO <b@c>", SYN, 0, NULL, NULL },
	{ "RCPT", SYN, 0, NULL, NULL },
	/* Others. */
	{ "DATA", OK, BS_DATA, "", "" },
	{ "data", OK, BS_DATA, "", "" },
	{ "DATA x", SYN, 0, NULL, NULL },
	{ "RSET", OK, BS_RSET, "", "" },
	{ "RSET now", SYN, 0, NULL, NULL },
	{ "NOOP", OK, BS_NOOP, "", "" },
	{ "NOOP anything at all", OK, BS_NOOP, "anything at all", "" },
	{ "VRFY root", OK, BS_VRFY, "root", "" },
	{ "VRFY", SYN, 0, NULL, NULL },
	{ "HELP", OK, BS_HELP, "", "" },
	{ "QUIT", OK, BS_QUIT, "", "" },
	{ "quit now", OK, BS_QUIT, "now", "" },
	{ "STARTTLS", OK, BS_NOTIMPL, "", "" },
	{ "AUTH PLAIN AGFAAGI=", OK, BS_NOTIMPL, "PLAIN AGFAAGI=", "" },
	{ "EXPN list", OK, BS_NOTIMPL, "list", "" },
	{ "BDAT 10 LAST", OK, BS_NOTIMPL, "10 LAST", "" },
	/* Garbage. */
	{ "", CMD, 0, NULL, NULL },
	{ "   ", CMD, 0, NULL, NULL },
	{ "HELLO x", CMD, 0, NULL, NULL },
	{ "MAILFROM:<a@b>", CMD, 0, NULL, NULL },
	{ "GET / HTTP/1.1", CMD, 0, NULL, NULL },
	{ "\x01\x02", CMD, 0, NULL, NULL },
	{ "HELO a\rb", CMD, 0, NULL, NULL },
	{ "NOOP \x7f", CMD, 0, NULL, NULL },
	{ "\xff\xfe", CMD, 0, NULL, NULL },
};

/* Render the parameters as "K=V K2" for comparison. */
static void
params_str(const struct bs_cmd *c, char *buf, size_t len)
{
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < c->nparams; i++) {
		if (i > 0)
			strlcat(buf, " ", len);
		strlcat(buf, c->params[i].key, len);
		if (c->params[i].value != NULL) {
			strlcat(buf, "=", len);
			strlcat(buf, c->params[i].value, len);
		}
	}
}

ATF_TC_WITHOUT_HEAD(parse_table);
ATF_TC_BODY(parse_table, tc)
{
	struct bs_cmd	 c;
	char		*cause, buf[1024];
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *pc = &parse_cases[i];

		cause = NULL;
		rv = bs_parse_command(pc->line, strlen(pc->line), &c, &cause);
		if (rv != pc->rv) {
			atf_tc_fail_nonfatal("case %zu \"%s\": rv %d, want %d "
			    "(%s)", i, pc->line, rv, pc->rv,
			    cause != NULL ? cause : "");
		} else if (rv == OK) {
			params_str(&c, buf, sizeof(buf));
			if (c.verb != pc->verb || strcmp(c.arg, pc->arg) != 0 ||
			    strcmp(buf, pc->params) != 0)
				atf_tc_fail_nonfatal("case %zu \"%s\": verb %d "
				    "arg \"%s\" params \"%s\"", i, pc->line,
				    (int)c.verb, c.arg, buf);
			ATF_CHECK(cause == NULL);
		} else
			ATF_CHECK(cause != NULL && *cause != '\0');
		if (rv == OK)
			bs_cmd_free(&c);
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(parse_embedded_nul);
ATF_TC_BODY(parse_embedded_nul, tc)
{
	struct bs_cmd	 c;
	char		*cause = NULL;

	ATF_CHECK_EQ(bs_parse_command("NOOP a\0b", 8, &c, &cause),
	    BS_ERR_COMMAND);
	free(cause);
	cause = NULL;
	ATF_CHECK_EQ(bs_parse_command("MAIL FROM:<a\0@b>", 16, &c, &cause),
	    BS_ERR_COMMAND);
	free(cause);
}

ATF_TC_WITHOUT_HEAD(parse_overlong);
ATF_TC_BODY(parse_overlong, tc)
{
	struct bs_cmd	 c;
	char		*line, *cause = NULL;
	size_t		 n;

	/* A command at the limit parses; one byte more does not. */
	n = BS_CMD_MAX;
	line = malloc(n + 2);
	ATF_REQUIRE(line != NULL);
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', n + 1 - 5);
	line[n + 1] = '\0';
	ATF_CHECK_EQ(bs_parse_command(line, n, &c, &cause), OK);
	bs_cmd_free(&c);
	ATF_CHECK_EQ(bs_parse_command(line, n + 1, &c, &cause),
	    BS_ERR_COMMAND);
	free(cause);
	cause = NULL;

	/* An address longer than a path may be. */
	snprintf(line, n, "MAIL FROM:<%0*d@x>", SMTP_PATH_MAX, 0);
	ATF_CHECK_EQ(bs_parse_command(line, strlen(line), &c, &cause), SYN);
	free(cause);
	cause = NULL;
	snprintf(line, n, "MAIL FROM:<%0*d@x>", SMTP_PATH_MAX - 2, 0);
	ATF_CHECK_EQ(bs_parse_command(line, strlen(line), &c, &cause), OK);
	bs_cmd_free(&c);
	free(line);
}

/* The DATA scanner. */
struct dot_case {
	const char	*in;
	const char	*out;		/* what msg.c gets */
	int		 end;		/* end-of-data seen */
	size_t		 consumed;	/* when end: bytes up to it */
};

static const struct dot_case dot_cases[] = {
	{ "a\r\n.\r\n", "a\r\n", 1, 6 },
	{ "a\n.\n", "a\n", 1, 4 },
	{ ".\r\n", "", 1, 3 },
	{ ".\n", "", 1, 2 },
	{ "..\r\n.\r\n", ".\r\n", 1, 7 },
	{ "..x\r\n.\r\n", ".x\r\n", 1, 8 },
	{ ".x\r\n.\r\n", "x\r\n", 1, 7 },
	{ "a.\r\n.\r\n", "a.\r\n", 1, 7 },
	{ "a\r\n. \r\n.\r\n", "a\r\n \r\n", 1, 10 },
	{ ".\rx\r\n.\r\n", "\rx\r\n", 1, 8 },
	{ "a\r\n.\r\nQUIT\r\n", "a\r\n", 1, 6 },
	{ "a\r\n..\r\n..\r\n.\r\nMAIL", "a\r\n.\r\n.\r\n", 1, 14 },
	{ "no end\r\n", "no end\r\n", 0, 0 },
	{ "no end\r\n.", "no end\r\n", 0, 0 },
	{ "no end\r\n.\r", "no end\r\n", 0, 0 },
	{ "x.\r\n", "x.\r\n", 0, 0 },
	{ "", "", 0, 0 },
};

struct outbuf {
	char	buf[256];
	size_t	len;
	int	calls;
};

static void
collect(void *arg, const char *s, size_t len)
{
	struct outbuf	*o = arg;

	ATF_REQUIRE(o->len + len < sizeof(o->buf));
	ATF_CHECK(len > 0);
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
	o->calls++;
}

/* Scan in, split at `split` (0: in one piece); returns consumed. */
static size_t
dot_run(const char *in, size_t split, struct outbuf *o, int *end)
{
	enum bs_dot_state	 st = BS_DOT_BOL;
	size_t			 len = strlen(in), n;

	memset(o, 0, sizeof(*o));
	if (split == 0 || split >= len)
		return (bs_dot_scan(&st, in, len, collect, o, end));
	n = bs_dot_scan(&st, in, split, collect, o, end);
	if (*end)
		return (n);
	ATF_CHECK_EQ(n, split);
	return (split + bs_dot_scan(&st, in + split, len - split, collect,
	    o, end));
}

ATF_TC_WITHOUT_HEAD(dot_table);
ATF_TC_BODY(dot_table, tc)
{
	const struct dot_case	*dc;
	struct outbuf		 o;
	size_t			 i, split, n;
	int			 end;

	for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
		dc = &dot_cases[i];
		/* Every split point gives the same result. */
		for (split = 0; split <= strlen(dc->in); split++) {
			n = dot_run(dc->in, split, &o, &end);
			if (end != dc->end || strcmp(o.buf, dc->out) != 0 ||
			    (end && n != dc->consumed) ||
			    (!end && n != strlen(dc->in)))
				atf_tc_fail_nonfatal("case %zu split %zu: "
				    "end %d consumed %zu out \"%s\"", i, split,
				    end, n, o.buf);
		}
	}
}

ATF_TC_WITHOUT_HEAD(dot_bytewise);
ATF_TC_BODY(dot_bytewise, tc)
{
	static const char	 in[] = "Subject: x\r\n\r\n..a\r\n.\rb\r\n"
				    "..\r\n.\r\nQUIT\r\n";
	static const char	 want[] = "Subject: x\r\n\r\n.a\r\n\rb\r\n"
				    ".\r\n";
	enum bs_dot_state	 st = BS_DOT_BOL;
	struct outbuf		 o;
	size_t			 i, n = 0;
	int			 end = 0;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(in) - 1 && !end; i++)
		n += bs_dot_scan(&st, in + i, 1, collect, &o, &end);
	ATF_CHECK(end);
	ATF_CHECK_EQ(n, sizeof(in) - 1 - strlen("QUIT\r\n"));
	ATF_CHECK_STREQ(o.buf, want);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_table);
	ATF_TP_ADD_TC(tp, parse_embedded_nul);
	ATF_TP_ADD_TC(tp, parse_overlong);
	ATF_TP_ADD_TC(tp, dot_table);
	ATF_TP_ADD_TC(tp, dot_bytewise);
	return (atf_no_error());
}
