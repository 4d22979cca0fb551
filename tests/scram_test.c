/*
 * scram_test: the SCRAM-SHA-256 client (scram.c) against RFC 7677's
 * test vector, the gs2 channel binding flags, and tables of hostile
 * server-first and server-final messages.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "mailferry.h"
#include "auth.h"
#include "scram.h"

/* RFC 7677 section 3. */
#define V_USER		"user"
#define V_PASS		"pencil"
#define V_CNONCE	"rOprNGfwEbeRWgbNEkqO"
#define V_FIRST		"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define V_SFIRST	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
			"hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_FINAL		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
			"hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* Start an exchange with the RFC's nonce and answer sfirst. */
static char *
run(struct scram *sc, enum scram_cb cb, const char *pass, const char *sfirst,
    char **cause)
{
	unsigned char	 cbdata[SCRAM_CB_LEN];
	char		*first;
	size_t		 len;

	memset(cbdata, 0xab, sizeof(cbdata));
	first = scram_start(sc, V_USER, V_CNONCE, cb, cbdata, &len, cause);
	ATF_REQUIRE(first != NULL);
	free(first);
	return (scram_final(sc, pass, sfirst, strlen(sfirst), &len, cause));
}

ATF_TC_WITHOUT_HEAD(rfc7677_vector);
ATF_TC_BODY(rfc7677_vector, tc)
{
	struct scram	 sc;
	char		*first, *final, *cause = NULL;
	size_t		 len;

	first = scram_start(&sc, V_USER, V_CNONCE, SCRAM_CB_NONE, NULL, &len,
	    &cause);
	ATF_REQUIRE_MSG(first != NULL, "%s", cause);
	ATF_CHECK_STREQ(first, V_FIRST);
	ATF_CHECK_EQ(len, strlen(V_FIRST));
	free(first);
	final = scram_final(&sc, V_PASS, V_SFIRST, strlen(V_SFIRST), &len,
	    &cause);
	ATF_REQUIRE_MSG(final != NULL, "%s", cause);
	ATF_CHECK_STREQ(final, V_FINAL);
	ATF_CHECK_EQ(len, strlen(V_FINAL));
	free(final);
	ATF_CHECK_MSG(scram_verify(&sc, V_SFINAL, strlen(V_SFINAL),
	    &cause) == 0, "%s", cause);
	scram_clear(&sc);
}

/* A server that does not know the password cannot sign. */
ATF_TC_WITHOUT_HEAD(wrong_signature);
ATF_TC_BODY(wrong_signature, tc)
{
	static const char *bad[] = {
		"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	struct scram	 sc;
	char		*final, *cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		final = run(&sc, SCRAM_CB_NONE, V_PASS, V_SFIRST, &cause);
		ATF_REQUIRE(final != NULL);
		free(final);
		ATF_CHECK(scram_verify(&sc, bad[i], strlen(bad[i]),
		    &cause) == -1);
		ATF_CHECK(cause != NULL &&
		    strstr(cause, "wrong server signature") != NULL);
		free(cause);
		cause = NULL;
		scram_clear(&sc);
	}
	/* Another password: another proof, and the RFC's v= fails. */
	final = run(&sc, SCRAM_CB_NONE, "pencil2", V_SFIRST, &cause);
	ATF_REQUIRE(final != NULL);
	ATF_CHECK(strcmp(final, V_FINAL) != 0);
	free(final);
	ATF_CHECK(scram_verify(&sc, V_SFINAL, strlen(V_SFINAL), &cause) == -1);
	free(cause);
	scram_clear(&sc);
}

/* gs2 header, saslname escaping and the c= attribute per binding. */
ATF_TC_WITHOUT_HEAD(gs2_table);
ATF_TC_BODY(gs2_table, tc)
{
	static const struct {
		enum scram_cb	 cb;
		const char	*user, *first, *cattr;
	} t[] = {
		{ SCRAM_CB_NONE, "user", "n,,n=user,r=" V_CNONCE, "c=biws," },
		{ SCRAM_CB_UNOFFERED, "user", "y,,n=user,r=" V_CNONCE,
		    "c=eSws," },
		/* "p=tls-exporter,," + 32 bytes of 0xab */
		{ SCRAM_CB_EXPORTER, "user",
		    "p=tls-exporter,,n=user,r=" V_CNONCE,
		    "c=cD10bHMtZXhwb3J0ZXIsLKurq6urq6urq6urq6urq6urq6urq6urq6"
		    "urq6urq6ur," },
		{ SCRAM_CB_NONE, "a,b=c@x", "n,,n=a=2Cb=3Dc@x,r=" V_CNONCE,
		    "c=biws," },
	};
	unsigned char	 cbdata[SCRAM_CB_LEN];
	struct scram	 sc;
	char		*first, *final, *cause = NULL;
	size_t		 i, len;

	memset(cbdata, 0xab, sizeof(cbdata));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		first = scram_start(&sc, t[i].user, V_CNONCE, t[i].cb, cbdata,
		    &len, &cause);
		ATF_REQUIRE(first != NULL);
		ATF_CHECK_STREQ_MSG(first, t[i].first, "case %zu", i);
		free(first);
		final = scram_final(&sc, V_PASS, V_SFIRST, strlen(V_SFIRST),
		    &len, &cause);
		ATF_REQUIRE(final != NULL);
		ATF_CHECK_MSG(strncmp(final, t[i].cattr,
		    strlen(t[i].cattr)) == 0, "case %zu: %s", i, final);
		free(final);
		scram_clear(&sc);
	}
}

/* A random nonce: 24 base64 characters, different each time. */
ATF_TC_WITHOUT_HEAD(random_nonce);
ATF_TC_BODY(random_nonce, tc)
{
	struct scram	 a, b;
	char		*fa, *fb, *cause = NULL;
	size_t		 len;

	fa = scram_start(&a, "u", NULL, SCRAM_CB_NONE, NULL, &len, &cause);
	fb = scram_start(&b, "u", NULL, SCRAM_CB_NONE, NULL, &len, &cause);
	ATF_REQUIRE(fa != NULL && fb != NULL);
	ATF_CHECK_EQ(strlen(a.nonce), 24);
	ATF_CHECK(strcmp(a.nonce, b.nonce) != 0);
	ATF_CHECK(strchr(a.nonce, ',') == NULL);
	free(fa);
	free(fb);
	scram_clear(&a);
	scram_clear(&b);
}

/* Bad credentials are refused before anything is sent or derived. */
ATF_TC_WITHOUT_HEAD(bad_credentials);
ATF_TC_BODY(bad_credentials, tc)
{
	struct scram	 sc;
	char		*out, *cause = NULL;
	size_t		 len;

	ATF_CHECK(scram_start(&sc, "", NULL, SCRAM_CB_NONE, NULL, &len,
	    &cause) == NULL);
	free(cause);
	cause = NULL;
	ATF_CHECK(scram_start(&sc, "a\nb", NULL, SCRAM_CB_NONE, NULL, &len,
	    &cause) == NULL);
	free(cause);
	cause = NULL;
	out = run(&sc, SCRAM_CB_NONE, "pen\tcil", V_SFIRST, &cause);
	ATF_CHECK(out == NULL && cause != NULL &&
	    strstr(cause, "control character") != NULL);
	free(cause);
	scram_clear(&sc);
	/* Non-ASCII passes through unchanged (see scram.c). */
	cause = NULL;
	out = run(&sc, SCRAM_CB_NONE, "p\xc3\xa9ncil", V_SFIRST, &cause);
	ATF_CHECK(out != NULL);
	free(out);
	scram_clear(&sc);
}

ATF_TC_WITHOUT_HEAD(server_first_table);
ATF_TC_BODY(server_first_table, tc)
{
#define N	"r=" V_CNONCE "srv"
	static const struct {
		const char	*msg;
		const char	*why;	/* NULL: accepted */
		int		 iter;
	} t[] = {
		{ N ",s=QUJD,i=4096", NULL, 4096 },
		{ N ",s=QUJD,i=1000000", NULL, 1000000 },
		{ N ",s=QUJD,i=4096,x=future", NULL, 4096 },
		{ "m=ext," N ",s=QUJD,i=4096", "(m=)", 0 },
		{ "r=" V_CNONCE ",s=QUJD,i=4096", "does not extend", 0 },
		{ "r=XX" V_CNONCE ",s=QUJD,i=4096", "does not extend", 0 },
		{ "r=,s=QUJD,i=4096", "malformed", 0 },
		{ "r=" V_CNONCE "s\x7fv,s=QUJD,i=4096", "malformed", 0 },
		{ N ",i=4096,s=QUJD", "salt", 0 },
		{ N ",s=,i=4096", "salt", 0 },
		{ N ",s=QUJ,i=4096", "salt", 0 },
		{ N ",s=Q UJ,i=4096", "salt", 0 },
		{ N ",s=QU=D,i=4096", "salt", 0 },
		{ N ",s=QUJD", "iteration", 0 },
		{ N ",s=QUJD,i=4095", "iteration", 0 },
		{ N ",s=QUJD,i=1000001", "iteration", 0 },
		{ N ",s=QUJD,i=99999999999999999999", "iteration", 0 },
		{ N ",s=QUJD,i=04096", "iteration", 0 },
		{ N ",s=QUJD,i=-4096", "iteration", 0 },
		{ N ",s=QUJD,i=4096x", "iteration", 0 },
		{ N ",s=QUJD,i=", "iteration", 0 },
		{ "", "malformed", 0 },
		{ "garbage", "malformed", 0 },
	};
#undef N
	struct scram_first	 f;
	char			*cause;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cause = NULL;
		rv = scram_parse_first(t[i].msg, strlen(t[i].msg), V_CNONCE,
		    &f, &cause);
		if (t[i].why == NULL) {
			ATF_CHECK_MSG(rv == 0, "case %zu: %s", i, cause);
			ATF_CHECK_EQ_MSG(f.iter, t[i].iter, "case %zu", i);
			ATF_CHECK_EQ(f.saltlen, 3);
		} else
			ATF_CHECK_MSG(rv == -1 && cause != NULL &&
			    strstr(cause, t[i].why) != NULL,
			    "case %zu: %d %s", i, rv, cause);
		free(cause);
	}
	/* A NUL byte inside is refused, not cut short. */
	cause = NULL;
	ATF_CHECK(scram_parse_first("r=" V_CNONCE "s\0,s=QUJD,i=4096",
	    sizeof("r=" V_CNONCE "s\0,s=QUJD,i=4096") - 1, V_CNONCE, &f,
	    &cause) == -1);
	free(cause);
}

ATF_TC_WITHOUT_HEAD(server_final_table);
ATF_TC_BODY(server_final_table, tc)
{
	static const struct {
		const char	*msg;
		const char	*why;	/* NULL: parsed */
	} t[] = {
		{ V_SFINAL, NULL },
		{ V_SFINAL ",x=ext", NULL },
		{ "e=invalid-proof", "reports an error: invalid-proof" },
		{ "e=other\x01", "reports an error: other\\x01" },
		{ "v=", "malformed" },
		{ "v=QUJD", "malformed" },
		/* Not canonical: the last digit's unused bits are set. */
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=",
		    "malformed" },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
		    "malformed" },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=AAAA",
		    "malformed" },
		{ "x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		    "malformed" },
		{ "", "malformed" },
	};
	unsigned char	 sig[SCRAM_HASH_LEN];
	char		*cause;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cause = NULL;
		rv = scram_parse_final(t[i].msg, strlen(t[i].msg), sig,
		    &cause);
		if (t[i].why == NULL)
			ATF_CHECK_MSG(rv == 0, "case %zu: %s", i, cause);
		else
			ATF_CHECK_MSG(rv == -1 && cause != NULL &&
			    strstr(cause, t[i].why) != NULL,
			    "case %zu: %d %s", i, rv, cause);
		free(cause);
	}
}

/* No signature is accepted before the proof was computed. */
ATF_TC_WITHOUT_HEAD(verify_without_final);
ATF_TC_BODY(verify_without_final, tc)
{
	struct scram	 sc;
	char		*first, *cause = NULL;
	size_t		 len;

	first = scram_start(&sc, V_USER, V_CNONCE, SCRAM_CB_NONE, NULL, &len,
	    &cause);
	free(first);
	ATF_CHECK(scram_verify(&sc, V_SFINAL, strlen(V_SFINAL), &cause) == -1);
	free(cause);
	scram_clear(&sc);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rfc7677_vector);
	ATF_TP_ADD_TC(tp, wrong_signature);
	ATF_TP_ADD_TC(tp, gs2_table);
	ATF_TP_ADD_TC(tp, random_nonce);
	ATF_TP_ADD_TC(tp, bad_credentials);
	ATF_TP_ADD_TC(tp, server_first_table);
	ATF_TP_ADD_TC(tp, server_final_table);
	ATF_TP_ADD_TC(tp, verify_without_final);
	return (atf_no_error());
}
