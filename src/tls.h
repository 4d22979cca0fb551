/*
 * tls.h: the OpenSSL 3 client context, per-connection setup and the
 * checks made after the handshake.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#define TLS_PIN_LEN	32	/* SHA-256 */

/* The client certificate: [smarthost] tls_cert_file and tls_key_file. */
struct tls_client {
	char		*cert_file;
	EVP_PKEY	*key;
	char		 subject[256];	/* RFC 2253, escaped */
	char		 fingerprint[7 + 3 * TLS_PIN_LEN];	/* sha256:..:.. */
};

SSL_CTX	*tls_ctx_new(const char *, int, char **);
int	 tls_client_load(struct tls_client *, const char *, const char *,
	    size_t, char **);
int	 tls_ctx_client(SSL_CTX *, const struct tls_client *, char **);
void	 tls_client_free(struct tls_client *);
SSL	*tls_new(SSL_CTX *, const char *, char **);
int	 tls_check(SSL *, const unsigned char *, char **);
char	*tls_error(SSL *, int, const char *);
const char *tls_version(SSL *);
const char *tls_cipher(SSL *);
int	 tls_peer_names(SSL *, char *, size_t, char *, size_t);

#endif /* TLS_H */
