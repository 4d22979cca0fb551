/*
 * envelope.h: the one definition of a valid SMTP envelope: the
 * addresses of MAIL FROM and RCPT TO and the DSN parameters (RFC 5321,
 * RFC 6531, RFC 3461).  Every module that accepts, spools or sends an
 * envelope checks it here.
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>

#define ENVELOPE_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ENVELOPE_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ENVELOPE_ENVID_MAX	100	/* RFC 3461 4.4 */
#define ENVELOPE_NOTIFY_BUF	32	/* longest canonical NOTIFY + NUL */

/* Flags. */
#define ENVELOPE_NULL_OK	0x1	/* "" (the null sender) is valid */
#define ENVELOPE_CANON		0x2	/* only the spool's canonical form */

/* NOTIFY keywords as bits. */
#define ENVELOPE_NOTIFY_NEVER	0x1
#define ENVELOPE_NOTIFY_SUCCESS	0x2
#define ENVELOPE_NOTIFY_FAILURE	0x4
#define ENVELOPE_NOTIFY_DELAY	0x8

int	 envelope_valid_address(const char *, int, const char **);
int	 envelope_valid_localpart(const char *, size_t, const char **);
int	 envelope_valid_domain(const char *, size_t, const char **);
int	 envelope_needs_smtputf8(const char *);
int	 envelope_notify_parse(const char *, int, unsigned int *,
	    const char **);
void	 envelope_notify_format(unsigned int, char *, size_t);
int	 envelope_ret_parse(const char *, int, const char **,
	    const char **);
int	 envelope_valid_envid(const char *, const char **);
char	*envelope_envid_decode(const char *);
char	*envelope_envid_encode(const char *);

#endif /* ENVELOPE_H */
