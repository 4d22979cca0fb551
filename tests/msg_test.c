/*
 * Tests for msg.c: line canonicalisation, dots, the header/body split,
 * -t, Bcc removal, added and rewritten fields, long lines, sizes, and
 * that the way the input is cut into msg_feed() calls does not matter.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailferry.h"
#include "addr.h"
#include "msg.h"

#define NOW	1700000000
#define ADDED	"From: user@ex.com\r\n" \
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" \
		"Message-ID: <t@ex.com>\r\n"

struct buf {
	char	*s;
	size_t	 len;
	int	 fail;
};

static int
sink_write(void *arg, const char *s, size_t len, char **cause)
{
	struct buf	*b = arg;

	if (b->fail) {
		*cause = strdup("sink full");
		return (-1);
	}
	b->s = realloc(b->s, b->len + len + 1);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return (0);
}

static void
policy(struct msg_policy *p)
{
	setenv("TZ", "UTC", 1);
	tzset();
	memset(p, 0, sizeof(*p));
	p->domain = "ex.com";
	p->sender = "user@ex.com";
	p->now = NOW;
	p->message_id = "<t@ex.com>";
}

/* Feed in pieces of `step` bytes (0: all at once). */
static int
run(const struct msg_policy *p, const char *in, size_t len, size_t step,
    struct buf *out, struct msg *m)
{
	struct msg_sink		 sink = { .write = sink_write, .arg = out };
	struct msg_reader	*r;
	char			*cause = NULL;
	size_t			 i, n;
	int			 rv = 0;

	memset(out, 0, sizeof(*out));
	out->s = strdup("");
	r = msg_reader_new(p, &sink);
	for (i = 0; i < len && rv == 0; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		rv = msg_feed(r, in + i, n, &cause);
	}
	if (rv == 0)
		rv = msg_finish(r, m, &cause);
	else
		memset(m, 0, sizeof(*m));
	if (rv != 0 && cause == NULL)
		rv = 99;	/* an error must say why */
	free(cause);
	msg_reader_free(r);
	return (rv);
}

struct canon_case {
	const char	*in;
	int		 ignore_dots;
	const char	*want;
};

static const struct canon_case canon[] = {
	{ "Subject: t\n\nl1\nl2\n", 0, "Subject: t\r\n" ADDED "\r\nl1\r\nl2\r\n" },
	{ "Subject: t\r\n\r\nl1\r\nl2\r\n", 0,
	    "Subject: t\r\n" ADDED "\r\nl1\r\nl2\r\n" },
	{ "Subject: t\r\n\nl1\r\nl2\n", 0,
	    "Subject: t\r\n" ADDED "\r\nl1\r\nl2\r\n" },
	{ "Subject: t\n\na\rb\n", 0, "Subject: t\r\n" ADDED "\r\na b\r\n" },
	{ "Subject: a\rb\n\nx\n", 0, "Subject: a b\r\n" ADDED "\r\nx\r\n" },
	{ "Subject: t\n\na\r\r\nb\r\r\r\n", 0,
	    "Subject: t\r\n" ADDED "\r\na\r\nb\r\n" },
	{ "Subject: t\n\nabc", 0, "Subject: t\r\n" ADDED "\r\nabc\r\n" },
	{ "Subject: t\n\nabc\r", 0, "Subject: t\r\n" ADDED "\r\nabc\r\n" },
	{ "Subject: t\n\na\n.\nb\n", 0, "Subject: t\r\n" ADDED "\r\na\r\n" },
	{ "Subject: t\n\na\n.\r\nb\n", 0, "Subject: t\r\n" ADDED "\r\na\r\n" },
	{ "Subject: t\n\na\n.", 0, "Subject: t\r\n" ADDED "\r\na\r\n" },
	{ "Subject: t\n\na\n.\nb\n", 1,
	    "Subject: t\r\n" ADDED "\r\na\r\n.\r\nb\r\n" },
	{ "Subject: t\n\n..\n.x\n. \n", 0,
	    "Subject: t\r\n" ADDED "\r\n..\r\n.x\r\n. \r\n" },
	{ "Subject: t\n\n..\n", 1, "Subject: t\r\n" ADDED "\r\n..\r\n" },
	/* Heredoc without the empty line. */
	{ "To: root\nSubject: x\nbody line\n", 0,
	    "To: root@ex.com\r\nSubject: x\r\n" ADDED "\r\nbody line\r\n" },
	/* Indented heredoc: all body. */
	{ "  To: root\n  Subject: x\n\n  body\n", 0,
	    ADDED "\r\n  To: root\r\n  Subject: x\r\n\r\n  body\r\n" },
	{ "Subject: t\n", 0, "Subject: t\r\n" ADDED "\r\n" },
	{ "Subject: t", 0, "Subject: t\r\n" ADDED "\r\n" },
	{ "", 0, ADDED "\r\n" },
	{ "\nbody", 0, ADDED "\r\nbody\r\n" },
	{ "Subject: t\n.\nrest\n", 0, "Subject: t\r\n" ADDED "\r\n" },
	{ "Subject: a\n b\n\tc\n\nx\n", 0,
	    "Subject: a\r\n b\r\n\tc\r\n" ADDED "\r\nx\r\n" },
	{ "From user Mon Jan  1 00:00:00 2024\nSubject: t\n\nx\n", 0,
	    "Subject: t\r\n" ADDED "\r\nx\r\n" },
	{ "Subject : t\n\nx\n", 0, "Subject : t\r\n" ADDED "\r\nx\r\n" },
	{ "X-A:\n\nx\n", 0, "X-A:\r\n" ADDED "\r\nx\r\n" },
	{ ": t\n\nx\n", 0, ADDED "\r\n: t\r\n\r\nx\r\n" },
	{ "Subject: t\n\n\n\n", 0, "Subject: t\r\n" ADDED "\r\n\r\n\r\n" },
};

ATF_TC_WITHOUT_HEAD(canonical);
ATF_TC_BODY(canonical, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	size_t			 i;
	int			 rv;

	policy(&p);
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		p.ignore_dots = canon[i].ignore_dots;
		rv = run(&p, canon[i].in, strlen(canon[i].in), 0, &out, &m);
		ATF_CHECK_MSG(rv == 0, "case %zu: rv %d", i, rv);
		ATF_CHECK_MSG(strcmp(out.s, canon[i].want) == 0,
		    "case %zu: got [%s]", i, out.s);
		ATF_CHECK_MSG(strstr(out.s, "\r\r") == NULL, "case %zu", i);
		ATF_CHECK_EQ((size_t)m.size, out.len);
		msg_free(&m);
		free(out.s);
	}
}

ATF_TC_WITHOUT_HEAD(dot_end_flag);
ATF_TC_BODY(dot_end_flag, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	const char		*in = "Subject: t\n\na\n.\nignored\n";

	policy(&p);
	ATF_REQUIRE_EQ(run(&p, in, strlen(in), 0, &out, &m), 0);
	ATF_CHECK_EQ(m.dot_end, 1);
	msg_free(&m);
	free(out.s);
	p.ignore_dots = 1;
	ATF_REQUIRE_EQ(run(&p, in, strlen(in), 0, &out, &m), 0);
	ATF_CHECK_EQ(m.dot_end, 0);
	msg_free(&m);
	free(out.s);
}

ATF_TC_WITHOUT_HEAD(errors);
ATF_TC_BODY(errors, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	char			*big;
	size_t			 n = MSG_HEADER_MAX + 100, i;

	policy(&p);
	ATF_CHECK_EQ(run(&p, "Subject: a\0b\n\nx", 16, 0, &out, &m),
	    MSG_ERR_DATA);
	free(out.s);
	ATF_CHECK_EQ(run(&p, "Subject: t\n\nx\0y\n", 16, 0, &out, &m),
	    MSG_ERR_DATA);
	ATF_CHECK_EQ(out.len, 0);
	free(out.s);
	ATF_CHECK_EQ(run(&p, "S: t\n\nab\ncd\r\nx\0\n", 16, 0, &out, &m),
	    MSG_ERR_DATA);
	ATF_CHECK_EQ(out.len, 0);
	free(out.s);
	/* A NUL after the ending dot is never seen. */
	ATF_CHECK_EQ(run(&p, "S: t\n\nx\n.\n\0", 11, 0, &out, &m), 0);
	msg_free(&m);
	free(out.s);

	p.max_size = 20;
	ATF_CHECK_EQ(run(&p, "Subject: t\n\n0123456789\n", 23, 0, &out, &m),
	    MSG_ERR_DATA);
	free(out.s);
	ATF_CHECK_EQ(run(&p, "Subject: t\n\n012345\n", 19, 0, &out, &m), 0);
	msg_free(&m);
	free(out.s);
	ATF_CHECK_EQ(run(&p, "Subject: t\n\n0123456\n", 20, 0, &out, &m), 0);
	msg_free(&m);
	free(out.s);
	ATF_CHECK_EQ(run(&p, "Subject: t\n\n01234567\n", 21, 0, &out, &m),
	    MSG_ERR_DATA);
	free(out.s);
	p.max_size = 0;

	/* Header over MSG_HEADER_MAX. */
	big = malloc(n);
	for (i = 0; i + 10 <= n; i += 10)
		memcpy(big + i, "X-A: 1234\n", 10);
	ATF_CHECK_EQ(run(&p, big, n, 0, &out, &m), MSG_ERR_DATA);
	free(out.s);
	/* A huge first line that cannot be a field is body, not an error. */
	memset(big, 'a', n);
	ATF_CHECK_EQ(run(&p, big, n, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.lines_broken + m.qp_encoded, 1);
	msg_free(&m);
	free(out.s);
	free(big);

	/* The sink's failure is reported. */
	memset(&out, 0, sizeof(out));
	{
		struct msg_sink		 sink = { .write = sink_write, .arg = &out };
		struct msg_reader	*r = msg_reader_new(&p, &sink);
		char			*cause = NULL;

		out.fail = 1;
		ATF_CHECK_EQ(msg_feed(r, "S: t\n\nx\n", 8, &cause), 0);
		ATF_CHECK_EQ(msg_finish(r, &m, &cause), MSG_ERR_SINK);
		ATF_CHECK(cause != NULL && strcmp(cause, "sink full") == 0);
		free(cause);
		msg_reader_free(r);
	}
}

static const char *
rcpts(const struct msg *m)
{
	static char	 b[1024];
	size_t		 i;

	b[0] = '\0';
	for (i = 0; i < m->rcpts.n; i++) {
		if (i > 0)
			strlcat(b, "|", sizeof(b));
		strlcat(b, m->rcpts.v[i], sizeof(b));
	}
	return (b);
}

ATF_TC_WITHOUT_HEAD(bcc_and_extract);
ATF_TC_BODY(bcc_and_extract, tc)
{
	struct msg_policy	 p;
	struct addr_list	 argv;
	struct buf		 out;
	struct msg		 m;
	const char		*in = "To: a@x,\n \"Doe, J\" <j@x>\nBcc: b@y\n"
	    "Cc: c@z\nTo: root (Cron Daemon)\nbcc: hidden@h\n\nbody\n";
	const char		*rs = "To: a@x\nResent-From: r@x\n"
	    "Resent-To: r1@x\nResent-Bcc: r2@x\nBcc: b@x\n\nx\n";

	policy(&p);
	addr_list_init(&argv);
	addr_list_add(&argv, "d@w");
	addr_list_add(&argv, "a@X");
	p.rcpts = &argv;

	/* Without -t: argv only, Bcc removed anyway. */
	ATF_REQUIRE_EQ(run(&p, in, strlen(in), 0, &out, &m), 0);
	ATF_CHECK_STREQ(rcpts(&m), "d@w|a@X");
	ATF_CHECK(strstr(out.s, "Bcc") == NULL && strstr(out.s, "bcc") ==
	    NULL && strstr(out.s, "hidden") == NULL);
	ATF_CHECK(strstr(out.s, "Cc: c@z\r\n") != NULL);
	msg_free(&m);
	free(out.s);

	/* With -t: union, de-duplicated, all occurrences. */
	p.extract = 1;
	ATF_REQUIRE_EQ(run(&p, in, strlen(in), 0, &out, &m), 0);
	ATF_CHECK_STREQ(rcpts(&m), "d@w|a@X|j@x|b@y|c@z|root|hidden@h");
	ATF_CHECK(strstr(out.s, "Bcc") == NULL);
	msg_free(&m);
	free(out.s);

	/* Resent-*: only the Resent set counts; both Bcc kinds go. */
	p.rcpts = NULL;
	ATF_REQUIRE_EQ(run(&p, rs, strlen(rs), 0, &out, &m), 0);
	ATF_CHECK_STREQ(rcpts(&m), "r1@x|r2@x");
	ATF_CHECK(strstr(out.s, "Bcc") == NULL);
	ATF_CHECK(strstr(out.s, "Resent-To: r1@x\r\n") != NULL);
	msg_free(&m);
	free(out.s);

	/* Groups. */
	ATF_REQUIRE_EQ(run(&p, "To: undisclosed-recipients:;\nBcc: x@y\n\nb",
	    40, 0, &out, &m), 0);
	ATF_CHECK_STREQ(rcpts(&m), "x@y");
	msg_free(&m);
	free(out.s);

	/* A bad recipient field with -t is an error; without, it is kept. */
	ATF_CHECK_EQ(run(&p, "To: \"broken\n\nb", 14, 0, &out, &m),
	    MSG_ERR_DATA);
	free(out.s);
	p.extract = 0;
	ATF_CHECK_EQ(run(&p, "To: \"broken\n\nb", 14, 0, &out, &m), 0);
	msg_free(&m);
	free(out.s);
	addr_list_free(&argv);
}

ATF_TC_WITHOUT_HEAD(added_headers);
ATF_TC_BODY(added_headers, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	const char		*full = "date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "MESSAGE-ID: <x@y>\nFROM: a@b\n\nx\n";
	char			*d;

	policy(&p);
	ATF_REQUIRE_EQ(run(&p, full, strlen(full), 0, &out, &m), 0);
	ATF_CHECK_STREQ(out.s, "date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "MESSAGE-ID: <x@y>\r\nFROM: a@b\r\n\r\nx\r\n");
	msg_free(&m);
	free(out.s);

	/* Added From with -F: plain, specials, non-ASCII. */
	p.fullname = "Cron Daemon";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nFrom: Cron Daemon <user@ex.com>\r\n"));
	msg_free(&m);
	free(out.s);
	p.fullname = "Doe, \"J\"";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nFrom: \"Doe, \\\"J\\\"\" <user@ex.com>"));
	msg_free(&m);
	free(out.s);
	p.fullname = "J\xc3\xb6rg M\xc3\xbcller";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nFrom: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= "
	    "<user@ex.com>\r\n"));
	ATF_CHECK_EQ(m.header_8bit, 0);
	msg_free(&m);
	free(out.s);
	p.fullname = "a\r\nBcc: evil@x";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nBcc") == NULL);
	msg_free(&m);
	free(out.s);
	p.fullname = NULL;

	/* Null or bare sender. */
	p.sender = "";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nFrom: MAILER-DAEMON@ex.com\r\n"));
	msg_free(&m);
	free(out.s);
	p.sender = "root";
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nFrom: root@ex.com\r\n"));
	msg_free(&m);
	free(out.s);

	/* Generated Date and Message-ID. */
	p.message_id = NULL;
	p.now = 0;
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "\r\nMessage-ID: <") != NULL);
	ATF_CHECK(strstr(out.s, "@ex.com>\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "\r\nDate: ") != NULL);
	msg_free(&m);
	free(out.s);
	d = msg_format_date(NOW);
	ATF_CHECK_STREQ(d, "Date: Tue, 14 Nov 2023 22:13:20 +0000");
	free(d);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	d = msg_format_date(NOW);
	ATF_CHECK_STREQ(d, "Date: Tue, 14 Nov 2023 23:13:20 +0100");
	free(d);
	setenv("TZ", "UTC", 1);
	tzset();
}

ATF_TC_WITHOUT_HEAD(from_rewrite);
ATF_TC_BODY(from_rewrite, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;

	policy(&p);
	ATF_REQUIRE_EQ(run(&p, "From: Logwatch\n\nx", 17, 0, &out, &m), 0);
	ATF_CHECK(strncmp(out.s, "From: Logwatch@ex.com\r\n", 23) == 0);
	ATF_CHECK(strstr(out.s + 5, "From:") == NULL);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "From: root (Cron Daemon)\n\nx", 27, 0, &out,
	    &m), 0);
	ATF_CHECK(strncmp(out.s, "From: root@ex.com (Cron Daemon)\r\n", 33) ==
	    0);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "From: \"(Cron Daemon)\" <user>\n\nx", 31, 0,
	    &out, &m), 0);
	ATF_CHECK(strncmp(out.s, "From: \"(Cron Daemon)\" <user@ex.com>\r\n",
	    37) == 0);
	msg_free(&m);
	free(out.s);

	/* rewrite_from = always. */
	p.force_from = "app@ex.com";
	ATF_REQUIRE_EQ(run(&p, "From: Me <me@x>\nSubject: s\n\nx", 29, 0,
	    &out, &m), 0);
	ATF_CHECK(strstr(out.s, "Me <me@x>") != NULL);
	ATF_CHECK(strstr(out.s, "\r\nReply-To: Me <me@x>\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "\r\nFrom: app@ex.com\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "From: Me") == NULL);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "From: me@x\nReply-To: r@x\n\nx", 27, 0,
	    &out, &m), 0);
	ATF_CHECK(strstr(out.s, "Reply-To: r@x\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "Reply-To: me@x") == NULL);
	ATF_CHECK(strstr(out.s, "\r\nFrom: app@ex.com\r\n") != NULL);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "S: s\n\nx", 7, 0, &out, &m), 0);
	ATF_CHECK(strstr(out.s, "Reply-To") == NULL);
	ATF_CHECK(strstr(out.s, "\r\nFrom: app@ex.com\r\n") != NULL);
	msg_free(&m);
	free(out.s);
}

/* Every line of s (CRLF-terminated) is at most max octets. */
static int
lines_within(const char *s, size_t max)
{
	const char	*e;

	for (; *s != '\0'; s = e + 2) {
		if ((e = strstr(s, "\r\n")) == NULL)
			return (0);
		if ((size_t)(e - s) > max)
			return (0);
	}
	return (1);
}

ATF_TC_WITHOUT_HEAD(long_header);
ATF_TC_BODY(long_header, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	char			 in[5000], *u;
	size_t			 i, n, k;

	policy(&p);
	n = snprintf(in, sizeof(in), "Subject:");
	for (i = 0; i < 400; i++)
		n += snprintf(in + n, sizeof(in) - n, " word");
	n += snprintf(in + n, sizeof(in) - n, "\n\nx\n");
	ATF_REQUIRE_EQ(run(&p, in, n, 0, &out, &m), 0);
	ATF_CHECK(lines_within(out.s, SMTP_LINE_MAX));
	/* Unfolding gives the original field back. */
	u = malloc(out.len + 1);
	for (i = k = 0; i < out.len; i++) {
		if (out.s[i] == '\r' && out.s[i + 1] == '\n' &&
		    (out.s[i + 2] == ' ' || out.s[i + 2] == '\t')) {
			i++;
			continue;
		}
		u[k++] = out.s[i];
	}
	u[k] = '\0';
	ATF_CHECK(strncmp(u, in, 8 + 400 * 5) == 0);
	free(u);
	msg_free(&m);
	free(out.s);

	/* No white space at all: forced CRLF SP. */
	memcpy(in, "X-Long: ", 8);
	memset(in + 8, 'a', 3000);
	memcpy(in + 3008, "\n\nx\n", 4);
	ATF_REQUIRE_EQ(run(&p, in, 3012, 0, &out, &m), 0);
	ATF_CHECK(lines_within(out.s, SMTP_LINE_MAX));
	ATF_CHECK(strstr(out.s, "\r\n a") != NULL);
	msg_free(&m);
	free(out.s);
}

/* Decode quoted-printable (test helper, lenient). */
static size_t
qp_decode(const char *s, char *o)
{
	size_t	 n = 0;
	int	 v;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
			continue;
		}
		if (s[0] == '=') {
			sscanf(s + 1, "%2x", (unsigned int *)&v);
			o[n++] = (char)v;
			s += 3;
			continue;
		}
		o[n++] = *s++;
	}
	o[n] = '\0';
	return (n);
}

ATF_TC_WITHOUT_HEAD(long_body);
ATF_TC_BODY(long_body, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	char			*in, *body, *dec;
	size_t			 n = 0, i;

	policy(&p);
	in = malloc(8000);
	n = snprintf(in, 8000, "Subject: cron\nContent-Transfer-Encoding: "
	    "8bit\n\nshort line\n");
	for (i = 0; i < 3000; i++)
		in[n++] = "ab= \xc3\xa9\t"[i % 7];
	n += snprintf(in + n, 8000 - n, " \nend\t\n");
	ATF_REQUIRE_EQ(run(&p, in, n, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.qp_encoded, 1);
	ATF_CHECK_EQ(m.body_8bit, 0);
	ATF_CHECK(strstr(out.s, "\r\nContent-Transfer-Encoding: "
	    "quoted-printable\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "8bit") == NULL);
	ATF_CHECK(strstr(out.s, "\r\nMIME-Version: 1.0\r\n") != NULL);
	ATF_CHECK(strstr(out.s, "charset=UTF-8") != NULL);
	body = strstr(out.s, "\r\n\r\n") + 4;
	ATF_CHECK(lines_within(body, 76));
	for (i = 0; body[i] != '\0'; i++)
		ATF_CHECK((unsigned char)body[i] < 0x80);
	dec = malloc(out.len + 1);
	qp_decode(body, dec);
	in[n] = '\0';
	/* The decoded body is the original with CRLF line ends. */
	ATF_CHECK(strncmp(dec, "short line\r\n", 12) == 0);
	ATF_CHECK(memcmp(dec + 12, strstr(in, "\n\n") + 13, 3000) == 0);
	ATF_CHECK(strcmp(dec + 12 + 3000, " \r\nend\t\r\n") == 0);
	free(dec);
	msg_free(&m);
	free(out.s);

	/* Multipart: hard-wrapped at 998. */
	n = snprintf(in, 8000, "Content-Type: multipart/mixed; b=x\n\n");
	memset(in + n, 'z', 2500);
	n += 2500;
	in[n++] = '\n';
	ATF_REQUIRE_EQ(run(&p, in, n, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.qp_encoded, 0);
	ATF_CHECK_EQ(m.lines_broken, 1);
	ATF_CHECK(lines_within(out.s, SMTP_LINE_MAX));
	ATF_CHECK(strstr(out.s, "quoted-printable") == NULL);
	msg_free(&m);
	free(out.s);

	/* Exactly 998 is not long. */
	n = snprintf(in, 8000, "S: t\n\n");
	memset(in + n, 'z', SMTP_LINE_MAX);
	n += SMTP_LINE_MAX;
	ATF_REQUIRE_EQ(run(&p, in, n, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.qp_encoded + m.lines_broken, 0);
	msg_free(&m);
	free(out.s);
	free(in);
}

ATF_TC_WITHOUT_HEAD(eightbit);
ATF_TC_BODY(eightbit, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;

	policy(&p);
	ATF_REQUIRE_EQ(run(&p, "S: t\n\ncaf\xc3\xa9\n", 12, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.body_8bit, 1);
	ATF_CHECK_EQ(m.header_8bit, 0);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "S: caf\xc3\xa9\n\nx\n", 12, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.body_8bit, 0);
	ATF_CHECK_EQ(m.header_8bit, 1);
	msg_free(&m);
	free(out.s);
	ATF_REQUIRE_EQ(run(&p, "S: t\n\nplain\n", 12, 0, &out, &m), 0);
	ATF_CHECK_EQ(m.body_8bit + m.header_8bit, 0);
	msg_free(&m);
	free(out.s);
}

static const char *const split_inputs[] = {
	"From x Mon\r\nTo: a@x,\r\n b@y\nBcc: c@z\r\r\nSubject: s\r\rx\n"
	    "\r\nbody\r\n.\r\n..\rq\n.\r",
	"  indented\n\nx\r",
	"Subject: t\n\na\n.\nb\n",
	"From: Logwatch\nTo: root\n\n\xc3\xa9\r\n\r\r\n",
	"X: 1\nno colon line\nY: 2\n",
	/* Body lines that take msg.c's bulk path and those that cannot. */
	"S: t\n\nl1\r\nl2\nmid\rcr\n\r\r\n.\r\r\nafter\n",
	"S: t\n\n\n.x\n\r.\n..\n.\r\n",
};

ATF_TC_WITHOUT_HEAD(split_invariance);
ATF_TC_BODY(split_invariance, tc)
{
	struct msg_policy	 p;
	struct buf		 whole, part;
	struct msg		 m;
	size_t			 i, step, len;
	int			 dots;

	policy(&p);
	p.extract = 1;
	for (dots = 0; dots < 2; dots++) {
		p.ignore_dots = dots;
		for (i = 0; i < sizeof(split_inputs) / sizeof(split_inputs[0]);
		    i++) {
			len = strlen(split_inputs[i]);
			ATF_REQUIRE_EQ(run(&p, split_inputs[i], len, 0, &whole,
			    &m), 0);
			msg_free(&m);
			for (step = 1; step <= len; step++) {
				ATF_REQUIRE_EQ(run(&p, split_inputs[i], len,
				    step, &part, &m), 0);
				ATF_CHECK_MSG(part.len == whole.len &&
				    memcmp(part.s, whole.s, whole.len) == 0,
				    "input %zu step %zu differs", i, step);
				msg_free(&m);
				free(part.s);
			}
			free(whole.s);
		}
	}
}

ATF_TC_WITHOUT_HEAD(big_body_and_fd);
ATF_TC_BODY(big_body_and_fd, tc)
{
	struct msg_policy	 p;
	struct msg_sink		 sink;
	struct buf		 out, out2;
	struct msg		 m;
	char			*in, *cause = NULL;
	size_t			 n = 0, i, size;
	int			 fd;

	policy(&p);
	size = 3 * MSG_BODY_MEM;
	in = malloc(size + 64);
	n = snprintf(in, 64, "S: t\n\n");
	for (i = 0; n < size; i++)
		n += snprintf(in + n, size + 64 - n, "line %zu\n", i);
	ATF_REQUIRE_EQ(run(&p, in, n, 777, &out, &m), 0);
	ATF_CHECK_EQ((size_t)m.size, out.len);
	ATF_CHECK_EQ(out.len, strlen(ADDED) + n + i + 2);
	msg_free(&m);

	/* msg_read(): same bytes; reads to EOF even after the dot. */
	memcpy(in + n, ".\ntrailing\n", 11);
	n += 11;
	fd = open("in.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ((size_t)write(fd, in, n), n);
	ATF_REQUIRE_EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(&out2, 0, sizeof(out2));
	out2.s = strdup("");
	memset(&sink, 0, sizeof(sink));
	sink.write = sink_write;
	sink.arg = &out2;
	ATF_REQUIRE_EQ(msg_read(fd, &p, &sink, &m, &cause), 0);
	ATF_CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)n);
	ATF_CHECK_EQ(m.dot_end, 1);
	ATF_CHECK(out.len == out2.len && memcmp(out.s, out2.s, out.len) == 0);
	msg_free(&m);
	/* And a read error is MSG_ERR_INPUT. */
	ATF_CHECK_EQ(msg_read(-1, &p, &sink, &m, &cause), MSG_ERR_INPUT);
	ATF_CHECK(cause != NULL);
	free(cause);
	close(fd);
	free(out.s);
	free(out2.s);
	free(in);
}

ATF_TC_WITHOUT_HEAD(too_many_rcpts);
ATF_TC_BODY(too_many_rcpts, tc)
{
	struct msg_policy	 p;
	struct buf		 out;
	struct msg		 m;
	char			*in;
	size_t			 n = 0, i, cap = (ADDR_LIST_MAX + 10) * 20;

	policy(&p);
	p.extract = 1;
	in = malloc(cap);
	for (i = 0; i < ADDR_LIST_MAX + 10; i++)
		n += snprintf(in + n, cap - n, "To: u%zu@x\n", i);
	ATF_CHECK_EQ(run(&p, in, n, 0, &out, &m), MSG_ERR_DATA);
	free(out.s);
	/* Without -t the fields are just text. */
	p.extract = 0;
	ATF_CHECK_EQ(run(&p, in, n, 0, &out, &m), 0);
	msg_free(&m);
	free(out.s);
	free(in);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, canonical);
	ATF_TP_ADD_TC(tp, dot_end_flag);
	ATF_TP_ADD_TC(tp, errors);
	ATF_TP_ADD_TC(tp, bcc_and_extract);
	ATF_TP_ADD_TC(tp, added_headers);
	ATF_TP_ADD_TC(tp, from_rewrite);
	ATF_TP_ADD_TC(tp, long_header);
	ATF_TP_ADD_TC(tp, long_body);
	ATF_TP_ADD_TC(tp, eightbit);
	ATF_TP_ADD_TC(tp, split_invariance);
	ATF_TP_ADD_TC(tp, big_body_and_fd);
	ATF_TP_ADD_TC(tp, too_many_rcpts);
	return (atf_no_error());
}
