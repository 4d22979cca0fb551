/*
 * tls.h: the OpenSSL 3 client context, per-connection setup and the
 * checks made after the handshake.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TLS_PIN_LEN	32	/* SHA-256 */

SSL_CTX	*tls_ctx_new(const char *, int, char **);
SSL	*tls_new(SSL_CTX *, const char *, char **);
int	 tls_check(SSL *, const unsigned char *, char **);
char	*tls_error(SSL *, int, const char *);
const char *tls_version(SSL *);
const char *tls_cipher(SSL *);
int	 tls_peer_names(SSL *, char *, size_t, char *, size_t);

#endif /* TLS_H */
