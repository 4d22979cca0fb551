/*
 * smarthost: the server side of SCRAM-SHA-256[-PLUS] (RFC 5802, RFC
 * 7677, tls-exporter binding of RFC 9266) and CRAM-MD5 (RFC 2195), the
 * mechanism list (-m, "set mechs") and the SCRAM faults ("set
 * scram-fault").  Written from the RFCs independently of src/scram.c,
 * so a mistake in the client is not mirrored here: the server derives
 * StoredKey from -w and checks the client proof against it, as a real
 * server does with its stored verifier.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "smarthost.h"

#define SASL_DEFAULT_MECHS	"PLAIN LOGIN XOAUTH2 OAUTHBEARER"
#define SCRAM_ITER		4096
#define SCRAM_CBLABEL		"EXPORTER-Channel-Binding"

static const struct {
	const char	*name;
	enum sh_scram_fault fault;
} faults[] = {
	{ "none",		SF_NONE },
	{ "bad-signature",	SF_BAD_SIGNATURE },
	{ "bad-nonce",		SF_BAD_NONCE },
	{ "low-iterations",	SF_LOW_ITER },
	{ "huge-iterations",	SF_HUGE_ITER },
	{ "error",		SF_ERROR },
	{ "no-final",		SF_NO_FINAL },
	{ "mext",		SF_MEXT },
};

static int	 b64(const unsigned char *, size_t, char *, size_t);
static int	 unb64(const char *, size_t, unsigned char *, size_t);
static const char *attr(const char *, char, size_t *);
static int	 scram_keys(const char *, const struct sh_scram *,
		    const char *, unsigned char *, unsigned char *);

/* "set mechs LIST", "set scram-fault NAME", "set tls-max 1.2|1.3". */
int
sasl_set(struct sh_config *c, const char *name, const char *value,
    const char **cause)
{
	size_t	 i;

	if (strcmp(name, "mechs") == 0) {
		if (value == NULL || (size_t)snprintf(c->mechs,
		    sizeof(c->mechs), "%s", value) >= sizeof(c->mechs))
			return (*cause = "bad mechanism list", -1);
		return (0);
	}
	if (strcmp(name, "tls-max") == 0) {
		if (value == NULL || (strcmp(value, "1.2") != 0 &&
		    strcmp(value, "1.3") != 0))
			return (*cause = "tls-max is 1.2 or 1.3", -1);
		c->tls_max = strcmp(value, "1.2") == 0 ? TLS1_2_VERSION :
		    TLS1_3_VERSION;
		return (0);
	}
	if (strcmp(name, "scram-fault") != 0)
		return (1);
	for (i = 0; value != NULL && i < sizeof(faults) / sizeof(faults[0]);
	    i++)
		if (strcmp(value, faults[i].name) == 0) {
			c->scram_fault = faults[i].fault;
			return (0);
		}
	return (*cause = "unknown scram-fault", -1);
}

/* Whether mech is in the list; -PLUS only in a TLS 1.3 session. */
int
sasl_offered(const char *mech, SSL *ssl)
{
	const char	*list = sh_conf.mechs[0] != '\0' ? sh_conf.mechs :
			    SASL_DEFAULT_MECHS;
	const char	*p;
	size_t		 n = strlen(mech);

	if (strcasecmp(mech, "SCRAM-SHA-256-PLUS") == 0 && (ssl == NULL ||
	    SSL_version(ssl) != TLS1_3_VERSION))
		return (0);
	/* EXTERNAL comes with -V, whatever the list. */
	if (strcasecmp(mech, "EXTERNAL") == 0)
		return (sh_conf.client_ca != NULL);
	if (sh_conf.user == NULL)
		return (0);
	for (p = list; (p = strcasestr(p, mech)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			return (1);
	return (0);
}

/* The EHLO AUTH line's mechanisms for this session. */
void
sasl_list(char *buf, size_t size, SSL *ssl)
{
	const char	*list = sh_conf.mechs[0] != '\0' ? sh_conf.mechs :
			    SASL_DEFAULT_MECHS;
	char		 copy[sizeof(sh_conf.mechs)], *w, *last;
	int		 external = 0;

	buf[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", list);
	for (w = strtok_r(copy, " ", &last); w != NULL;
	    w = strtok_r(NULL, " ", &last)) {
		if (!sasl_offered(w, ssl))
			continue;
		external |= strcasecmp(w, "EXTERNAL") == 0;
		if (buf[0] != '\0')
			strncat(buf, " ", size - strlen(buf) - 1);
		strncat(buf, w, size - strlen(buf) - 1);
	}
	/* -V offers EXTERNAL whatever -m lists, once. */
	if (sh_conf.client_ca != NULL && !external)
		strncat(buf, buf[0] != '\0' ? " EXTERNAL" : "EXTERNAL",
		    size - strlen(buf) - 1);
}

static int
b64(const unsigned char *in, size_t len, char *out, size_t size)
{
	if (4 * ((len + 2) / 3) + 1 > size)
		return (-1);
	return (EVP_EncodeBlock((unsigned char *)out, in, (int)len));
}

/* Decode exactly; the padding is not part of the result. */
static int
unb64(const char *in, size_t len, unsigned char *out, size_t size)
{
	int	 n, pad = 0;

	if (len % 4 != 0 || 3 * (len / 4) > size)
		return (-1);
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in,
	    (int)len)) < 0)
		return (-1);
	return (n - pad);
}

/* The value of attribute "k=" at the start of s, up to ',' or end. */
static const char *
attr(const char *s, char k, size_t *len)
{
	if (s[0] != k || s[1] != '=')
		return (NULL);
	*len = strcspn(s + 2, ",");
	return (s + 2);
}

/*
 * The client-first message (NUL-terminated) for SCRAM-SHA-256[-PLUS]
 * (sc->plus): check its gs2 flag against what this session offered,
 * and write the server-first message into out.  -1 and why: refuse.
 */
int
sasl_scram_first(struct sh_scram *sc, SSL *ssl, const char *msg, char *out,
    size_t size, const char **why)
{
	const char	*p, *bare, *v, *r;
	unsigned char	 rnd[18];
	char		 snonce[32], salt[32];
	size_t		 n, rn;

	if ((p = strchr(msg, ',')) == NULL || (bare = strchr(p + 1, ',')) ==
	    NULL || (size_t)(++bare - msg) >= sizeof(sc->gs2))
		return (*why = "malformed client-first", -1);
	memcpy(sc->gs2, msg, (size_t)(bare - msg));
	sc->gs2[bare - msg] = '\0';
	if (sc->plus != (strncmp(msg, "p=tls-exporter,", 15) == 0) ||
	    (msg[0] != 'n' && msg[0] != 'y' && msg[0] != 'p'))
		return (*why = "channel binding flag does not match", -1);
	if (msg[0] == 'y' && sasl_offered("SCRAM-SHA-256-PLUS", ssl))
		return (*why = "downgrade: 'y' but -PLUS was offered", -1);
	if (sc->plus && SSL_export_keying_material(ssl, sc->cb,
	    sizeof(sc->cb), SCRAM_CBLABEL, strlen(SCRAM_CBLABEL), NULL, 0,
	    0) != 1)
		return (*why = "no TLS exporter", -1);
	/* The user name is compared as sent (saslname-escaped). */
	if ((v = attr(bare, 'n', &n)) == NULL || n >= sizeof(sc->user) ||
	    v[n] != ',' || (r = attr(v + n + 1, 'r', &rn)) == NULL ||
	    rn == 0 || strlen(bare) >= sizeof(sc->first_bare))
		return (*why = "malformed client-first-bare", -1);
	memcpy(sc->user, v, n);
	sc->user[n] = '\0';
	snprintf(sc->first_bare, sizeof(sc->first_bare), "%s", bare);
	RAND_bytes(rnd, sizeof(rnd));
	b64(rnd, sizeof(rnd), snonce, sizeof(snonce));
	RAND_bytes(sc->salt, sizeof(sc->salt));
	b64(sc->salt, sizeof(sc->salt), salt, sizeof(salt));
	sc->iter = sh_conf.scram_fault == SF_LOW_ITER ? 1000 :
	    sh_conf.scram_fault == SF_HUGE_ITER ? 100000000 : SCRAM_ITER;
	snprintf(sc->nonce, sizeof(sc->nonce), "%s%.*s",
	    sh_conf.scram_fault == SF_BAD_NONCE ? "Xx" : "", (int)rn, r);
	strncat(sc->nonce, snonce, sizeof(sc->nonce) - strlen(sc->nonce) - 1);
	snprintf(sc->server_first, sizeof(sc->server_first),
	    "%sr=%s,s=%s,i=%d", sh_conf.scram_fault == SF_MEXT ?
	    "m=x-unknown," : "", sc->nonce, salt, sc->iter);
	snprintf(out, size, "%s", sc->server_first);
	return (0);
}

/* StoredKey and ServerSignature for AuthMessage am, from -w. */
static int
scram_keys(const char *pass, const struct sh_scram *sc, const char *am,
    unsigned char *stored, unsigned char *ssig)
{
	unsigned char	 salted[32], ck[32], sk[32];
	unsigned int	 n;

	if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), sc->salt,
	    sizeof(sc->salt), sc->iter, EVP_sha256(), 32, salted) != 1 ||
	    HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key",
	    10, ck, &n) == NULL ||
	    HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key",
	    10, sk, &n) == NULL ||
	    HMAC(EVP_sha256(), sk, 32, (const unsigned char *)am, strlen(am),
	    ssig, &n) == NULL)
		return (-1);
	SHA256(ck, 32, stored);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(sk, sizeof(sk));
	return (0);
}

/*
 * The client-final message: check the binding, the nonce and the proof
 * (ClientKey = proof XOR HMAC(StoredKey, AuthMessage) must hash to
 * StoredKey).  1: good, sc->final holds the server-final message (as
 * the fault makes it); 0: wrong password; -1 and why: malformed.
 */
int
sasl_scram_final(struct sh_scram *sc, const char *pass, const char *msg,
    const char **why)
{
	unsigned char	 cbind[160], want[160], proof[64], stored[32];
	unsigned char	 csig[32], ssig[32], key[32];
	char		 am[4096], sig[64];
	const char	*c, *r, *p;
	size_t		 clen, rlen, plen, wlen, i;
	unsigned int	 n;
	int		 cbn, ok;

	if ((c = attr(msg, 'c', &clen)) == NULL || c[clen] != ',' ||
	    (r = attr(c + clen + 1, 'r', &rlen)) == NULL || r[rlen] != ',' ||
	    (p = strstr(msg, ",p=")) == NULL || (p = attr(p + 1, 'p',
	    &plen)) == NULL || p[plen] != '\0')
		return (*why = "malformed client-final", -1);
	wlen = strlen(sc->gs2);
	memcpy(want, sc->gs2, wlen);
	if (sc->plus) {
		memcpy(want + wlen, sc->cb, sizeof(sc->cb));
		wlen += sizeof(sc->cb);
	}
	if ((cbn = unb64(c, clen, cbind, sizeof(cbind))) < 0 ||
	    (size_t)cbn != wlen || memcmp(cbind, want, wlen) != 0)
		return (*why = "channel binding data does not match", -1);
	if (rlen != strlen(sc->nonce) || memcmp(r, sc->nonce, rlen) != 0)
		return (*why = "nonce does not match", -1);
	if (unb64(p, plen, proof, sizeof(proof)) != 32)
		return (*why = "malformed proof", -1);
	snprintf(am, sizeof(am), "%s,%s,%.*s", sc->first_bare,
	    sc->server_first, (int)(p - 3 - msg), msg);
	if (scram_keys(pass, sc, am, stored, ssig) == -1 ||
	    HMAC(EVP_sha256(), stored, 32, (unsigned char *)am, strlen(am),
	    csig, &n) == NULL)
		return (*why = "OpenSSL failed", -1);
	for (i = 0; i < 32; i++)
		key[i] = proof[i] ^ csig[i];
	SHA256(key, 32, csig);
	ok = CRYPTO_memcmp(csig, stored, 32) == 0;
	if (sh_conf.scram_fault == SF_BAD_SIGNATURE)
		ssig[0] ^= 1;
	b64(ssig, 32, sig, sizeof(sig));
	if (sh_conf.scram_fault == SF_ERROR)
		snprintf(sc->final, sizeof(sc->final), "e=other-error");
	else
		snprintf(sc->final, sizeof(sc->final), "v=%.63s", sig);
	OPENSSL_cleanse(key, sizeof(key));
	return (ok);
}

/* A CRAM-MD5 challenge (RFC 2195 section 2's form) into chal. */
void
sasl_cram_challenge(char *chal, size_t size)
{
	snprintf(chal, size, "<%ld.%ld@%s>", (long)getpid(),
	    (long)time(NULL), sh_conf.hostname);
}

/*
 * Check a CRAM-MD5 response "user SP hex-digest"; 1: good, 0: wrong,
 * and the user name (cut at the space) in user.
 */
int
sasl_cram_check(const char *chal, char *resp, const char **user)
{
	unsigned char	 mac[16];
	unsigned int	 n, i;
	char		 hex[33], *sp;

	if ((sp = strrchr(resp, ' ')) == NULL)
		return (0);
	*sp++ = '\0';
	*user = resp;
	if (HMAC(EVP_md5(), sh_conf.pass, (int)strlen(sh_conf.pass),
	    (const unsigned char *)chal, strlen(chal), mac, &n) == NULL)
		return (0);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return (strcmp(resp, sh_conf.user) == 0 && strcmp(sp, hex) == 0);
}
