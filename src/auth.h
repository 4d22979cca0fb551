/*
 * auth.h: SASL for SMTP AUTH (RFC 4954): mechanism choice and the
 * PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 and OAUTHBEARER
 * (RFC 7628) payloads, base64 by OpenSSL.  SCRAM is scram.c's.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#define AUTH_CRED_MAX	4096	/* longest user name or password */

int	 auth_choose(int, unsigned int, unsigned int *, char **);
const char *auth_mech_name(unsigned int);
char	*auth_b64(const void *, size_t, size_t *);
int	 auth_unb64(const char *, size_t, unsigned char **, size_t *);
char	*auth_plain(const char *, const char *, size_t *, char **);
char	*auth_bearer(unsigned int, const char *, const char *, size_t *,
	    char **);
char	*auth_cram_md5(const char *, const char *, const unsigned char *,
	    size_t, size_t *, char **);

#endif /* AUTH_H */
