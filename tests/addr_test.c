/*
 * Tests for addr.c: address-list parsing (good and hostile input),
 * sender forms, envelope validation, qualification and locality.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "addr.h"
#include "envelope.h"

struct list_case {
	const char	*in;
	enum addr_mode	 mode;
	const char	*want;	/* addresses joined by '|', NULL = error */
};

static const struct list_case list_cases[] = {
	/* Good. */
	{ "a@x", ADDR_MODE_HEADER, "a@x" },
	{ "a@x, b@y", ADDR_MODE_HEADER, "a@x|b@y" },
	{ "root", ADDR_MODE_HEADER, "root" },
	{ "Logwatch", ADDR_MODE_HEADER, "Logwatch" },
	{ "root (Cron Daemon)", ADDR_MODE_HEADER, "root" },
	{ "(Cron Daemon) root", ADDR_MODE_HEADER, "root" },
	{ "a@x (a (nested (deep)) comment)", ADDR_MODE_HEADER, "a@x" },
	{ "\"Doe, John\" <j@x>", ADDR_MODE_HEADER, "j@x" },
	{ "\"Doe, John\" <j@x>, \"Roe; Jane\" <r@y>", ADDR_MODE_HEADER,
	    "j@x|r@y" },
	{ "John Doe <j@x>", ADDR_MODE_HEADER, "j@x" },
	{ "J. Doe <j@x>", ADDR_MODE_HEADER, "j@x" },
	{ "=?UTF-8?B?SsO2cmc=?= <j@x>", ADDR_MODE_HEADER, "j@x" },
	{ "=?iso-8859-1?q?J=F6rg?= Doe <j@x>", ADDR_MODE_HEADER, "j@x" },
	{ "undisclosed-recipients:;", ADDR_MODE_HEADER, "" },
	{ "undisclosed-recipients: ;", ADDR_MODE_HEADER, "" },
	{ "team: a@x, b@y;", ADDR_MODE_HEADER, "a@x|b@y" },
	{ "team: a@x, b@y;, c@z", ADDR_MODE_HEADER, "a@x|b@y|c@z" },
	{ "team: a@x", ADDR_MODE_HEADER, "a@x" },	/* no ';' at the end */
	{ "\"a b\"@x", ADDR_MODE_HEADER, "\"a b\"@x" },
	{ "\"ab\"@x", ADDR_MODE_HEADER, "ab@x" },
	{ "\"a\\\"b\"@x", ADDR_MODE_HEADER, "\"a\\\"b\"@x" },
	{ "<@a,@b:u@x>", ADDR_MODE_HEADER, "u@x" },
	{ "Name <@a.example,,@b:u@x>", ADDR_MODE_HEADER, "u@x" },
	{ "u@[127.0.0.1]", ADDR_MODE_HEADER, "u@[127.0.0.1]" },
	{ "u@[IPv6:::1]", ADDR_MODE_HEADER, "u@[IPv6:::1]" },
	{ "a@x,\r\n b@y", ADDR_MODE_HEADER, "a@x|b@y" },
	{ "a@x,\n\tb@y", ADDR_MODE_HEADER, "a@x|b@y" },
	{ "a@x,,b@y,", ADDR_MODE_HEADER, "a@x|b@y" },
	{ ",,", ADDR_MODE_HEADER, "" },
	{ "", ADDR_MODE_HEADER, "" },
	{ "   ", ADDR_MODE_HEADER, "" },
	{ "a@x, A@X, a@X", ADDR_MODE_HEADER, "a@x|A@X" },
	{ "john . doe @ example . com", ADDR_MODE_HEADER,
	    "john.doe@example.com" },
	{ "john..doe@x", ADDR_MODE_HEADER, "\"john..doe\"@x" },
	{ "j\xc3\xb6rg@b\xc3\xbc.example", ADDR_MODE_HEADER,
	    "j\xc3\xb6rg@b\xc3\xbc.example" },
	{ "<a@x>", ADDR_MODE_HEADER, "a@x" },
	{ "a@x\r\n", ADDR_MODE_HEADER, "a@x" },
	/* argv mode: commas and/or spaces. */
	{ "a@x,root", ADDR_MODE_ARGV, "a@x|root" },
	{ "a@x,", ADDR_MODE_ARGV, "a@x" },
	{ "a@x b@y", ADDR_MODE_ARGV, "a@x|b@y" },
	{ "a@x, b@y root", ADDR_MODE_ARGV, "a@x|b@y|root" },
	{ "John Doe <j@x>", ADDR_MODE_ARGV, "j@x" },
	{ "-notanoption", ADDR_MODE_ARGV, "-notanoption" },
	/* Bad and hostile. */
	{ "\"unterminated@x", ADDR_MODE_HEADER, NULL },
	{ "a@x (unterminated", ADDR_MODE_HEADER, NULL },
	{ "a@x (a (b)", ADDR_MODE_HEADER, NULL },
	{ "a@x)", ADDR_MODE_HEADER, NULL },
	{ "<a@x", ADDR_MODE_HEADER, NULL },
	{ "a@x>", ADDR_MODE_HEADER, NULL },
	{ "a@[1.2.3.4", ADDR_MODE_HEADER, NULL },
	{ "a@[1.2[3]", ADDR_MODE_HEADER, NULL },
	{ "a@x\r\nBcc: evil@y", ADDR_MODE_HEADER, NULL },
	{ "a@x\nb@y", ADDR_MODE_HEADER, NULL },
	{ "a@x\rb", ADDR_MODE_HEADER, NULL },
	{ "\"a\r\nb\"@x", ADDR_MODE_HEADER, NULL },
	{ "a\x01@x", ADDR_MODE_HEADER, NULL },
	{ "a@x\x7f", ADDR_MODE_HEADER, NULL },
	{ "<>", ADDR_MODE_HEADER, NULL },
	{ "a@x, <>, b@y", ADDR_MODE_HEADER, NULL },
	{ "@x", ADDR_MODE_HEADER, NULL },
	{ "a@", ADDR_MODE_HEADER, NULL },
	{ "a@x.", ADDR_MODE_HEADER, NULL },
	{ "a@.x", ADDR_MODE_HEADER, NULL },
	{ "a@@x", ADDR_MODE_HEADER, NULL },
	{ "a@x@y", ADDR_MODE_HEADER, NULL },
	{ "John Doe", ADDR_MODE_HEADER, NULL },
	{ "a@x b@y", ADDR_MODE_HEADER, NULL },
	{ "g1: g2: a@x;;", ADDR_MODE_HEADER, NULL },
	{ "a@x;", ADDR_MODE_HEADER, NULL },
	{ "Name <a@x> junk", ADDR_MODE_HEADER, NULL },
	{ "Na@me <a@x>", ADDR_MODE_HEADER, NULL },
	{ "<@a:>", ADDR_MODE_HEADER, NULL },
	{ "<@a u@x>", ADDR_MODE_HEADER, NULL },
	{ "a\\b@x", ADDR_MODE_HEADER, NULL },
	{ "\"a\\", ADDR_MODE_HEADER, NULL },
	{ "\"a\\\x01\"@x", ADDR_MODE_HEADER, NULL },
	{ "a@x (c\\\r\n d)", ADDR_MODE_HEADER, NULL },
	{ "a@x]", ADDR_MODE_HEADER, NULL },
	{ ":;", ADDR_MODE_HEADER, NULL },
	{ "a@x b@y <c@z>", ADDR_MODE_ARGV, NULL },
};

static const char *
join(const struct addr_list *l)
{
	static char	 buf[4096];
	size_t		 i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strlcat(buf, "|", sizeof(buf));
		strlcat(buf, l->v[i], sizeof(buf));
	}
	return (buf);
}

ATF_TC_WITHOUT_HEAD(list_table);
ATF_TC_BODY(list_table, tc)
{
	const struct list_case	*c;
	struct addr_list	 l;
	char			*cause;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		c = &list_cases[i];
		addr_list_init(&l);
		cause = NULL;
		rv = addr_parse_list(c->in, strlen(c->in), c->mode, &l, &cause);
		if (c->want == NULL) {
			ATF_CHECK_MSG(rv == -1, "case %zu '%s': accepted as '%s'",
			    i, c->in, join(&l));
			ATF_CHECK_MSG(rv != -1 || cause != NULL,
			    "case %zu: no cause", i);
			ATF_CHECK_MSG(l.n == 0, "case %zu: list touched", i);
		} else {
			ATF_CHECK_MSG(rv == 0, "case %zu '%s': %s", i, c->in,
			    cause != NULL ? cause : "?");
			ATF_CHECK_MSG(strcmp(join(&l), c->want) == 0,
			    "case %zu '%s': got '%s' want '%s'", i, c->in,
			    join(&l), c->want);
		}
		free(cause);
		addr_list_free(&l);
	}
}

ATF_TC_WITHOUT_HEAD(list_overlong);
ATF_TC_BODY(list_overlong, tc)
{
	struct addr_list	 l;
	char			 buf[600];
	char			*cause = NULL;

	memset(buf, 'a', sizeof(buf));
	buf[300] = '@';
	addr_list_init(&l);
	ATF_CHECK_EQ(addr_parse_list(buf, sizeof(buf), ADDR_MODE_HEADER, &l,
	    &cause), -1);
	ATF_CHECK(cause != NULL && strstr(cause, "too long") != NULL);
	free(cause);
	/* Exactly SMTP_ADDR_MAX is fine. */
	memset(buf, 'a', sizeof(buf));
	buf[100] = '@';
	cause = NULL;
	ATF_CHECK_EQ(addr_parse_list(buf, SMTP_ADDR_MAX, ADDR_MODE_HEADER,
	    &l, &cause), 0);
	ATF_CHECK_EQ(l.n, 1);
	free(cause);
	addr_list_free(&l);
}

ATF_TC_WITHOUT_HEAD(list_appends);
ATF_TC_BODY(list_appends, tc)
{
	struct addr_list	 l;
	char			*cause = NULL;

	addr_list_init(&l);
	ATF_REQUIRE_EQ(addr_parse_list("a@x", 3, ADDR_MODE_HEADER, &l,
	    &cause), 0);
	ATF_REQUIRE_EQ(addr_parse_list("b@y, a@X", 8, ADDR_MODE_HEADER, &l,
	    &cause), 0);
	ATF_CHECK_STREQ(join(&l), "a@x|b@y");
	/* A failed parse adds nothing. */
	ATF_CHECK_EQ(addr_parse_list("c@z, (", 6, ADDR_MODE_HEADER, &l,
	    &cause), -1);
	ATF_CHECK_EQ(l.n, 2);
	free(cause);
	addr_list_free(&l);
}

struct sender_case {
	const char	*in;
	const char	*want;	/* NULL = error */
};

static const struct sender_case sender_cases[] = {
	{ "a@x", "a@x" },
	{ "<a@x>", "a@x" },
	{ " <a@x> ", "a@x" },
	{ "<>", "" },
	{ "", "" },
	{ "  ", "" },
	{ "root", "root" },
	{ "Name <a@x>", "a@x" },
	{ "root (Cron Daemon)", "root" },
	{ "a@x, b@y", NULL },
	{ "<a@x", NULL },
	{ "a@x\nRCPT TO:<b@y>", NULL },
	{ "undisclosed:;", NULL },
	{ "\"", NULL },
};

ATF_TC_WITHOUT_HEAD(sender_table);
ATF_TC_BODY(sender_table, tc)
{
	char	*out, *cause;
	size_t	 i;
	int	 rv;

	for (i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		out = cause = NULL;
		rv = addr_parse_sender(sender_cases[i].in, &out, &cause);
		if (sender_cases[i].want == NULL)
			ATF_CHECK_MSG(rv == -1 && cause != NULL,
			    "case %zu accepted", i);
		else
			ATF_CHECK_MSG(rv == 0 && out != NULL &&
			    strcmp(out, sender_cases[i].want) == 0,
			    "case %zu: got '%s'", i, out ? out : "(null)");
		free(out);
		free(cause);
	}
}

/*
 * What addr.c makes of a -f/RCPT argument, and whether envelope.c then
 * takes it: the two must agree on the quoted forms addr.c emits.
 */
static const struct {
	const char	*in;
	const char	*out;	/* NULL: addr_parse_sender refuses */
	int		 ok;	/* envelope_valid_address of out */
} valid_cases[] = {
	{ "a@x", "a@x", 1 },
	{ "<a@x>", "a@x", 1 },
	{ "\"john doe\"@example.com", "\"john doe\"@example.com", 1 },
	{ "John <\"john doe\"@example.com>", "\"john doe\"@example.com", 1 },
	{ "\"a\\\"b\"@x", "\"a\\\"b\"@x", 1 },
	{ "a..b@x", "\"a..b\"@x", 1 },		/* obsolete: emitted quoted */
	{ "u@[127.0.0.1]", "u@[127.0.0.1]", 1 },
	{ "j\xc3\xb6rg@x", "j\xc3\xb6rg@x", 1 },
	{ "root", "root", 0 },			/* not qualified yet */
	{ "a\xc2\x85@x", "a\xc2\x85@x", 0 },	/* C1 passes the parser */
	{ "\"a\xc2\x9b\"@x", "a\xc2\x9b@x", 0 },	/* unquoted: atext */
	{ "\"a\tb\"@x", "\"a\tb\"@x", 0 },		/* TAB kept in quotes */
	{ "\"a<b\"@x", "\"a<b\"@x", 0 },
	{ "a\x7f@x", NULL, 0 },
	{ "\"a@x", NULL, 0 },
	{ "a b@x", NULL, 0 },
	{ "@x", NULL, 0 },
};

ATF_TC_WITHOUT_HEAD(valid_envelope);
ATF_TC_BODY(valid_envelope, tc)
{
	const char	*why;
	char		*out, *cause;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		out = cause = NULL;
		rv = addr_parse_sender(valid_cases[i].in, &out, &cause);
		if (valid_cases[i].out == NULL) {
			ATF_CHECK_MSG(rv == -1, "case %zu: parsed", i);
			free(out);
			free(cause);
			continue;
		}
		ATF_REQUIRE_MSG(rv == 0, "case %zu: %s", i, cause);
		ATF_CHECK_STREQ_MSG(out, valid_cases[i].out, "case %zu", i);
		rv = envelope_valid_address(out, 0, &why);
		ATF_CHECK_MSG((rv == 0) == valid_cases[i].ok,
		    "case %zu: envelope says %d", i, rv);
		free(out);
	}
}

ATF_TC_WITHOUT_HEAD(helpers);
ATF_TC_BODY(helpers, tc)
{
	const char *const	 names[] = { "host.example", "host", NULL };
	char			*s;

	s = addr_qualify("root", "example.com");
	ATF_CHECK_STREQ(s, "root@example.com");
	free(s);
	s = addr_qualify("a@x", "example.com");
	ATF_CHECK_STREQ(s, "a@x");
	free(s);
	s = addr_qualify("\"a@b\"", "example.com");
	ATF_CHECK_STREQ(s, "\"a@b\"@example.com");
	free(s);
	s = addr_qualify("root", NULL);
	ATF_CHECK_STREQ(s, "root");
	free(s);

	ATF_CHECK(addr_is_local("root", names));
	ATF_CHECK(addr_is_local("root@localhost", names));
	ATF_CHECK(addr_is_local("root@LocalHost", NULL));
	ATF_CHECK(addr_is_local("root@HOST.example", names));
	ATF_CHECK(addr_is_local("root@host", names));
	ATF_CHECK(!addr_is_local("root@example.com", names));
	ATF_CHECK(!addr_is_local("root@host.example.com", names));

	s = addr_localpart("\"a@b\"@x");
	ATF_CHECK_STREQ(s, "\"a@b\"");
	free(s);
	ATF_CHECK_STREQ(addr_domain("a@x"), "x");
	ATF_CHECK(addr_domain("root") == NULL);

	ATF_CHECK_EQ(addr_cmp("a@x", "a@X"), 0);
	ATF_CHECK(addr_cmp("a@x", "A@x") != 0);
	ATF_CHECK(addr_cmp("a", "a@x") != 0);
	ATF_CHECK_EQ(addr_cmp("root", "root"), 0);
}

struct qual_case {
	const char	*in;
	const char	*want;	/* NULL = error */
};

static const struct qual_case qual_cases[] = {
	{ "Logwatch", "Logwatch@ex.com" },
	{ "root (Cron Daemon)", "root@ex.com (Cron Daemon)" },
	{ "\"(Cron Daemon)\" <user>", "\"(Cron Daemon)\" <user@ex.com>" },
	{ "a@x, root", "a@x, root@ex.com" },
	{ "Fail2Ban <f@x>", "Fail2Ban <f@x>" },
	{ "NSS", "NSS@ex.com" },
	{ "a,\r\n b", "a@ex.com,\r\n b@ex.com" },
	{ "\"a b\"", "\"a b\"@ex.com" },
	{ "<", NULL },
};

ATF_TC_WITHOUT_HEAD(qualify_list);
ATF_TC_BODY(qualify_list, tc)
{
	char	*out, *cause;
	size_t	 i;
	int	 rv;

	for (i = 0; i < sizeof(qual_cases) / sizeof(qual_cases[0]); i++) {
		out = cause = NULL;
		rv = addr_qualify_list(qual_cases[i].in,
		    strlen(qual_cases[i].in), "ex.com", &out, &cause);
		if (qual_cases[i].want == NULL)
			ATF_CHECK_MSG(rv == -1, "case %zu accepted", i);
		else
			ATF_CHECK_MSG(rv == 0 &&
			    strcmp(out, qual_cases[i].want) == 0,
			    "case %zu: got '%s'", i, out ? out : "(null)");
		free(out);
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(too_many);
ATF_TC_BODY(too_many, tc)
{
	struct addr_list	 l;
	char			*buf, *cause = NULL;
	size_t			 i, len = 0, cap = (ADDR_LIST_MAX + 5) * 12;

	buf = malloc(cap);
	ATF_REQUIRE(buf != NULL);
	for (i = 0; i < ADDR_LIST_MAX + 5; i++)
		len += snprintf(buf + len, cap - len, "u%zu@x,", i);
	addr_list_init(&l);
	ATF_CHECK_EQ(addr_parse_list(buf, len, ADDR_MODE_HEADER, &l, &cause),
	    -1);
	ATF_CHECK(cause != NULL);
	free(cause);
	free(buf);
	addr_list_free(&l);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, list_table);
	ATF_TP_ADD_TC(tp, list_overlong);
	ATF_TP_ADD_TC(tp, list_appends);
	ATF_TP_ADD_TC(tp, sender_table);
	ATF_TP_ADD_TC(tp, valid_envelope);
	ATF_TP_ADD_TC(tp, helpers);
	ATF_TP_ADD_TC(tp, qualify_list);
	ATF_TP_ADD_TC(tp, too_many);
	return (atf_no_error());
}
