/*
 * smtp_test: the DATA canonicaliser of the SMTP client, fed every input
 * in every possible split and checked against wire invariants, and the
 * SASL helpers of auth.c (payloads, base64, mechanism choice).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "reply.h"
#include "auth.h"
#include "smtp.h"
#include "tls.h"

#include <openssl/x509v3.h>

static const struct {
	const char	*in;
	const char	*out;
} canon_t[] = {
	{ "", ".\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a\nb", "a\r\nb\r\n.\r\n" },
	{ "a\r\r\nb\r\n", "a \r\nb\r\n.\r\n" },
	{ "a\r\r\r\n", "a  \r\n.\r\n" },
	{ "a\rb\r\n", "a b\r\n.\r\n" },
	{ "a\r", "a \r\n.\r\n" },
	{ "\r", " \r\n.\r\n" },
	{ "\n", "\r\n.\r\n" },
	{ "\r\n", "\r\n.\r\n" },
	{ "\n\n", "\r\n\r\n.\r\n" },
	{ "\n\r\n\r", "\r\n\r\n \r\n.\r\n" },
	{ ".", "..\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "..\r\n", "...\r\n.\r\n" },
	{ "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
	{ "a\r\n.\r\n", "a\r\n..\r\n.\r\n" },
	{ "a.\n .\n", "a.\r\n .\r\n.\r\n" },
	{ "\r.\n", " .\r\n.\r\n" },
	{ "a\r\n.\rX\r\n", "a\r\n.. X\r\n.\r\n" },
	/* SMTP smuggling attempts: <LF>.<LF> and <CR>.<CR> */
	{ "x\n.\ny", "x\r\n..\r\ny\r\n.\r\n" },
	{ "x\r.\ry", "x . y\r\n.\r\n" },
	{ "x\r\n.\ry", "x\r\n.. y\r\n.\r\n" },
	{ "x\n.\r\nMAIL FROM:<a>\r\n", "x\r\n..\r\nMAIL FROM:<a>\r\n.\r\n" },
	{ "nul\0byte", "nul\0byte\r\n.\r\n" },
	{ "\xff\xfe\n", "\xff\xfe\r\n.\r\n" },
};

/* The expected output strings may contain NUL: their length is tricky. */
static size_t
tlen(const char *s, int isin)
{
	if (strncmp(s, "nul", 3) == 0)
		return (isin ? 8 : 13);
	return (strlen(s));
}

/* Run in through the canonicaliser in pieces of the given sizes. */
static size_t
canon_run(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    char *out)
{
	struct smtp_canon	 c;
	size_t			 i, off = 0, n = 0, piece;

	smtp_canon_init(&c);
	for (i = 0; i <= ncuts; i++) {
		piece = i < ncuts ? cuts[i] - off : len - off;
		n += smtp_canon(&c, in + off, piece, out + n);
		off += piece;
	}
	n += smtp_canon_end(&c, out + n);
	return (n);
}

/* Wire invariants: CR only before LF, LF only after CR, no "\r\r\n". */
static void
check_wire(const char *out, size_t n)
{
	size_t	 i;

	ATF_REQUIRE(n >= 3);
	ATF_CHECK(memcmp(out + n - 3, ".\r\n", 3) == 0);
	for (i = 0; i < n; i++) {
		if (out[i] == '\r')
			ATF_CHECK(i + 1 < n && out[i + 1] == '\n');
		if (out[i] == '\n')
			ATF_CHECK(i > 0 && out[i - 1] == '\r');
	}
	ATF_CHECK(memmem(out, n, "\r\r\n", 3) == NULL);
}

ATF_TC_WITHOUT_HEAD(canon_table);
ATF_TC_BODY(canon_table, tc)
{
	char	 out[256];
	size_t	 i, n, inlen, outlen;

	for (i = 0; i < sizeof(canon_t) / sizeof(canon_t[0]); i++) {
		inlen = tlen(canon_t[i].in, 1);
		outlen = tlen(canon_t[i].out, 0);
		n = canon_run(canon_t[i].in, inlen, NULL, 0, out);
		if (n != outlen || memcmp(out, canon_t[i].out, n) != 0)
			atf_tc_fail("case %zu: got %zu bytes, want %zu", i, n,
			    outlen);
		check_wire(out, n);
	}
}

/* Every split into two and three chunks, and byte by byte. */
ATF_TC_WITHOUT_HEAD(canon_splits);
ATF_TC_BODY(canon_splits, tc)
{
	char	 out[256];
	size_t	 i, a, b, n, inlen, outlen, cuts[64];

	for (i = 0; i < sizeof(canon_t) / sizeof(canon_t[0]); i++) {
		inlen = tlen(canon_t[i].in, 1);
		outlen = tlen(canon_t[i].out, 0);
		for (a = 0; a <= inlen; a++) {
			for (b = a; b <= inlen; b++) {
				cuts[0] = a;
				cuts[1] = b;
				n = canon_run(canon_t[i].in, inlen, cuts, 2,
				    out);
				if (n != outlen ||
				    memcmp(out, canon_t[i].out, n) != 0)
					atf_tc_fail("case %zu split %zu,%zu",
					    i, a, b);
			}
		}
		ATF_REQUIRE(inlen < 64);
		for (a = 0; a < inlen; a++)
			cuts[a] = a + 1;
		n = canon_run(canon_t[i].in, inlen, cuts, inlen, out);
		if (n != outlen || memcmp(out, canon_t[i].out, n) != 0)
			atf_tc_fail("case %zu byte by byte", i);
	}
}

/* The output bound: at most two bytes per input byte, whatever the input. */
ATF_TC_WITHOUT_HEAD(canon_bound);
ATF_TC_BODY(canon_bound, tc)
{
	static const char *worst[] = { "\n\n\n\n", ".\n.\n.\n", "\r\r\r\r",
	    "\r\n.\r\n.", "\r.\r.\n." };
	struct smtp_canon	 c;
	char			 out[64], guard[8];
	size_t			 i, j, n;

	for (i = 0; i < sizeof(worst) / sizeof(worst[0]); i++) {
		smtp_canon_init(&c);
		n = 0;
		for (j = 0; worst[i][j] != '\0'; j++) {
			memset(out, 'Z', sizeof(out));
			n = smtp_canon(&c, worst[i] + j, 1, out);
			ATF_CHECK(n <= 2);
			ATF_CHECK_EQ(out[2], 'Z');
		}
		memset(guard, 'Z', sizeof(guard));
		n = smtp_canon_end(&c, guard);
		ATF_CHECK(n <= SMTP_CANON_END_MAX);
	}
}

/* A pseudo-random stream keeps the invariants in 4 KiB chunks. */
ATF_TC_WITHOUT_HEAD(canon_random);
ATF_TC_BODY(canon_random, tc)
{
	static const char	 alphabet[] = "\r\n.a \0";
	struct smtp_canon	 c;
	char			 in[4096], *out;
	size_t			 i, n, total = 0, cap;
	unsigned int		 seed = 12345;
	int			 round;

	cap = 64 * (2 * sizeof(in)) + SMTP_CANON_END_MAX;
	out = malloc(cap);
	ATF_REQUIRE(out != NULL);
	smtp_canon_init(&c);
	for (round = 0; round < 64; round++) {
		for (i = 0; i < sizeof(in); i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = alphabet[(seed >> 16) % 6];
		}
		n = smtp_canon(&c, in, sizeof(in), out + total);
		ATF_CHECK(n <= 2 * sizeof(in));
		total += n;
	}
	total += smtp_canon_end(&c, out + total);
	check_wire(out, total);
	/* No line other than the terminator is a lone ".". */
	ATF_CHECK(memmem(out, total - 3, "\r\n.\r\n", 5) == NULL);
	free(out);
}

ATF_TC_WITHOUT_HEAD(auth_payloads);
ATF_TC_BODY(auth_payloads, tc)
{
	char	*s, *cause = NULL, *big;
	size_t	 len;

	s = auth_plain("joe", "secret", &len, &cause);
	ATF_REQUIRE(s != NULL);
	ATF_CHECK_STREQ(s, "AGpvZQBzZWNyZXQ=");
	ATF_CHECK_EQ(len, strlen("AGpvZQBzZWNyZXQ="));
	freezero(s, len);
	s = auth_plain("joe", "", &len, &cause);
	ATF_REQUIRE(s != NULL);
	ATF_CHECK_STREQ(s, "AGpvZQA=");
	free(s);
	ATF_CHECK(auth_plain("", "pw", &len, &cause) == NULL);
	ATF_CHECK(cause != NULL && strstr(cause, "pw") == NULL);
	free(cause);
	cause = NULL;
	big = malloc(AUTH_CRED_MAX + 2);
	ATF_REQUIRE(big != NULL);
	memset(big, 'p', AUTH_CRED_MAX + 1);
	big[AUTH_CRED_MAX + 1] = '\0';
	ATF_CHECK(auth_plain("joe", big, &len, &cause) == NULL);
	free(cause);
	free(big);
	s = auth_b64("joe", 3, &len);
	ATF_CHECK_STREQ(s, "am9l");
	free(s);
	s = auth_b64("", 0, &len);
	ATF_CHECK_STREQ(s, "");
	ATF_CHECK_EQ(len, 0);
	free(s);
}

ATF_TC_WITHOUT_HEAD(auth_unb64_table);
ATF_TC_BODY(auth_unb64_table, tc)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: invalid */
	} t[] = {
		{ "VXNlcm5hbWU6", "Username:" },
		{ "UGFzc3dvcmQ6", "Password:" },
		{ " VXNlcm5hbWU6 ", "Username:" },
		{ "am9l", "joe" },
		{ "am8=", "jo" },
		{ "ag==", "j" },
		{ "", "" },
		{ "am9", NULL },
		{ "a=9l", NULL },
		{ "am9l!!!!", NULL },
		{ "====", NULL },
		{ "am9l\r\n", NULL },
	};
	unsigned char	*out;
	size_t		 i, len;
	int		 rv;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = NULL;
		rv = auth_unb64(t[i].in, strlen(t[i].in), &out, &len);
		if (t[i].out == NULL) {
			if (rv != -1)
				atf_tc_fail("case %zu: accepted", i);
			continue;
		}
		if (rv != 0 || len != strlen(t[i].out) ||
		    memcmp(out, t[i].out, len) != 0)
			atf_tc_fail("case %zu: rv %d len %zu", i, rv, len);
		free(out);
	}
}

ATF_TC_WITHOUT_HEAD(auth_choose_table);
ATF_TC_BODY(auth_choose_table, tc)
{
	static const struct {
		int		 conf;
		unsigned int	 offered;
		int		 rv;
		unsigned int	 mech;
	} t[] = {
		{ CONF_AUTH_AUTO, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN, 0,
		    EHLO_AUTH_PLAIN },
		{ CONF_AUTH_AUTO, EHLO_AUTH_LOGIN | EHLO_AUTH_CRAM_MD5, 0,
		    EHLO_AUTH_LOGIN },
		{ CONF_AUTH_AUTO, EHLO_AUTH_CRAM_MD5, -1, 0 },
		{ CONF_AUTH_AUTO, 0, -1, 0 },
		{ CONF_AUTH_PLAIN, EHLO_AUTH_LOGIN, -1, 0 },
		{ CONF_AUTH_PLAIN, EHLO_AUTH_PLAIN, 0, EHLO_AUTH_PLAIN },
		{ CONF_AUTH_LOGIN, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN, 0,
		    EHLO_AUTH_LOGIN },
		{ CONF_AUTH_LOGIN, EHLO_AUTH_PLAIN, -1, 0 },
		{ CONF_AUTH_NONE, EHLO_AUTH_PLAIN, -1, 0 },
	};
	unsigned int	 mech;
	char		*cause;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mech = 0;
		cause = NULL;
		rv = auth_choose(t[i].conf, t[i].offered, &mech, &cause);
		if (rv != t[i].rv || (rv == 0 && mech != t[i].mech))
			atf_tc_fail("case %zu: rv %d mech %#x", i, rv, mech);
		ATF_CHECK((rv == -1) == (cause != NULL));
		free(cause);
	}
}

/*
 * The client context: peer verification, and a minimum version of at
 * least TLS 1.2 whatever the caller asks for.
 */
ATF_TC_WITHOUT_HEAD(tls_ctx);
ATF_TC_BODY(tls_ctx, tc)
{
	SSL_CTX	*ctx;
	char	*cause = NULL;

	ctx = tls_ctx_new(NULL, TLS1_VERSION, &cause);
	ATF_REQUIRE_MSG(ctx != NULL, "%s", cause);
	ATF_CHECK_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	ATF_CHECK_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
	SSL_CTX_free(ctx);
	ctx = tls_ctx_new(NULL, TLS1_3_VERSION, &cause);
	ATF_REQUIRE_MSG(ctx != NULL, "%s", cause);
	ATF_CHECK_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	SSL_CTX_free(ctx);
}

/*
 * A connection verifies the name it was given: SNI and the expected
 * host name, no partial wildcards ("m*.example.org"); an IP literal is
 * checked as an address, never as a name, and sent as no SNI.
 */
ATF_TC_WITHOUT_HEAD(tls_names);
ATF_TC_BODY(tls_names, tc)
{
	X509_VERIFY_PARAM	*param;
	SSL_CTX			*ctx;
	SSL			*ssl;
	char			*cause = NULL, *ip;
	const char		*name;

	ctx = tls_ctx_new(NULL, TLS1_2_VERSION, &cause);
	ATF_REQUIRE_MSG(ctx != NULL, "%s", cause);
	ssl = tls_new(ctx, "mail.example.org", &cause);
	ATF_REQUIRE_MSG(ssl != NULL, "%s", cause);
	param = SSL_get0_param(ssl);
	name = X509_VERIFY_PARAM_get0_host(param, 0);
	ATF_REQUIRE(name != NULL);
	ATF_CHECK_STREQ(name, "mail.example.org");
	ATF_CHECK(X509_VERIFY_PARAM_get0_host(param, 1) == NULL);
	ATF_CHECK(X509_VERIFY_PARAM_get_hostflags(param) &
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	ATF_REQUIRE(name != NULL);
	ATF_CHECK_STREQ(name, "mail.example.org");
	SSL_free(ssl);

	ssl = tls_new(ctx, "127.0.0.1", &cause);
	ATF_REQUIRE_MSG(ssl != NULL, "%s", cause);
	param = SSL_get0_param(ssl);
	ATF_CHECK(X509_VERIFY_PARAM_get0_host(param, 0) == NULL);
	ip = X509_VERIFY_PARAM_get1_ip_asc(param);
	ATF_REQUIRE(ip != NULL);
	ATF_CHECK_STREQ(ip, "127.0.0.1");
	OPENSSL_free(ip);
	/* No SNI for an address (RFC 6066 section 3). */
	ATF_CHECK(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == NULL);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, canon_table);
	ATF_TP_ADD_TC(tp, tls_ctx);
	ATF_TP_ADD_TC(tp, tls_names);
	ATF_TP_ADD_TC(tp, canon_splits);
	ATF_TP_ADD_TC(tp, canon_bound);
	ATF_TP_ADD_TC(tp, canon_random);
	ATF_TP_ADD_TC(tp, auth_payloads);
	ATF_TP_ADD_TC(tp, auth_unb64_table);
	ATF_TP_ADD_TC(tp, auth_choose_table);
	return (atf_no_error());
}
