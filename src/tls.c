/*
 * TLS with OpenSSL 3: one client context per process, one SSL per
 * connection, and the checks that decide whether we talk to the right
 * server.
 *
 * - TLS 1.2 at least (1.3 if configured), whatever the caller asks.
 * - Trust: ca_file if configured (only it), else the system store: its
 *   hashed directory when there is one (see tls_system_store()).
 * - SSL_VERIFY_PEER, so a bad chain or name fails the handshake; after
 *   it, the verify result and the presence of a certificate are checked
 *   again (an anonymous suite or a callback slip must not pass).
 * - Names: SSL_set1_host() plus SNI; an IP literal is checked against
 *   the certificate's IP addresses and sends no SNI (RFC 6066 forbids
 *   literals there).
 * - Pinning is in addition to verification: the SHA-256 of the DER
 *   certificate or of its DER SubjectPublicKeyInfo (the RFC 7469 pin,
 *   `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER |
 *   sha256sum`) must equal the pin,
 *   compared in constant time.  To use a self-signed certificate, make
 *   it the ca_file and pin it.
 * - A client certificate (tls_cert_file, tls_key_file) is checked once
 *   per run by tls_client_load() (a key that does not match is a
 *   configuration error) and then installed in every context.  The key
 *   arrives as PEM bytes read by secret.c under the password_file rules;
 *   it is parsed from memory and never named in a message.
 * Every failure here but tls_client_load()'s is temporary: the message
 * stays queued.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mailferry.h"
#include "tls.h"

static const char *tls_reason(void);
static int	tls_is_ip(const char *);
static int	tls_no_passphrase(char *, int, int, void *);
static void	tls_client_describe(struct tls_client *, X509 *);
static int	tls_system_store(SSL_CTX *);
static int	tls_dir_hashed(const char *);

static const char *
tls_reason(void)
{
	unsigned long	 e;
	const char	*s;

	if ((e = ERR_peek_last_error()) == 0)
		return ("unknown error");
	if ((s = ERR_reason_error_string(e)) == NULL)
		return ("unknown error");
	return (s);
}

static int
tls_is_ip(const char *host)
{
	unsigned char	 buf[sizeof(struct in6_addr)];

	return (inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1);
}

/*
 * Create the client context: minimum version, trust anchors and peer
 * verification.
 */
SSL_CTX *
tls_ctx_new(const char *ca_file, int min_version, char **cause)
{
	SSL_CTX	*ctx;

	if (min_version < TLS1_2_VERSION)
		min_version = TLS1_2_VERSION;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		xasprintf(cause, "TLS: cannot create context: %s",
		    tls_reason());
		return (NULL);
	}
	if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
		xasprintf(cause, "TLS: cannot set minimum version: %s",
		    tls_reason());
		goto fail;
	}
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_file(ctx, ca_file) != 1) {
			xasprintf(cause, "TLS: cannot load CA file %s: %s",
			    ca_file, tls_reason());
			goto fail;
		}
	} else if (tls_system_store(ctx) == -1) {
		xasprintf(cause, "TLS: cannot load the system CA store: %s",
		    tls_reason());
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

/* Encrypted keys are refused: nobody is there to type a passphrase. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return (-1);
}

/* The subject and SHA-256 fingerprint of our certificate, for --check. */
static void
tls_client_describe(struct tls_client *tc, X509 *cert)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		*e;
	BIO		*b;
	int		 n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		fatalx("BIO_new");
	X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253);
	n = BIO_read(b, tc->subject, (int)sizeof(tc->subject) - 1);
	tc->subject[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	e = log_escape(tc->subject, strlen(tc->subject));
	strlcpy(tc->subject, e, sizeof(tc->subject));
	free(e);
	strlcpy(tc->fingerprint, "sha256:", sizeof(tc->fingerprint));
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		mdlen = 0;
	for (i = 0; i < mdlen && i < TLS_PIN_LEN; i++)
		snprintf(tc->fingerprint + 7 + i * 3,
		    sizeof(tc->fingerprint) - 7 - i * 3, "%02x%s", md[i],
		    i + 1 < TLS_PIN_LEN ? ":" : "");
}

/*
 * Parse the client key (PEM, len bytes) and check it against the
 * certificate chain in cert_file.  Every failure is a configuration
 * error; the cause never quotes the key.
 */
int
tls_client_load(struct tls_client *tc, const char *cert_file,
    const char *pem, size_t len, char **cause)
{
	SSL_CTX	*ctx = NULL;
	BIO	*b;

	memset(tc, 0, sizeof(*tc));
	ERR_clear_error();
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		fatalx("BIO_new_mem_buf");
	tc->key = PEM_read_bio_PrivateKey(b, NULL, tls_no_passphrase, NULL);
	BIO_free(b);
	if (tc->key == NULL) {
		xasprintf(cause, "tls_key_file: not a PEM private key (or "
		    "encrypted: remove the passphrase): %s", tls_reason());
		return (-1);
	}
	tc->cert_file = xstrdup(cert_file);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("SSL_CTX_new");
	if (tls_ctx_client(ctx, tc, cause) == -1) {
		SSL_CTX_free(ctx);
		tls_client_free(tc);
		return (-1);
	}
	tls_client_describe(tc, SSL_CTX_get0_certificate(ctx));
	SSL_CTX_free(ctx);
	return (0);
}

/* Present the client certificate tc (loaded) in ctx's handshakes. */
int
tls_ctx_client(SSL_CTX *ctx, const struct tls_client *tc, char **cause)
{
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, tc->cert_file) != 1) {
		xasprintf(cause, "tls_cert_file %s: cannot load the "
		    "certificate: %s", tc->cert_file, tls_reason());
		return (-1);
	}
	if (SSL_CTX_use_PrivateKey(ctx, tc->key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		xasprintf(cause, "tls_key_file does not match the certificate "
		    "in tls_cert_file %s", tc->cert_file);
		return (-1);
	}
	return (0);
}

/* Release what tls_client_load() kept. */
void
tls_client_free(struct tls_client *tc)
{
	EVP_PKEY_free(tc->key);
	free(tc->cert_file);
	memset(tc, 0, sizeof(*tc));
}

/*
 * The system store.  Loading the whole CA bundle file, as
 * SSL_CTX_set_default_verify_paths() does, parses every certificate of
 * it (about 236 M instructions per run for Debian 12's bundle, callgrind)
 * to verify one chain.  The hashed directory next to it (the
 * subject-hash links update-ca-certificates and c_rehash make) is read
 * lazily instead: only the certificates the chain needs.  Without such a
 * directory, or when the environment names another store for a program
 * holding no privilege (OpenSSL honours SSL_CERT_FILE/SSL_CERT_DIR only
 * there), OpenSSL's defaults as before.
 */
static int
tls_system_store(SSL_CTX *ctx)
{
	const char	*dir = X509_get_default_cert_dir();
	int		 setid;

	setid = getuid() != geteuid() || getgid() != getegid();
	if ((setid || (getenv(X509_get_default_cert_file_env()) == NULL &&
	    getenv(X509_get_default_cert_dir_env()) == NULL)) &&
	    tls_dir_hashed(dir) && SSL_CTX_load_verify_dir(ctx, dir) == 1)
		return (0);
	return (SSL_CTX_set_default_verify_paths(ctx) == 1 ? 0 : -1);
}

/* Whether dir holds a subject-hash link ("8 hex digits" ".0"). */
static int
tls_dir_hashed(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 i;
	int		 found = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while (!found && (de = readdir(d)) != NULL) {
		for (i = 0; i < 8 && isxdigit((unsigned char)de->d_name[i]);
		    i++)
			;
		found = i == 8 && strcmp(de->d_name + 8, ".0") == 0;
	}
	closedir(d);
	return (found);
}

/* A new connection object that will verify host (a name or IP literal). */
SSL *
tls_new(SSL_CTX *ctx, const char *host, char **cause)
{
	SSL	*ssl;

	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL) {
		xasprintf(cause, "TLS: SSL_new: %s", tls_reason());
		return (NULL);
	}
	if (tls_is_ip(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    host) != 1)
			goto fail;
	} else {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(ssl, host) != 1 ||
		    SSL_set_tlsext_host_name(ssl, host) != 1)
			goto fail;
	}
	return (ssl);
fail:
	xasprintf(cause, "TLS: cannot set the server name: %s", tls_reason());
	SSL_free(ssl);
	return (NULL);
}

/*
 * After the handshake: the chain and name verified, a certificate was
 * presented, and it matches the pin if there is one.
 */
int
tls_check(SSL *ssl, const unsigned char *pin, char **cause)
{
	X509		*cert;
	unsigned char	 md[EVP_MAX_MD_SIZE], kmd[EVP_MAX_MD_SIZE];
	unsigned char	*spki;
	unsigned int	 mdlen = 0, kmdlen = 0;
	long		 v;
	int		 ok, spkilen;

	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		xasprintf(cause, "TLS: certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
		return (-1);
	}
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		xasprintf(cause, "TLS: the server sent no certificate");
		return (-1);
	}
	if (pin == NULL) {
		X509_free(cert);
		return (0);
	}
	/* The key pin is over the DER SubjectPublicKeyInfo (RFC 7469). */
	spki = NULL;
	spkilen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 ||
	    spkilen <= 0 || EVP_Digest(spki, (size_t)spkilen, kmd, &kmdlen,
	    EVP_sha256(), NULL) != 1 ||
	    mdlen != TLS_PIN_LEN || kmdlen != TLS_PIN_LEN) {
		OPENSSL_free(spki);
		X509_free(cert);
		xasprintf(cause, "TLS: cannot digest the certificate");
		return (-1);
	}
	OPENSSL_free(spki);
	X509_free(cert);
	ok = CRYPTO_memcmp(md, pin, TLS_PIN_LEN) == 0;
	ok |= CRYPTO_memcmp(kmd, pin, TLS_PIN_LEN) == 0;
	if (!ok) {
		xasprintf(cause, "TLS: the certificate does not match the "
		    "pinned fingerprint");
		return (-1);
	}
	return (0);
}

/*
 * A malloc'ed message for a failed TLS operation (rv is what it
 * returned), naming the verify error when verification failed.
 */
char *
tls_error(SSL *ssl, int rv, const char *what)
{
	char	*s;
	long	 v;
	int	 err, saved = errno;

	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		xasprintf(&s, "TLS %s failed: certificate verify failed: %s",
		    what, X509_verify_cert_error_string(v));
		return (s);
	}
	err = ssl != NULL ? SSL_get_error(ssl, rv) : SSL_ERROR_SSL;
	if (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
		xasprintf(&s, "TLS %s failed: %s", what,
		    saved != 0 ? strerror(saved) : "unexpected EOF");
	else
		xasprintf(&s, "TLS %s failed: %s", what, tls_reason());
	return (s);
}

/* The negotiated protocol version, e.g. "TLSv1.3". */
const char *
tls_version(SSL *ssl)
{
	return (SSL_get_version(ssl));
}

/* The negotiated cipher suite. */
const char *
tls_cipher(SSL *ssl)
{
	const char	*s;

	s = SSL_get_cipher_name(ssl);
	return (s != NULL ? s : "none");
}

/* The peer certificate's subject and issuer, RFC 2253, escaped. */
int
tls_peer_names(SSL *ssl, char *subj, size_t subjlen, char *iss,
    size_t isslen)
{
	X509	*cert;
	BIO	*b;
	int	 i, n;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return (-1);
	for (i = 0; i < 2; i++) {
		if ((b = BIO_new(BIO_s_mem())) == NULL)
			fatalx("BIO_new");
		X509_NAME_print_ex(b, i == 0 ? X509_get_subject_name(cert) :
		    X509_get_issuer_name(cert), 0,
		    XN_FLAG_RFC2253);
		n = BIO_read(b, i == 0 ? subj : iss,
		    (int)(i == 0 ? subjlen : isslen) - 1);
		if (n < 0)
			n = 0;
		(i == 0 ? subj : iss)[n] = '\0';
		BIO_free(b);
	}
	X509_free(cert);
	return (0);
}
