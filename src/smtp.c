/*
 * The SMTP client of mailferry-send (src/README.md has the big picture).
 *
 * Session: connect (every address in turn), implicit TLS or
 * greeting + EHLO + STARTTLS (refused as a temporary failure if not
 * offered: never plain text), verified handshake, EHLO again with every
 * capability learnt before TLS forgotten, then AUTH (only inside TLS).
 *
 * Transactions, RFC 5321 and, when PIPELINING is offered, RFC 2920:
 *
 *	[RSET] MAIL FROM:<s> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8] [RET= ENVID=]
 *	RCPT TO:<r> [NOTIFY=]		(one per recipient)
 *	DATA				-> 354
 *	canonicalised body, "."	[+ the next message's MAIL/RCPT/DATA]
 *
 * With PIPELINING the envelope is one write and its replies are read
 * in order; the next message's envelope is written right behind the
 * previous end-of-data, so the steady state costs one round trip per
 * message.  Without it, every command waits for its reply.
 *
 * Results: a recipient is MF_OK only when the end-of-data reply is
 * 2xx; a 4xx anywhere is MF_TEMP, a 5xx MF_PERM.  A session that dies
 * (timeout, connection lost, 421, malformed reply) leaves the current
 * message and the rest untouched (MF_TEMP); messages already answered
 * keep their results.  Choices made here:
 * - 8-bit body and no 8BITMIME: sent as is, without BODY= (converting
 *   to 7 bit is not our job and practically every server takes it).
 * - SMTPUTF8 needed and not offered, or a message over the server's
 *   SIZE: permanent failure of that message, no transaction.
 * - The envelope is checked again here (the spool is hostile input)
 *   by envelope.c: addresses are sent verbatim inside <>, so a quoted
 *   local part keeps its SP (MAIL FROM:<"john doe"@example.com>);
 *   non-ASCII only with SMTPUTF8.  ENVID is sent as xtext (RFC 3461).
 * - Every session-level failure (greeting, EHLO, STARTTLS, TLS, AUTH
 *   including 535) is temporary: the message stays queued.
 * - Fallback: params.host is a list (hostlist.c).  The next server is
 *   tried only when this one could not be used at all: connect failure
 *   or timeout, TLS failure (handshake, verification, pin, STARTTLS not
 *   offered, bytes injected after 220), no usable greeting or a 4xx
 *   (421) to it, a 4xx or no reply to EHLO or STARTTLS.  A 5xx before
 *   AUTH, any AUTH failure (535) and anything after AUTH never move
 *   mail to the next server: a permanent refusal is the answer.  Every
 *   server is verified against its own name.
 * - -v traces show every command and reply line (escaped); AUTH
 *   payloads are shown as <redacted>, and a reply that echoes a
 *   credential is redacted as well.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "mailferry.h"
#include "conf.h"
#include "envelope.h"
#include "reply.h"
#include "net.h"
#include "tls.h"
#include "auth.h"
#include "scram.h"
#include "hostlist.h"
#include "smtp.h"

#define SMTP_CHUNK		(32 * 1024)	/* spool read size */
#define SMTP_WIRE_MAX		(2 * SMTP_CHUNK)	/* 64 KiB wire buffer */
#define SMTP_QUIT_WAIT		2		/* seconds to say QUIT */
#define SMTP_CONNECT_DEFAULT	30
#define SMTP_PARAM_MAX		100		/* RET/ENVID/NOTIFY value */
#define SMTP_SECRETS		3

enum smtp_state {
	SMTP_CONNECT,
	SMTP_GREETING,
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_STARTTLS,
	SMTP_TLS,
	SMTP_AUTH,
	SMTP_READY,
	SMTP_RSET,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BODY,
	SMTP_DOT,
	SMTP_QUIT,
	SMTP_DEAD
};

static const struct {
	const char	*name;
	time_t		 timeout;	/* RFC 5321 section 4.5.3.2 */
} smtp_states[] = {
	[SMTP_CONNECT] =	{ "CONNECT",	SMTP_CONNECT_DEFAULT },
	[SMTP_GREETING] =	{ "GREETING",	300 },
	[SMTP_EHLO] =		{ "EHLO",	300 },
	[SMTP_HELO] =		{ "HELO",	300 },
	[SMTP_STARTTLS] =	{ "STARTTLS",	300 },
	[SMTP_TLS] =		{ "TLS",	300 },
	[SMTP_AUTH] =		{ "AUTH",	300 },
	[SMTP_READY] =		{ "READY",	300 },
	[SMTP_RSET] =		{ "RSET",	300 },
	[SMTP_MAIL] =		{ "MAIL",	300 },
	[SMTP_RCPT] =		{ "RCPT",	300 },
	[SMTP_DATA] =		{ "DATA",	120 },
	[SMTP_BODY] =		{ "BODY",	180 },
	[SMTP_DOT] =		{ "DOT",	600 },
	[SMTP_QUIT] =		{ "QUIT",	SMTP_QUIT_WAIT },
	[SMTP_DEAD] =		{ "DEAD",	0 },
};

struct smtp_secret {
	const char	*s;
	size_t		 len;
};

struct smtp_session {
	struct smtp_params p;
	struct net	 net;
	SSL_CTX		*ctx;
	enum smtp_state	 state;
	struct ehlo	 ehlo;
	struct reply	 reply;
	int		 reply_redacted;
	int		 redact_334;	/* SCRAM/CRAM: challenges stay out */
	int		 tls;
	int		 dead;
	int		 opening;	/* a failure now may try the next host */
	struct hostlist_entry host;	/* p.host points at its name */
	int		 need_rset;	/* a transaction may be open */
	int		 rset_sent;	/* its reply is still to be read */
	unsigned int	 auth_mech;	/* EHLO_AUTH_*, 0: none */
	char		*error;
	char		 tls_version[32];
	char		 tls_cipher[128];
	char		*out;		/* commands not yet written */
	size_t		 outlen;
	size_t		 outcap;
	char		*inbuf;		/* SMTP_CHUNK */
	char		*wire;		/* SMTP_WIRE_MAX + SMTP_CANON_END_MAX */
	struct smtp_secret secrets[SMTP_SECRETS];
};

static int	smtp_die(struct smtp_session *, char *);
static time_t	smtp_timeout(const struct smtp_session *, enum smtp_state);
static void	smtp_out_add(struct smtp_session *, const char *, size_t);
static void	smtp_queue(struct smtp_session *, const char *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static int	smtp_flush(struct smtp_session *, enum smtp_state);
static int	smtp_secret_in(const struct smtp_session *, const char *,
		    size_t);
static int	smtp_read(struct smtp_session *, enum smtp_state);
static char	*smtp_reply_str(const struct smtp_session *);
static int	smtp_cmd(struct smtp_session *, enum smtp_state, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static int	smtp_fail_open(struct smtp_session *, char **, const char *);
static int	smtp_ehlo(struct smtp_session *, char **);
static int	smtp_starttls(struct smtp_session *, char **);
static int	smtp_tls_start(struct smtp_session *, char **);
static int	smtp_auth(struct smtp_session *, char **);
static int	smtp_auth_initial(struct smtp_session *, const char *, size_t,
		    const char *);
static int	smtp_auth_oneshot(struct smtp_session *);
static int	smtp_auth_login(struct smtp_session *);
static int	smtp_auth_send(struct smtp_session *, char *, size_t);
static int	smtp_challenge(struct smtp_session *, unsigned char **,
		    size_t *);
static int	smtp_auth_cram(struct smtp_session *);
static int	smtp_auth_scram(struct smtp_session *);
static int	smtp_scram_finish(struct smtp_session *, struct scram *);
static int	smtp_auth_pick(struct smtp_session *, char **);
static int	smtp_auth_external(struct smtp_session *, char **);
static struct smtp_session *smtp_open_host(const struct smtp_params *,
		    const struct hostlist_entry *, int *, char **);
static int	smtp_open_steps(struct smtp_session *, char **);
static struct smtp_session *smtp_open_any(const struct smtp_params *,
		    FILE *, char **);
static void	smtp_probe_client(const struct smtp_params *, FILE *);
static int	smtp_valid(const char *, size_t, int, int);
static int	smtp_addr_ok(const char *, int, int);
static int	smtp_params_ok(const struct smtp_msg *);
static int	smtp_precheck(struct smtp_session *, struct smtp_msg *);
static size_t	smtp_next(struct smtp_session *, struct smtp_msg *, size_t,
		    size_t);
static void	smtp_mail_params(struct smtp_session *, struct smtp_msg *,
		    char *, size_t);
static void	smtp_envelope(struct smtp_session *, struct smtp_msg *);
static void	smtp_set_rcpt(struct smtp_rcpt *, int, const char *);
static void	smtp_set_msg(struct smtp_msg *, const char *);
static enum mf_fail smtp_fail_of(int);
static int	smtp_mail_reply(struct smtp_session *, struct smtp_msg *);
static int	smtp_rcpt_reply(struct smtp_session *, struct smtp_msg *,
		    struct smtp_rcpt *, int);
static int	smtp_body(struct smtp_session *, struct smtp_msg *,
		    struct smtp_canon *);
static int	smtp_txn_pipelined(struct smtp_session *, struct smtp_msg *,
		    size_t, size_t, int, size_t *);
static int	smtp_txn_serial(struct smtp_session *, struct smtp_msg *,
		    size_t, size_t, size_t *);
static int	smtp_txn_data(struct smtp_session *, struct smtp_msg *,
		    size_t, size_t, int, size_t, size_t *);
static void	smtp_msg_reset(struct smtp_msg *, const char *);
static void	smtp_free(struct smtp_session *);

/* ---- canonicaliser --------------------------------------------------- */

enum canon_state {
	CANON_BOL,	/* at the start of a line */
	CANON_TEXT,	/* inside a line */
	CANON_CR	/* a CR was seen and not yet written */
};

/* Start canonicalising a new message. */
void
smtp_canon_init(struct smtp_canon *c)
{
	c->state = CANON_BOL;
}

/*
 * Canonicalise len bytes of in into out, which must hold 2 * len bytes
 * (every input byte yields at most two); return the bytes written.
 */
size_t
smtp_canon(struct smtp_canon *c, const char *in, size_t len, char *out)
{
	size_t	 i, n = 0;
	char	 ch;

	for (i = 0; i < len; i++) {
		ch = in[i];
		if (c->state == CANON_CR) {
			if (ch == '\n') {
				out[n++] = '\r';
				out[n++] = '\n';
				c->state = CANON_BOL;
				continue;
			}
			/* The pending CR did not end a line: a space. */
			out[n++] = ' ';
			c->state = CANON_TEXT;
			if (ch == '\r') {
				c->state = CANON_CR;
				continue;
			}
			out[n++] = ch;
			continue;
		}
		switch (ch) {
		case '\r':
			c->state = CANON_CR;
			break;
		case '\n':
			out[n++] = '\r';
			out[n++] = '\n';
			c->state = CANON_BOL;
			break;
		case '.':
			if (c->state == CANON_BOL)
				out[n++] = '.';
			/* FALLTHROUGH */
		default:
			out[n++] = ch;
			c->state = CANON_TEXT;
			break;
		}
	}
	return (n);
}

/*
 * End the data: a pending CR becomes a space, an unterminated last line
 * gets its CRLF, then the ".\r\n" terminator.  out must hold
 * SMTP_CANON_END_MAX bytes; return the bytes written.
 */
size_t
smtp_canon_end(struct smtp_canon *c, char *out)
{
	size_t	 n = 0;

	if (c->state == CANON_CR)
		out[n++] = ' ';
	if (c->state != CANON_BOL) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	memcpy(out + n, ".\r\n", 3);
	n += 3;
	c->state = CANON_BOL;
	return (n);
}

/* ---- I/O ------------------------------------------------------------- */

/* Record why the session ended; always returns -1.  Takes cause. */
static int
smtp_die(struct smtp_session *s, char *cause)
{
	free(s->error);
	/* Name the relay once: net.c's messages already carry it. */
	if (s->net.relay[0] != '\0' && strstr(cause, s->net.relay) == NULL)
		xasprintf(&s->error, "%s: %s (state %s)", s->net.relay, cause,
		    smtp_states[s->state].name);
	else
		xasprintf(&s->error, "%s (state %s)", cause,
		    smtp_states[s->state].name);
	free(cause);
	log_debug("session failed: %s", s->error);
	s->dead = 1;
	s->state = SMTP_DEAD;
	return (-1);
}

static time_t
smtp_timeout(const struct smtp_session *s, enum smtp_state st)
{
	if (st == SMTP_QUIT)
		return (s->p.timeout > 0 && s->p.timeout < SMTP_QUIT_WAIT ?
		    s->p.timeout : SMTP_QUIT_WAIT);
	if (s->p.timeout > 0)
		return (s->p.timeout);
	return (smtp_states[st].timeout);
}

static void
smtp_out_add(struct smtp_session *s, const char *buf, size_t len)
{
	char	*n;
	size_t	 cap;

	if (s->outlen + len > s->outcap) {
		cap = s->outcap == 0 ? 1024 : s->outcap;
		while (cap < s->outlen + len)
			cap *= 2;
		/* Never leave a freed copy of an AUTH line behind. */
		n = xmalloc(cap);
		if (s->out != NULL) {
			memcpy(n, s->out, s->outlen);
			freezero(s->out, s->outcap);
		}
		s->out = n;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, buf, len);
	s->outlen += len;
}

/*
 * Queue one command line (CRLF added).  shown, if not NULL, replaces
 * the line in the -v trace: AUTH payloads never reach a log.
 */
static void
smtp_queue(struct smtp_session *s, const char *shown, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *esc;
	int	 len;

	va_start(ap, fmt);
	len = xvasprintf(&line, fmt, ap);
	va_end(ap);
	/* Arguments were validated; a CR or LF here is a bug. */
	if (strpbrk(line, "\r\n") != NULL)
		fatalx("smtp: line break in a command");
	if (log_is_verbose()) {
		if (shown != NULL)
			log_debug("> %s", shown);
		else {
			esc = log_escape(line, (size_t)len);
			log_debug("> %s", esc);
			free(esc);
		}
	}
	smtp_out_add(s, line, (size_t)len);
	smtp_out_add(s, "\r\n", 2);
	freezero(line, (size_t)len);
}

static int
smtp_flush(struct smtp_session *s, enum smtp_state st)
{
	char	*cause = NULL;
	int	 rv;

	if (s->outlen == 0)
		return (0);
	s->state = st;
	rv = net_write(&s->net, s->out, s->outlen,
	    net_deadline(smtp_timeout(s, st)), &cause);
	explicit_bzero(s->out, s->outlen);
	s->outlen = 0;
	if (rv == -1)
		return (smtp_die(s, cause));
	return (0);
}

static int
smtp_secret_in(const struct smtp_session *s, const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < SMTP_SECRETS; i++)
		if (s->secrets[i].s != NULL && s->secrets[i].len > 0 &&
		    memmem(line, len, s->secrets[i].s, s->secrets[i].len) !=
		    NULL)
			return (1);
	return (0);
}

/*
 * Read one complete reply into s->reply.  A malformed reply, a timeout,
 * a lost connection or a 421 ends the session.
 */
static int
smtp_read(struct smtp_session *s, enum smtp_state st)
{
	const char	*line;
	char		*cause = NULL, *esc;
	size_t		 len;
	int64_t		 deadline;
	int		 rv;

	s->state = st;
	s->reply_redacted = 0;
	reply_reset(&s->reply);
	deadline = net_deadline(smtp_timeout(s, st));
	do {
		if (net_read_line(&s->net, &line, &len, deadline, &cause) == -1)
			return (smtp_die(s, cause));
		if (smtp_secret_in(s, line, len)) {
			s->reply_redacted = 1;
			log_debug("< <redacted: the reply echoes a credential>");
		} else if (s->redact_334 && len >= 3 &&
		    memcmp(line, "334", 3) == 0) {
			/* With the proof, a key to a dictionary attack. */
			s->reply_redacted = 1;
			log_debug("< 334 <redacted>");
		} else if (log_is_verbose()) {
			esc = log_escape(line, len);
			log_debug("< %s", esc);
			free(esc);
		}
		if ((rv = reply_parse_line(line, len, &s->reply, &cause)) == -1)
			return (smtp_die(s, cause));
	} while (rv == 0);
	if (s->reply.code == 421) {
		esc = smtp_reply_str(s);
		xasprintf(&cause, "the smarthost closed the session: %s", esc);
		free(esc);
		return (smtp_die(s, cause));
	}
	return (0);
}

/* The current reply, escaped (or redacted), malloc'ed. */
static char *
smtp_reply_str(const struct smtp_session *s)
{
	char	*r;

	if (s->reply_redacted) {
		xasprintf(&r, "%03d <redacted: the reply echoes a credential>",
		    s->reply.code);
		return (r);
	}
	return (reply_string(&s->reply));
}

/* Send one command and read its reply. */
static int
smtp_cmd(struct smtp_session *s, enum smtp_state st, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	smtp_queue(s, NULL, "%s", line);
	free(line);
	if (smtp_flush(s, st) == -1)
		return (-1);
	return (smtp_read(s, st));
}

/* ---- session setup --------------------------------------------------- */

/* Fill *cause with why and the current reply: a session-level failure. */
static int
smtp_fail_open(struct smtp_session *s, char **cause, const char *why)
{
	char	*r;

	r = smtp_reply_str(s);
	xasprintf(cause, "%s: %s: %s", s->net.relay, why, r);
	free(r);
	return (-1);
}

static int
smtp_ehlo(struct smtp_session *s, char **cause)
{
	memset(&s->ehlo, 0, sizeof(s->ehlo));
	if (smtp_cmd(s, SMTP_EHLO, "EHLO %s", s->p.helo) == -1)
		return (-1);
	if (s->reply.code == 250) {
		reply_ehlo_parse(&s->reply, &s->ehlo);
		return (0);
	}
	if (reply_class(&s->reply) != 5)
		return (smtp_fail_open(s, cause, "EHLO refused"));
	/* Without EHLO there is no STARTTLS: only HELO inside TLS. */
	if (!s->tls)
		return (smtp_fail_open(s, cause, "EHLO refused, so no "
		    "STARTTLS; not sending in plain text"));
	if (smtp_cmd(s, SMTP_HELO, "HELO %s", s->p.helo) == -1)
		return (-1);
	if (reply_class(&s->reply) != 2)
		return (smtp_fail_open(s, cause, "HELO refused"));
	return (0);
}

static int
smtp_tls_start(struct smtp_session *s, char **cause)
{
	SSL	*ssl;
	char	*why = NULL;

	s->state = SMTP_TLS;
	if ((ssl = tls_new(s->ctx, s->p.host, &why)) == NULL ||
	    net_tls_start(&s->net, ssl, net_deadline(smtp_timeout(s,
	    SMTP_TLS)), &why) == -1 ||
	    tls_check(s->net.ssl, s->p.fingerprint, &why) == -1) {
		xasprintf(cause, "%s: %s", s->net.relay, why);
		free(why);
		/* The connection is unusable; no QUIT. */
		s->dead = 1;
		return (-1);
	}
	s->tls = 1;
	strlcpy(s->tls_version, tls_version(s->net.ssl),
	    sizeof(s->tls_version));
	strlcpy(s->tls_cipher, tls_cipher(s->net.ssl), sizeof(s->tls_cipher));
	log_debug("TLS established: %s %s", s->tls_version, s->tls_cipher);
	return (0);
}

static int
smtp_starttls(struct smtp_session *s, char **cause)
{
	size_t	 extra;

	if ((s->ehlo.ext & EHLO_STARTTLS) == 0) {
		xasprintf(cause, "%s: the smarthost does not offer STARTTLS; "
		    "not sending in plain text", s->net.relay);
		return (-1);
	}
	/* Alone in its write, and nothing may follow the 220. */
	if (smtp_cmd(s, SMTP_STARTTLS, "STARTTLS") == -1)
		return (-1);
	if (reply_class(&s->reply) != 2)
		return (smtp_fail_open(s, cause, "STARTTLS refused"));
	if ((extra = net_pending(&s->net)) > 0) {
		xasprintf(cause, "%s: STARTTLS response injection: %zu "
		    "unexpected bytes after the 220", s->net.relay, extra);
		s->dead = 1;
		return (-1);
	}
	if (smtp_tls_start(s, cause) == -1)
		return (-1);
	/* Forget everything learnt before TLS (RFC 3207 section 4.2). */
	memset(&s->ehlo, 0, sizeof(s->ehlo));
	return (smtp_ehlo(s, cause));
}

/*
 * An AUTH with an initial response (PLAIN, XOAUTH2, OAUTHBEARER).  A
 * 334 in return is a server that ignored the response (PLAIN) or an
 * error report (the OAuth mechanisms, RFC 7628 section 3.2.2): answer
 * with cancel ("*", an empty line, or ^A) and read the final reply,
 * which is never taken as success.
 */
static int
smtp_auth_initial(struct smtp_session *s, const char *b64, size_t len,
    const char *cancel)
{
	const char	*name = auth_mech_name(s->auth_mech);
	char		 shown[64];

	s->secrets[2].s = b64;
	s->secrets[2].len = len;
	snprintf(shown, sizeof(shown), "AUTH %s <redacted>", name);
	smtp_queue(s, shown, "AUTH %s %s", name, b64);
	if (smtp_flush(s, SMTP_AUTH) == -1 || smtp_read(s, SMTP_AUTH) == -1)
		return (-1);
	if (s->reply.code == 334) {
		smtp_queue(s, NULL, "%s", cancel);
		if (smtp_flush(s, SMTP_AUTH) == -1 ||
		    smtp_read(s, SMTP_AUTH) == -1)
			return (-1);
		s->reply.code = s->reply.code == 235 ? 535 : s->reply.code;
	}
	return (0);
}

/* PLAIN, XOAUTH2 or OAUTHBEARER: one payload, sent with the command. */
static int
smtp_auth_oneshot(struct smtp_session *s)
{
	char	*b64, *why = NULL;
	size_t	 len;
	int	 rv;

	if (s->auth_mech == EHLO_AUTH_PLAIN)
		b64 = auth_plain(s->p.user, s->p.password, &len, &why);
	else
		b64 = auth_bearer(s->auth_mech, s->p.user, s->p.password, &len,
		    &why);
	if (b64 == NULL)
		return (smtp_die(s, why));
	rv = smtp_auth_initial(s, b64, len,
	    s->auth_mech == EHLO_AUTH_PLAIN ? "*" :
	    s->auth_mech == EHLO_AUTH_XOAUTH2 ? "" : "AQ==");
	freezero(b64, len);
	return (rv);
}

static int
smtp_auth_login(struct smtp_session *s)
{
	char		*b64[2];
	size_t		 len[2];
	int		 i, rv = 0;

	b64[0] = auth_b64(s->p.user, strlen(s->p.user), &len[0]);
	b64[1] = auth_b64(s->p.password, strlen(s->p.password), &len[1]);
	s->secrets[2].s = b64[1];
	s->secrets[2].len = len[1];
	if (smtp_cmd(s, SMTP_AUTH, "AUTH LOGIN") == -1) {
		rv = -1;
		goto done;
	}
	for (i = 0; i < 2 && s->reply.code == 334; i++) {
		smtp_queue(s, "<redacted>", "%s", b64[i]);
		if (smtp_flush(s, SMTP_AUTH) == -1 ||
		    smtp_read(s, SMTP_AUTH) == -1) {
			rv = -1;
			goto done;
		}
	}
	if (s->reply.code == 334) {
		smtp_queue(s, NULL, "*");
		if (smtp_flush(s, SMTP_AUTH) == -1 ||
		    smtp_read(s, SMTP_AUTH) == -1)
			rv = -1;
		else if (s->reply.code == 235)
			s->reply.code = 535;
	}
done:
	freezero(b64[0], len[0] + 1);
	freezero(b64[1], len[1] + 1);
	return (rv);
}

/*
 * Choose the mechanism.  SCRAM-SHA-256-PLUS binds to the TLS exporter,
 * which is sound only with TLS 1.3: on an older session it is not
 * considered, even when offered.
 */
static int
smtp_auth_pick(struct smtp_session *s, char **cause)
{
	unsigned int	 offered = s->ehlo.auth;
	char		*why = NULL;

	if (SSL_version(s->net.ssl) != TLS1_3_VERSION) {
		offered &= ~EHLO_AUTH_SCRAM_SHA_256_PLUS;
		if (s->p.auth == CONF_AUTH_SCRAM_PLUS) {
			xasprintf(cause, "%s: auth = scram-sha-256-plus needs "
			    "TLS 1.3 (tls-exporter channel binding); this "
			    "session is %s", s->net.relay, s->tls_version);
			return (-1);
		}
	}
	if (auth_choose(s->p.auth, offered, &s->auth_mech, &why) == -1) {
		xasprintf(cause, "%s: %s", s->net.relay, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Send one SASL response (shown as <redacted>), then read the reply. */
static int
smtp_auth_send(struct smtp_session *s, char *b64, size_t len)
{
	int	 rv = 0;

	s->secrets[2].s = b64;
	s->secrets[2].len = len;
	smtp_queue(s, "<redacted>", "%s", b64);
	if (smtp_flush(s, SMTP_AUTH) == -1 || smtp_read(s, SMTP_AUTH) == -1)
		rv = -1;
	s->secrets[2].s = NULL;
	freezero(b64, len + 1);
	return (rv);
}

/* Decode the one-line 334 challenge just read; -1 if there is none. */
static int
smtp_challenge(struct smtp_session *s, unsigned char **out, size_t *len)
{
	const char	*t;
	size_t		 tlen;

	if (s->reply.code != 334 || s->reply.nlines != 1 ||
	    (t = reply_line(&s->reply, 0, &tlen)) == NULL)
		return (-1);
	return (auth_unb64(t, tlen, out, len));
}

/* CRAM-MD5 (RFC 2195): one challenge, one keyed digest. */
static int
smtp_auth_cram(struct smtp_session *s)
{
	unsigned char	*chal;
	char		*b64, *why = NULL;
	size_t		 clen, len;

	s->redact_334 = 1;
	if (smtp_cmd(s, SMTP_AUTH, "AUTH CRAM-MD5") == -1)
		return (-1);
	if (s->reply.code != 334)
		return (0);
	if (smtp_challenge(s, &chal, &clen) == -1)
		return (smtp_die(s, xstrdup("AUTH CRAM-MD5: the challenge "
		    "is not base64")));
	b64 = auth_cram_md5(s->p.user, s->p.password, chal, clen, &len, &why);
	free(chal);
	if (b64 == NULL)
		return (smtp_die(s, why));
	return (smtp_auth_send(s, b64, len));
}

/*
 * SCRAM-SHA-256[-PLUS] (scram.c): client-first with the AUTH command,
 * then smtp_scram_finish().  The gs2 flag: "p" when binding, "y" when
 * we could bind (TLS 1.3) but -PLUS was not offered, else "n".
 */
static int
smtp_auth_scram(struct smtp_session *s)
{
	struct scram	 sc;
	unsigned char	 cbdata[SCRAM_CB_LEN];
	enum scram_cb	 cb = SCRAM_CB_NONE;
	char		*msg, *b64, *why = NULL, shown[64];
	const char	*name = auth_mech_name(s->auth_mech);
	size_t		 len, blen;
	int		 rv = -1;

	memset(cbdata, 0, sizeof(cbdata));
	if (s->auth_mech == EHLO_AUTH_SCRAM_SHA_256_PLUS) {
		if (scram_exporter(s->net.ssl, cbdata, &why) == -1)
			return (smtp_die(s, why));
		cb = SCRAM_CB_EXPORTER;
	} else if (SSL_version(s->net.ssl) == TLS1_3_VERSION)
		cb = SCRAM_CB_UNOFFERED;
	msg = scram_start(&sc, s->p.user, NULL, cb, cbdata, &len, &why);
	OPENSSL_cleanse(cbdata, sizeof(cbdata));
	if (msg == NULL)
		return (smtp_die(s, why));
	b64 = auth_b64(msg, len, &blen);
	freezero(msg, len);
	snprintf(shown, sizeof(shown), "AUTH %s <redacted>", name);
	smtp_queue(s, shown, "AUTH %s %s", name, b64);
	freezero(b64, blen);
	s->redact_334 = 1;
	if (smtp_flush(s, SMTP_AUTH) == 0 && smtp_read(s, SMTP_AUTH) == 0)
		rv = s->reply.code == 334 ? smtp_scram_finish(s, &sc) : 0;
	scram_clear(&sc);
	return (rv);
}

/*
 * Answer the server-first message, check the server-final one, and
 * end the exchange.  A server that cannot prove it knows the password
 * (wrong signature, no signature, an e= error) ends the session: no
 * QUIT, no mail.
 */
static int
smtp_scram_finish(struct smtp_session *s, struct scram *sc)
{
	unsigned char	*chal;
	char		*msg, *why = NULL;
	size_t		 clen, len;
	int		 rv;

	if (smtp_challenge(s, &chal, &clen) == -1)
		return (smtp_die(s, xstrdup("SCRAM: the server-first message "
		    "is not base64")));
	msg = scram_final(sc, s->p.password, (char *)chal, clen, &len, &why);
	free(chal);
	if (msg == NULL)
		return (smtp_die(s, why));
	rv = smtp_auth_send(s, auth_b64(msg, len, &clen), clen);
	freezero(msg, len);
	if (rv == -1)
		return (-1);
	if (s->reply.code == 235)
		return (smtp_die(s, xstrdup("SCRAM: the smarthost accepted "
		    "us without proving it knows the password (no "
		    "server-final message)")));
	if (s->reply.code != 334)
		return (0);
	if (smtp_challenge(s, &chal, &clen) == -1)
		return (smtp_die(s, xstrdup("SCRAM: the server-final message "
		    "is not base64")));
	rv = scram_verify(sc, (char *)chal, clen, &why);
	free(chal);
	if (rv == -1)
		return (smtp_die(s, why));
	/* The empty response that ends a successful exchange. */
	smtp_queue(s, NULL, "%s", "");
	if (smtp_flush(s, SMTP_AUTH) == -1 || smtp_read(s, SMTP_AUTH) == -1)
		return (-1);
	return (0);
}

/*
 * SASL EXTERNAL (auth.c): the client certificate is the credential;
 * the user, if set, is the identity to act as.
 */
static int
smtp_auth_external(struct smtp_session *s, char **cause)
{
	char	*b64 = NULL, *why = NULL;
	size_t	 len;
	int	 rv;

	if (!s->tls || s->p.client == NULL) {
		xasprintf(cause, "%s: AUTH EXTERNAL needs TLS with a client "
		    "certificate", s->net.relay);
		return (-1);
	}
	if ((s->ehlo.ext & EHLO_AUTH) == 0 || auth_choose(s->p.auth,
	    s->ehlo.auth, &s->auth_mech, &why) == -1) {
		xasprintf(cause, "%s: %s", s->net.relay, why != NULL ? why :
		    "the smarthost does not offer AUTH");
		free(why);
		return (-1);
	}
	if (s->p.user != NULL)
		b64 = auth_b64(s->p.user, strlen(s->p.user), &len);
	/*
	 * The authorisation identity is no credential: length 0 keeps it
	 * off the list of strings redacted from replies.
	 */
	rv = smtp_auth_initial(s, b64 != NULL ? b64 : "=", 0, "*");
	memset(s->secrets, 0, sizeof(s->secrets));
	free(b64);
	if (rv == -1)
		return (-1);
	if (s->reply.code != 235)
		return (smtp_fail_open(s, cause, "AUTH EXTERNAL failed"));
	return (0);
}

static int
smtp_auth(struct smtp_session *s, char **cause)
{
	char	*why = NULL;
	int	 rv;

	if (s->p.auth == CONF_AUTH_EXTERNAL)
		return (smtp_auth_external(s, cause));
	if (s->p.auth == CONF_AUTH_NONE || s->p.user == NULL) {
		log_debug("AUTH not configured: skipped");
		return (0);
	}
	if (!s->tls) {
		xasprintf(cause, "%s: refusing to send AUTH outside TLS",
		    s->net.relay);
		return (-1);
	}
	if (s->p.password == NULL) {
		xasprintf(cause, "AUTH: no password");
		return (-1);
	}
	if ((s->ehlo.ext & EHLO_AUTH) == 0) {
		xasprintf(cause, "%s: the smarthost does not offer AUTH",
		    s->net.relay);
		return (-1);
	}
	if (smtp_auth_pick(s, cause) == -1)
		return (-1);
	s->secrets[0].s = s->p.password;
	s->secrets[0].len = strlen(s->p.password);
	if (s->auth_mech == EHLO_AUTH_LOGIN)
		rv = smtp_auth_login(s);
	else if (s->auth_mech == EHLO_AUTH_CRAM_MD5)
		rv = smtp_auth_cram(s);
	else if (s->auth_mech == EHLO_AUTH_SCRAM_SHA_256 ||
	    s->auth_mech == EHLO_AUTH_SCRAM_SHA_256_PLUS)
		rv = smtp_auth_scram(s);
	else
		rv = smtp_auth_oneshot(s);
	s->redact_334 = 0;
	memset(s->secrets, 0, sizeof(s->secrets));
	s->p.password = NULL;
	if (rv == -1)
		return (-1);
	if (s->reply.code != 235) {
		/* The caller may get a new OAuth2 token and try again. */
		if (s->p.auth_refused != NULL)
			*s->p.auth_refused = 1;
		xasprintf(&why, "AUTH %s failed", auth_mech_name(s->auth_mech));
		smtp_fail_open(s, cause, why);
		free(why);
		return (-1);
	}
	return (0);
}

/*
 * After connect: implicit TLS, greeting, EHLO, STARTTLS, AUTH.  While
 * s->opening is set a failure may move on to the next server.
 */
static int
smtp_open_steps(struct smtp_session *s, char **cause)
{
	if (s->p.implicit_tls && smtp_tls_start(s, cause) == -1)
		return (-1);
	if (smtp_read(s, SMTP_GREETING) == -1)
		return (-1);
	if (reply_class(&s->reply) != 2)
		return (smtp_fail_open(s, cause, "greeting refused"));
	if (smtp_ehlo(s, cause) == -1)
		return (-1);
	if (!s->p.implicit_tls && smtp_starttls(s, cause) == -1)
		return (-1);
	/* This server is usable: what it says now is the answer. */
	s->opening = 0;
	if (smtp_auth(s, cause) == -1)
		return (-1);
	return (0);
}

/*
 * Open a session with one server h.  On failure *next says whether the
 * next server may be tried (see the top of the file).
 */
static struct smtp_session *
smtp_open_host(const struct smtp_params *p, const struct hostlist_entry *h,
    int *next, char **cause)
{
	struct smtp_session	*s;

	*next = 0;
	*cause = NULL;
	s = xcalloc(1, sizeof(*s));
	s->p = *p;
	s->host = *h;
	s->p.host = s->host.name;
	s->p.port = s->host.port;
	if (s->p.helo == NULL || !smtp_valid(s->p.helo, 255, 0, 1) ||
	    strchr(s->p.helo, ' ') != NULL)
		s->p.helo = "localhost";
	if (s->p.connect_timeout <= 0)
		s->p.connect_timeout = SMTP_CONNECT_DEFAULT;
	net_init(&s->net);
	reply_init(&s->reply);
	s->inbuf = xmalloc(SMTP_CHUNK);
	s->wire = xmalloc(SMTP_WIRE_MAX + SMTP_CANON_END_MAX);
	if ((s->ctx = tls_ctx_new(p->ca_file, p->tls_min_version,
	    cause)) == NULL ||
	    (p->client != NULL && tls_ctx_client(s->ctx, p->client,
	    cause) == -1))
		goto fail;
	s->state = SMTP_CONNECT;
	s->opening = 1;
	if (net_connect(&s->net, s->p.host, s->p.port, p->source_address,
	    s->p.connect_timeout, cause) == -1)
		goto fail;
	log_debug("connected to %s", s->net.relay);
	if (smtp_open_steps(s, cause) == -1)
		goto fail;
	s->state = SMTP_READY;
	return (s);
fail:
	s->p.password = NULL;
	if (*cause == NULL && s->error != NULL)
		*cause = xstrdup(s->error);
	else if (*cause == NULL)
		*cause = xstrdup("SMTP session failed");
	*next = s->opening && s->reply.code / 100 != 5;
	log_debug("smtp_open: %s", *cause);
	smtp_close(s);
	return (NULL);
}

/*
 * Try the servers of p->host in order until one opens; each failure
 * that moves on is logged and, with trace, printed as "failed: why".
 */
static struct smtp_session *
smtp_open_any(const struct smtp_params *p, FILE *trace, char **cause)
{
	struct smtp_session	*s = NULL;
	struct hostlist		 l;
	char			*why = NULL;
	size_t			 i;
	int			 next = 0;

	if (hostlist_parse(p->host != NULL ? p->host : "", p->port, &l,
	    cause) == -1)
		return (NULL);
	for (i = 0; i < l.n; i++) {
		free(why);
		if ((s = smtp_open_host(p, &l.e[i], &next, &why)) != NULL)
			break;
		if (trace != NULL)
			fprintf(trace, "failed: %s\n", why);
		if (!next || i + 1 == l.n)
			break;
		log_info("smarthost %s:%u unusable: %s; trying %s:%u",
		    l.e[i].name, l.e[i].port, why, l.e[i + 1].name,
		    l.e[i + 1].port);
	}
	if (s != NULL) {
		if (i > 0)
			log_info("smarthost %s answered after %zu unusable",
			    s->net.relay, i);
		return (s);
	}
	if (i == 0) {
		*cause = why;
		return (NULL);
	}
	xasprintf(cause, "%s (%zu smarthosts tried)", why, i + 1);
	free(why);
	return (NULL);
}

/*
 * Open a session: connect, TLS (implicit, or STARTTLS which is then
 * required), EHLO, AUTH, with the servers of the host list in turn.
 * On failure return NULL with *fail (always MF_TEMP: the smarthost's
 * state says nothing about a message) and a cause.  The params'
 * strings must outlive the session, except the password, which is not
 * used after smtp_open() returns.
 */
struct smtp_session *
smtp_open(const struct smtp_params *p, enum mf_fail *fail, char **cause)
{
	*fail = MF_TEMP;
	*cause = NULL;
	return (smtp_open_any(p, NULL, cause));
}

/* ---- transactions ---------------------------------------------------- */

/*
 * Whether s (at most max bytes) can go into a command: no control
 * characters, DEL, '<' or '>', non-ASCII only when utf8 is set, and
 * non-empty unless empty_ok.
 */
static int
smtp_valid(const char *s, size_t max, int utf8, int nonempty)
{
	const unsigned char	*p;
	size_t			 len;

	len = strnlen(s, max + 1);
	if (len > max || (nonempty && len == 0))
		return (0);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return (0);
		if (*p >= 0x80 && !utf8)
			return (0);
	}
	return (1);
}

static void
smtp_set_msg(struct smtp_msg *m, const char *reply)
{
	free(m->reply);
	m->reply = reply != NULL ? xstrdup(reply) : NULL;
}

static void
smtp_set_rcpt(struct smtp_rcpt *r, int code, const char *reply)
{
	r->result = smtp_fail_of(code);
	r->code = code;
	free(r->reply);
	r->reply = reply != NULL ? xstrdup(reply) : NULL;
}

static enum mf_fail
smtp_fail_of(int code)
{
	switch (code / 100) {
	case 2:
		return (MF_OK);
	case 5:
		return (MF_PERM);
	default:
		return (MF_TEMP);
	}
}

/* Whether addr may go into MAIL FROM or RCPT TO of this message. */
static int
smtp_addr_ok(const char *addr, int flags, int utf8)
{
	const char	*why;

	return (addr != NULL && envelope_valid_address(addr, flags,
	    &why) == 0 && (utf8 || !envelope_needs_smtputf8(addr)));
}

/* Whether the DSN parameters are in the spool's canonical form. */
static int
smtp_params_ok(const struct smtp_msg *m)
{
	const char	*why, *canon;
	unsigned int	 bits;
	size_t		 i;

	if ((m->ret != NULL && envelope_ret_parse(m->ret, ENVELOPE_CANON,
	    &canon, &why) == -1) || (m->envid != NULL &&
	    envelope_valid_envid(m->envid, &why) == -1))
		return (0);
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].notify != NULL && envelope_notify_parse(
		    m->rcpts[i].notify, ENVELOPE_CANON, &bits, &why) == -1)
			return (0);
	return (m->offset >= 0 && m->size >= 0);
}

/*
 * Local checks before a transaction; on a permanent problem the message
 * fails without one.  Returns 0 if the message can be sent.
 */
static int
smtp_precheck(struct smtp_session *s, struct smtp_msg *m)
{
	char	 why[256];
	size_t	 i, ok = 0;
	int	 utf8 = m->smtputf8;

	why[0] = '\0';
	if (m->smtputf8 && (s->ehlo.ext & EHLO_SMTPUTF8) == 0)
		snprintf(why, sizeof(why), "553 5.6.7 the message needs "
		    "SMTPUTF8, which the smarthost does not offer");
	else if (s->ehlo.size > 0 && m->size > s->ehlo.size)
		snprintf(why, sizeof(why), "552 5.3.4 message size %lld "
		    "exceeds the smarthost's limit of %lld",
		    (long long)m->size, s->ehlo.size);
	else if (!smtp_addr_ok(m->sender, ENVELOPE_NULL_OK, utf8))
		snprintf(why, sizeof(why), "553 5.1.7 invalid sender address");
	else if (!smtp_params_ok(m))
		snprintf(why, sizeof(why), "554 5.5.4 invalid envelope "
		    "parameters");
	for (i = 0; i < m->nrcpts; i++) {
		m->rcpts[i].accepted = m->rcpts[i].sent = 0;
		if (why[0] == '\0' && !smtp_addr_ok(m->rcpts[i].addr, 0, utf8))
			smtp_set_rcpt(&m->rcpts[i], 553,
			    "553 5.1.3 invalid recipient address");
		else if (why[0] != '\0')
			smtp_set_rcpt(&m->rcpts[i], (why[0] - '0') * 100 +
			    (why[1] - '0') * 10 + (why[2] - '0'), why);
		else
			ok++;
	}
	if (why[0] == '\0' && ok == 0)
		snprintf(why, sizeof(why), "554 5.5.1 no valid recipient");
	if (why[0] == '\0')
		return (0);
	smtp_set_msg(m, why);
	m->result = MF_PERM;
	log_debug("message not sent: %s", why);
	return (-1);
}

/* The first message from i on that passes smtp_precheck(), or n. */
static size_t
smtp_next(struct smtp_session *s, struct smtp_msg *msgs, size_t n, size_t i)
{
	for (; i < n; i++)
		if (smtp_precheck(s, &msgs[i]) == 0)
			break;
	return (i);
}

static void
smtp_mail_params(struct smtp_session *s, struct smtp_msg *m, char *buf,
    size_t len)
{
	char	 tmp[SMTP_PARAM_MAX + 16];
	char	*xtext;

	buf[0] = '\0';
	if (s->ehlo.ext & EHLO_SIZE) {
		snprintf(tmp, sizeof(tmp), " SIZE=%lld", (long long)m->size);
		strlcat(buf, tmp, len);
	}
	if (m->body_8bit && (s->ehlo.ext & EHLO_8BITMIME))
		strlcat(buf, " BODY=8BITMIME", len);
	if (m->smtputf8)
		strlcat(buf, " SMTPUTF8", len);
	if ((s->ehlo.ext & EHLO_DSN) && m->ret != NULL) {
		snprintf(tmp, sizeof(tmp), " RET=%s", m->ret);
		strlcat(buf, tmp, len);
	}
	if ((s->ehlo.ext & EHLO_DSN) && m->envid != NULL) {
		xtext = envelope_envid_encode(m->envid);
		strlcat(buf, " ENVID=", len);
		if (strlcat(buf, xtext, len) >= len)
			fatalx("smtp: MAIL parameters too long");
		free(xtext);
	}
}

/* Queue a pipelined envelope: [RSET] MAIL, every valid RCPT, DATA. */
static void
smtp_envelope(struct smtp_session *s, struct smtp_msg *m)
{
	struct smtp_rcpt	*r;
	char			 params[512];
	size_t			 i;
	int			 dsn = (s->ehlo.ext & EHLO_DSN) != 0;

	if (s->need_rset) {
		smtp_queue(s, NULL, "RSET");
		s->rset_sent = 1;
		s->need_rset = 0;
	}
	smtp_mail_params(s, m, params, sizeof(params));
	smtp_queue(s, NULL, "MAIL FROM:<%s>%s", m->sender, params);
	for (i = 0; i < m->nrcpts; i++) {
		r = &m->rcpts[i];
		if (r->code != 0)
			continue;
		r->sent = 1;
		smtp_queue(s, NULL, "RCPT TO:<%s>%s%s", r->addr,
		    dsn && r->notify != NULL ? " NOTIFY=" : "",
		    dsn && r->notify != NULL ? r->notify : "");
	}
	smtp_queue(s, NULL, "DATA");
}

/* Apply the MAIL reply; return 1 if the transaction started. */
static int
smtp_mail_reply(struct smtp_session *s, struct smtp_msg *m)
{
	char	*str;
	size_t	 i;

	if (reply_class(&s->reply) == 2)
		return (1);
	str = smtp_reply_str(s);
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].code == 0)
			smtp_set_rcpt(&m->rcpts[i], s->reply.code, str);
	smtp_set_msg(m, str);
	m->result = smtp_fail_of(s->reply.code);
	free(str);
	return (0);
}

/* Apply one RCPT reply; return 1 if the recipient was accepted. */
static int
smtp_rcpt_reply(struct smtp_session *s, struct smtp_msg *m,
    struct smtp_rcpt *r, int mail_ok)
{
	char	*str;

	if (!mail_ok)
		return (0);
	if (reply_class(&s->reply) == 2) {
		r->accepted = 1;
		return (1);
	}
	str = smtp_reply_str(s);
	smtp_set_rcpt(r, s->reply.code, str);
	smtp_set_msg(m, str);
	free(str);
	return (0);
}

/* Stream the canonicalised message from the spool, 32 KiB at a time. */
static int
smtp_body(struct smtp_session *s, struct smtp_msg *m, struct smtp_canon *c)
{
	char	*cause = NULL;
	off_t	 off = m->offset, left = m->size;
	ssize_t	 r;
	size_t	 want, w;

	s->state = SMTP_BODY;
	log_debug("> <%lld bytes of message data>", (long long)m->size);
	while (left > 0) {
		want = left < SMTP_CHUNK ? (size_t)left : SMTP_CHUNK;
		r = pread(m->fd, s->inbuf, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			xasprintf(&cause, "reading the spool entry: %s",
			    strerror(errno));
		else if (r == 0)
			xasprintf(&cause, "the spool entry is truncated");
		/* Close without the final dot: the server drops the data. */
		if (r <= 0)
			return (smtp_die(s, cause));
		w = smtp_canon(c, s->inbuf, (size_t)r, s->wire);
		if (net_write(&s->net, s->wire, w,
		    net_deadline(smtp_timeout(s, SMTP_BODY)), &cause) == -1)
			return (smtp_die(s, cause));
		off += r;
		left -= r;
	}
	return (0);
}

/*
 * After the DATA reply: send the body (with the next message's envelope
 * behind the final dot when pipelining) and apply the end-of-data reply,
 * or apply a refusal of DATA to the accepted recipients.
 */
static int
smtp_txn_data(struct smtp_session *s, struct smtp_msg *msgs, size_t n,
    size_t i, int mail_ok, size_t naccepted, size_t *next)
{
	struct smtp_msg		*m = &msgs[i];
	struct smtp_canon	 c;
	char			*str, end[SMTP_CANON_END_MAX];
	size_t			 j, len;
	int			 code;

	if (s->reply.code == 354 && (!mail_ok || naccepted == 0)) {
		/* A server that takes DATA with nobody to send to. */
		log_debug("> .");
		smtp_out_add(s, ".\r\n", 3);
		if (smtp_flush(s, SMTP_DOT) == -1 || smtp_read(s, SMTP_DOT) ==
		    -1)
			return (-1);
		s->need_rset = 1;
		return (0);
	}
	if (s->reply.code != 354) {
		s->need_rset = mail_ok;
		if (!mail_ok || naccepted == 0)
			return (0);
	} else {
		smtp_canon_init(&c);
		if (smtp_body(s, m, &c) == -1)
			return (-1);
		len = smtp_canon_end(&c, end);
		log_debug("> .");
		smtp_out_add(s, end, len);
		if (s->ehlo.ext & EHLO_PIPELINING) {
			*next = smtp_next(s, msgs, n, i + 1);
			if (*next < n)
				smtp_envelope(s, &msgs[*next]);
		}
		if (smtp_flush(s, SMTP_DOT) == -1 ||
		    smtp_read(s, SMTP_DOT) == -1)
			return (-1);
		s->need_rset = 0;
	}
	code = s->reply.code;
	str = smtp_reply_str(s);
	for (j = 0; j < m->nrcpts; j++) {
		if (!m->rcpts[j].accepted)
			continue;
		smtp_set_rcpt(&m->rcpts[j], code, str);
	}
	smtp_set_msg(m, str);
	free(str);
	/* Only a 2xx to the final dot delivers. */
	m->result = smtp_fail_of(code);
	if (s->state != SMTP_DOT && m->result == MF_OK)
		m->result = MF_TEMP;
	for (j = 0; j < m->nrcpts; j++)
		if (m->rcpts[j].accepted)
			m->rcpts[j].result = m->result;
	return (0);
}

/* The pipelined transaction: one write, replies read in order. */
static int
smtp_txn_pipelined(struct smtp_session *s, struct smtp_msg *msgs, size_t n,
    size_t i, int ahead, size_t *next)
{
	struct smtp_msg	*m = &msgs[i];
	size_t		 j, naccepted = 0;
	int		 mail_ok;

	if (!ahead) {
		smtp_envelope(s, m);
		if (smtp_flush(s, SMTP_MAIL) == -1)
			return (-1);
	}
	if (s->rset_sent) {
		s->rset_sent = 0;
		if (smtp_read(s, SMTP_RSET) == -1)
			return (-1);
		if (reply_class(&s->reply) != 2)
			return (smtp_die(s, smtp_reply_str(s)));
	}
	if (smtp_read(s, SMTP_MAIL) == -1)
		return (-1);
	mail_ok = smtp_mail_reply(s, m);
	for (j = 0; j < m->nrcpts; j++) {
		if (!m->rcpts[j].sent)
			continue;
		if (smtp_read(s, SMTP_RCPT) == -1)
			return (-1);
		naccepted += smtp_rcpt_reply(s, m, &m->rcpts[j], mail_ok);
	}
	if (smtp_read(s, SMTP_DATA) == -1)
		return (-1);
	return (smtp_txn_data(s, msgs, n, i, mail_ok, naccepted, next));
}

/* The transaction one command per round trip. */
static int
smtp_txn_serial(struct smtp_session *s, struct smtp_msg *msgs, size_t n,
    size_t i, size_t *next)
{
	struct smtp_msg		*m = &msgs[i];
	struct smtp_rcpt	*r;
	char			 params[512];
	size_t			 j, naccepted = 0;
	int			 dsn = (s->ehlo.ext & EHLO_DSN) != 0;

	if (s->need_rset) {
		if (smtp_cmd(s, SMTP_RSET, "RSET") == -1)
			return (-1);
		if (reply_class(&s->reply) != 2)
			return (smtp_die(s, smtp_reply_str(s)));
		s->need_rset = 0;
	}
	smtp_mail_params(s, m, params, sizeof(params));
	if (smtp_cmd(s, SMTP_MAIL, "MAIL FROM:<%s>%s", m->sender,
	    params) == -1)
		return (-1);
	if (smtp_mail_reply(s, m) == 0)
		return (0);
	for (j = 0; j < m->nrcpts; j++) {
		r = &m->rcpts[j];
		if (r->code != 0)
			continue;
		r->sent = 1;
		if (smtp_cmd(s, SMTP_RCPT, "RCPT TO:<%s>%s%s", r->addr,
		    dsn && r->notify != NULL ? " NOTIFY=" : "",
		    dsn && r->notify != NULL ? r->notify : "") == -1)
			return (-1);
		naccepted += smtp_rcpt_reply(s, m, r, 1);
	}
	if (naccepted == 0) {
		s->need_rset = 1;
		return (0);
	}
	if (smtp_cmd(s, SMTP_DATA, "DATA") == -1)
		return (-1);
	return (smtp_txn_data(s, msgs, n, i, 1, naccepted, next));
}

static void
smtp_msg_reset(struct smtp_msg *m, const char *why)
{
	size_t	 i;

	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].reply);
		m->rcpts[i].reply = NULL;
		m->rcpts[i].result = MF_TEMP;
		m->rcpts[i].code = 0;
		m->rcpts[i].sent = m->rcpts[i].accepted = 0;
	}
	m->result = MF_TEMP;
	smtp_set_msg(m, why);
}

/*
 * Send a batch of messages over the session, filling every message's
 * and recipient's result.  The result fields must be zero or left by an
 * earlier call.  Return -1 if the session died: the message being sent
 * and the ones after it are MF_TEMP, the current one with the cause.
 */
int
smtp_send(struct smtp_session *s, struct smtp_msg *msgs, size_t n)
{
	size_t	 i, next;
	int	 ahead = 0, rv;

	for (i = 0; i < n; i++) {
		smtp_msg_reset(&msgs[i], NULL);
		msgs[i].attempted = 0;
	}
	if (!s->dead && !s->tls) {
		/* smtp_open() never allows this; refuse to leak mail. */
		s->dead = 1;
		free(s->error);
		s->error = xstrdup("refusing to send mail outside TLS");
	}
	if (s->dead) {
		if (n > 0)
			smtp_set_msg(&msgs[0], s->error);
		return (-1);
	}
	i = smtp_next(s, msgs, n, 0);
	while (i < n) {
		next = n;
		msgs[i].attempted = 1;
		if (s->ehlo.ext & EHLO_PIPELINING)
			rv = smtp_txn_pipelined(s, msgs, n, i, ahead, &next);
		else
			rv = smtp_txn_serial(s, msgs, n, i, &next);
		if (rv == -1) {
			smtp_msg_reset(&msgs[i], s->error);
			return (-1);
		}
		if (next < n) {
			i = next;
			ahead = 1;
		} else {
			i = smtp_next(s, msgs, n, i + 1);
			ahead = 0;
		}
	}
	s->state = SMTP_READY;
	return (0);
}

/* ---- teardown and accessors ------------------------------------------ */

static void
smtp_free(struct smtp_session *s)
{
	/* A dead connection gets no TLS close_notify either. */
	if (s->dead)
		s->net.eof = 1;
	net_close(&s->net);
	if (s->ctx != NULL)
		SSL_CTX_free(s->ctx);
	reply_free(&s->reply);
	if (s->out != NULL)
		freezero(s->out, s->outcap);
	free(s->inbuf);
	free(s->wire);
	free(s->error);
	freezero(s, sizeof(*s));
}

/*
 * Say QUIT and free the session.  The 221 is not waited for: every
 * result is known by now, and the reply would only cost the run (and a
 * -odi caller) one more round trip; the server ends the session on
 * QUIT either way (RFC 5321 4.1.1.10).
 */
void
smtp_close(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (!s->dead && s->net.fd != -1) {
		s->outlen = 0;
		smtp_queue(s, NULL, "QUIT");
		(void)smtp_flush(s, SMTP_QUIT);
	}
	smtp_free(s);
}

/* Free the replies smtp_send() stored in a message. */
void
smtp_msg_clear(struct smtp_msg *m)
{
	size_t	 i;

	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].reply);
		m->rcpts[i].reply = NULL;
	}
	free(m->reply);
	m->reply = NULL;
}

/* "host[ip]:port" of the connected smarthost, for log lines. */
const char *
smtp_relay(const struct smtp_session *s)
{
	return (s->net.relay);
}

/* The TLS protocol version, e.g. "TLSv1.3". */
const char *
smtp_tls_version(const struct smtp_session *s)
{
	return (s->tls ? s->tls_version : "none");
}

/* The TLS cipher suite. */
const char *
smtp_tls_cipher(const struct smtp_session *s)
{
	return (s->tls ? s->tls_cipher : "none");
}

/* Why the session died, or "". */
const char *
smtp_error(const struct smtp_session *s)
{
	return (s->error != NULL ? s->error : "");
}

/*
 * Connect, secure, authenticate and describe the smarthost on out,
 * sending no mail (mailferry --check).
 */
int
smtp_probe(const struct smtp_params *p, FILE *out, char **cause)
{
	struct smtp_session	*s;
	char			 subj[512], iss[512], *e1, *e2;
	unsigned int		 f;

	*cause = NULL;
	if ((s = smtp_open_any(p, out, cause)) == NULL)
		return (-1);
	fprintf(out, "relay: %s\n", s->net.relay);
	fprintf(out, "tls: %s %s%s\n", s->tls_version, s->tls_cipher,
	    p->implicit_tls ? " (implicit)" : " (STARTTLS)");
	if (tls_peer_names(s->net.ssl, subj, sizeof(subj), iss,
	    sizeof(iss)) == 0) {
		e1 = log_escape(subj, strlen(subj));
		e2 = log_escape(iss, strlen(iss));
		fprintf(out, "certificate: %s\nissuer: %s\nverify: ok%s\n",
		    e1, e2, p->fingerprint != NULL ? ", pin matches" : "");
		free(e1);
		free(e2);
	}
	smtp_probe_client(p, out);
	if (s->auth_mech != 0)
		fprintf(out, "auth: %s accepted\n",
		    auth_mech_name(s->auth_mech));
	else
		fprintf(out, "auth: not used\n");
	if (s->ehlo.size > 0)
		fprintf(out, "size limit: %lld\n", s->ehlo.size);
	else
		fprintf(out, "size limit: none\n");
	fprintf(out, "extensions:");
	for (f = EHLO_STARTTLS; f <= EHLO_ENHANCEDSTATUSCODES; f <<= 1)
		if (s->ehlo.ext & f)
			fprintf(out, " %s", reply_ehlo_name(f));
	fprintf(out, "\n");
	smtp_close(s);
	return (0);
}

/* --check: the client certificate we present, never the key. */
static void
smtp_probe_client(const struct smtp_params *p, FILE *out)
{
	if (p->client == NULL)
		fprintf(out, "client certificate: none\n");
	else
		fprintf(out, "client certificate: %s %s\n",
		    p->client->subject, p->client->fingerprint);
}
