/*
 * Tests for canon.c: a table of canonical and non-canonical messages,
 * each fed whole, a byte at a time, split in two at every offset and
 * in three; long lines and a long From; and the front end's own output
 * (msg.c) under force_from, -F, long lines and 8-bit text.
 */
#include "config.h"

#include <sys/types.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "canon.h"
#include "msg.h"

#define FF	"app@example.org"

struct tcase {
	const char	*name;
	const char	*msg;
	size_t		 len;		/* 0: strlen(msg) */
	const char	*force_from;
	int		 body_7bit;
	off_t		 max_size;
	const char	*want;		/* NULL: canonical; else in the cause */
};

static const struct tcase cases[] = {
	/* Canonical. */
	{ "plain", "Subject: x\r\n\r\nhello\r\n", 0, NULL, 1, 0, NULL },
	{ "no body", "Subject: x\r\n\r\n", 0, NULL, 1, 0, NULL },
	{ "header only", "Subject: x\r\n", 0, NULL, 1, 0, NULL },
	{ "body only", "hello\r\n", 0, NULL, 1, 0, NULL },
	{ "empty line only", "\r\n", 0, NULL, 1, 0, NULL },
	{ "control byte", "Subject: \x01x\r\n\r\n\x0c\r\n", 0, NULL, 1, 0,
	    NULL },
	{ "bcc in body", "Subject: x\r\n\r\nBcc: y@z\r\n", 0, NULL, 1, 0,
	    NULL },
	{ "bcc after non-field line", "Subject: x\r\nnot a field\r\n"
	    "Bcc: y@z\r\n", 0, NULL, 1, 0, NULL },
	{ "bcc after colon-less name", "Subject\r\nBcc: y@z\r\n", 0, NULL,
	    1, 0, NULL },
	{ "bcc as continuation", "Subject: x\r\n Bcc: y@z\r\n", 0, NULL, 1,
	    0, NULL },
	{ "indented first line", " Bcc: y@z\r\n", 0, NULL, 1, 0, NULL },
	{ "bcc after 8-bit line", "X: a\r\n\xc3\xa9: b\r\nBcc: y\r\n", 0,
	    NULL, 0, 0, NULL },
	{ "other names", "X-Bcc: a\r\nBccx: b\r\nResent-Bcc-X: c\r\n"
	    "Bc: d\r\n", 0, NULL, 1, 0, NULL },
	{ "8-bit allowed", "Subject: \xc3\xa9\r\n\r\n\xc3\xa9\r\n", 0, NULL,
	    0, 0, NULL },
	{ "two from without policy", "From: a@b\r\nFrom: c@d\r\n", 0, NULL,
	    1, 0, NULL },
	{ "size limit exact", "Subject: x\r\n", 0, NULL, 1, 12, NULL },
	/* Line ends. */
	{ "bare LF in header", "Subject: x\n\r\nhi\r\n", 0, NULL, 1, 0,
	    "line 1: bare LF" },
	{ "bare LF in body", "Subject: x\r\n\r\nhi\n", 0, NULL, 1, 0,
	    "line 3: bare LF" },
	{ "bare LF alone", "\n", 0, NULL, 1, 0, "line 1: bare LF" },
	{ "bare LF after name", "Subject\n", 0, NULL, 1, 0,
	    "line 1: bare LF" },
	{ "bare CR in body", "Subject: x\r\n\r\nh\ri\r\n", 0, NULL, 1, 0,
	    "line 3: bare CR" },
	{ "bare CR in name", "a\rb: c\r\n", 0, NULL, 1, 0, "line 1: bare CR" },
	{ "CR CR LF", "Subject: x\r\r\n", 0, NULL, 1, 0, "line 1: bare CR" },
	{ "CR at start", "\rx\r\n", 0, NULL, 1, 0, "line 1: bare CR" },
	{ "ends in CR", "Subject: x\r\n\r\nhi\r", 0, NULL, 1, 0,
	    "line 3: no CRLF at the end" },
	{ "no final CRLF", "Subject: x\r\n\r\nhi", 0, NULL, 1, 0,
	    "line 3: no CRLF at the end" },
	{ "no final CRLF in header", "Subject: x", 0, NULL, 1, 0,
	    "no CRLF at the end" },
	{ "empty", "", 0, NULL, 1, 0, "empty message" },
	/* NUL, 8-bit, size. */
	{ "NUL in body", "Subject: x\r\n\r\nh\0i\r\n", 19, NULL, 0, 0,
	    "line 3: NUL byte" },
	{ "NUL in name", "Sub\0ject: x\r\n", 13, NULL, 0, 0,
	    "line 1: NUL byte" },
	{ "NUL at start", "\0\r\n", 3, NULL, 0, 0, "line 1: NUL byte" },
	{ "8-bit in header", "Subject: \xc3\xa9\r\n\r\n", 0, NULL, 1, 0,
	    "line 1: 8-bit byte" },
	{ "8-bit in name", "\xc3\xa9: x\r\n", 0, NULL, 1, 0,
	    "line 1: 8-bit byte" },
	{ "8-bit in body", "Subject: x\r\n\r\nok\r\n\xff\r\n", 0, NULL, 1, 0,
	    "line 4: 8-bit byte" },
	{ "over the size limit", "Subject: x\r\n", 0, NULL, 1, 11,
	    "over the size limit (11 bytes)" },
	/* Bcc. */
	{ "bcc", "Bcc: a@b\r\n\r\nhi\r\n", 0, NULL, 1, 0,
	    "line 1: Bcc header present" },
	{ "bcc lower case", "Subject: x\r\nbcc: a@b\r\n\r\n", 0, NULL, 1, 0,
	    "line 2: Bcc header present" },
	{ "bcc empty", "BCC:\r\n", 0, NULL, 1, 0, "Bcc header present" },
	{ "bcc space colon", "bCc \t: a\r\n", 0, NULL, 1, 0,
	    "Bcc header present" },
	{ "bcc after continuation", "To: a\r\n\tb\r\nBcc: c\r\n", 0, NULL, 1,
	    0, "line 3: Bcc header present" },
	{ "resent-bcc", "Subject: x\r\nResent-Bcc: a@b\r\n\r\n", 0, NULL, 1,
	    0, "line 2: Resent-Bcc header present" },
	{ "resent-bcc lower", "resent-bcc:a\r\n", 0, NULL, 1, 0,
	    "Resent-Bcc header present" },
	/* force_from. */
	{ "from ok", "From: " FF "\r\n\r\nhi\r\n", 0, FF, 1, 0, NULL },
	{ "from with name", "Subject: x\r\nFrom: App Name <" FF ">\r\n\r\n",
	    0, FF, 1, 0, NULL },
	{ "from quoted name", "From: \"A, B\" <app@Example.ORG>\r\n", 0, FF,
	    1, 0, NULL },
	{ "from encoded name", "From: =?UTF-8?B?w6lsw6g=?= <" FF ">\r\n", 0,
	    FF, 1, 0, NULL },
	{ "from comment", "From: " FF " (App)\r\n", 0, FF, 1, 0, NULL },
	{ "from folded", "From: App\r\n <" FF ">\r\nTo: x@y\r\n\r\n", 0, FF, 1,
	    0, NULL },
	{ "from folded value", "from :\r\n\t" FF "\r\n", 0, FF, 1, 0, NULL },
	{ "from then bcc-like body", "From: " FF "\r\n\r\nFrom: e@x\r\n", 0,
	    FF, 1, 0, NULL },
	{ "from other", "From: evil@example.org\r\n\r\n", 0, FF, 1, 0,
	    "From is not <" FF ">" },
	{ "from name other", "From: \"" FF "\" <evil@x.org>\r\n", 0, FF, 1, 0,
	    "From is not <" FF ">" },
	{ "from two", "From: " FF ", evil@x.org\r\n", 0, FF, 1, 0,
	    "From is not <" FF ">" },
	{ "from folded two", "From: " FF ",\r\n evil@x.org\r\n\r\n", 0, FF, 1,
	    0, "From is not <" FF ">" },
	{ "from local case", "From: App@example.org\r\n", 0, FF, 1, 0,
	    "From is not <" FF ">" },
	{ "from empty", "From:\r\n\r\n", 0, FF, 1, 0, "From" },
	{ "from group", "From: g: " FF ", e@x;\r\n", 0, FF, 1, 0,
	    "From is not" },
	{ "from twice", "From: " FF "\r\nFROM: " FF "\r\n", 0, FF, 1, 0,
	    "line 2: more than one From field" },
	{ "from missing", "Subject: x\r\n\r\nhi\r\n", 0, FF, 1, 0,
	    "no From field" },
	{ "from only in body", "Subject: x\r\n\r\nFrom: " FF "\r\n", 0, FF, 1,
	    0, "no From field" },
	{ "from after non-field", "X\r\nFrom: " FF "\r\n", 0, FF, 1, 0,
	    "no From field" },
	{ "from missing header only", "Subject: x\r\n", 0, FF, 1, 0,
	    "no From field" },
	{ "from unparsable", "From: <<<\r\n", 0, FF, 1, 0, "From" },
};

/* Feed msg in the pieces ends[] (increasing, the last is len). */
static int
feed(const struct tcase *t, const char *msg, size_t len, const size_t *ends,
    size_t nends, char **cause)
{
	struct canon_policy	 pol;
	struct canon		 c;
	size_t			 i, at = 0;

	memset(&pol, 0, sizeof(pol));
	pol.max_size = t->max_size;
	pol.force_from = t->force_from;
	pol.body_7bit = t->body_7bit;
	canon_init(&c, &pol);
	for (i = 0; i < nends; i++) {
		if (canon_feed(&c, msg + at, ends[i] - at, cause) == -1)
			return (-1);
		at = ends[i];
	}
	ATF_REQUIRE_EQ(at, len);
	return (canon_end(&c, cause));
}

/* One split: check the verdict and the cause. */
static void
check_split(const struct tcase *t, const char *msg, size_t len,
    const size_t *ends, size_t nends, const char *how)
{
	char	*cause = NULL;
	int	 rv;

	rv = feed(t, msg, len, ends, nends, &cause);
	if (t->want == NULL)
		ATF_CHECK_MSG(rv == 0, "%s (%s): refused: %s", t->name, how,
		    cause != NULL ? cause : "(no cause)");
	else
		ATF_CHECK_MSG(rv == -1 && cause != NULL &&
		    strstr(cause, t->want) != NULL, "%s (%s): %s", t->name,
		    how, rv == 0 ? "accepted" : cause != NULL ? cause :
		    "(no cause)");
	free(cause);
}

/* Whole, a byte at a time, in two at every offset, in three. */
static void
check_case(const struct tcase *t, const char *msg, size_t len)
{
	size_t	*ends, i, k;
	char	 how[64];

	/* Room for the byte-wise ends and for the three "thirds". */
	ends = xcalloc(len + 3, sizeof(*ends));
	ends[0] = len;
	check_split(t, msg, len, ends, 1, "whole");
	for (i = 0; i < len; i++)
		ends[i] = i + 1;
	check_split(t, msg, len, ends, len, "bytes");
	for (k = 0; k <= len; k++) {
		ends[0] = k;
		ends[1] = len;
		snprintf(how, sizeof(how), "split at %zu", k);
		check_split(t, msg, len, ends, 2, how);
	}
	ends[0] = len / 3;
	ends[1] = 2 * len / 3;
	ends[2] = len;
	check_split(t, msg, len, ends, 3, "thirds");
	free(ends);
}

ATF_TC_WITHOUT_HEAD(table);
ATF_TC_BODY(table, tc)
{
	const struct tcase	*t;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		check_case(t, t->msg, t->len != 0 ? t->len : strlen(t->msg));
	}
}

/* "prefix" + n octets of 'a' + CRLF + suffix. */
static char *
long_line(const char *prefix, size_t n, const char *suffix, size_t *len)
{
	size_t	 pl = strlen(prefix), sl = strlen(suffix);
	char	*s;

	*len = pl + n + 2 + sl;
	s = xmalloc(*len + 1);
	memcpy(s, prefix, pl);
	memset(s + pl, 'a', n);
	memcpy(s + pl + n, "\r\n", 2);
	memcpy(s + pl + n + 2, suffix, sl + 1);
	return (s);
}

ATF_TC_WITHOUT_HEAD(line_length);
ATF_TC_BODY(line_length, tc)
{
	static const struct {
		const char	*prefix;
		size_t		 n;
		const char	*suffix;
		const char	*want;
	} t[] = {
		{ "Subject: x\r\n\r\n", 998, "", NULL },
		{ "Subject: x\r\n\r\n", 999, "", "line 3: longer than 998" },
		{ "Subject: ", 998 - 9, "\r\n", NULL },
		{ "Subject: ", 999 - 9, "\r\n", "line 1: longer than 998" },
		{ "", 998, "", NULL },		/* a name without colon */
		{ "", 999, "", "line 1: longer than 998" },
		{ "X: a\r\n ", 997, "", NULL },
		{ "X: a\r\n ", 998, "", "line 2: longer than 998" },
	};
	struct tcase	 c;
	char		*msg;
	size_t		 i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.name = t[i].want == NULL ? "long line ok" : "too long";
		c.body_7bit = 1;
		c.want = t[i].want;
		msg = long_line(t[i].prefix, t[i].n, t[i].suffix, &len);
		check_case(&c, msg, len);
		free(msg);
	}
}

ATF_TC_WITHOUT_HEAD(from_bounded);
ATF_TC_BODY(from_bounded, tc)
{
	struct tcase	 c;
	char		*msg, *p;
	size_t		 i, len, n;

	/* A display name folded over many lines, just over the bound. */
	for (n = 0; n < 2; n++) {
		len = 6 + (CANON_FROM_MAX / 100 + 1) * 102 + 32;
		p = msg = xmalloc(len);
		p += snprintf(p, len, "From:");
		for (i = 0; i < CANON_FROM_MAX / 100 - 2 + n * 3; i++) {
			memset(p, ' ', 1);
			memset(p + 1, 'a', 99);
			memcpy(p + 100, "\r\n", 2);
			p += 102;
		}
		p += snprintf(p, len - (p - msg), " <" FF ">\r\n");
		memset(&c, 0, sizeof(c));
		c.name = n == 0 ? "long From within the bound" :
		    "From over the bound";
		c.force_from = FF;
		c.want = n == 0 ? NULL : "From longer than 8192 bytes";
		check_case(&c, msg, p - msg);
		free(msg);
	}
}

struct buf {
	char	*s;
	size_t	 len;
};

static int
sink_write(void *arg, const char *s, size_t len, char **cause)
{
	struct buf	*b = arg;

	b->s = xreallocarray(b->s, b->len + len + 1, 1);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	return (0);
}

/* The front end's output for in under p passes canon as it would queue. */
static void
frontend_passes(const struct msg_policy *p, const char *in, size_t inlen)
{
	struct msg_sink	 sink = { .write = sink_write };
	struct msg_reader *r;
	struct msg	 m;
	struct buf	 out = { NULL, 0 };
	struct tcase	 c;
	char		*cause = NULL;

	sink.arg = &out;
	r = msg_reader_new(p, &sink);
	ATF_REQUIRE_EQ(msg_feed(r, in, inlen, &cause), 0);
	ATF_REQUIRE_EQ(msg_finish(r, &m, &cause), 0);
	msg_reader_free(r);
	memset(&c, 0, sizeof(c));
	c.name = "front end output";
	c.force_from = p->force_from;
	c.body_7bit = !(m.body_8bit || m.header_8bit);
	check_case(&c, out.s, out.len);
	msg_free(&m);
	free(out.s);
}

ATF_TC_WITHOUT_HEAD(frontend_output);
ATF_TC_BODY(frontend_output, tc)
{
	static const char *const names[] = { NULL, "App Name", "A, B. \"C\"",
	    "\xc3\x89mile \xc3\x87" "a Va Tr\xc3\xa8s Bien Merci Beaucoup "
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 fin", "  \t " };
	static const char *const inputs[] = {
	    "Subject: t\n\nbody\n",
	    "From: Boss <boss@corp.example>\nBcc: hidden@x\nTo: a@b\n\nhi\n",
	    "From: x@y\nFrom: z@w\nResent-Bcc: q@r\n\nhi\r\r\nbare\rcr\n",
	    "Subject: caf\xc3\xa9\n\n\xc3\xa9t\xc3\xa9\n",
	    "  indented heredoc\nBcc: not a header\n",
	    "From nobody Mon Jan  1\nSubject: mbox\n\nno final newline",
	    "",
	};
	struct msg_policy	 p;
	char			*big;
	size_t			 i, j, n = 5000;

	setenv("TZ", "UTC", 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (j = 0; j < sizeof(inputs) / sizeof(inputs[0]); j++) {
			memset(&p, 0, sizeof(p));
			p.ignore_dots = 1;
			p.domain = "example.org";
			p.sender = "user@example.org";
			p.fullname = names[i];
			p.force_from = (i & 1) ? NULL : FF;
			p.now = 1700000000;
			frontend_passes(&p, inputs[j], strlen(inputs[j]));
		}
	}
	/* Long lines: QP body, hard-wrapped multipart, folded header. */
	big = xmalloc(3 * n + 200);
	for (i = 0; i < 3; i++) {
		static const char *const hdr[] = { "Subject: x\n\n",
		    "Content-Type: multipart/mixed; boundary=b\n\n",
		    "X-Long: " };
		size_t	 hl = strlen(hdr[i]);

		memcpy(big, hdr[i], hl);
		for (j = 0; j < n; j++)
			big[hl + j] = (j % 7 == 6 && i == 2) ? ' ' :
			    (j % 3 ? 'a' : '\xc3');
		memcpy(big + hl + n, "\n\n", 2);
		memset(&p, 0, sizeof(p));
		p.ignore_dots = 1;
		p.domain = "example.org";
		p.force_from = FF;
		p.fullname = names[3];
		frontend_passes(&p, big, hl + n + 2);
	}
	free(big);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table);
	ATF_TP_ADD_TC(tp, line_length);
	ATF_TP_ADD_TC(tp, from_bounded);
	ATF_TP_ADD_TC(tp, frontend_output);
	return (atf_no_error());
}
