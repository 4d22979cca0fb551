/*
 * The SCRAM-SHA-256 client (RFC 5802, RFC 7677) and its -PLUS variant
 * with tls-exporter channel binding (RFC 9266).  smtp.c carries the
 * messages in an AUTH exchange (RFC 4954), each one base64'ed:
 *
 *	C: AUTH SCRAM-SHA-256[-PLUS] client-first
 *	S: 334 server-first
 *	C: client-final
 *	S: 334 server-final
 *	C: (an empty line)
 *	S: 235
 *
 *	client-first = gs2-header "n=" saslname ",r=" c-nonce
 *	gs2-header   = "n,," | "y,," | "p=tls-exporter,,"
 *	server-first = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" count
 *		       ["," extensions]
 *	client-final = "c=" base64(gs2-header [cbdata]) ",r=" nonce
 *		       ",p=" base64(ClientProof)
 *	server-final = ("v=" base64(ServerSignature) | "e=" error)
 *		       ["," extensions]
 *
 * saslname is the user name with "," as "=2C" and "=" as "=3D"; the
 * c-nonce is 18 random bytes in base64.  cbdata is the 32-byte TLS
 * exporter "EXPORTER-Channel-Binding" with an empty context, which is
 * only safe with TLS 1.3 (RFC 9266 section 3): over TLS 1.2 we never
 * bind, and say "n".  "y" means we could bind but the server did not
 * offer -PLUS, so a server that did offer it detects the downgrade.
 *
 *	SaltedPassword  = PBKDF2-HMAC-SHA-256(password, salt, count)
 *	ClientKey       = HMAC(SaltedPassword, "Client Key")
 *	StoredKey       = SHA-256(ClientKey)
 *	AuthMessage     = client-first without gs2-header "," server-first
 *			  "," client-final without ",p=..."
 *	ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *	ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"),
 *			  AuthMessage)
 *
 * SASLprep (RFC 4013): an ASCII password or user name is its own
 * SASLprep form, so it passes through; ASCII control characters are
 * prohibited and refused.  Non-ASCII (UTF-8) passes through unchanged,
 * which is right for a password already in NFKC without the characters
 * SASLprep maps (non-ASCII spaces, soft hyphen, zero-width marks); we
 * carry no Unicode tables, so such a password must use PLAIN.
 *
 * The server is hostile input: "m=" (a mandatory extension), a nonce
 * that does not extend ours, bad base64, an empty or oversized salt and
 * an iteration count outside [SCRAM_ITER_MIN, SCRAM_ITER_MAX] are
 * refused.  The cap, 1,000,000, is above every published recommendation
 * (RFC 7677 asks for 4096, OWASP 2023 says 600,000 for PBKDF2-SHA-256)
 * and bounds what a hostile server can make us burn to well under a
 * second of CPU per session.  The server signature is compared in
 * constant time; everything derived from the password is cleansed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "mailferry.h"
#include "auth.h"
#include "util.h"
#include "scram.h"

#define SCRAM_EXPORTER_LABEL	"EXPORTER-Channel-Binding"
#define SCRAM_ERROR_SHOWN	100	/* bytes of an e= value quoted */

struct scram_keys {
	unsigned char	 salted[SCRAM_HASH_LEN];
	unsigned char	 client[SCRAM_HASH_LEN];
	unsigned char	 stored[SCRAM_HASH_LEN];
	unsigned char	 server[SCRAM_HASH_LEN];
	unsigned char	 proof[SCRAM_HASH_LEN];
	unsigned char	 sig[SCRAM_HASH_LEN];
};

static const char *scram_gs2(enum scram_cb);
static int	scram_text_ok(const char *, int);
static char	*scram_saslname(const char *);
static int	scram_attr(const char **, const char *, char, const char **,
		    size_t *);
static int	scram_unb64(const char *, size_t, unsigned char *, size_t,
		    size_t *);
static int	scram_nonce_ok(const char *, size_t);
static int	scram_keys(const char *, const struct scram_first *,
		    const char *, size_t, struct scram_keys *);
static int	scram_hmac(const unsigned char *, const void *, size_t,
		    unsigned char *);

static const char *
scram_gs2(enum scram_cb cb)
{
	switch (cb) {
	case SCRAM_CB_EXPORTER:
		return ("p=tls-exporter,,");
	case SCRAM_CB_UNOFFERED:
		return ("y,,");
	default:
		return ("n,,");
	}
}

/* Non-empty, bounded, and no ASCII control character (RFC 4013 C.2.1). */
static int
scram_text_ok(const char *s, int empty_ok)
{
	const unsigned char	*u;

	for (u = (const unsigned char *)s; *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f)
			return (0);
	return ((empty_ok || *s != '\0') && strlen(s) <= AUTH_CRED_MAX);
}

/* The user name with "," and "=" escaped (RFC 5802 section 5.1). */
static char *
scram_saslname(const char *user)
{
	char	*out, *p;

	out = p = xreallocarray(NULL, strlen(user) + 1, 3);
	for (; *user != '\0'; user++) {
		if (*user == ',' || *user == '=') {
			memcpy(p, *user == ',' ? "=2C" : "=3D", 3);
			p += 3;
		} else
			*p++ = *user;
	}
	*p = '\0';
	return (out);
}

/*
 * Start an exchange for user with the given nonce (NULL: a random one;
 * tests pass the RFC's) and channel binding (cbdata: SCRAM_CB_LEN bytes
 * for SCRAM_CB_EXPORTER).  Return the client-first-message, malloc'ed.
 */
char *
scram_start(struct scram *sc, const char *user, const char *nonce,
    enum scram_cb cb, const unsigned char *cbdata, size_t *outlen,
    char **cause)
{
	unsigned char	 raw[SCRAM_NONCE_RAW];
	char		*name, *out;
	int		 len;

	memset(sc, 0, sizeof(*sc));
	if (!scram_text_ok(user, 0)) {
		xasprintf(cause, "AUTH: the user name is empty, too long or "
		    "holds a control character");
		return (NULL);
	}
	if (nonce == NULL) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			xasprintf(cause, "AUTH: no random bytes for a nonce");
			return (NULL);
		}
		EVP_EncodeBlock((unsigned char *)sc->nonce, raw, sizeof(raw));
	} else if (!scram_nonce_ok(nonce, strlen(nonce)) ||
	    strlcpy(sc->nonce, nonce, sizeof(sc->nonce)) >= sizeof(sc->nonce))
		fatalx("scram_start: bad nonce");
	sc->cb = cb;
	if (cb == SCRAM_CB_EXPORTER)
		memcpy(sc->cbdata, cbdata, SCRAM_CB_LEN);
	name = scram_saslname(user);
	xasprintf(&sc->first_bare, "n=%s,r=%s", name, sc->nonce);
	free(name);
	len = xasprintf(&out, "%s%s", scram_gs2(cb), sc->first_bare);
	*outlen = (size_t)len;
	return (out);
}

/*
 * Take the attribute "name=value" at *p (up to end), and step past it
 * and its comma.  Return -1 if *p holds another attribute.
 */
static int
scram_attr(const char **p, const char *end, char name, const char **val,
    size_t *vlen)
{
	const char	*comma;

	if (end - *p < 2 || (*p)[0] != name || (*p)[1] != '=')
		return (-1);
	*val = *p + 2;
	if ((comma = memchr(*val, ',', end - *val)) == NULL)
		comma = end;
	*vlen = (size_t)(comma - *val);
	*p = comma < end ? comma + 1 : end;
	return (0);
}

/* Strict base64 (no blanks) of at most max decoded bytes into out. */
static int
scram_unb64(const char *in, size_t len, unsigned char *out, size_t max,
    size_t *outlen)
{
	unsigned char	*dec;
	char		*canon;
	size_t		 n, clen;

	if (len == 0 || memchr(in, ' ', len) != NULL ||
	    memchr(in, '\t', len) != NULL ||
	    auth_unb64(in, len, &dec, &n) == -1)
		return (-1);
	/* Canonical only: the unused low bits of the last digit are 0. */
	canon = auth_b64(dec, n, &clen);
	if (n == 0 || n > max || clen != len || memcmp(canon, in, len) != 0) {
		free(canon);
		free(dec);
		return (-1);
	}
	free(canon);
	memcpy(out, dec, n);
	*outlen = n;
	free(dec);
	return (0);
}

/* A nonce is printable ASCII without a comma (RFC 5802 section 7). */
static int
scram_nonce_ok(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return (0);
	return (len > 0);
}

/*
 * Parse a server-first-message of len bytes against our nonce cnonce.
 * Return -1 with a cause (untrusted bytes escaped) if it is malformed
 * or hostile.
 */
int
scram_parse_first(const char *msg, size_t len, const char *cnonce,
    struct scram_first *f, char **cause)
{
	const char	*p = msg, *end = msg + len, *v, *why;
	size_t		 vlen, clen = strlen(cnonce);
	long long	 iter;

	memset(f, 0, sizeof(*f));
	why = "malformed server-first message";
	if (memchr(msg, '\0', len) != NULL)
		goto bad;
	if (len >= 2 && msg[0] == 'm' && msg[1] == '=') {
		why = "the smarthost requires an unknown extension (m=)";
		goto bad;
	}
	if (scram_attr(&p, end, 'r', &v, &vlen) == -1 ||
	    !scram_nonce_ok(v, vlen))
		goto bad;
	if (vlen <= clen || memcmp(v, cnonce, clen) != 0) {
		why = "the smarthost's nonce does not extend ours";
		goto bad;
	}
	f->nonce = v;
	f->noncelen = vlen;
	if (scram_attr(&p, end, 's', &v, &vlen) == -1 ||
	    scram_unb64(v, vlen, f->salt, sizeof(f->salt), &f->saltlen) == -1) {
		why = "the salt is missing, empty, too long or not base64";
		goto bad;
	}
	if (scram_attr(&p, end, 'i', &v, &vlen) == -1 ||
	    util_decimal(v, vlen, SCRAM_ITER_MAX, &iter) == -1 ||
	    iter < SCRAM_ITER_MIN) {
		why = "iteration count missing or outside 4096..1000000";
		goto bad;
	}
	/* Anything after i= is an optional extension: ignored. */
	f->iter = (int)iter;
	return (0);
bad:
	xasprintf(cause, "SCRAM: %s", why);
	return (-1);
}

static int
scram_hmac(const unsigned char *key, const void *data, size_t len,
    unsigned char *out)
{
	unsigned int	 n = 0;

	if (HMAC(EVP_sha256(), key, SCRAM_HASH_LEN, data, len, out,
	    &n) == NULL || n != SCRAM_HASH_LEN)
		return (-1);
	return (0);
}

/* Derive the proof and the expected server signature (RFC 5802 3). */
static int
scram_keys(const char *pass, const struct scram_first *f,
    const char *authmsg, size_t alen, struct scram_keys *k)
{
	unsigned char	 csig[SCRAM_HASH_LEN];
	size_t		 i;

	if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), f->salt,
	    (int)f->saltlen, f->iter, EVP_sha256(), SCRAM_HASH_LEN,
	    k->salted) != 1 ||
	    scram_hmac(k->salted, "Client Key", 10, k->client) == -1 ||
	    SHA256(k->client, SCRAM_HASH_LEN, k->stored) == NULL ||
	    scram_hmac(k->stored, authmsg, alen, csig) == -1 ||
	    scram_hmac(k->salted, "Server Key", 10, k->server) == -1 ||
	    scram_hmac(k->server, authmsg, alen, k->sig) == -1)
		return (-1);
	for (i = 0; i < SCRAM_HASH_LEN; i++)
		k->proof[i] = k->client[i] ^ csig[i];
	OPENSSL_cleanse(csig, sizeof(csig));
	return (0);
}

/*
 * Answer the server-first-message (len bytes) with the client-final
 * one, malloc'ed (the caller freezero's it), and remember the server
 * signature to expect.
 */
char *
scram_final(struct scram *sc, const char *pass, const char *sfirst,
    size_t len, size_t *outlen, char **cause)
{
	struct scram_first	 f;
	struct scram_keys	 k;
	unsigned char		 cbind[64];
	char			*cb64, *bare, *authmsg, *proof, *out;
	size_t			 gs2len, cblen;
	int			 alen, olen;

	if (scram_parse_first(sfirst, len, sc->nonce, &f, cause) == -1)
		return (NULL);
	if (!scram_text_ok(pass, 1)) {
		xasprintf(cause, "AUTH: the password is too long or holds a "
		    "control character (SASLprep forbids them)");
		return (NULL);
	}
	gs2len = strlen(scram_gs2(sc->cb));
	memcpy(cbind, scram_gs2(sc->cb), gs2len);
	cblen = gs2len;
	if (sc->cb == SCRAM_CB_EXPORTER) {
		memcpy(cbind + gs2len, sc->cbdata, SCRAM_CB_LEN);
		cblen += SCRAM_CB_LEN;
	}
	cb64 = auth_b64(cbind, cblen, NULL);
	xasprintf(&bare, "c=%s,r=%.*s", cb64, (int)f.noncelen, f.nonce);
	free(cb64);
	alen = xasprintf(&authmsg, "%s,%.*s,%s", sc->first_bare, (int)len,
	    sfirst, bare);
	if (scram_keys(pass, &f, authmsg, (size_t)alen, &k) == -1) {
		xasprintf(cause, "SCRAM: key derivation failed in OpenSSL");
		out = NULL;
		goto done;
	}
	memcpy(sc->server_sig, k.sig, SCRAM_HASH_LEN);
	sc->have_sig = 1;
	proof = auth_b64(k.proof, SCRAM_HASH_LEN, NULL);
	olen = xasprintf(&out, "%s,p=%s", bare, proof);
	*outlen = (size_t)olen;
	freezero(proof, strlen(proof));
done:
	OPENSSL_cleanse(&k, sizeof(k));
	freezero(authmsg, (size_t)alen);
	free(bare);
	return (out);
}

/*
 * Parse a server-final-message into the signature sig (SCRAM_HASH_LEN
 * bytes).  An "e=" error is returned as the cause, escaped.
 */
int
scram_parse_final(const char *msg, size_t len, unsigned char *sig,
    char **cause)
{
	const char	*p = msg, *end = msg + len, *v;
	char		*esc;
	size_t		 vlen, n;

	if (memchr(msg, '\0', len) != NULL)
		goto bad;
	if (scram_attr(&p, end, 'e', &v, &vlen) == 0) {
		esc = log_escape(v, vlen < SCRAM_ERROR_SHOWN ? vlen :
		    SCRAM_ERROR_SHOWN);
		xasprintf(cause, "SCRAM: the smarthost reports an error: %s",
		    esc);
		free(esc);
		return (-1);
	}
	if (scram_attr(&p, end, 'v', &v, &vlen) == 0 &&
	    scram_unb64(v, vlen, sig, SCRAM_HASH_LEN, &n) == 0 &&
	    n == SCRAM_HASH_LEN)
		return (0);
bad:
	xasprintf(cause, "SCRAM: malformed server-final message");
	return (-1);
}

/*
 * Check the server-final-message (len bytes): the server must prove it
 * knows the password too, or it is not the smarthost we trust.
 */
int
scram_verify(struct scram *sc, const char *msg, size_t len, char **cause)
{
	unsigned char	 sig[SCRAM_HASH_LEN];
	int		 ok;

	if (scram_parse_final(msg, len, sig, cause) == -1)
		return (-1);
	ok = sc->have_sig && CRYPTO_memcmp(sig, sc->server_sig,
	    SCRAM_HASH_LEN) == 0;
	OPENSSL_cleanse(sig, sizeof(sig));
	if (!ok) {
		xasprintf(cause, "SCRAM: wrong server signature: the "
		    "smarthost does not know the password (an impostor?)");
		return (-1);
	}
	return (0);
}

/* Forget everything the exchange derived. */
void
scram_clear(struct scram *sc)
{
	if (sc->first_bare != NULL)
		freezero(sc->first_bare, strlen(sc->first_bare));
	OPENSSL_cleanse(sc, sizeof(*sc));
}

/*
 * The tls-exporter channel binding (RFC 9266) of a TLS 1.3 connection
 * into out (SCRAM_CB_LEN bytes).  TLS 1.2 without extended master
 * secret makes the exporter forgeable, so it is refused outright.
 */
int
scram_exporter(SSL *ssl, unsigned char *out, char **cause)
{
	if (ssl == NULL || SSL_version(ssl) != TLS1_3_VERSION) {
		xasprintf(cause, "SCRAM-SHA-256-PLUS needs TLS 1.3 for "
		    "tls-exporter channel binding");
		return (-1);
	}
	if (SSL_export_keying_material(ssl, out, SCRAM_CB_LEN,
	    SCRAM_EXPORTER_LABEL, strlen(SCRAM_EXPORTER_LABEL), NULL, 0,
	    0) != 1) {
		xasprintf(cause, "SCRAM: TLS exporter failed");
		return (-1);
	}
	return (0);
}
