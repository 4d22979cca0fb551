/*
 * bs.c: `sendmail -bs`, an SMTP server (RFC 5321) on stdin/stdout: the
 * default transport of Symfony Mailer, Laravel, Nextcloud and Drupal's
 * mailer, and Alpine's when it has no smtp-server.
 *
 * The dialogue:
 *   220 <domain> ESMTP mailferry          at once, nothing on stderr
 *   HELO name   -> 250 <domain>           replies without x.y.z codes
 *   EHLO name   -> 250-<domain> PIPELINING SIZE <max_size> 8BITMIME DSN
 *                  ENHANCEDSTATUSCODES    replies with x.y.z codes
 *   MAIL FROM:<a> [SIZE=n BODY=7BIT|8BITMIME RET=FULL|HDRS ENVID=x SMTPUTF8]
 *   RCPT TO:<a> [NOTIFY=... ORCPT=...]    checked at once (aliases,
 *                                         envelope syntax)
 *   DATA -> 354; lines up to "." alone; a leading dot is removed
 *        -> 250 [2.0.0 ]Ok: queued as <ID> once the spool entry is
 *           durable; then mailferry-send starts detached (-odq or
 *           delivery = queue: spool only; -odi too runs detached, as
 *           no reply may wait for the relay)
 *   RSET NOOP VRFY(252) HELP(214) QUIT(221)
 * Several transactions per process.  HELO/EHLO also reset one.
 *
 * Lines end at LF, a CR before it is optional.  A command line longer
 * than BS_CMD_MAX is discarded up to its LF and answered with 500.
 *
 * Pipelining (RFC 2920): input goes through our own buffer, so commands
 * that arrive together are all seen.  Replies are buffered and written
 * whenever no complete command is left in the input, that is before
 * every blocking read: a pipelined group gets its replies in one write
 * and no reply ever waits while we wait for the client.
 *
 * The message: the unstuffed DATA bytes go through msg.c (the same
 * canonicalisation as pipe mode, lone "." is data there) into the frame
 * to mailferry-queue (deliver.c).  A message with a NUL byte (554), over
 * max_size (552) or that the spool refuses (451) is not accepted, and
 * the dialogue goes on.
 *
 * DSN: the spool keeps one NOTIFY for the whole message.  When the
 * recipients ask for different ones, the union is kept (a recipient
 * without NOTIFY counts as FAILURE,DELAY; NEVER only when all say
 * NEVER), so nobody loses a notification they asked for.  ORCPT is
 * checked and dropped.
 *
 * Exit status: 0 when a message was accepted, or none was refused (a
 * client that only said QUIT); else the sysexits value of the last
 * refusal.  An idle client (BS_IDLE_TIMEOUT) gets 421 and we leave.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "alias.h"
#include "bs.h"
#include "conf.h"
#include "deliver.h"
#include "envelope.h"
#include "msg.h"
#include "opts.h"
#include "spool.h"
#include "submit.h"

#ifndef BS_IDLE_TIMEOUT
#define BS_IDLE_TIMEOUT	300		/* seconds, RFC 5321 4.5.3.2.7 */
#endif
#define BS_INBUF	(16 * 1024)	/* > BS_CMD_MAX + 1 */
#define BS_OUTBUF	4096
#define BS_ORCPT_MAX	500		/* RFC 3461 4.2 */

/* bs_getline() results. */
#define BS_IN_LINE	1
#define BS_IN_LONG	2
#define BS_IN_EOF	0
#define BS_IN_TIMEOUT	-1


enum bs_argkind {
	BS_ARG_NONE,		/* nothing may follow the verb */
	BS_ARG_ANY,		/* anything or nothing */
	BS_ARG_REQUIRED,	/* something must follow */
	BS_ARG_FROM,		/* FROM:<path> [params] */
	BS_ARG_TO		/* TO:<path> [params] */
};

static const struct {
	const char	*name;
	enum bs_verb	 verb;
	enum bs_argkind	 kind;
	const char	*usage;
} bs_verbs[] = {
	{ "HELO", BS_HELO, BS_ARG_REQUIRED, "Syntax: HELO hostname" },
	{ "EHLO", BS_EHLO, BS_ARG_REQUIRED, "Syntax: EHLO hostname" },
	{ "MAIL", BS_MAIL, BS_ARG_FROM, "Syntax: MAIL FROM:<address>" },
	{ "RCPT", BS_RCPT, BS_ARG_TO, "Syntax: RCPT TO:<address>" },
	{ "DATA", BS_DATA, BS_ARG_NONE, "Syntax: DATA" },
	{ "RSET", BS_RSET, BS_ARG_NONE, "Syntax: RSET" },
	{ "NOOP", BS_NOOP, BS_ARG_ANY, NULL },
	{ "VRFY", BS_VRFY, BS_ARG_REQUIRED, "Syntax: VRFY address" },
	{ "HELP", BS_HELP, BS_ARG_ANY, NULL },
	{ "QUIT", BS_QUIT, BS_ARG_ANY, NULL },
	{ "EXPN", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "STARTTLS", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "AUTH", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "BDAT", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "ETRN", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "TURN", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "ATRN", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "SEND", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "SOML", BS_NOTIMPL, BS_ARG_ANY, NULL },
	{ "SAML", BS_NOTIMPL, BS_ARG_ANY, NULL },
};

struct bs {
	const struct conf	*conf;
	const struct opts	*opts;
	const char		*conf_arg;
	const char		*name;		/* in 220, 250, 221, 421 */
	char			 in[BS_INBUF];
	size_t			 in_off;
	size_t			 in_len;
	int			 in_eof;
	int			 discard;	/* inside an over-long line */
	char			 out[BS_OUTBUF];
	size_t			 out_len;
	int			 done;		/* QUIT, EOF, timeout, EPIPE */
	int			 greeted;
	int			 esmtp;		/* EHLO: enhanced codes */
	/* The transaction. */
	int			 in_mail;
	struct deliver		 d;
	struct addr_list	 rcpts;
	unsigned int		 notify;	/* union, ENVELOPE_NOTIFY_* */
	int			 notify_seen;
	/* The outcome. */
	unsigned int		 accepted;
	int			 refused;	/* sysexits of the last one */
};

/* What bs_feed() accumulates during DATA. */
struct bs_feed {
	struct msg_reader	*r;
	int			 err;		/* MSG_ERR_*, or 0 */
	char			*cause;
	off_t			 bytes;		/* unstuffed, all of them */
};

static void	bs_reply(struct bs *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static void	bs_out(struct bs *, const char *, size_t);
static void	bs_outs(struct bs *, const char *);
static void	bs_flush(struct bs *);
static int	bs_fill(struct bs *);
static int	bs_getline(struct bs *, char **, size_t *);
static void	bs_reset(struct bs *);
static void	bs_command(struct bs *, const char *, size_t);
static void	bs_helo(struct bs *, const struct bs_cmd *);
static void	bs_mail(struct bs *, const struct bs_cmd *);
static int	bs_mail_params(struct bs *, const struct bs_cmd *, int *,
		    char **, char **);
static void	bs_rcpt(struct bs *, const struct bs_cmd *);
static int	bs_rcpt_check(struct bs *, const char *);
static int	bs_begin(void *, const struct addr_list *, char **);
static void	bs_data(struct bs *);
static int	bs_data_read(struct bs *, struct bs_feed *);
static void	bs_data_end(struct bs *, struct bs_feed *);
static void	bs_refuse(struct bs *, int, int, const char *, const char *,
		    const char *);
static void	bs_feed(void *, const char *, size_t);
static int	bs_parse_path(char *, struct bs_cmd *, char **);
static int	bs_parse_params(char *, struct bs_cmd *, char **);
static int	bs_is_sp(int);

/*
 * Queue a reply line; enh is the RFC 3463 code, shown only after EHLO.
 * Control characters from a cause never reach the client.
 */
static void
bs_reply(struct bs *bs, int code, const char *enh, const char *fmt, ...)
{
	char	 text[SMTP_REPLY_LINE_MAX - 20], line[SMTP_REPLY_LINE_MAX];
	va_list	 ap;
	size_t	 i;
	int	 n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = '?';
	if (bs->esmtp && enh != NULL)
		n = snprintf(line, sizeof(line), "%d %s %s\r\n", code, enh,
		    text);
	else
		n = snprintf(line, sizeof(line), "%d %s\r\n", code, text);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "%d Error\r\n", code);
	bs_out(bs, line, (size_t)n);
}

static void
bs_out(struct bs *bs, const char *s, size_t len)
{
	if (bs->out_len + len > sizeof(bs->out))
		bs_flush(bs);
	if (len > sizeof(bs->out))
		len = sizeof(bs->out);
	memcpy(bs->out + bs->out_len, s, len);
	bs->out_len += len;
}

static void
bs_outs(struct bs *bs, const char *s)
{
	bs_out(bs, s, strlen(s));
}

/* Write the queued replies; a client that went away ends the session. */
static void
bs_flush(struct bs *bs)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < bs->out_len) {
		n = write(STDOUT_FILENO, bs->out + off, bs->out_len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			bs->done = 1;
			break;
		}
		off += (size_t)n;
	}
	bs->out_len = 0;
}

/*
 * Read more input (after writing our replies): 1, BS_IN_EOF or
 * BS_IN_TIMEOUT.  Unconsumed bytes move to the start of the buffer.
 */
static int
bs_fill(struct bs *bs)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 r;

	bs_flush(bs);
	if (bs->in_off > 0) {
		memmove(bs->in, bs->in + bs->in_off, bs->in_len - bs->in_off);
		bs->in_len -= bs->in_off;
		bs->in_off = 0;
	}
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	while ((r = poll(&pfd, 1, BS_IDLE_TIMEOUT * 1000)) == -1)
		if (errno != EINTR)
			return (BS_IN_EOF);
	if (r == 0)
		return (BS_IN_TIMEOUT);
	/* One byte is kept for the NUL that ends a command line. */
	while ((n = read(STDIN_FILENO, bs->in + bs->in_len,
	    sizeof(bs->in) - bs->in_len - 1)) == -1)
		if (errno != EINTR)
			return (BS_IN_EOF);
	if (n == 0)
		return (BS_IN_EOF);
	bs->in_len += (size_t)n;
	return (1);
}

/*
 * The next command line, without its line end, NUL-terminated in place:
 * BS_IN_LINE, BS_IN_LONG (discarded), BS_IN_EOF or BS_IN_TIMEOUT.
 */
static int
bs_getline(struct bs *bs, char **line, size_t *len)
{
	char	*s, *nl;
	size_t	 n;
	int	 r;

	for (;;) {
		s = bs->in + bs->in_off;
		nl = memchr(s, '\n', bs->in_len - bs->in_off);
		if (nl != NULL) {
			n = nl - s;
			bs->in_off += n + 1;
			if (bs->discard) {
				bs->discard = 0;
				return (BS_IN_LONG);
			}
			while (n > 0 && s[n - 1] == '\r')
				n--;
			if (n > BS_CMD_MAX)
				return (BS_IN_LONG);
			s[n] = '\0';
			*line = s;
			*len = n;
			return (BS_IN_LINE);
		}
		if (bs->discard || bs->in_len - bs->in_off > BS_CMD_MAX) {
			bs->discard = 1;
			bs->in_off = bs->in_len = 0;
		}
		if (bs->in_eof) {
			if (bs->discard) {
				bs->discard = 0;
				return (BS_IN_LONG);
			}
			if (bs->in_off == bs->in_len)
				return (BS_IN_EOF);
			/* A last line without its LF is still a command. */
			nl = bs->in + bs->in_len;
			bs->in_off = bs->in_len;
			n = nl - s;
			while (n > 0 && s[n - 1] == '\r')
				n--;
			s[n] = '\0';
			*line = s;
			*len = n;
			return (BS_IN_LINE);
		}
		if ((r = bs_fill(bs)) == BS_IN_TIMEOUT)
			return (BS_IN_TIMEOUT);
		if (r == BS_IN_EOF)
			bs->in_eof = 1;
	}
}

/* Forget the transaction (RSET, HELO, after DATA). */
static void
bs_reset(struct bs *bs)
{
	if (bs->in_mail)
		deliver_free(&bs->d);
	bs->in_mail = 0;
	addr_list_free(&bs->rcpts);
	addr_list_init(&bs->rcpts);
	bs->notify = 0;
	bs->notify_seen = 0;
}

/* Run the dialogue on stdin/stdout; returns the exit status. */
int
bs_run(const struct conf *conf, const struct opts *o, const char *conf_arg)
{
	struct bs	*bs;
	char		*line;
	size_t		 len;
	int		 r, status;

	bs = xcalloc(1, sizeof(*bs));
	bs->conf = conf;
	bs->opts = o;
	bs->conf_arg = conf_arg;
	bs->name = conf->domain != NULL ? conf->domain : "localhost";
	addr_list_init(&bs->rcpts);

	bs_reply(bs, 220, NULL, "%s ESMTP mailferry", bs->name);
	while (!bs->done) {
		r = bs_getline(bs, &line, &len);
		if (r == BS_IN_EOF)
			break;
		if (r == BS_IN_TIMEOUT) {
			bs_reply(bs, 421, "4.4.2", "%s Error: timeout exceeded",
			    bs->name);
			break;
		}
		if (r == BS_IN_LONG) {
			bs_reply(bs, 500, "5.5.2", "Error: line too long");
			continue;
		}
		bs_command(bs, line, len);
	}
	bs_flush(bs);
	bs_reset(bs);
	status = (bs->accepted > 0 || bs->refused == 0) ? EX_OK : bs->refused;
	free(bs);
	return (status);
}

static void
bs_command(struct bs *bs, const char *line, size_t len)
{
	struct bs_cmd	 cmd;
	char		*cause = NULL;
	int		 r;

	if ((r = bs_parse_command(line, len, &cmd, &cause)) != 0) {
		if (r == BS_ERR_COMMAND)
			bs_reply(bs, 500, "5.5.2", "Error: %s", cause);
		else
			bs_reply(bs, 501, "5.5.4", "%s", cause);
		free(cause);
		return;
	}
	switch (cmd.verb) {
	case BS_HELO:
	case BS_EHLO:
		bs_helo(bs, &cmd);
		break;
	case BS_MAIL:
		bs_mail(bs, &cmd);
		break;
	case BS_RCPT:
		bs_rcpt(bs, &cmd);
		break;
	case BS_DATA:
		bs_data(bs);
		break;
	case BS_RSET:
		bs_reset(bs);
		bs_reply(bs, 250, "2.0.0", "Ok");
		break;
	case BS_NOOP:
		bs_reply(bs, 250, "2.0.0", "Ok");
		break;
	case BS_VRFY:
		bs_reply(bs, 252, "2.0.0", "Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case BS_HELP:
		bs_reply(bs, 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT "
		    "DATA RSET NOOP VRFY HELP QUIT");
		break;
	case BS_QUIT:
		bs_reply(bs, 221, "2.0.0", "%s Bye", bs->name);
		bs->done = 1;
		break;
	case BS_NOTIMPL:
		bs_reply(bs, 502, "5.5.1", "Error: command not implemented");
		break;
	}
	bs_cmd_free(&cmd);
}

static void
bs_helo(struct bs *bs, const struct bs_cmd *cmd)
{
	char	 line[128];
	int	 n;

	bs_reset(bs);
	bs->greeted = 1;
	bs->esmtp = cmd->verb == BS_EHLO;
	if (!bs->esmtp) {
		bs_reply(bs, 250, NULL, "%s", bs->name);
		return;
	}
	n = snprintf(line, sizeof(line), "250-%s\r\n", bs->name);
	if (n > 0 && (size_t)n < sizeof(line))
		bs_out(bs, line, (size_t)n);
	bs_outs(bs, "250-PIPELINING\r\n");
	n = snprintf(line, sizeof(line), "250-SIZE %lld\r\n",
	    (long long)bs->conf->max_size);
	if (n > 0 && (size_t)n < sizeof(line))
		bs_out(bs, line, (size_t)n);
	bs_outs(bs, "250-8BITMIME\r\n");
	bs_outs(bs, "250-DSN\r\n");
	bs_outs(bs, "250 ENHANCEDSTATUSCODES\r\n");
}

static void
bs_mail(struct bs *bs, const struct bs_cmd *cmd)
{
	char	*from = NULL, *cause = NULL, *ret = NULL, *envid = NULL;
	int	 body8 = bs->opts->body == OPTS_BODY_8BITMIME;

	if (!bs->greeted) {
		bs_reply(bs, 503, "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	if (bs->in_mail) {
		bs_reply(bs, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (bs_mail_params(bs, cmd, &body8, &ret, &envid) == -1)
		goto out;
	if (*cmd->arg != '\0' &&
	    addr_parse_sender(cmd->arg, &from, &cause) == -1) {
		bs_reply(bs, 501, "5.1.7", "Bad sender address syntax");
		goto out;
	}
	if (deliver_init(&bs->d, bs->conf, bs->conf_arg,
	    from != NULL ? from : "", &cause) == -1) {
		deliver_free(&bs->d);
		bs_reply(bs, 553, "5.1.7", "Bad sender address syntax: %s",
		    cause != NULL ? cause : "invalid");
		goto out;
	}
	bs->in_mail = 1;
	bs->d.meta.body_8bit = body8;
	bs->d.meta.dsn_ret = ret;
	bs->d.meta.dsn_envid = envid;
	ret = envid = NULL;
	bs_reply(bs, 250, "2.1.0", "Ok");
out:
	free(from);
	free(cause);
	free(ret);
	free(envid);
}

/* SIZE, BODY, RET, ENVID, SMTPUTF8; -1 once a reply was sent. */
static int
bs_mail_params(struct bs *bs, const struct bs_cmd *cmd, int *body8,
    char **ret, char **envid)
{
	const struct bs_param	*p;
	const char		*errstr, *canon, *why;
	long long		 size;
	size_t			 i;

	for (i = 0; i < cmd->nparams; i++) {
		p = &cmd->params[i];
		if (strcasecmp(p->key, "SMTPUTF8") == 0 && p->value == NULL)
			continue;
		if (p->value == NULL) {
			if (strcasecmp(p->key, "SIZE") == 0 ||
			    strcasecmp(p->key, "BODY") == 0 ||
			    strcasecmp(p->key, "RET") == 0 ||
			    strcasecmp(p->key, "ENVID") == 0) {
				bs_reply(bs, 501, "5.5.4", "Bad %s parameter",
				    p->key);
				return (-1);
			}
			goto unsupported;
		}
		if (strcasecmp(p->key, "SIZE") == 0) {
			if (strspn(p->value, "0123456789") !=
			    strlen(p->value)) {
				bs_reply(bs, 501, "5.5.4", "Bad SIZE parameter");
				return (-1);
			}
			/* All digits: a failure can only be "too large". */
			size = strtonum(p->value, 0, LLONG_MAX, &errstr);
			if (bs->conf->max_size > 0 && (errstr != NULL ||
			    size > (long long)bs->conf->max_size)) {
				bs_reply(bs, 552, "5.3.4",
				    "Message size exceeds fixed limit");
				return (-1);
			}
		} else if (strcasecmp(p->key, "BODY") == 0) {
			if (strcasecmp(p->value, "8BITMIME") == 0)
				*body8 = 1;
			else if (strcasecmp(p->value, "7BIT") == 0)
				*body8 = 0;
			else {
				bs_reply(bs, 501, "5.5.4", "Bad BODY parameter");
				return (-1);
			}
		} else if (strcasecmp(p->key, "RET") == 0 && *ret == NULL &&
		    envelope_ret_parse(p->value, 0, &canon, &why) == 0)
			*ret = xstrdup(canon);
		else if (strcasecmp(p->key, "ENVID") == 0 && *envid == NULL &&
		    (*envid = envelope_envid_decode(p->value)) != NULL)
			continue;
		else if (strcasecmp(p->key, "RET") == 0 ||
		    strcasecmp(p->key, "ENVID") == 0) {
			bs_reply(bs, 501, "5.5.4", "Bad %s parameter",
			    toupper((unsigned char)p->key[0]) == 'R' ?
			    "RET" : "ENVID");
			return (-1);
		} else
			goto unsupported;
	}
	return (0);
unsupported:
	bs_reply(bs, 555, "5.5.4", "Unsupported option: %s", p->key);
	return (-1);
}

static void
bs_rcpt(struct bs *bs, const struct bs_cmd *cmd)
{
	const struct bs_param	*p;
	const char		*why;
	char			*a = NULL, *cause = NULL;
	unsigned int		 notify = 0;
	size_t			 i;

	if (!bs->in_mail) {
		bs_reply(bs, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	for (i = 0; i < cmd->nparams; i++) {
		p = &cmd->params[i];
		if (strcasecmp(p->key, "NOTIFY") == 0 && p->value != NULL &&
		    notify == 0) {
			if (envelope_notify_parse(p->value, 0, &notify,
			    &why) == -1) {
				bs_reply(bs, 501, "5.5.4",
				    "Bad NOTIFY parameter");
				return;
			}
		} else if (strcasecmp(p->key, "ORCPT") == 0 &&
		    p->value != NULL) {
			if (strchr(p->value, ';') == NULL ||
			    strlen(p->value) > BS_ORCPT_MAX) {
				bs_reply(bs, 501, "5.5.4",
				    "Bad ORCPT parameter");
				return;
			}
		} else {
			bs_reply(bs, 555, "5.5.4", "Unsupported option: %s",
			    p->key);
			return;
		}
	}
	if (bs->rcpts.n >= SPOOL_RCPT_MAX) {
		bs_reply(bs, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (*cmd->arg == '\0' ||
	    addr_parse_sender(cmd->arg, &a, &cause) == -1 || *a == '\0') {
		bs_reply(bs, 501, "5.1.3", "Bad recipient address syntax");
		goto out;
	}
	if (bs_rcpt_check(bs, a) == -1)
		goto out;
	addr_list_add(&bs->rcpts, a);
	if (notify != 0)
		bs->notify_seen = 1;
	bs->notify |= notify != 0 ? notify :
	    ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY;
	bs_reply(bs, 250, "2.1.5", "Ok");
out:
	free(a);
	free(cause);
}

/* Resolve one recipient now, so a bad one is refused at RCPT. */
static int
bs_rcpt_check(struct bs *bs, const char *a)
{
	struct addr_list	 l;
	const char		*why;
	char			*cause = NULL;
	size_t			 i;
	int			 rv = 0;

	addr_list_init(&l);
	if (alias_expand_one(bs->conf, deliver_local_names(), a, &l, 0,
	    &cause) == -1) {
		bs_reply(bs, 451, "4.3.5", "Error: alias: %s",
		    cause != NULL ? cause : "invalid");
		rv = -1;
	} else if (l.n == 0) {
		bs_reply(bs, 550, "5.1.1", "Error: no recipient address");
		rv = -1;
	}
	for (i = 0; rv == 0 && i < l.n; i++) {
		if (envelope_valid_address(l.v[i], 0, &why) == -1) {
			bs_reply(bs, 553, "5.1.3",
			    "Bad recipient address syntax: %s", why);
			rv = -1;
		}
	}
	free(cause);
	addr_list_free(&l);
	return (rv);
}

/*
 * The message bs_data_end() is finishing: msg_finish() sets its 8-bit
 * flags before it calls bs_begin(), and the spool entry's frame, which
 * records BODY=8BITMIME (RFC 6152), is written only then, so 8-bit
 * text gets it even when the client's MAIL FROM did not ask.
 */
static const struct msg	*bs_msg;

static int
bs_begin(void *arg, const struct addr_list *rcpts, char **cause)
{
	struct deliver	*d = arg;

	(void)rcpts;	/* resolved at DATA, before the 354 */
	if (bs_msg != NULL && (bs_msg->body_8bit || bs_msg->header_8bit))
		d->meta.body_8bit = 1;
	return (deliver_open(d, cause));
}

/* DATA: check the recipients, read the message, spool and commit it. */
static void
bs_data(struct bs *bs)
{
	struct msg_policy	 pol;
	struct msg_sink		 sink;
	struct bs_feed		 f;
	const struct conf	*conf = bs->conf;
	char			 nbuf[ENVELOPE_NOTIFY_BUF];
	char			*cause = NULL;
	int			 r;

	if (!bs->in_mail) {
		bs_reply(bs, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (bs->rcpts.n == 0) {
		bs_reply(bs, 554, "5.5.1", "Error: no valid recipients");
		return;
	}
	if (bs->notify_seen) {
		envelope_notify_format(bs->notify, nbuf, sizeof(nbuf));
		bs->d.meta.dsn_notify = xstrdup(nbuf);
	}
	if (deliver_recipients(&bs->d, &bs->rcpts, &cause) == -1) {
		bs_refuse(bs, bs->d.status == EX_TEMPFAIL ? 451 : 554,
		    bs->d.status, bs->d.status == EX_TEMPFAIL ? "4.3.0" :
		    "5.1.1", "Error", cause);
		free(cause);
		bs_reset(bs);
		return;
	}

	memset(&pol, 0, sizeof(pol));
	pol.ignore_dots = 1;
	pol.max_size = conf->max_size;
	pol.domain = conf->domain;
	pol.sender = bs->d.sender;
	if (conf->from != NULL && conf->rewrite_from != CONF_REWRITE_NEVER)
		pol.sender = conf->from;
	if (conf->from != NULL && conf->rewrite_from == CONF_REWRITE_ALWAYS)
		pol.force_from = conf->from;
	pol.fullname = bs->opts->fullname;
	pol.rcpts = &bs->rcpts;
	deliver_sink(&bs->d, &sink);
	sink.begin = bs_begin;

	memset(&f, 0, sizeof(f));
	f.r = msg_reader_new(&pol, &sink);
	bs_reply(bs, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if ((r = bs_data_read(bs, &f)) == 1)
		bs_data_end(bs, &f);
	else {
		deliver_abort(&bs->d);
		bs->refused = r == BS_IN_TIMEOUT ? EX_TEMPFAIL : EX_NOINPUT;
		if (r == BS_IN_TIMEOUT)
			bs_reply(bs, 421, "4.4.2",
			    "%s Error: timeout exceeded", bs->name);
		bs->done = 1;
	}
	msg_reader_free(f.r);
	free(f.cause);
	bs_reset(bs);
}

/* Read up to the end-of-data line: 1, BS_IN_EOF or BS_IN_TIMEOUT. */
static int
bs_data_read(struct bs *bs, struct bs_feed *f)
{
	enum bs_dot_state	 st = BS_DOT_BOL;
	size_t			 n;
	int			 end = 0, r;

	for (;;) {
		n = bs_dot_scan(&st, bs->in + bs->in_off,
		    bs->in_len - bs->in_off, bs_feed, f, &end);
		bs->in_off += n;
		if (end)
			return (1);
		if (bs->in_eof)
			return (BS_IN_EOF);
		if ((r = bs_fill(bs)) != 1) {
			bs->in_eof = r == BS_IN_EOF;
			return (r);
		}
	}
}

/* Give the unstuffed bytes to msg.c until it fails. */
static void
bs_feed(void *arg, const char *buf, size_t len)
{
	struct bs_feed	*f = arg;

	f->bytes += len;
	if (f->err == 0)
		f->err = msg_feed(f->r, buf, len, &f->cause);
}

/* The end-of-data line was read: finish, commit, reply. */
static void
bs_data_end(struct bs *bs, struct bs_feed *f)
{
	struct submit_req	 req;
	struct msg		 m;
	char			*cause = NULL;
	int			 r;

	bs_msg = &m;
	if (f->err == 0)
		f->err = msg_finish(f->r, &m, &f->cause);
	else
		memset(&m, 0, sizeof(m));
	bs_msg = NULL;
	if (f->err != 0) {
		deliver_abort(&bs->d);
		if (bs->conf->max_size > 0 && f->bytes > bs->conf->max_size)
			bs_refuse(bs, 552, EX_DATAERR, "5.3.4",
			    "Error: message file too big", NULL);
		else if (f->err == MSG_ERR_DATA)
			bs_refuse(bs, 554, EX_DATAERR, "5.6.0", "Error",
			    f->cause);
		else
			bs_refuse(bs, 451, EX_TEMPFAIL, "4.3.0",
			    "Error: local error", f->cause);
		return;
	}
	msg_free(&m);
	if ((r = deliver_commit(&bs->d, &cause)) != 0) {
		if (r == EX_DATAERR)
			bs_refuse(bs, 554, r, "5.3.4",
			    "Error: message refused by the queue", cause);
		else
			bs_refuse(bs, 451, r, "4.3.0",
			    "Error: queue file write error", cause);
		free(cause);
		return;
	}
	bs->accepted++;
	bs_reply(bs, 250, "2.0.0", "Ok: queued as %s", bs->d.id);
	log_debug("-bs: queued as %s", bs->d.id);
	if (bs->opts->delivery == OPTS_DELIVERY_QUEUE ||
	    (bs->opts->delivery == OPTS_DELIVERY_DEFAULT &&
	    bs->conf->delivery == CONF_DELIVERY_QUEUE))
		return;
	/*
	 * Never wait here: the client's timeout runs (Symfony: 60 s).  The
	 * senders started for earlier messages are our children (submit.c
	 * spawns, it does not double-fork): reap those that are done, so a
	 * long session leaves no zombies.  Every other child has been
	 * waited for by now.
	 */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	memset(&req, 0, sizeof(req));
	req.op = SUBMIT_OP_AFTER_BACKGROUND;
	req.conf_path = bs->conf_arg;
	req.id = bs->d.id;
	(void)submit_send(&req);
}

/* A message was not accepted: reply, log, remember for the exit. */
static void
bs_refuse(struct bs *bs, int code, int status, const char *enh,
    const char *text, const char *cause)
{
	if (cause != NULL)
		bs_reply(bs, code, enh, "%s: %s", text, cause);
	else
		bs_reply(bs, code, enh, "%s", text);
	log_warnx("-bs: message not accepted: %s%s%s", text,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	bs->refused = status != 0 ? status : EX_TEMPFAIL;
}

/*
 * Scan DATA input: emit() gets the unstuffed bytes (a leading dot
 * removed from every line); *end is set once the line "." (LF, CR LF)
 * was consumed.  Returns the bytes consumed: all of them unless *end.
 * The state carries over between calls, so any split works.
 */
size_t
bs_dot_scan(enum bs_dot_state *st, const char *buf, size_t len,
    void (*emit)(void *, const char *, size_t), void *arg, int *end)
{
	size_t	 i = 0, start = 0;

	*end = 0;
	while (i < len) {
		switch (*st) {
		case BS_DOT_BOL:
			if (buf[i] == '.') {
				if (i > start)
					emit(arg, buf + start, i - start);
				*st = BS_DOT_DOT;
				start = ++i;
				continue;
			}
			*st = BS_DOT_MID;
			/* FALLTHROUGH */
		case BS_DOT_MID:
			if (buf[i++] == '\n')
				*st = BS_DOT_BOL;
			continue;
		case BS_DOT_DOT:
			if (buf[i] == '\n') {
				*end = 1;
				return (i + 1);
			}
			if (buf[i] == '\r') {
				*st = BS_DOT_DOTCR;
				start = ++i;
				continue;
			}
			*st = BS_DOT_MID;
			continue;
		case BS_DOT_DOTCR:
			if (buf[i] == '\n') {
				*end = 1;
				return (i + 1);
			}
			/* ".\rx": the CR was data after the removed dot. */
			emit(arg, "\r", 1);
			*st = BS_DOT_MID;
			continue;
		}
	}
	if (i > start)
		emit(arg, buf + start, i - start);
	return (len);
}

static int
bs_is_sp(int c)
{
	return (c == ' ' || c == '\t');
}

/*
 * Parse one command line (without its line end) into cmd.  0, or
 * BS_ERR_SYNTAX / BS_ERR_COMMAND with *cause set (reply text).
 */
int
bs_parse_command(const char *line, size_t len, struct bs_cmd *cmd,
    char **cause)
{
	char	*s, *v;
	size_t	 i, n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->arg = "";
	if (len > BS_CMD_MAX) {
		xasprintf(cause, "line too long");
		return (BS_ERR_COMMAND);
	}
	for (i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f) {
			xasprintf(cause, "invalid character in command");
			return (BS_ERR_COMMAND);
		}
	cmd->buf = s = xmalloc(len + 1);
	memcpy(s, line, len);
	s[len] = '\0';
	while (bs_is_sp(*s))
		s++;
	for (v = s; *v != '\0' && !bs_is_sp(*v); v++)
		;
	n = v - s;
	for (i = 0; i < sizeof(bs_verbs) / sizeof(bs_verbs[0]); i++)
		if (strlen(bs_verbs[i].name) == n &&
		    strncasecmp(bs_verbs[i].name, s, n) == 0)
			break;
	if (i == sizeof(bs_verbs) / sizeof(bs_verbs[0])) {
		bs_cmd_free(cmd);
		xasprintf(cause, "command not recognized");
		return (BS_ERR_COMMAND);
	}
	cmd->verb = bs_verbs[i].verb;
	while (bs_is_sp(*v))
		v++;
	for (n = strlen(v); n > 0 && bs_is_sp(v[n - 1]); n--)
		v[n - 1] = '\0';
	switch (bs_verbs[i].kind) {
	case BS_ARG_NONE:
		if (*v != '\0')
			goto syntax;
		return (0);
	case BS_ARG_REQUIRED:
		if (*v == '\0')
			goto syntax;
		/* FALLTHROUGH */
	case BS_ARG_ANY:
		cmd->arg = v;
		return (0);
	case BS_ARG_FROM:
	case BS_ARG_TO:
		n = bs_verbs[i].kind == BS_ARG_FROM ? 5 : 3;
		if (strncasecmp(v, bs_verbs[i].kind == BS_ARG_FROM ?
		    "FROM:" : "TO:", n) != 0)
			goto syntax;
		if (bs_parse_path(v + n, cmd, cause) == -1) {
			bs_cmd_free(cmd);
			return (BS_ERR_SYNTAX);
		}
		return (0);
	}
syntax:
	xasprintf(cause, "%s", bs_verbs[i].usage);
	bs_cmd_free(cmd);
	return (BS_ERR_SYNTAX);
}

/*
 * "<path>" or a bare address, then parameters.  A source route
 * (@a,@b:) is dropped (RFC 5321 4.1.1.3).  Quoted strings may hold
 * '>' and spaces.
 */
static int
bs_parse_path(char *s, struct bs_cmd *cmd, char **cause)
{
	char	*p, *e;
	int	 inq = 0;

	while (bs_is_sp(*s))
		s++;
	if (*s == '<') {
		for (p = ++s; *p != '\0'; p++) {
			if (inq && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				inq = !inq;
			else if (!inq && *p == '>')
				break;
		}
		if (*p != '>') {
			xasprintf(cause, "Syntax: missing '>' in address");
			return (-1);
		}
		*p++ = '\0';
		if (*p != '\0' && !bs_is_sp(*p)) {
			xasprintf(cause, "Syntax: garbage after address");
			return (-1);
		}
	} else {
		/* Without angle brackets (RFC 821 era clients). */
		for (p = s; *p != '\0' && !bs_is_sp(*p); p++)
			if (*p == '>' || *p == '"') {
				xasprintf(cause, "Syntax: bad address");
				return (-1);
			}
		if (p == s) {
			xasprintf(cause, "Syntax: missing address");
			return (-1);
		}
		if (*p != '\0')
			*p++ = '\0';
	}
	if (*s == '@') {
		if ((e = strchr(s, ':')) == NULL) {
			xasprintf(cause, "Syntax: bad source route");
			return (-1);
		}
		s = e + 1;
	}
	if (strlen(s) > SMTP_PATH_MAX) {
		xasprintf(cause, "Syntax: address too long");
		return (-1);
	}
	cmd->arg = s;
	return (bs_parse_params(p, cmd, cause));
}

/* esmtp-keyword ["=" esmtp-value], separated by white space. */
static int
bs_parse_params(char *s, struct bs_cmd *cmd, char **cause)
{
	struct bs_param	*p;
	char		*k;

	for (;;) {
		while (bs_is_sp(*s))
			s++;
		if (*s == '\0')
			return (0);
		if (cmd->nparams == BS_PARAM_MAX) {
			xasprintf(cause, "Syntax: too many parameters");
			return (-1);
		}
		p = &cmd->params[cmd->nparams++];
		p->key = k = s;
		if (!isalnum((unsigned char)*k))
			goto bad;
		while (isalnum((unsigned char)*k) || *k == '-')
			k++;
		if (*k == '=') {
			*k++ = '\0';
			p->value = k;
			for (; *k != '\0' && !bs_is_sp(*k); k++)
				if (*k == '=' || (unsigned char)*k < 0x21 ||
				    *k == 0x7f)
					goto bad;
			if (k == p->value)
				goto bad;
		} else if (*k != '\0' && !bs_is_sp(*k))
			goto bad;
		s = k;
		if (*s != '\0')
			*s++ = '\0';
	}
bad:
	xasprintf(cause, "Syntax: bad parameter");
	return (-1);
}

/* Free what bs_parse_command() allocated. */
void
bs_cmd_free(struct bs_cmd *cmd)
{
	free(cmd->buf);
	cmd->buf = NULL;
	cmd->arg = "";
	cmd->nparams = 0;
}

