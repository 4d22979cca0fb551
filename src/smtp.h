/*
 * smtp.h: the SMTP client of mailferry-send (src/README.md).
 *
 * One session to the smarthost carries a batch of messages:
 *
 *	s = smtp_open(&params, &fail, &cause);	connect, TLS, EHLO, AUTH
 *	smtp_send(s, msgs, n);			fills per-recipient results
 *	smtp_close(s);				QUIT, free
 *
 * The caller must ignore SIGPIPE (OpenSSL writes to the socket with
 * write(2)); smtp_open() does not touch signal dispositions.
 */
#ifndef SMTP_H
#define SMTP_H

#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include "mailferry.h"

struct tls_client;

struct smtp_params {
	const char		*host;		/* list, tried in order */
	unsigned int		 port;		/* for entries without one */
	int			 implicit_tls;	/* else STARTTLS */
	const char		*ca_file;	/* NULL: system store */
	const unsigned char	*fingerprint;	/* SHA-256 pin (32), or NULL */
	int			 tls_min_version; /* 0: TLS1_2_VERSION */
	const char		*user;
	const char		*password;	/* not copied; caller wipes */
	int			 auth;		/* enum conf_auth */
	time_t			 timeout;	/* per reply; 0: RFC 5321 */
	time_t			 connect_timeout; /* per address; 0: 30 s */
	const char		*helo;		/* EHLO name */
	const struct tls_client	*client;	/* client certificate, or NULL */
	const char		*source_address; /* bind() to it, or NULL */
	int			*auth_refused;	/* out: AUTH refused, or NULL */
};

struct smtp_rcpt {
	const char	*addr;		/* without <> */
	const char	*notify;	/* DSN NOTIFY= value, or NULL */
	enum mf_fail	 result;	/* MF_OK: delivered to the smarthost */
	int		 code;		/* deciding reply code, 0: none */
	char		*reply;		/* deciding reply, escaped, or NULL */
	int		 sent;		/* internal: RCPT written */
	int		 accepted;	/* internal: RCPT answered 2xx */
};

struct smtp_msg {
	const char	*sender;	/* "" for the null sender */
	struct smtp_rcpt *rcpts;
	size_t		 nrcpts;
	int		 fd;		/* spool entry, read with pread */
	off_t		 offset;	/* message bytes start here */
	off_t		 size;		/* and are this long */
	int		 body_8bit;	/* ask for BODY=8BITMIME */
	int		 smtputf8;	/* needs SMTPUTF8 */
	const char	*ret;		/* DSN RET= value, or NULL */
	const char	*envid;		/* DSN ENVID= value (xtext), or NULL */
	/*
	 * Results.  result is the fate of the message data: MF_OK when the
	 * end-of-data reply was 2xx (recipients with MF_OK have it),
	 * MF_PERM when the message as a whole was refused for good (local
	 * checks, MAIL, DATA or end-of-data 5xx), MF_TEMP otherwise
	 * (temporary refusal, session lost, or no recipient accepted: then
	 * each recipient's result says why).  Recipients refused at RCPT
	 * keep that reply's result.
	 */
	enum mf_fail	 result;
	int		 attempted;	/* a transaction was started */
	char		*reply;		/* message-level reply or error */
};

struct smtp_session;

/*
 * The DATA canonicaliser: spool bytes in, wire bytes out.  Lines end
 * in CRLF only (a lone LF becomes CRLF, a CR not followed by LF becomes
 * a space, so "\r\r\n" becomes " \r\n"), a line starting with '.' gets
 * another '.', and smtp_canon_end() adds a missing final CRLF and the
 * terminating ".\r\n".  Lines are not folded; NUL bytes pass through
 * (the front end refuses both).  Chunk boundaries may fall anywhere.
 */
struct smtp_canon {
	int	 state;
};
#define SMTP_CANON_END_MAX	6	/* " \r\n.\r\n" */

void	 smtp_canon_init(struct smtp_canon *);
size_t	 smtp_canon(struct smtp_canon *, const char *, size_t, char *);
size_t	 smtp_canon_end(struct smtp_canon *, char *);

struct smtp_session *smtp_open(const struct smtp_params *, enum mf_fail *,
	    char **);
int	 smtp_send(struct smtp_session *, struct smtp_msg *, size_t);
void	 smtp_close(struct smtp_session *);
void	 smtp_msg_clear(struct smtp_msg *);
const char *smtp_relay(const struct smtp_session *);
const char *smtp_tls_version(const struct smtp_session *);
const char *smtp_tls_cipher(const struct smtp_session *);
const char *smtp_error(const struct smtp_session *);
int	 smtp_probe(const struct smtp_params *, FILE *, char **);

#endif /* SMTP_H */
