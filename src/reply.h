/*
 * reply.h: SMTP replies (RFC 5321 section 4.2) and EHLO keywords
 * (RFC 5321 section 4.1.1.1), parsed as hostile input.
 */
#ifndef REPLY_H
#define REPLY_H

#include <sys/types.h>

#include <stddef.h>

/*
 * RFC 5321 allows 512 octets per reply line (SMTP_REPLY_LINE_MAX);
 * real servers overshoot it, so up to REPLY_LINE_ACCEPT octets
 * (without the line terminator) are accepted before the reply is
 * called malformed.  A reply has at most REPLY_LINES_MAX lines.
 */
#define REPLY_LINE_ACCEPT	4096
#define REPLY_LINES_MAX		100

/* Longest escaped reply kept for logs and the spool (with the NUL). */
#define REPLY_STRING_MAX	512

/* One reply, possibly multiline, as it is being read. */
struct reply {
	int	 code;		/* 200..559; 0 before the first line */
	size_t	 nlines;
	int	 complete;	/* the last line has been seen */
	char	*text;		/* raw text of each line, '\n'-separated */
	size_t	 len;		/* bytes in text, without the NUL */
	size_t	 cap;
};

/* EHLO extensions, as bit flags. */
#define EHLO_STARTTLS		0x0001
#define EHLO_AUTH		0x0002
#define EHLO_PIPELINING		0x0004
#define EHLO_SIZE		0x0008
#define EHLO_8BITMIME		0x0010
#define EHLO_DSN		0x0020
#define EHLO_SMTPUTF8		0x0040
#define EHLO_ENHANCEDSTATUSCODES 0x0080

/* SASL mechanisms offered after AUTH (or the legacy AUTH=). */
#define EHLO_AUTH_PLAIN		0x0001
#define EHLO_AUTH_LOGIN		0x0002
#define EHLO_AUTH_CRAM_MD5	0x0004
#define EHLO_AUTH_SCRAM_SHA_256	0x0008
#define EHLO_AUTH_XOAUTH2	0x0010
#define EHLO_AUTH_OAUTHBEARER	0x0020
#define EHLO_AUTH_SCRAM_SHA_256_PLUS 0x0040
#define EHLO_AUTH_EXTERNAL	0x0080

/* What a server said it supports in its EHLO reply. */
struct ehlo {
	unsigned int	 ext;		/* EHLO_* */
	unsigned int	 auth;		/* EHLO_AUTH_* */
	long long	 size;		/* SIZE limit; 0: none given */
};

void	 reply_init(struct reply *);
void	 reply_reset(struct reply *);
void	 reply_free(struct reply *);
int	 reply_parse_line(const char *, size_t, struct reply *, char **);
int	 reply_class(const struct reply *);
char	*reply_string(const struct reply *);
const char *reply_line(const struct reply *, size_t, size_t *);
void	 reply_ehlo_parse(const struct reply *, struct ehlo *);
const char *reply_ehlo_name(unsigned int);

#endif /* REPLY_H */
