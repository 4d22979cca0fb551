/*
 * Tests for the envelope rules (src/envelope.c): addresses good and
 * bad (quoted strings with spaces, controls, C1 and bidi characters in
 * UTF-8, overlong forms, lengths, address literals), NOTIFY from users
 * and in canonical form, RET, ENVID and its xtext coding.
 */
#include "config.h"

#include <atf-c.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "envelope.h"

#define L64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
	const char	*in;
	int		 flags;
	int		 ok;
} addr_cases[] = {
	{ "user@example.com", 0, 1 },
	{ "first.last+tag@sub.example.com", 0, 1 },
	{ "!#$%&'*+-/=?^_`{|}~@x", 0, 1 },
	{ "\"john doe\"@example.com", 0, 1 },
	{ "\"john\\\"doe\"@example.com", 0, 1 },	/* escaped quote */
	{ "\"a\\\\b\"@example.com", 0, 1 },		/* escaped backslash */
	{ "\"a@b\"@example.com", 0, 1 },
	{ "\"a..b.\"@example.com", 0, 1 },
	{ "\"\"@example.com", 0, 1 },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", 0, 1 },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.cn", 0, 1 },
	{ "user@[192.0.2.1]", 0, 1 },
	{ "user@[IPv6:2001:db8::1]", 0, 1 },
	{ "user@[x-tag:abc]", 0, 1 },
	{ "user@localhost", 0, 1 },
	{ L64 "@x", 0, 1 },
	{ "", ENVELOPE_NULL_OK, 1 },
	{ "\"-oi\"@example.com", 0, 1 },		/* quoted */
	{ "a-b@example.com", 0, 1 },
	{ "a-@example.com", 0, 1 },

	{ "", 0, 0 },
	{ "user", 0, 0 },
	{ "-oi@example.com", 0, 0 },			/* an option? */
	{ "-@example.com", 0, 0 },
	{ "--@example.com", 0, 0 },
	{ "-user@example.com", ENVELOPE_NULL_OK, 0 },
	{ "@example.com", 0, 0 },
	{ "user@", 0, 0 },
	{ "john doe@example.com", 0, 0 },
	{ "\"john doe@example.com", 0, 0 },		/* unbalanced */
	{ "john\"doe\"@example.com", 0, 0 },
	{ "\"john\"doe@example.com", 0, 0 },
	{ "\"a\\\"@example.com", 0, 0 },		/* quote escaped away */
	{ ".user@x", 0, 0 },
	{ "user.@x", 0, 0 },
	{ "us..er@x", 0, 0 },
	{ "us(er@x", 0, 0 },
	{ "us,er@x", 0, 0 },
	{ "a@b@x", 0, 0 },
	{ "<user@x>", 0, 0 },
	{ "\"a<b\"@x", 0, 0 },
	{ "\"a>b\"@x", 0, 0 },
	{ "us\ter@x", 0, 0 },
	{ "\"us\ter\"@x", 0, 0 },			/* TAB in quotes */
	{ "user@x\r\nRCPT TO:<evil@x>", 0, 0 },
	{ "\"a\nb\"@x", 0, 0 },
	{ "\"a\\\nb\"@x", 0, 0 },			/* quoted LF */
	{ "user\x7f@x", 0, 0 },				/* DEL */
	{ "\"user\x7f\"@x", 0, 0 },
	{ "user\xc2\x85@x", 0, 0 },			/* U+0085 NEL */
	{ "user\xc2\x9b" "31m@x", 0, 0 },		/* U+009B CSI */
	{ "\"a\xc2\x85 b\"@x", 0, 0 },
	{ "user@exa\xc2\x85mple.com", 0, 0 },
	{ "user\xe2\x80\xa8@x", 0, 0 },			/* U+2028 */
	{ "user\xe2\x80\xa9@x", 0, 0 },			/* U+2029 */
	{ "user\xe2\x80\xae@x", 0, 0 },			/* U+202E RLO */
	{ "user\xe2\x81\xa6@x", 0, 0 },			/* U+2066 LRI */
	{ "user\xe2\x80\x8f@x", 0, 0 },			/* U+200F RLM */
	{ "user\xc0\xaf@x", 0, 0 },			/* overlong '/' */
	{ "user\xe0\x80\xaf@x", 0, 0 },			/* overlong, 3 bytes */
	{ "user\xed\xa0\x80@x", 0, 0 },			/* surrogate */
	{ "user\xf4\x90\x80\x80@x", 0, 0 },		/* > U+10FFFF */
	{ "user\xc3@x", 0, 0 },				/* truncated */
	{ "user\x80@x", 0, 0 },				/* lone continuation */
	{ L64 "a@x", 0, 0 },				/* 65-octet local */
	{ "user@-x.com", 0, 0 },
	{ "user@x-.com", 0, 0 },
	{ "user@x..com", 0, 0 },
	{ "user@.x.com", 0, 0 },
	{ "user@x.com.", 0, 0 },
	{ "user@x_y.com", 0, 0 },
	{ "user@[192.0.2.256]", 0, 0 },
	{ "user@[IPv6:2001:db8::g]", 0, 0 },
	{ "user@[192.0.2.1", 0, 0 },
	{ "user@[x-tag:]", 0, 0 },
	{ "user@[a[b]", 0, 0 },
};

ATF_TC_WITHOUT_HEAD(address_table);
ATF_TC_BODY(address_table, tc)
{
	const char	*why;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		why = NULL;
		rv = envelope_valid_address(addr_cases[i].in,
		    addr_cases[i].flags, &why);
		ATF_CHECK_MSG(rv == (addr_cases[i].ok ? 0 : -1),
		    "case %zu: got %d (%s)", i, rv, why != NULL ? why : "-");
		if (!addr_cases[i].ok)
			ATF_CHECK_MSG(why != NULL && strchr(why, '\n') == NULL,
			    "case %zu: no reason", i);
	}
}

ATF_TC_WITHOUT_HEAD(address_lengths);
ATF_TC_BODY(address_lengths, tc)
{
	char		 big[SMTP_ADDR_MAX + 2], dom[300];
	const char	*why;
	size_t		 i;

	/* 63-octet labels until the address is exactly SMTP_ADDR_MAX. */
	memset(big, 'a', sizeof(big));
	big[0] = 'u';
	big[1] = '@';
	for (i = 2 + 63; i < SMTP_ADDR_MAX; i += 64)
		big[i] = '.';
	big[SMTP_ADDR_MAX] = '\0';
	ATF_CHECK_EQ(envelope_valid_address(big, 0, &why), 0);
	big[SMTP_ADDR_MAX] = 'a';
	big[SMTP_ADDR_MAX + 1] = '\0';
	ATF_CHECK_EQ(envelope_valid_address(big, 0, &why), -1);
	ATF_CHECK_STREQ(why, "address too long");

	/* A 64-octet label is one too many. */
	memset(dom, 'b', 64);
	dom[64] = '\0';
	ATF_CHECK_EQ(envelope_valid_domain(dom, 64, &why), -1);
	ATF_CHECK_EQ(envelope_valid_domain(dom, 63, &why), 0);
	ATF_CHECK_EQ(envelope_valid_localpart(L64, 64, &why), 0);
	ATF_CHECK_EQ(envelope_valid_localpart(L64 "a", 65, &why), -1);
	ATF_CHECK_STREQ(why, "local part longer than 64 octets");
}

ATF_TC_WITHOUT_HEAD(address_reasons);
ATF_TC_BODY(address_reasons, tc)
{
	const char	*why;

	ATF_CHECK_EQ(envelope_valid_address("a\xc2\x85@x", 0, &why), -1);
	ATF_CHECK_STREQ(why, "control character in address");
	ATF_CHECK_EQ(envelope_valid_address("a\xc0\xaf@x", 0, &why), -1);
	ATF_CHECK_STREQ(why, "invalid UTF-8 in address");
	ATF_CHECK_EQ(envelope_valid_address("\"a b@x", 0, &why), -1);
	ATF_CHECK_STREQ(why, "unbalanced quote in address");
	ATF_CHECK_EQ(envelope_valid_address("", 0, &why), -1);
	ATF_CHECK_STREQ(why, "empty address");
	ATF_CHECK_EQ(envelope_valid_address("-oi@x", 0, &why), -1);
	ATF_CHECK_STREQ(why, "address begins with '-' (looks like an option)");
}

ATF_TC_WITHOUT_HEAD(smtputf8);
ATF_TC_BODY(smtputf8, tc)
{
	ATF_CHECK(envelope_needs_smtputf8("j\xc3\xb6rg@x"));
	ATF_CHECK(envelope_needs_smtputf8("jorg@b\xc3\xbc" "cher.example"));
	ATF_CHECK(!envelope_needs_smtputf8("\"john doe\"@x"));
	ATF_CHECK(!envelope_needs_smtputf8(""));
}

static const struct {
	const char	*in;
	int		 flags;
	int		 ok;
	unsigned int	 bits;
	const char	*canon;
} notify_cases[] = {
	{ "NEVER", 0, 1, ENVELOPE_NOTIFY_NEVER, "NEVER" },
	{ "never", 0, 1, ENVELOPE_NOTIFY_NEVER, "NEVER" },
	{ "SUCCESS", 0, 1, ENVELOPE_NOTIFY_SUCCESS, "SUCCESS" },
	{ "delay,Failure", 0, 1, ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY, "FAILURE,DELAY" },
	{ "success,failure,delay", 0, 1, ENVELOPE_NOTIFY_SUCCESS |
	    ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY,
	    "SUCCESS,FAILURE,DELAY" },
	{ "FAILURE,FAILURE", 0, 1, ENVELOPE_NOTIFY_FAILURE, "FAILURE" },
	{ "FAILURE,DELAY", ENVELOPE_CANON, 1, ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY, "FAILURE,DELAY" },
	{ "NEVER", ENVELOPE_CANON, 1, ENVELOPE_NOTIFY_NEVER, "NEVER" },

	{ "", 0, 0, 0, NULL },
	{ ",", 0, 0, 0, NULL },
	{ "FAILURE,", 0, 0, 0, NULL },
	{ ",FAILURE", 0, 0, 0, NULL },
	{ "FAILURE,,DELAY", 0, 0, 0, NULL },
	{ "NEVER,FAILURE", 0, 0, 0, NULL },
	{ "NEVER,NEVER", 0, 1, ENVELOPE_NOTIFY_NEVER, "NEVER" },
	{ "FAILURE DELAY", 0, 0, 0, NULL },
	{ "SUCCES", 0, 0, 0, NULL },
	{ "SUCCESSS", 0, 0, 0, NULL },
	{ "FAILURE\r\nX", 0, 0, 0, NULL },
	{ "failure", ENVELOPE_CANON, 0, 0, NULL },
	{ "DELAY,FAILURE", ENVELOPE_CANON, 0, 0, NULL },
	{ "FAILURE,FAILURE", ENVELOPE_CANON, 0, 0, NULL },
	{ "NEVER,NEVER", ENVELOPE_CANON, 0, 0, NULL },
};

ATF_TC_WITHOUT_HEAD(notify_table);
ATF_TC_BODY(notify_table, tc)
{
	char		 buf[ENVELOPE_NOTIFY_BUF];
	const char	*why = NULL;
	unsigned int	 bits;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(notify_cases) / sizeof(notify_cases[0]);
	    i++) {
		rv = envelope_notify_parse(notify_cases[i].in,
		    notify_cases[i].flags, &bits, &why);
		ATF_CHECK_MSG(rv == (notify_cases[i].ok ? 0 : -1),
		    "case %zu (%s): got %d", i, notify_cases[i].in, rv);
		if (rv != 0 || !notify_cases[i].ok)
			continue;
		ATF_CHECK_EQ_MSG(bits, notify_cases[i].bits, "case %zu", i);
		envelope_notify_format(bits, buf, sizeof(buf));
		ATF_CHECK_STREQ_MSG(buf, notify_cases[i].canon, "case %zu", i);
	}
	envelope_notify_format(0, buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "NEVER");
}

ATF_TC_WITHOUT_HEAD(ret);
ATF_TC_BODY(ret, tc)
{
	const char	*canon = NULL, *why;

	ATF_CHECK_EQ(envelope_ret_parse("full", 0, &canon, &why), 0);
	ATF_CHECK_STREQ(canon, "FULL");
	ATF_CHECK_EQ(envelope_ret_parse("Hdrs", 0, &canon, &why), 0);
	ATF_CHECK_STREQ(canon, "HDRS");
	ATF_CHECK_EQ(envelope_ret_parse("HDRS", ENVELOPE_CANON, &canon,
	    &why), 0);
	ATF_CHECK_EQ(envelope_ret_parse("hdrs", ENVELOPE_CANON, &canon,
	    &why), -1);
	ATF_CHECK_EQ(envelope_ret_parse("", 0, &canon, &why), -1);
	ATF_CHECK_EQ(envelope_ret_parse("FULLX", 0, &canon, &why), -1);
	ATF_CHECK_EQ(envelope_ret_parse("HEADERS", 0, &canon, &why), -1);
}

static const struct {
	const char	*wire;
	const char	*decoded;	/* NULL: refused */
} envid_cases[] = {
	{ "abc123", "abc123" },
	{ "a+2Bb+3Dc", "a+b=c" },
	{ "a+2bb", "a+b" },		/* lower-case hex tolerated */
	{ "", NULL },
	{ "a=b", NULL },
	{ "a+2", NULL },
	{ "a+ZZ", NULL },
	{ "a+20b", NULL },		/* decodes to a space */
	{ "a+0Ab", NULL },		/* decodes to LF */
	{ "a+7F", NULL },		/* DEL */
	{ "a\xc2\x85", NULL },
	{ "x" L64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x" L64
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },		/* 100 */
	{ "xx" L64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },	/* 101 */
};

ATF_TC_WITHOUT_HEAD(envid);
ATF_TC_BODY(envid, tc)
{
	const char	*why;
	char		*d, *e;
	size_t		 i;

	for (i = 0; i < sizeof(envid_cases) / sizeof(envid_cases[0]); i++) {
		d = envelope_envid_decode(envid_cases[i].wire);
		if (envid_cases[i].decoded == NULL) {
			ATF_CHECK_MSG(d == NULL, "case %zu: accepted", i);
			free(d);
			continue;
		}
		ATF_REQUIRE_MSG(d != NULL, "case %zu: refused", i);
		ATF_CHECK_STREQ_MSG(d, envid_cases[i].decoded, "case %zu", i);
		ATF_CHECK_EQ(envelope_valid_envid(d, &why), 0);
		e = envelope_envid_encode(d);
		free(d);
		d = envelope_envid_decode(e);
		ATF_CHECK_MSG(d != NULL && strcmp(d, envid_cases[i].decoded)
		    == 0, "case %zu: no round trip via %s", i, e);
		ATF_CHECK(strpbrk(e, " =") == NULL);
		free(d);
		free(e);
	}
	ATF_CHECK_EQ(envelope_valid_envid("a b", &why), -1);
	ATF_CHECK_EQ(envelope_valid_envid("", &why), -1);
	e = envelope_envid_encode("a+b=c");
	ATF_CHECK_STREQ(e, "a+2Bb+3Dc");
	free(e);
}

/* Defence in depth: what gets past the rules is still escaped. */
ATF_TC_WITHOUT_HEAD(log_escape_controls);
ATF_TC_BODY(log_escape_controls, tc)
{
	static const char in[] = "a\x7f\xc2\x85\xc2\x9b\xe2\x80\xae\\\r\n@x";
	char	*s;

	s = log_escape(in, sizeof(in) - 1);
	ATF_CHECK_STREQ(s, "a\\x7f\\xc2\\x85\\xc2\\x9b\\xe2\\x80\\xae\\\\"
	    "\\x0d\\x0a@x");
	free(s);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, address_table);
	ATF_TP_ADD_TC(tp, address_lengths);
	ATF_TP_ADD_TC(tp, address_reasons);
	ATF_TP_ADD_TC(tp, smtputf8);
	ATF_TP_ADD_TC(tp, notify_table);
	ATF_TP_ADD_TC(tp, ret);
	ATF_TP_ADD_TC(tp, envid);
	ATF_TP_ADD_TC(tp, log_escape_controls);
	return (atf_no_error());
}
