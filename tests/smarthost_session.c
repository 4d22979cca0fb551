/*
 * smarthost: one SMTP session -- the command loop, the ESMTP verbs,
 * script rules applied to them, and the per-session recording.
 *
 * Recording layout (with -d DIR; details in tests/smarthost.md):
 *
 *	DIR/sessions		finished sessions, "N\n", rewritten (tmp +
 *				rename) after each session's files are closed
 *	DIR/session.N/transcript  "C: " / "TLS C: " client lines, "S: "
 *				reply lines, "*: " server events
 *	DIR/session.N/auth	authenticated identity, "user\n"
 *	DIR/session.N/peer	client address, "127.0.0.1\n"
 *	DIR/session.N/client_cert  verified client certificate subject (-V)
 *	DIR/session.N/flights	flights in the session, "N\n"
 *	DIR/session.N/msg.K.env	"mail CODE ARGS", "rcpt CODE ARGS" ...,
 *				"data CODE", "dot CODE" (or "dot -" when
 *				disconnected), "rset" when reset
 *	DIR/session.N/msg.K.data  message bytes, dot-unstuffed, line ends
 *				as received, without the final ".CRLF"
 *	DIR/session.N/msg.K.flights  flights from MAIL to end-of-data reply
 *	DIR/session.N/msg.K.arrival  flights from the session's start to it
 *
 * K counts the transactions of the session whose MAIL was accepted.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "smarthost.h"

#define FLOOD_CHUNK	64		/* flood lines per write */

enum auth_state {
	AUTH_NONE,
	AUTH_PLAIN_WAIT,
	AUTH_LOGIN_USER,
	AUTH_LOGIN_PASS,
	AUTH_XOAUTH2_WAIT,
	AUTH_OAUTHBEARER_WAIT,
	AUTH_BEARER_ERR,	/* sent the 334 error, awaiting its answer */
	AUTH_SCRAM_FIRST,	/* awaiting client-first (no initial resp.) */
	AUTH_SCRAM_FINAL,	/* sent server-first */
	AUTH_SCRAM_END,		/* sent server-final, awaiting "" */
	AUTH_CRAM_WAIT,		/* sent the CRAM-MD5 challenge */
	AUTH_EXTERNAL_WAIT	/* awaiting EXTERNAL's authzid */
};

struct session {
	struct sh_conn	 conn;
	int		 num;
	char		 dir[PATH_MAX];		/* "": not recording */
	int		 greeted;
	int		 refused;		/* greeting was not 2xx */
	int		 closing;
	int		 discarding;		/* rest of an overlong line */
	int		 authed;
	enum auth_state	 auth_state;
	char		 login_user[256];
	struct sh_scram	*scram;
	char		 cram_chal[320];
	char		 client_subject[512];	/* verified, "": none */
	int		 in_txn;
	int		 msgno;
	long		 txn;			/* global transaction number */
	int		 rcpt_ok;
	FILE		*env;
	FILE		*data;
	int		 data_mode;
	int		 data_bol;
	unsigned long	 data_size;
	long		 msg_flight;		/* flight of the MAIL reply */
	int		 counts[EV_COUNT];
};

static FILE	*rec_open(struct session *, const char *, int);
static void	 rec_number(struct session *, const char *, int, long);
static void	 out(struct session *, const char *, size_t);
static void	 reply(struct session *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static size_t	 std_reply(char *, size_t, const char *, const char *,
		    const char *);
static struct sh_rule *rule(struct session *, enum sh_event, const char *);
static int	 rule_rejects(struct session *, struct sh_rule *);
static const char *eff(struct sh_rule *, const char *);
static void	 emit(struct session *, struct sh_rule *, const char *,
		    size_t);
static void	 flood(struct session *, struct sh_rule *, const char *);
static long	 cur_flight(struct session *);
static void	 txn_end(struct session *, const char *);
static void	 do_greeting(struct session *);
static void	 do_ehlo(struct session *, const char *,
		    int);
static void	 do_starttls(struct session *, const char *);
static void	 do_auth(struct session *, const char *);
static void	 auth_line(struct session *, const char *);
static void	 auth_check(struct session *, const char *, const char *);
static void	 auth_ok(struct session *, const char *);
static void	 auth_fail(struct session *, const char *, const char *);
static void	 reply_b64(struct session *, const char *);
static void	 auth_scram(struct session *, const char *);
static void	 auth_cram(struct session *, char *);
static int	 pass_ok(const char *);
static void	 do_mail(struct session *, const char *);
static void	 do_rcpt(struct session *, const char *);
static void	 do_data(struct session *, const char *);
static void	 do_dot(struct session *);
static void	 dispatch(struct session *, char *);
static int	 data_step(struct session *);
static int	 step(struct session *);
static void	 session_end(struct session *);
static int	 b64_decode(const char *, char *, size_t);
static void	 client_cert(struct session *);
static void	 auth_external(struct session *, const char *);
static void	 record_peer(struct session *, int);

/* Open a file in the session directory, or NULL when not recording. */
static FILE *
rec_open(struct session *s, const char *name, int msgno)
{
	char	path[PATH_MAX];
	FILE	*f;
	int	n;

	if (s->dir[0] == '\0')
		return (NULL);
	if (msgno > 0)
		n = snprintf(path, sizeof(path), "%s/msg.%d.%s", s->dir,
		    msgno, name);
	else
		n = snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		sh_fatal("path too long");
	if ((f = fopen(path, "w")) == NULL)
		sh_fatal("%s: %s", path, strerror(errno));
	return (f);
}

/* Write "N\n" to a session file (msgno > 0: a per-message file). */
static void
rec_number(struct session *s, const char *name, int msgno, long v)
{
	FILE	*f;

	if ((f = rec_open(s, name, msgno)) == NULL)
		return;
	fprintf(f, "%ld\n", v);
	fclose(f);
}

/* Queue reply bytes and log them. */
static void
out(struct session *s, const char *buf, size_t len)
{
	conn_log(&s->conn, "S:", buf, len);
	conn_queue(&s->conn, buf, len);
}

/* Queue a formatted one-line reply (CRLF added). */
static void
reply(struct session *s, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	out(s, buf, (size_t)n);
}

/*
 * Format a standard reply "CODE ENH TEXT\r\n" into buf; the enhanced
 * code is left out when ENHANCEDSTATUSCODES is switched off.
 */
static size_t
std_reply(char *buf, size_t size, const char *code, const char *enh,
    const char *text)
{
	int	n;

	if ((sh_conf.ext & EXT_ENHANCED) != 0 && enh != NULL)
		n = snprintf(buf, size, "%s %s %s\r\n", code, enh, text);
	else
		n = snprintf(buf, size, "%s %s\r\n", code, text);
	if (n < 0 || (size_t)n >= size)
		sh_fatal("reply too long");
	return ((size_t)n);
}

/* Standard reply straight to the batch. */
#define STD(s, code, enh, text) do {					\
	char	 b_[1024];						\
	size_t	 l_ = std_reply(b_, sizeof(b_), code, enh, text);	\
	out(s, b_, l_);							\
} while (0)

/* Find the script rule for this event, counting the occurrence. */
static struct sh_rule *
rule(struct session *s, enum sh_event ev, const char *arg)
{
	struct sh_rule	*r;

	s->counts[ev]++;
	r = script_match(&sh_conf, ev, s->num, s->counts[ev], s->txn, arg);
	if (r != NULL)
		conn_event(&s->conn, "rule at script line %d fires on %s",
		    r->line, script_event_name(ev));
	return (r);
}

/*
 * Does the rule replace the command's outcome?  A disconnect closes the
 * session; a reply or raw text not starting with 2 or 3 rejects the
 * command, which then has no effect.  Either way the caller stops.
 */
static int
rule_rejects(struct session *s, struct sh_rule *r)
{
	if (r == NULL)
		return (0);
	if (r->action == ACT_DISCONNECT) {
		if (r->stall_ms > 0) {
			conn_flush(&s->conn);
			sh_sleep_ms(r->stall_ms);
		}
		conn_event(&s->conn, "disconnect without reply");
		s->closing = 1;
		return (1);
	}
	if ((r->action == ACT_REPLY || r->action == ACT_RAW) &&
	    r->text[0] != '2' && r->text[0] != '3') {
		emit(s, r, NULL, 0);
		return (1);
	}
	return (0);
}

/* What the client sees first: the rule's text or the normal reply. */
static const char *
eff(struct sh_rule *r, const char *normal)
{
	if (r != NULL && (r->action == ACT_REPLY || r->action == ACT_RAW))
		return (r->text);
	return (normal);
}

/* Stream "CODE-flood line N" continuation lines; 0 lines: endless. */
static void
flood(struct session *s, struct sh_rule *r, const char *code)
{
	char	buf[FLOOD_CHUNK * 64];
	size_t	len;
	long	i = 0;
	int	j, n;

	conn_flush(&s->conn);
	while (!s->conn.dead && !sh_quit && (r->flood == 0 || i < r->flood)) {
		len = 0;
		for (j = 0; j < FLOOD_CHUNK && (r->flood == 0 ||
		    i < r->flood); j++, i++) {
			n = snprintf(buf + len, sizeof(buf) - len,
			    "%.3s-flood line %ld\r\n", code, i + 1);
			if (n < 0 || (size_t)n >= sizeof(buf) - len)
				break;
			len += (size_t)n;
		}
		conn_write_now(&s->conn, buf, len);
	}
	conn_event(&s->conn, "flooded %ld continuation lines", i);
}

/*
 * Send a reply to the batch: the normal one, or the rule's version of
 * it, with the rule's modifiers (stall, flood, pad, slow, close).
 */
static void
emit(struct session *s, struct sh_rule *r, const char *normal, size_t nlen)
{
	char	*buf;
	size_t	 len = 0, tail, size;

	if (r == NULL) {
		out(s, normal, nlen);
		return;
	}
	if (r->stall_ms > 0) {
		/* Earlier replies of the batch go out before the stall. */
		conn_flush(&s->conn);
		conn_event(&s->conn, "stall %ld ms", r->stall_ms);
		sh_sleep_ms(r->stall_ms);
	}
	size = nlen + r->textlen + r->pad + 2;
	if ((buf = malloc(size)) == NULL)
		sh_fatal("out of memory");
	if (r->action == ACT_REPLY || r->action == ACT_RAW) {
		memcpy(buf, r->text, r->textlen);
		len = r->textlen;
		if (r->action == ACT_REPLY) {
			buf[len++] = '\r';
			buf[len++] = '\n';
		}
	} else {
		memcpy(buf, normal, nlen);
		len = nlen;
	}
	if (r->flood >= 0)
		flood(s, r, len >= 3 ? buf : "250");
	if (r->pad > 0) {
		/* Padding goes at the end of the last line, before CRLF. */
		tail = len >= 2 && buf[len - 2] == '\r' &&
		    buf[len - 1] == '\n' ? 2 : 0;
		memmove(buf + len - tail + r->pad, buf + len - tail, tail);
		memset(buf + len - tail, 'x', r->pad);
		len += r->pad;
	}
	if (r->action == ACT_APPEND) {
		memcpy(buf + len, r->text, r->textlen);
		len += r->textlen;
	}
	out(s, buf, len);
	free(buf);
	if (r->slow_ms > 0)
		s->conn.slow_ms = r->slow_ms;
	if (r->close) {
		conn_event(&s->conn, "close after reply");
		s->closing = 1;
	}
}

/* The flight the reply being prepared will be written in. */
static long
cur_flight(struct session *s)
{
	return (s->conn.flights + (s->conn.awaiting ? 1 : 0));
}

/* Close the transaction's records, with a last env line if given. */
static void
txn_end(struct session *s, const char *why)
{
	if (!s->in_txn)
		return;
	if (s->data != NULL)
		fclose(s->data);
	s->data = NULL;
	if (s->env != NULL) {
		if (why != NULL)
			fprintf(s->env, "%s\n", why);
		fclose(s->env);
	}
	s->env = NULL;
	s->in_txn = 0;
	s->data_mode = 0;
	s->rcpt_ok = 0;
}

static void
do_greeting(struct session *s)
{
	struct sh_rule	*r;
	char		 buf[SH_TEXT_MAX + 3];
	size_t		 len;
	int		 n;

	if (sh_conf.greeting[0] != '\0')
		n = snprintf(buf, sizeof(buf), "%s\r\n", sh_conf.greeting);
	else
		n = snprintf(buf, sizeof(buf), "220 %s ESMTP smarthost\r\n",
		    sh_conf.hostname);
	if (n < 0 || (size_t)n >= sizeof(buf))
		sh_fatal("greeting too long");
	len = (size_t)n;
	r = rule(s, EV_CONNECT, NULL);
	if (r != NULL && r->action == ACT_DISCONNECT) {
		rule_rejects(s, r);
		return;
	}
	/* Not 2xx: only QUIT is served; 421: close at once (RFC 5321). */
	s->refused = eff(r, buf)[0] != '2';
	if (strncmp(eff(r, buf), "421", 3) == 0)
		s->closing = 1;
	emit(s, r, buf, len);
}

static void
do_ehlo(struct session *s, const char *arg, int ehlo)
{
	static const struct {
		unsigned int	 flag;
		const char	*text;
	} exts[] = {
		{ EXT_PIPELINING, "PIPELINING" },
		{ EXT_SIZE, "SIZE" },
		{ EXT_STARTTLS, "STARTTLS" },
		{ EXT_AUTH, NULL },	/* auth_mechs() */
		{ EXT_ENHANCED, "ENHANCEDSTATUSCODES" },
		{ EXT_8BITMIME, "8BITMIME" },
		{ EXT_DSN, "DSN" },
		{ EXT_SMTPUTF8, "SMTPUTF8" },
	};
	struct sh_rule	*r;
	char		 buf[4096], *p, mechs[256];
	unsigned int	 e = sh_conf.ext;
	size_t		 i;

	if (arg == NULL) {
		STD(s, "501", "5.5.4", ehlo ? "Syntax: EHLO hostname" :
		    "Syntax: HELO hostname");
		return;
	}
	r = rule(s, ehlo ? EV_EHLO : EV_HELO, arg);
	if (rule_rejects(s, r))
		return;
	txn_end(s, "rset");
	s->greeted = 1;
	if (s->conn.ssl != NULL || !ehlo)
		e &= ~EXT_STARTTLS;
	if (!ehlo)
		e = 0;
	/* Lines end "\r\n250-"; the last separator is fixed up below. */
	snprintf(buf, sizeof(buf), "250-%s\r\n", sh_conf.hostname);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if ((e & exts[i].flag) == 0)
			continue;
		p = buf + strlen(buf);
		if (exts[i].flag == EXT_SIZE)
			snprintf(p, sizeof(buf) - (size_t)(p - buf),
			    "250-SIZE %lu\r\n", sh_conf.size);
		else if (exts[i].flag == EXT_AUTH) {
			sasl_list(mechs, sizeof(mechs), s->conn.ssl);
			snprintf(p, sizeof(buf) - (size_t)(p - buf),
			    "250-AUTH %s\r\n", mechs);
		} else
			snprintf(p, sizeof(buf) - (size_t)(p - buf),
			    "250-%s\r\n", exts[i].text);
	}
	p = strrchr(buf, '\n');
	for (p--; p > buf && p[-1] != '\n'; p--)
		;
	p[3] = ' ';
	emit(s, r, buf, strlen(buf));
}

static void
do_starttls(struct session *s, const char *arg)
{
	struct sh_rule	*r;
	char	 buf[256], *cause;
	size_t	 len;

	if (s->conn.ssl != NULL) {
		STD(s, "554", "5.5.1", "Error: TLS already active");
		return;
	}
	if ((sh_conf.ext & EXT_STARTTLS) == 0 || sh_conf.ctx == NULL) {
		STD(s, "502", "5.5.1", "Error: command not implemented");
		return;
	}
	if (arg != NULL) {
		STD(s, "501", "5.5.4", "Syntax: STARTTLS");
		return;
	}
	r = rule(s, EV_STARTTLS, arg);
	if (rule_rejects(s, r))
		return;
	len = std_reply(buf, sizeof(buf), "220", "2.0.0",
	    "Ready to start TLS");
	emit(s, r, buf, len);
	if (conn_flush(&s->conn) == -1 || s->closing)
		return;
	/* Input pipelined behind STARTTLS is discarded, as Postfix does. */
	if (s->conn.inlen > 0)
		conn_event(&s->conn, "discarded %zu bytes sent after STARTTLS",
		    s->conn.inlen);
	s->conn.inlen = 0;
	if (conn_tls_accept(&s->conn, &cause) == -1) {
		conn_event(&s->conn, "TLS handshake failed: %s", cause);
		s->closing = 1;
		return;
	}
	conn_event(&s->conn, "TLS established %s %s sni=%s",
	    SSL_get_version(s->conn.ssl), SSL_get_cipher_name(s->conn.ssl),
	    SSL_get_servername(s->conn.ssl, TLSEXT_NAMETYPE_host_name) ==
	    NULL ? "-" : SSL_get_servername(s->conn.ssl,
	    TLSEXT_NAMETYPE_host_name));
	client_cert(s);
	s->greeted = 0;
	s->authed = 0;
	txn_end(s, "rset");
}

/* Decode base64 into buf (NUL-terminated); -1 if invalid or too long. */
static int
b64_decode(const char *in, char *buf, size_t size)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*p;
	unsigned long		 acc = 0;
	size_t			 n = 0;
	int			 bits = 0, pad = 0;

	for (; *in != '\0'; in++) {
		if (*in == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (p = strchr(tab, *in)) == NULL)
			return (-1);
		acc = (acc << 6) | (unsigned long)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return (-1);
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[n] = '\0';
	return ((int)n);
}

/* Compare credentials; reply 235 or 535 and record the identity. */
static void
auth_check(struct session *s, const char *user, const char *pass)
{
	s->auth_state = AUTH_NONE;
	if (strcmp(user, sh_conf.user) != 0 ||
	    !pass_ok(pass)) {
		auth_fail(s, user, NULL);
		return;
	}
	auth_ok(s, user);
}

/* Refuse with 535; why, if not NULL, is a protocol error. */
static void
auth_fail(struct session *s, const char *user, const char *why)
{
	s->auth_state = AUTH_NONE;
	if (why != NULL)
		conn_event(&s->conn, "authentication refused: %s", why);
	else
		conn_event(&s->conn, "authentication failed for '%s'", user);
	/* Last: user may point into it. */
	free(s->scram);
	s->scram = NULL;
	STD(s, "535", "5.7.8", "Error: authentication failed");
}

/* The client proved it knows -w: 235, and record the identity. */
static void
auth_ok(struct session *s, const char *user)
{
	FILE	*f;

	s->auth_state = AUTH_NONE;
	s->authed = 1;
	if ((f = rec_open(s, "auth", 0)) != NULL) {
		fprintf(f, "%s\n", user);
		fclose(f);
	}
	/* Last: user may point into it. */
	free(s->scram);
	s->scram = NULL;
	STD(s, "235", "2.7.0", "Authentication successful");
}

/*
 * Whether tok is the password or bearer token -w names: itself, or with
 * -w @FILE the first line of FILE now (the test token endpoint writes
 * the token it issued last there, so the accepted token changes).
 */
static int
pass_ok(const char *tok)
{
	char	 line[1024];
	FILE	*fp;
	int	 ok = 0;

	if (sh_conf.pass[0] != '@')
		return (strcmp(tok, sh_conf.pass) == 0);
	if ((fp = fopen(sh_conf.pass + 1, "r")) == NULL)
		return (0);
	if (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		ok = strcmp(tok, line) == 0;
	}
	fclose(fp);
	return (ok);
}

/*
 * Check an XOAUTH2 or OAUTHBEARER (RFC 7628) initial response, dec of
 * n bytes, against -u and -w (the token).  On failure, answer with the
 * 334 error report both mechanisms use and await the client's dummy
 * response, which is recorded as an event.
 */
static void
auth_bearer(struct session *s, char *dec, int n, int xoauth2)
{
	const char	*head = xoauth2 ? "user=" : "n,a=";
	char		*user, *end, *tok;

	user = dec + strlen(head);
	if ((size_t)n < strlen(head) || strncmp(dec, head, strlen(head)) != 0 ||
	    (tok = strstr(dec, "\001auth=Bearer ")) == NULL ||
	    (end = strchr(user, xoauth2 ? '\001' : ',')) == NULL || end > tok)
		goto bad;
	*end = '\0';
	tok += strlen("\001auth=Bearer ");
	if ((end = strchr(tok, '\001')) == NULL || strcmp(end, "\001\001") != 0)
		goto bad;
	*end = '\0';
	if (strcmp(user, sh_conf.user) == 0 && pass_ok(tok)) {
		auth_check(s, user, tok);
		return;
	}
	conn_event(&s->conn, "authentication failed for '%s'", user);
bad:
	s->auth_state = AUTH_BEARER_ERR;
	/* {"status":"invalid_token","schemes":"bearer"} */
	reply(s, "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9");
}

/* A SASL response line while an AUTH exchange is in progress. */
static void
auth_line(struct session *s, const char *line)
{
	char	dec[1024], *user, *pass;
	int	n;

	if (s->auth_state == AUTH_BEARER_ERR) {
		conn_event(&s->conn, "bearer error answered with '%s'", line);
		s->auth_state = AUTH_NONE;
		STD(s, "535", "5.7.8", "Error: authentication failed");
		return;
	}
	if (strcmp(line, "*") == 0) {
		s->auth_state = AUTH_NONE;
		STD(s, "501", "5.7.0", "Authentication aborted");
		return;
	}
	if (s->auth_state == AUTH_EXTERNAL_WAIT) {
		auth_external(s, line);
		return;
	}
	if ((n = b64_decode(line, dec, sizeof(dec))) == -1) {
		s->auth_state = AUTH_NONE;
		STD(s, "501", "5.5.2", "Cannot decode response");
		return;
	}
	switch (s->auth_state) {
	case AUTH_PLAIN_WAIT:
		/* authzid NUL authcid NUL passwd */
		if ((user = memchr(dec, '\0', (size_t)n)) == NULL ||
		    (pass = memchr(user + 1, '\0', (size_t)n -
		    (size_t)(user + 1 - dec))) == NULL) {
			s->auth_state = AUTH_NONE;
			STD(s, "535", "5.7.8", "Error: authentication failed");
			break;
		}
		auth_check(s, user + 1, pass + 1);
		break;
	case AUTH_LOGIN_USER:
		snprintf(s->login_user, sizeof(s->login_user), "%.255s", dec);
		s->auth_state = AUTH_LOGIN_PASS;
		reply(s, "334 UGFzc3dvcmQ6");
		break;
	case AUTH_LOGIN_PASS:
		auth_check(s, s->login_user, dec);
		break;
	case AUTH_XOAUTH2_WAIT:
	case AUTH_OAUTHBEARER_WAIT:
		auth_bearer(s, dec, n, s->auth_state == AUTH_XOAUTH2_WAIT);
		break;
	case AUTH_SCRAM_FIRST:
	case AUTH_SCRAM_FINAL:
	case AUTH_SCRAM_END:
		auth_scram(s, dec);
		break;
	case AUTH_CRAM_WAIT:
		auth_cram(s, dec);
		break;
	case AUTH_EXTERNAL_WAIT:
	case AUTH_BEARER_ERR:
	case AUTH_NONE:
		break;
	}
	OPENSSL_cleanse(dec, sizeof(dec));
}

/* A 334 challenge carrying msg in base64. */
static void
reply_b64(struct session *s, const char *msg)
{
	char	 buf[2048];

	if (4 * ((strlen(msg) + 2) / 3) >= sizeof(buf))
		sh_fatal("challenge too long");
	EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)msg,
	    (int)strlen(msg));
	reply(s, "334 %s", buf);
}

/* One step of SCRAM-SHA-256[-PLUS], dec the decoded client message. */
static void
auth_scram(struct session *s, const char *dec)
{
	struct sh_scram	*sc = s->scram;
	char		 out[1300];
	const char	*why = NULL;
	int		 rv;

	switch (s->auth_state) {
	case AUTH_SCRAM_FIRST:
		if (sasl_scram_first(sc, s->conn.ssl, dec, out, sizeof(out),
		    &why) == -1) {
			auth_fail(s, NULL, why);
			return;
		}
		conn_event(&s->conn, "SCRAM gs2 header '%s'", sc->gs2);
		s->auth_state = AUTH_SCRAM_FINAL;
		reply_b64(s, out);
		return;
	case AUTH_SCRAM_FINAL:
		rv = sasl_scram_final(sc, sh_conf.pass, dec, &why);
		if (rv != 1 || strcmp(sc->user, sh_conf.user) != 0) {
			auth_fail(s, sc->user, why);
			return;
		}
		if (sh_conf.scram_fault == SF_NO_FINAL) {
			auth_ok(s, sc->user);
			return;
		}
		s->auth_state = AUTH_SCRAM_END;
		reply_b64(s, sc->final);
		return;
	default:
		/* The empty response; e= means failure whatever it says. */
		if (dec[0] != '\0' || strncmp(sc->final, "e=", 2) == 0)
			auth_fail(s, sc->user, dec[0] != '\0' ?
			    "non-empty response to server-final" : NULL);
		else
			auth_ok(s, sc->user);
		return;
	}
}

/* The CRAM-MD5 response. */
static void
auth_cram(struct session *s, char *dec)
{
	const char	*user = "";

	if (sasl_cram_check(s->cram_chal, dec, &user))
		auth_ok(s, user);
	else
		auth_fail(s, user, NULL);
}

static void
do_auth(struct session *s, const char *arg)
{
	struct sh_rule	*r;
	char	 mech[32], ir[1024];

	if ((sh_conf.ext & EXT_AUTH) == 0) {
		STD(s, "503", "5.5.1", "Error: authentication not enabled");
		return;
	}
	if (!s->greeted) {
		STD(s, "503", "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	if (sh_conf.require_tls && s->conn.ssl == NULL) {
		STD(s, "530", "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	if (s->authed || s->in_txn) {
		STD(s, "503", "5.5.1", s->authed ?
		    "Error: already authenticated" :
		    "Error: MAIL transaction in progress");
		return;
	}
	ir[0] = '\0';
	if (arg == NULL || sscanf(arg, "%31s %1023s", mech, ir) < 1) {
		STD(s, "501", "5.5.4", "Syntax: AUTH mechanism");
		return;
	}
	r = rule(s, EV_AUTH, arg);
	if (rule_rejects(s, r))
		return;
	if (!sasl_offered(mech, s->conn.ssl)) {
		STD(s, "504", "5.5.4", "Unrecognized authentication type");
		return;
	}
	if (r != NULL && r->action != ACT_PASS) {
		/* Scripted 2xx/3xx text replaces the first reply. */
		s->auth_state = AUTH_NONE;
		s->authed = r->text[0] == '2';
		emit(s, r, "", 0);
		return;
	}
	if (strcasecmp(mech, "EXTERNAL") == 0 && sh_conf.client_ca != NULL) {
		s->auth_state = AUTH_EXTERNAL_WAIT;
		if (ir[0] == '\0')
			reply(s, "334 ");
		else
			auth_external(s, ir);
	} else if (sh_conf.user == NULL)
		STD(s, "504", "5.5.4", "Unrecognized authentication type");
	else if (strcasecmp(mech, "PLAIN") == 0) {
		s->auth_state = AUTH_PLAIN_WAIT;
		if (ir[0] == '\0')
			reply(s, "334 ");
		else
			auth_line(s, strcmp(ir, "=") == 0 ? "" : ir);
	} else if (strcasecmp(mech, "LOGIN") == 0) {
		s->auth_state = AUTH_LOGIN_USER;
		if (ir[0] == '\0')
			reply(s, "334 VXNlcm5hbWU6");
		else
			auth_line(s, ir);
	} else if (strcasecmp(mech, "XOAUTH2") == 0 ||
	    strcasecmp(mech, "OAUTHBEARER") == 0) {
		s->auth_state = toupper((unsigned char)mech[0]) == 'X' ?
		    AUTH_XOAUTH2_WAIT : AUTH_OAUTHBEARER_WAIT;
		if (ir[0] == '\0')
			reply(s, "334 ");
		else
			auth_line(s, ir);
	} else if (strncasecmp(mech, "SCRAM-SHA-256", 13) == 0) {
		free(s->scram);
		if ((s->scram = calloc(1, sizeof(*s->scram))) == NULL)
			sh_fatal("out of memory");
		s->scram->plus = mech[13] != '\0';
		s->auth_state = AUTH_SCRAM_FIRST;
		if (ir[0] == '\0')
			reply(s, "334 ");
		else
			auth_line(s, ir);
	} else if (strcasecmp(mech, "CRAM-MD5") == 0) {
		s->auth_state = AUTH_CRAM_WAIT;
		sasl_cram_challenge(s->cram_chal, sizeof(s->cram_chal));
		reply_b64(s, s->cram_chal);
	} else
		STD(s, "504", "5.5.4", "Unrecognized authentication type");
	OPENSSL_cleanse(ir, sizeof(ir));
}

static void
do_mail(struct session *s, const char *arg)
{
	struct sh_rule	*r;
	char		 buf[256];
	const char	*p;
	size_t		 len;

	if (!s->greeted) {
		STD(s, "503", "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	if (sh_conf.require_tls && s->conn.ssl == NULL) {
		STD(s, "530", "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	if (sh_conf.require_auth && !s->authed) {
		STD(s, "530", "5.7.0", "Authentication required");
		return;
	}
	if (s->in_txn) {
		STD(s, "503", "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (arg == NULL || strncasecmp(arg, "FROM:", 5) != 0) {
		STD(s, "501", "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	s->txn = ++sh_conf.txn_total;
	r = rule(s, EV_MAIL, arg);
	if (rule_rejects(s, r))
		return;
	if (sh_conf.size > 0 && (p = strcasestr(arg, " SIZE=")) != NULL &&
	    strtoul(p + 6, NULL, 10) > sh_conf.size)
		len = std_reply(buf, sizeof(buf), "552", "5.3.4",
		    "Message size exceeds fixed limit");
	else
		len = std_reply(buf, sizeof(buf), "250", "2.1.0", "Ok");
	emit(s, r, buf, len);
	if (eff(r, buf)[0] != '2')
		return;
	s->in_txn = 1;
	s->msgno++;
	s->rcpt_ok = 0;
	s->msg_flight = cur_flight(s);
	if ((s->env = rec_open(s, "env", s->msgno)) != NULL)
		fprintf(s->env, "mail %.3s %s\n", eff(r, buf), arg);
}

static void
do_rcpt(struct session *s, const char *arg)
{
	struct sh_rule	*r;
	char		 buf[256];
	const char	*code;
	size_t		 len;

	if (!s->in_txn) {
		STD(s, "503", "5.5.1", "Error: need MAIL command");
		return;
	}
	if (arg == NULL || strncasecmp(arg, "TO:", 3) != 0) {
		STD(s, "501", "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	r = rule(s, EV_RCPT, arg);
	len = std_reply(buf, sizeof(buf), "250", "2.1.5", "Ok");
	code = r != NULL && r->action == ACT_DISCONNECT ? "-" : eff(r, buf);
	if (s->env != NULL)
		fprintf(s->env, "rcpt %.3s %s\n", code, arg);
	if (rule_rejects(s, r))
		return;
	emit(s, r, buf, len);
	s->rcpt_ok++;
}

static void
do_data(struct session *s, const char *arg)
{
	struct sh_rule	*r;
	char	buf[256];
	size_t	len;

	if (!s->in_txn) {
		STD(s, "503", "5.5.1", "Error: need MAIL command");
		return;
	}
	if (arg != NULL) {
		STD(s, "501", "5.5.4", "Syntax: DATA");
		return;
	}
	/* Non-conforming on request: RFC 2920 3.1's client must cope. */
	if (s->rcpt_ok == 0 && !sh_conf.data_without_rcpt) {
		STD(s, "554", "5.5.1", "Error: no valid recipients");
		return;
	}
	r = rule(s, EV_DATA, arg);
	len = std_reply(buf, sizeof(buf), "354", NULL,
	    "End data with <CR><LF>.<CR><LF>");
	if (s->env != NULL)
		fprintf(s->env, "data %.3s\n", r != NULL &&
		    r->action == ACT_DISCONNECT ? "-" : eff(r, buf));
	if (rule_rejects(s, r))
		return;
	emit(s, r, buf, len);
	s->data_mode = 1;
	s->data_bol = 1;
	s->data_size = 0;
	s->data = rec_open(s, "data", s->msgno);
}

/* End of data seen: record, then the DOT rule or the normal reply. */
static void
do_dot(struct session *s)
{
	struct sh_rule	*r;
	char		 buf[256], text[64];
	size_t		 len;

	s->data_mode = 0;
	if (s->data != NULL)
		fclose(s->data);
	s->data = NULL;
	conn_event(&s->conn, "received %lu bytes of message data",
	    s->data_size);
	conn_log(&s->conn, s->conn.ssl != NULL ? "TLS C:" : "C:", ".", 1);
	r = rule(s, EV_DOT, NULL);
	if (r != NULL && r->action == ACT_DISCONNECT) {
		rule_rejects(s, r);
		txn_end(s, "dot -");
		return;
	}
	if (sh_conf.size > 0 && s->data_size > sh_conf.size)
		len = std_reply(buf, sizeof(buf), "552", "5.3.4",
		    "Message size exceeds fixed limit");
	else {
		snprintf(text, sizeof(text), "Ok: queued as S%d.M%d", s->num,
		    s->msgno);
		len = std_reply(buf, sizeof(buf), "250", "2.0.0", text);
	}
	emit(s, r, buf, len);
	rec_number(s, "flights", s->msgno, cur_flight(s) - s->msg_flight + 1);
	rec_number(s, "arrival", s->msgno, cur_flight(s));
	if (s->env != NULL)
		fprintf(s->env, "dot %.3s\n", eff(r, buf));
	txn_end(s, NULL);
}

/* Handle one command line (CRLF stripped). */
static void
dispatch(struct session *s, char *line)
{
	struct sh_rule	*r;
	enum sh_event	 ev;
	char		*arg, buf[256];
	size_t		 len;

	if (s->auth_state != AUTH_NONE) {
		auth_line(s, line);
		return;
	}
	if ((arg = strchr(line, ' ')) != NULL) {
		*arg++ = '\0';
		if (*arg == '\0')
			arg = NULL;
	}
	ev = script_event(line);
	if ((int)ev == -1 || ev == EV_CONNECT || ev == EV_DOT ||
	    ev == EV_OTHER || ev == EV_COUNT)
		ev = EV_OTHER;
	if (s->refused && ev != EV_QUIT) {
		STD(s, "503", "5.5.1", "Error: bad sequence of commands");
		return;
	}
	switch (ev) {
	case EV_EHLO:
	case EV_HELO:
		do_ehlo(s, arg, ev == EV_EHLO);
		return;
	case EV_STARTTLS:
		do_starttls(s, arg);
		return;
	case EV_AUTH:
		do_auth(s, arg);
		return;
	case EV_MAIL:
		do_mail(s, arg);
		return;
	case EV_RCPT:
		do_rcpt(s, arg);
		return;
	case EV_DATA:
		do_data(s, arg);
		return;
	default:
		break;
	}
	r = rule(s, ev, arg);
	if (rule_rejects(s, r))
		return;
	switch (ev) {
	case EV_RSET:
		txn_end(s, "rset");
		len = std_reply(buf, sizeof(buf), "250", "2.0.0", "Ok");
		break;
	case EV_NOOP:
		len = std_reply(buf, sizeof(buf), "250", "2.0.0", "Ok");
		break;
	case EV_VRFY:
		len = std_reply(buf, sizeof(buf), "252", "2.0.0",
		    "Cannot VRFY user");
		break;
	case EV_QUIT:
		len = std_reply(buf, sizeof(buf), "221", "2.0.0", "Bye");
		s->closing = 1;
		break;
	default:
		len = std_reply(buf, sizeof(buf), "502", "5.5.2",
		    "Error: command not recognized");
		break;
	}
	emit(s, r, buf, len);
}

/*
 * Consume message data from the input buffer: dot-unstuff, write, and
 * stop at the ".CRLF" line (".LF" is accepted too).  Returns 1 if it
 * made progress, 0 if it needs more input.
 */
static int
data_step(struct session *s)
{
	struct sh_conn	*c = &s->conn;
	char		*nl;
	size_t		 len, skip = 0;

	if ((nl = memchr(c->in, '\n', c->inlen)) != NULL)
		len = (size_t)(nl - c->in) + 1;
	else if (c->inlen == sizeof(c->in))
		len = c->inlen;		/* a line longer than the buffer */
	else
		return (0);
	if (s->data_bol && nl != NULL && ((len == 3 &&
	    memcmp(c->in, ".\r\n", 3) == 0) || (len == 2 &&
	    memcmp(c->in, ".\n", 2) == 0))) {
		memmove(c->in, c->in + len, c->inlen - len);
		c->inlen -= len;
		do_dot(s);
		return (1);
	}
	if (s->data_bol && c->in[0] == '.')
		skip = 1;
	if (s->data != NULL)
		fwrite(c->in + skip, 1, len - skip, s->data);
	s->data_size += len - skip;
	s->data_bol = nl != NULL;
	memmove(c->in, c->in + len, c->inlen - len);
	c->inlen -= len;
	return (1);
}

/*
 * Process one unit of buffered input (a command line or a piece of
 * data).  Returns 1 if it made progress, 0 if it needs more input.
 */
static int
step(struct session *s)
{
	struct sh_conn	*c = &s->conn;
	char		 line[SH_LINE_MAX + 1], *nl;
	size_t		 len;

	if (s->data_mode)
		return (data_step(s));
	if ((nl = memchr(c->in, '\n', c->inlen)) == NULL) {
		if (c->inlen < sizeof(c->in))
			return (0);
		/* No line end in a full buffer: refuse the line once. */
		conn_event(c, "command line over %zu bytes", sizeof(c->in));
		if (!s->discarding)
			STD(s, "500", "5.5.2", "Error: line too long");
		s->discarding = 1;
		c->inlen = 0;
		return (1);
	}
	len = (size_t)(nl - c->in) + 1;
	memcpy(line, c->in, len);
	memmove(c->in, c->in + len, c->inlen - len);
	c->inlen -= len;
	if (s->discarding) {
		s->discarding = 0;
		return (1);
	}
	conn_log(c, c->ssl != NULL ? "TLS C:" : "C:", line, len);
	line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	dispatch(s, line);
	return (1);
}

/* Close records and count the session as done. */
static void
session_end(struct session *s)
{
	char	path[PATH_MAX], buf[32];
	int	n;

	txn_end(s, "aborted");
	free(s->scram);
	s->scram = NULL;
	conn_event(&s->conn, "session end");
	rec_number(s, "flights", 0, s->conn.flights);
	if (s->conn.transcript != NULL)
		fclose(s->conn.transcript);
	s->conn.transcript = NULL;
	conn_free(&s->conn);
	sh_conf.sessions_done++;
	if (sh_conf.recdir == NULL)
		return;
	n = snprintf(path, sizeof(path), "%s/sessions", sh_conf.recdir);
	if (n < 0 || (size_t)n >= sizeof(path))
		sh_fatal("path too long");
	n = snprintf(buf, sizeof(buf), "%ld\n", sh_conf.sessions_done);
	if (sh_write_file(path, buf, (size_t)n) == -1)
		sh_warn("%s: %s", path, strerror(errno));
}

/*
 * Serve one connection.  Replies are batched and flushed only when no
 * more input is available without blocking, like a real server, so a
 * pipelined group of commands gets its replies in one write.
 */
void
session_run(int fd, int num)
{
	struct session	*s;
	FILE		*t = NULL;
	char		*cause;
	int		 n;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		sh_fatal("out of memory");
	s->num = num;
	if (sh_conf.recdir != NULL) {
		n = snprintf(s->dir, sizeof(s->dir), "%s/session.%d",
		    sh_conf.recdir, num);
		if (n < 0 || (size_t)n >= sizeof(s->dir))
			sh_fatal("path too long");
		if (mkdir(s->dir, 0755) == -1 && errno != EEXIST)
			sh_fatal("%s: %s", s->dir, strerror(errno));
		t = rec_open(s, "transcript", 0);
	}
	conn_init(&s->conn, fd, t);
	conn_event(&s->conn, "session %d", num);
	record_peer(s, fd);
	if (sh_conf.implicit_tls) {
		if (conn_tls_accept(&s->conn, &cause) == -1) {
			conn_event(&s->conn, "TLS handshake failed: %s", cause);
			s->closing = 1;
		} else {
			conn_event(&s->conn, "TLS established %s",
			    SSL_get_version(s->conn.ssl));
			client_cert(s);
		}
	}
	if (!s->closing)
		do_greeting(s);
	while (!s->closing && !s->conn.dead && !sh_quit) {
		if (step(s))
			continue;
		if (conn_readable(&s->conn)) {
			if (conn_fill(&s->conn, 0) <= 0)
				break;
			continue;
		}
		if (conn_flush(&s->conn) == -1)
			break;
		if ((n = conn_fill(&s->conn, 1)) <= 0) {
			conn_event(&s->conn, n == 0 ? "client closed" :
			    "read failed or timed out");
			break;
		}
	}
	conn_flush(&s->conn);
	session_end(s);
	free(s);
}

/*
 * SASL EXTERNAL (RFC 4422 appendix A): accepted only with a verified
 * client certificate.  resp is "=" (empty: act as the certificate's
 * identity) or base64 of the authorisation identity, which is recorded
 * (else the certificate's subject is).
 */
static void
auth_external(struct session *s, const char *resp)
{
	char	 authz[512];
	FILE	*f;

	s->auth_state = AUTH_NONE;
	authz[0] = '\0';
	if (strcmp(resp, "=") != 0 && strcmp(resp, "") != 0 &&
	    b64_decode(resp, authz, sizeof(authz)) == -1) {
		STD(s, "501", "5.5.2", "Cannot decode response");
		return;
	}
	if (s->client_subject[0] == '\0') {
		conn_event(&s->conn, "EXTERNAL without a client certificate");
		STD(s, "535", "5.7.8", "Error: authentication failed");
		return;
	}
	s->authed = 1;
	if ((f = rec_open(s, "auth", 0)) != NULL) {
		fprintf(f, "%s\n", authz[0] != '\0' ? authz :
		    s->client_subject);
		fclose(f);
	}
	STD(s, "235", "2.7.0", "Authentication successful");
}

/* After a handshake: note the verified client certificate, if any. */
static void
client_cert(struct session *s)
{
	X509	*cert;
	FILE	*f;

	s->client_subject[0] = '\0';
	if ((cert = SSL_get1_peer_certificate(s->conn.ssl)) == NULL)
		return;
	if (SSL_get_verify_result(s->conn.ssl) == X509_V_OK)
		X509_NAME_oneline(X509_get_subject_name(cert),
		    s->client_subject, sizeof(s->client_subject));
	X509_free(cert);
	if (s->client_subject[0] == '\0')
		return;
	conn_event(&s->conn, "client certificate %s", s->client_subject);
	if ((f = rec_open(s, "client_cert", 0)) != NULL) {
		fprintf(f, "%s\n", s->client_subject);
		fclose(f);
	}
}

/* Record the client's address ("peer"), for source_address tests. */
static void
record_peer(struct session *s, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 host[NI_MAXHOST];
	FILE			*f;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "?");
	conn_event(&s->conn, "peer %s", host);
	if ((f = rec_open(s, "peer", 0)) != NULL) {
		fprintf(f, "%s\n", host);
		fclose(f);
	}
}
