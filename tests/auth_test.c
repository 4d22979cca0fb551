/*
 * auth_test: the SASL payloads (PLAIN, XOAUTH2, OAUTHBEARER), the
 * mechanism choice and the base64 decoder of server challenges, with
 * tables of good and hostile input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "auth.h"
#include "conf.h"
#include "reply.h"

/* Decode b64 and compare it with the len bytes of want. */
static void
check_decoded(const char *what, const char *b64, const char *want, size_t len)
{
	unsigned char	*dec;
	size_t		 n;

	if (auth_unb64(b64, strlen(b64), &dec, &n) == -1)
		atf_tc_fail("%s: the payload is not base64", what);
	if (n != len || memcmp(dec, want, len) != 0)
		atf_tc_fail("%s: wrong payload", what);
	free(dec);
}

ATF_TC_WITHOUT_HEAD(bearer_table);
ATF_TC_BODY(bearer_table, tc)
{
	static const struct {
		unsigned int	 mech;
		const char	*user, *token;
		const char	*want;	/* NULL: refused */
		size_t		 len;
	} t[] = {
#define P(s)	s, sizeof(s) - 1
		{ EHLO_AUTH_XOAUTH2, "app@example.com", "ya29.a0-_~+/=",
		    P("user=app@example.com\001auth=Bearer ya29.a0-_~+/=\001\001") },
		{ EHLO_AUTH_OAUTHBEARER, "app@example.com", "tok",
		    P("n,a=app@example.com,\001auth=Bearer tok\001\001") },
		{ EHLO_AUTH_XOAUTH2, "", "tok", NULL, 0 },
		{ EHLO_AUTH_XOAUTH2, "a\001b", "tok", NULL, 0 },
		{ EHLO_AUTH_OAUTHBEARER, "a,b", "tok", NULL, 0 },
		{ EHLO_AUTH_XOAUTH2, "a\nb", "tok", NULL, 0 },
		{ EHLO_AUTH_XOAUTH2, "app", "", NULL, 0 },
		{ EHLO_AUTH_XOAUTH2, "app", "two words", NULL, 0 },
		{ EHLO_AUTH_XOAUTH2, "app", "tok\001", NULL, 0 },
		{ EHLO_AUTH_OAUTHBEARER, "app", "t\xc3\xa9", NULL, 0 },
#undef P
	};
	char	*b64, *cause;
	size_t	 i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cause = NULL;
		b64 = auth_bearer(t[i].mech, t[i].user, t[i].token, &len,
		    &cause);
		if (t[i].want == NULL) {
			ATF_CHECK_MSG(b64 == NULL && cause != NULL,
			    "case %zu: accepted", i);
			free(b64);
			free(cause);
			continue;
		}
		ATF_REQUIRE_MSG(b64 != NULL, "case %zu: %s", i, cause);
		ATF_CHECK_EQ(len, strlen(b64));
		check_decoded("bearer", b64, t[i].want, t[i].len);
		free(b64);
	}
}

ATF_TC_WITHOUT_HEAD(plain);
ATF_TC_BODY(plain, tc)
{
	char	*b64, *cause = NULL;
	size_t	 len;

	b64 = auth_plain("user", "pa ss", &len, &cause);
	ATF_REQUIRE(b64 != NULL);
	check_decoded("plain", b64, "\0user\0pa ss", 11);
	free(b64);
	ATF_CHECK(auth_plain("", "pw", &len, &cause) == NULL);
	free(cause);
}

ATF_TC_WITHOUT_HEAD(choose);
ATF_TC_BODY(choose, tc)
{
	static const struct {
		int		 conf;
		unsigned int	 offered, want;	/* want 0: refused */
	} t[] = {
		{ CONF_AUTH_AUTO, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN,
		    EHLO_AUTH_PLAIN },
		{ CONF_AUTH_AUTO, EHLO_AUTH_LOGIN, EHLO_AUTH_LOGIN },
		/* auto never sends a password as a token. */
		{ CONF_AUTH_AUTO, EHLO_AUTH_XOAUTH2 | EHLO_AUTH_OAUTHBEARER, 0 },
		{ CONF_AUTH_XOAUTH2, EHLO_AUTH_PLAIN | EHLO_AUTH_XOAUTH2,
		    EHLO_AUTH_XOAUTH2 },
		{ CONF_AUTH_XOAUTH2, EHLO_AUTH_PLAIN | EHLO_AUTH_OAUTHBEARER, 0 },
		{ CONF_AUTH_OAUTHBEARER, EHLO_AUTH_OAUTHBEARER,
		    EHLO_AUTH_OAUTHBEARER },
		{ CONF_AUTH_LOGIN, EHLO_AUTH_PLAIN, 0 },
#define SCRAM	EHLO_AUTH_SCRAM_SHA_256
#define PLUS	EHLO_AUTH_SCRAM_SHA_256_PLUS
		/* auto: SCRAM-PLUS, SCRAM, PLAIN, LOGIN; never CRAM-MD5. */
		{ CONF_AUTH_AUTO, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN | SCRAM |
		    PLUS, PLUS },
		{ CONF_AUTH_AUTO, EHLO_AUTH_PLAIN | SCRAM, SCRAM },
		{ CONF_AUTH_AUTO, EHLO_AUTH_CRAM_MD5, 0 },
		{ CONF_AUTH_AUTO, EHLO_AUTH_CRAM_MD5 | EHLO_AUTH_LOGIN,
		    EHLO_AUTH_LOGIN },
		{ CONF_AUTH_SCRAM, SCRAM | PLUS, PLUS },
		{ CONF_AUTH_SCRAM, SCRAM | EHLO_AUTH_PLAIN, SCRAM },
		{ CONF_AUTH_SCRAM, EHLO_AUTH_PLAIN, 0 },
		{ CONF_AUTH_SCRAM_PLUS, SCRAM, 0 },
		{ CONF_AUTH_SCRAM_PLUS, SCRAM | PLUS, PLUS },
		{ CONF_AUTH_CRAM_MD5, EHLO_AUTH_CRAM_MD5 | SCRAM,
		    EHLO_AUTH_CRAM_MD5 },
		{ CONF_AUTH_CRAM_MD5, EHLO_AUTH_PLAIN, 0 },
		{ CONF_AUTH_NONE, EHLO_AUTH_PLAIN, 0 },
#undef SCRAM
#undef PLUS
		/* EXTERNAL only when configured, and offered. */
		{ CONF_AUTH_EXTERNAL, EHLO_AUTH_PLAIN | EHLO_AUTH_EXTERNAL,
		    EHLO_AUTH_EXTERNAL },
		{ CONF_AUTH_EXTERNAL, EHLO_AUTH_PLAIN, 0 },
		{ CONF_AUTH_AUTO, EHLO_AUTH_EXTERNAL, 0 },
	};
	unsigned int	 mech;
	char		*cause;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cause = NULL;
		mech = 0;
		r = auth_choose(t[i].conf, t[i].offered, &mech, &cause);
		if (t[i].want == 0)
			ATF_CHECK_MSG(r == -1 && cause != NULL,
			    "case %zu: accepted", i);
		else
			ATF_CHECK_MSG(r == 0 && mech == t[i].want,
			    "case %zu: got %d %#x", i, r, mech);
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(unb64_table);
ATF_TC_BODY(unb64_table, tc)
{
	static const struct {
		const char	*in;
		const char	*want;	/* NULL: malformed */
	} t[] = {
		{ "VXNlcm5hbWU6", "Username:" },
		{ "  UGFzc3dvcmQ6\t", "Password:" },
		{ "", "" },
		{ "YQ==", "a" },
		{ "YWI=", "ab" },
		{ "YQ=", NULL },
		{ "Y===", NULL },
		{ "YQ==YQ==", NULL },
		{ "Y Q==", NULL },
		{ "YWJj!", NULL },
		{ "=YWJ", NULL },
	};
	unsigned char	*out;
	size_t		 i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].want == NULL) {
			ATF_CHECK_MSG(auth_unb64(t[i].in, strlen(t[i].in),
			    &out, &n) == -1, "case %zu accepted", i);
			continue;
		}
		ATF_REQUIRE_MSG(auth_unb64(t[i].in, strlen(t[i].in), &out,
		    &n) == 0, "case %zu refused", i);
		ATF_CHECK_MSG(n == strlen(t[i].want) &&
		    memcmp(out, t[i].want, n) == 0, "case %zu", i);
		free(out);
	}
}

/* RFC 2195 section 2's example, and refused credentials. */
ATF_TC_WITHOUT_HEAD(cram_md5);
ATF_TC_BODY(cram_md5, tc)
{
	static const char chal[] =
	    "<1896.697170952@postoffice.reston.mci.net>";
	char	*b64, *cause = NULL;
	size_t	 len;

	b64 = auth_cram_md5("tim", "tanstaaftanstaaf",
	    (const unsigned char *)chal, strlen(chal), &len, &cause);
	ATF_REQUIRE_MSG(b64 != NULL, "%s", cause);
	ATF_CHECK_STREQ(b64,
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	ATF_CHECK_EQ(len, strlen(b64));
	free(b64);
	ATF_CHECK(auth_cram_md5("", "pw", (const unsigned char *)chal,
	    strlen(chal), &len, &cause) == NULL);
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cram_md5);
	ATF_TP_ADD_TC(tp, bearer_table);
	ATF_TP_ADD_TC(tp, plain);
	ATF_TP_ADD_TC(tp, choose);
	ATF_TP_ADD_TC(tp, unb64_table);
	return (atf_no_error());
}
