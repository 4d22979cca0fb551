/*
 * dsn.c: delivery status notifications for queued mail.
 *
 * When a queued message fails for good (5xx, or max_age is over) nobody
 * is waiting for the answer, so the sender is told by mail: a
 * multipart/report (RFC 3464, RFC 6522) with a human part, the
 * machine-readable message/delivery-status part and the original header
 * section (text/rfc822-headers, at most DSN_HEADERS_MAX bytes, cut at a
 * line end), queued with the null sender MAIL FROM:<> and marked as a
 * bounce in the spool, so that it can never cause a bounce of its own:
 * a notification that fails or expires is dropped and logged.
 *
 * Who gets it: the envelope sender; a local sender (no domain, our
 * `domain`, localhost or this host's name: the addresses the front end
 * makes for local users, e.g. root@example.com for cron) goes through
 * [aliases] when its local part (or `*`) has an alias, so root's cron
 * mail bounces reach the admin.  NOTIFY=NEVER (sendmail -N) suppresses
 * notifications; a NOTIFY list without FAILURE or DELAY suppresses
 * that kind.  Delay warnings use Action: delayed.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "alias.h"
#include "conf.h"
#include "deliver.h"
#include "dsn.h"
#include "envelope.h"
#include "spool.h"

static void	dsn_copy_headers(FILE *, const struct spool_entry *);
static void	dsn_date(char *, size_t, time_t);
static int	dsn_selected(const struct spool_rcpt *, size_t, enum dsn_kind,
		    const unsigned char *);
static void	dsn_text(FILE *, const char *);
static void	dsn_human(FILE *, const char *, const char *,
		    const struct spool_entry *, enum dsn_kind,
		    const unsigned char *);
static void	dsn_machine(FILE *, const struct conf *, const char *,
		    const char *, const struct spool_entry *, enum dsn_kind,
		    const unsigned char *);

/*
 * Where notifications for the envelope sender go (see above).  Fills
 * out (empty for the null sender); -1 with a cause if an alias is bad.
 */
int
dsn_recipients(const struct conf *conf, const char *sender,
    struct addr_list *out, char **cause)
{
	const char *const	*names = deliver_local_names();
	const char		*domain;
	char			*lp, *q;
	int			 local, r = 0;

	if (sender == NULL || *sender == '\0')
		return (0);
	domain = addr_domain(sender);
	local = addr_is_local(sender, names) || (domain != NULL &&
	    conf->domain != NULL && strcasecmp(domain, conf->domain) == 0);
	if (!local) {
		addr_list_add(out, sender);
		return (0);
	}
	lp = addr_localpart(sender);
	if (conf_alias_lookup(conf, lp) != NULL)
		r = alias_expand_one(conf, names, lp, out, 0, cause);
	else if (conf->domain == NULL)
		addr_list_add(out, sender);
	else {
		/* bare user, user@localhost: the same user at our domain. */
		q = addr_qualify(lp, conf->domain);
		addr_list_add(out, q);
		free(q);
	}
	free(lp);
	return (r);
}

/*
 * Print stored text (a reply, escaped when it was stored): any control
 * byte left becomes '?', so it can never break a line of the report.
 */
static void
dsn_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* Whether the submitter wants this kind of notification (-N). */
int
dsn_wanted(const struct spool_entry *e, enum dsn_kind kind)
{
	const char	*why;
	unsigned int	 bits;

	if (e->meta.is_bounce || e->meta.sender == NULL ||
	    *e->meta.sender == '\0')
		return (0);
	if (e->meta.dsn_notify == NULL)
		return (1);
	/* The reader checked it; a bad one here asks for nothing. */
	if (envelope_notify_parse(e->meta.dsn_notify, 0, &bits, &why) == -1)
		return (0);
	return ((bits & (kind == DSN_DELAYED ? ENVELOPE_NOTIFY_DELAY :
	    ENVELOPE_NOTIFY_FAILURE)) != 0);
}

/*
 * The RFC 3463 status for a stored reply: its enhanced code when it has
 * one of the right class, else a default: 5.0.0 for a refusal, 4.4.7
 * (delayed) or 5.4.7 (expired) for mail that timed out in the queue.
 */
void
dsn_status(const char *reply, enum dsn_kind kind, char *buf, size_t len)
{
	const char	*p;
	char		 want = kind == DSN_DELAYED ? '4' : '5';
	size_t		 n;

	if (reply != NULL && strlen(reply) > 4 && reply[3] == ' ') {
		p = reply + 4;
		n = strcspn(p, " ");
		if (p[0] == want && n >= 5 && n <= 11 && p[1] == '.' &&
		    strspn(p + 2, "0123456789.") == n - 2 &&
		    isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[n - 1]) &&
		    (size_t)snprintf(buf, len, "%.*s", (int)n, p) < len)
			return;
	}
	snprintf(buf, len, "%s", kind == DSN_FAILED ? "5.0.0" :
	    kind == DSN_EXPIRED ? "5.4.7" : "4.4.7");
}

static void
dsn_date(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		buf[0] = '\0';
}

/*
 * Attach the original header section: whole lines up to the first empty
 * one, at most DSN_HEADERS_MAX bytes, each ending in CRLF.  The entry is
 * hostile input and the bounce must be canonical (canon.c): a stray CR
 * or NUL becomes a space, and an 8-bit byte a '?' in a 7-bit bounce.
 */
static void
dsn_copy_headers(FILE *f, const struct spool_entry *e)
{
	char	 buf[4096], line[SMTP_LINE_MAX + 3];
	size_t	 total = 0, i, k, len = 0;
	ssize_t	 n;
	off_t	 off = e->msg_offset, end = e->msg_offset + e->msg_size;
	int	 too_long = 0, eight = e->meta.body_8bit || e->meta.smtputf8;

	while (off < end) {
		n = pread(e->fd, buf, (size_t)(end - off) < sizeof(buf) ?
		    (size_t)(end - off) : sizeof(buf), off);
		if (n <= 0)
			break;
		off += n;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 3)
					line[len++] = buf[i];
				else
					too_long = 1;
				continue;
			}
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (len == 0)
				return;
			if (too_long || total + len + 2 > DSN_HEADERS_MAX)
				return;
			for (k = 0; k < len; k++) {
				if (line[k] == '\r' || line[k] == '\0')
					line[k] = ' ';
				else if (!eight && (unsigned char)line[k] >= 0x80)
					line[k] = '?';
			}
			line[len++] = '\r';
			line[len++] = '\n';
			fwrite(line, 1, len, f);
			total += len;
			len = 0;
		}
	}
}

static int
dsn_selected(const struct spool_rcpt *r, size_t i, enum dsn_kind kind,
    const unsigned char *sel)
{
	if (sel != NULL)
		return (sel[i] != 0);
	if (kind == DSN_DELAYED)
		return (r->state == SPOOL_RCPT_PENDING);
	return (r->state == SPOOL_RCPT_FAILED);
}

/* The first part: a few sentences and the refused recipients. */
static void
dsn_human(FILE *f, const char *domain, const char *boundary,
    const struct spool_entry *e, enum dsn_kind kind,
    const unsigned char *sel)
{
	struct spool_rcpt	*r;
	size_t			 i;

	fprintf(f, "--%s\r\nContent-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is the mail system at %s (mailferry).\r\n\r\n", boundary,
	    domain);
	if (kind == DSN_FAILED)
		fputs("Your message could not be delivered to one or more "
		    "recipients:\r\nthe mail server refused it for good.\r\n"
		    "Its headers are attached below.\r\n\r\n", f);
	else if (kind == DSN_EXPIRED)
		fputs("Your message could not be delivered to one or more "
		    "recipients:\r\nit stayed in the queue for too long and "
		    "was given up.\r\nIts headers are attached below.\r\n\r\n",
		    f);
	else
		fputs("Your message has not been delivered yet to one or more "
		    "recipients.\r\nIt is still queued and will be retried; "
		    "you do not need to resend it.\r\n\r\n", f);
	i = 0;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry)
		if (dsn_selected(r, i++, kind, sel)) {
			fprintf(f, "<%s>: ", r->addr);
			dsn_text(f, r->reply != NULL ? r->reply :
			    (e->last_error != NULL ? e->last_error :
			    "no reply"));
			fputs("\r\n", f);
		}

}

/* The second part: message/delivery-status, one block per recipient. */
static void
dsn_machine(FILE *f, const struct conf *conf, const char *domain,
    const char *boundary, const struct spool_entry *e, enum dsn_kind kind,
    const unsigned char *sel)
{
	struct spool_rcpt	*r;
	const char		*why;
	char			 date[64], status[16];
	size_t			 i;

	dsn_date(date, sizeof(date), e->created);
	fprintf(f, "\r\n--%s\r\nContent-Description: Delivery report\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; %s\r\nX-Mailferry-Queue-ID: %s\r\n"
	    "Arrival-Date: %s\r\n", boundary, domain, e->id, date);
	if (e->meta.dsn_envid != NULL)
		fprintf(f, "Original-Envelope-Id: %s\r\n", e->meta.dsn_envid);
	i = 0;
	TAILQ_FOREACH(r, &e->meta.rcpts, entry) {
		if (!dsn_selected(r, i++, kind, sel))
			continue;
		why = r->reply != NULL ? r->reply : e->last_error;
		dsn_status(why, kind, status, sizeof(status));
		fprintf(f, "\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\n"
		    "Status: %s\r\n", r->addr, kind == DSN_DELAYED ?
		    "delayed" : "failed", status);
		if (conf->host != NULL)
			fprintf(f, "Remote-MTA: dns; %s\r\n", conf->host);
		if (why != NULL) {
			fputs("Diagnostic-Code: smtp; ", f);
			dsn_text(f, why);
			fputs("\r\n", f);
		}
		if (e->last_attempt != 0) {
			dsn_date(date, sizeof(date), e->last_attempt);
			fprintf(f, "Last-Attempt-Date: %s\r\n", date);
		}
	}
}

/* Write the whole notification about e to f, addressed to `to`. */
int
dsn_write(FILE *f, const struct conf *conf, const struct spool_entry *e,
    enum dsn_kind kind, const unsigned char *sel, const struct addr_list *to)
{
	const char		*domain = conf->domain != NULL ? conf->domain :
				    "localhost";
	char			 date[64], boundary[64];
	time_t			 now = time(NULL);
	size_t			 i;

	snprintf(boundary, sizeof(boundary), "%s.dsn/%s", e->id, domain);
	dsn_date(date, sizeof(date), now);
	fprintf(f, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\nTo: ",
	    domain);
	for (i = 0; i < to->n; i++)
		fprintf(f, "%s<%s>", i > 0 ? ",\r\n\t" : "", to->v[i]);
	fprintf(f, "\r\nSubject: %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <%s.%s.%lld@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n",
	    kind == DSN_DELAYED ? "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender", date, e->id,
	    kind == DSN_DELAYED ? "delayed" : "failed", (long long)now, domain,
	    boundary);

	dsn_human(f, domain, boundary, e, kind, sel);
	dsn_machine(f, conf, domain, boundary, e, kind, sel);
	fprintf(f, "\r\n--%s\r\nContent-Description: Undelivered message "
	    "headers\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary);
	dsn_copy_headers(f, e);
	fprintf(f, "\r\n--%s--\r\n", boundary);
	return (ferror(f) ? -1 : 0);
}

/*
 * Queue a notification about e.  Returns 0 when queued or when none is
 * due (null sender, e is itself a notification, NOTIFY says no: logged),
 * -1 with a cause when it could not be queued.
 */
int
dsn_queue(const struct conf *conf, const struct spool_entry *e,
    enum dsn_kind kind, const unsigned char *sel, char **cause)
{
	struct spool_meta	 meta;
	struct addr_list	 to;
	FILE			*f;
	const char		*what = kind == DSN_DELAYED ? "delay warning" :
				    "bounce";
	char			 id[SPOOL_ID_LEN + 1];
	size_t			 i;
	int			 ret = -1;

	if (!dsn_wanted(e, kind)) {
		log_info("id=%s: no %s: %s", e->id, what, e->meta.is_bounce ?
		    "a notification is never bounced, dropped" :
		    (*e->meta.sender == '\0' ? "null sender" :
		    "NOTIFY says no"));
		return (0);
	}
	addr_list_init(&to);
	if (dsn_recipients(conf, e->meta.sender, &to, cause) == -1)
		goto out;
	if (to.n == 0) {
		log_info("id=%s: no %s: nobody to send it to", e->id, what);
		ret = 0;
		goto out;
	}
	if ((f = tmpfile()) == NULL) {
		xasprintf(cause, "tmpfile: %s", strerror(errno));
		goto out;
	}
	if (dsn_write(f, conf, e, kind, sel, &to) == -1 || fflush(f) == EOF ||
	    fseeko(f, 0, SEEK_SET) == -1) {
		xasprintf(cause, "writing the notification: %s",
		    strerror(errno));
		fclose(f);
		goto out;
	}
	spool_meta_init(&meta);
	meta.sender = xstrdup("");
	meta.is_bounce = 1;
	meta.body_8bit = e->meta.body_8bit || e->meta.smtputf8;
	for (i = 0; i < to.n; i++) {
		spool_meta_add_rcpt(&meta, to.v[i]);
		if (envelope_needs_smtputf8(to.v[i]))
			meta.smtputf8 = 1;
	}
	ret = spool_write_entry(conf->queue_dir, &meta, fileno(f), e->uid, id,
	    cause);
	fclose(f);
	spool_meta_free(&meta);
	if (ret == 0)
		for (i = 0; i < to.n; i++)
			log_info("id=%s: %s queued as %s to <%s>", e->id, what,
			    id, to.v[i]);
out:
	addr_list_free(&to);
	return (ret);
}
