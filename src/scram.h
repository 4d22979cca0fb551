/*
 * scram.h: the SCRAM-SHA-256 and SCRAM-SHA-256-PLUS client (RFC 5802,
 * RFC 7677; tls-exporter channel binding, RFC 9266), by OpenSSL.
 */
#ifndef SCRAM_H
#define SCRAM_H

#include <stddef.h>

#include <openssl/ssl.h>

#define SCRAM_HASH_LEN	32		/* SHA-256 */
#define SCRAM_CB_LEN	32		/* tls-exporter, RFC 9266 */
#define SCRAM_NONCE_RAW	18		/* random bytes; 24 in base64 */
#define SCRAM_NONCE_MAX	64		/* longest nonce we make */
#define SCRAM_SALT_MAX	256		/* longest salt we accept */
#define SCRAM_ITER_MIN	4096		/* RFC 7677 section 4 */
#define SCRAM_ITER_MAX	1000000		/* see scram.c */

/* The gs2 channel binding flag (RFC 5802 section 6). */
enum scram_cb {
	SCRAM_CB_NONE,		/* "n,,": no binding on this connection */
	SCRAM_CB_UNOFFERED,	/* "y,,": we could; -PLUS was not offered */
	SCRAM_CB_EXPORTER	/* "p=tls-exporter,,": SCRAM-SHA-256-PLUS */
};

/* A parsed server-first-message; nonce points into the message. */
struct scram_first {
	const char	*nonce;
	size_t		 noncelen;
	unsigned char	 salt[SCRAM_SALT_MAX];
	size_t		 saltlen;
	int		 iter;
};

/* One exchange, client side. */
struct scram {
	enum scram_cb	 cb;
	unsigned char	 cbdata[SCRAM_CB_LEN];
	char		 nonce[SCRAM_NONCE_MAX + 1];
	char		*first_bare;	/* "n=user,r=nonce" */
	unsigned char	 server_sig[SCRAM_HASH_LEN];
	int		 have_sig;	/* scram_final() succeeded */
};

char	*scram_start(struct scram *, const char *, const char *,
	    enum scram_cb, const unsigned char *, size_t *, char **);
int	 scram_parse_first(const char *, size_t, const char *,
	    struct scram_first *, char **);
char	*scram_final(struct scram *, const char *, const char *, size_t,
	    size_t *, char **);
int	 scram_parse_final(const char *, size_t, unsigned char *, char **);
int	 scram_verify(struct scram *, const char *, size_t, char **);
void	 scram_clear(struct scram *);
int	 scram_exporter(SSL *, unsigned char *, char **);

#endif /* SCRAM_H */
