/*
 * Tests for delivery status notifications: the RFC 3464 report parsed
 * back (multipart/report structure, per-recipient fields, the original
 * headers and nothing more), status codes from hostile replies, who
 * gets a notification, NOTIFY, and what dsn_queue() puts in the spool
 * (null sender, bounce flag, never a bounce of a bounce).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>

#include <atf-c.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "canon.h"
#include "conf.h"
#include "dsn.h"
#include "spool.h"

static const char conf_text[] =
    "[smarthost]\n"
    "host = smtp.example.net\n"
    "[sender]\n"
    "domain = example.org\n"
    "[aliases]\n"
    "root = admin@example.org\n"
    "postmaster = root\n"
    "[queue]\n";

static const char message[] =
    "From: Alice <alice@example.net>\r\n"
    "To: bob@example.com\r\n"
    "Subject: the original\r\n"
    "X-Folded: one\r\n"
    "\ttwo\r\n"
    "\r\n"
    "SECRET BODY LINE\r\n"
    ".dot line\r\n";

static void
load_conf(struct conf *c, const char *extra, const char *dir)
{
	char	*text, *cause = NULL;
	FILE	*f;

	xasprintf(&text, "%s%s%s%s\n", conf_text, dir != NULL ? "dir = " : "",
	    dir != NULL ? dir : "", extra != NULL ? extra : "");
	ATF_REQUIRE((f = fmemopen(text, strlen(text), "r")) != NULL);
	conf_init(c);
	if (conf_load_fp(c, f, "test.conf", &cause) != 0)
		atf_tc_fail("conf: %s", cause);
	fclose(f);
	free(text);
}

static char *
mkspool(void)
{
	char	 tmpl[] = "spool.XXXXXX", cwd[PATH_MAX], *dir, *cause = NULL;

	ATF_REQUIRE(mkdtemp(tmpl) != NULL);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	xasprintf(&dir, "%s/%s", cwd, tmpl);
	ATF_REQUIRE(spool_mkdirs(dir, &cause) == 0);
	free(cause);
	return (dir);
}

/* Queue `message` from sender to three recipients; open it locked. */
static void
mkentry(const char *dir, const char *sender, int bounce,
    struct spool_entry *e)
{
	struct spool_meta	 m;
	char			 id[SPOOL_ID_LEN + 1], *cause = NULL;
	FILE			*f;

	spool_meta_init(&m);
	m.sender = xstrdup(sender);
	m.is_bounce = bounce;
	spool_meta_add_rcpt(&m, "sent@example.com");
	spool_meta_add_rcpt(&m, "failed@example.com");
	spool_meta_add_rcpt(&m, "pending@example.com");
	ATF_REQUIRE((f = tmpfile()) != NULL);
	fputs(message, f);
	rewind(f);
	if (spool_write_entry(dir, &m, fileno(f), getuid(), id, &cause) != 0)
		atf_tc_fail("spool_write_entry: %s", cause);
	fclose(f);
	spool_meta_free(&m);
	ATF_REQUIRE_EQ(spool_open(dir, id, LOCK_EX | LOCK_NB, e, &cause),
	    SPOOL_OK);
	free(cause);
}

/* Give the three recipients their states and replies. */
static void
set_states(struct spool_entry *e)
{
	struct spool_rcpt	*r;

	r = TAILQ_FIRST(&e->meta.rcpts);
	r->state = SPOOL_RCPT_SENT;
	r->reply = xstrdup("250 2.0.0 Ok");
	r = TAILQ_NEXT(r, entry);
	r->state = SPOOL_RCPT_FAILED;
	r->reply = xstrdup("550 5.1.1 <failed@example.com>: no such user");
	r = TAILQ_NEXT(r, entry);
	r->reply = xstrdup("451 4.3.0 try later");
	e->last_error = xstrdup("451 4.3.0 try later");
	e->last_attempt = 1700000000;
}

/*
 * A bounce is queued by spool_write_entry(), which checks nothing: it
 * must be in the canonical form mailferry-queue demands of everyone.
 */
static void
check_canonical(const char *buf, size_t len, int body_7bit)
{
	struct canon_policy	 pol = { 0, NULL, body_7bit };
	struct canon		 c;
	char			*cause = NULL;

	canon_init(&c, &pol);
	if (canon_feed(&c, buf, len, &cause) == -1 ||
	    canon_end(&c, &cause) == -1)
		atf_tc_fail("bounce not canonical: %s", cause);
}

/* The report as text with CRLF checked and removed. */
static char *
render(const struct conf *c, const struct spool_entry *e, enum dsn_kind k,
    const unsigned char *sel)
{
	struct addr_list	 to;
	char			*buf = NULL, *out, *p, *q;
	size_t			 len = 0;
	FILE			*f;

	addr_list_init(&to);
	addr_list_add(&to, "alice@example.net");
	ATF_REQUIRE((f = open_memstream(&buf, &len)) != NULL);
	ATF_REQUIRE_EQ(dsn_write(f, c, e, k, sel, &to), 0);
	fclose(f);
	addr_list_free(&to);
	/* The body flag is the one dsn_queue() gives the bounce. */
	check_canonical(buf, len, !(e->meta.body_8bit || e->meta.smtputf8));
	/* Every line ends in CRLF, none is longer than 998. */
	out = xmalloc(len + 1);
	for (p = buf, q = out; *p != '\0'; p++) {
		if (*p == '\r') {
			ATF_REQUIRE(p[1] == '\n');
			continue;
		}
		if (*p == '\n')
			ATF_REQUIRE(p > buf && p[-1] == '\r');
		*q++ = *p;
	}
	*q = '\0';
	ATF_REQUIRE(len > 0 && buf[len - 1] == '\n');
	for (p = out; (q = strchr(p, '\n')) != NULL; p = q + 1)
		ATF_REQUIRE(q - p <= 998);
	free(buf);
	return (out);
}

static int
has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return (1);
		p += n;
	}
	return (0);
}

static int
prefix(const char *s, const char *p)
{
	return (strncmp(s, p, strlen(p)) == 0);
}

/* Split the report at its boundary; returns the number of parts. */
static size_t
parts(char *text, char **part, size_t max)
{
	char	*b, *e, delim[128], *p, *next;
	size_t	 n = 0;

	ATF_REQUIRE((b = strstr(text, "boundary=\"")) != NULL);
	b += strlen("boundary=\"");
	ATF_REQUIRE((e = strchr(b, '"')) != NULL);
	snprintf(delim, sizeof(delim), "\n--%.*s", (int)(e - b), b);
	ATF_REQUIRE((p = strstr(text, delim)) != NULL);
	for (;;) {
		p += strlen(delim);
		if (strncmp(p, "--\n", 3) == 0)
			break;
		ATF_REQUIRE(*p == '\n');
		p++;
		ATF_REQUIRE((next = strstr(p, delim)) != NULL);
		ATF_REQUIRE(n < max);
		part[n++] = xstrndup(p, (size_t)(next - p));
		p = next;
	}
	return (n);
}

static void
free_parts(char **part, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(part[i]);
}

ATF_TC_WITHOUT_HEAD(report_failed);
ATF_TC_BODY(report_failed, tc)
{
	struct conf		 c;
	struct spool_entry	 e;
	char			*dir = mkspool(), *t, *p[8], *h;
	size_t			 n;

	load_conf(&c, NULL, dir);
	mkentry(dir, "alice@example.net", 0, &e);
	set_states(&e);
	t = render(&c, &e, DSN_FAILED, NULL);

	/* The top-level header. */
	h = xstrndup(t, strstr(t, "\n\n") - t + 1);
	ATF_CHECK(has_line(h, "From: Mail Delivery System "
	    "<MAILER-DAEMON@example.org>"));
	ATF_CHECK(has_line(h, "To: <alice@example.net>"));
	ATF_CHECK(has_line(h, "Subject: Undelivered Mail Returned to Sender"));
	ATF_CHECK(has_line(h, "Auto-Submitted: auto-replied"));
	ATF_CHECK(has_line(h, "MIME-Version: 1.0"));
	ATF_CHECK(has_line(h, "Content-Type: multipart/report; "
	    "report-type=delivery-status;"));
	ATF_CHECK(strstr(h, "\nDate: ") != NULL);
	ATF_CHECK(strstr(h, "\nMessage-ID: <") != NULL);

	ATF_REQUIRE_EQ(n = parts(t, p, 8), 3);
	/* 1: for humans. */
	ATF_CHECK(prefix(p[0], "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"));
	ATF_CHECK(strstr(p[0], "<failed@example.com>: 550 5.1.1") != NULL);
	ATF_CHECK(strstr(p[0], "sent@example.com") == NULL);
	ATF_CHECK(strstr(p[0], "pending@example.com") == NULL);
	/* 2: for machines: only the failed recipient. */
	ATF_CHECK(strstr(p[1], "Content-Type: message/delivery-status\n\n")
	    != NULL);
	ATF_CHECK(has_line(p[1], "Reporting-MTA: dns; example.org"));
	ATF_CHECK(strstr(p[1], "\nArrival-Date: ") != NULL);
	ATF_CHECK(has_line(p[1], "Final-Recipient: rfc822; failed@example.com"));
	ATF_CHECK(has_line(p[1], "Action: failed"));
	ATF_CHECK(has_line(p[1], "Status: 5.1.1"));
	ATF_CHECK(has_line(p[1], "Remote-MTA: dns; smtp.example.net"));
	ATF_CHECK(has_line(p[1], "Diagnostic-Code: smtp; 550 5.1.1 "
	    "<failed@example.com>: no such user"));
	ATF_CHECK(strstr(p[1], "sent@example.com") == NULL);
	ATF_CHECK(strstr(p[1], "pending@example.com") == NULL);
	/* Per-recipient fields are separated from the message ones. */
	ATF_CHECK(strstr(p[1], "\n\nFinal-Recipient: ") != NULL);
	/* 3: the original header section, whole, and not the body. */
	ATF_CHECK(prefix(p[2], "Content-Description: Undelivered message "
	    "headers\nContent-Type: text/rfc822-headers\n\n"));
	ATF_CHECK(strstr(p[2], "From: Alice <alice@example.net>\nTo: "
	    "bob@example.com\nSubject: the original\nX-Folded: one\n\ttwo\n")
	    != NULL);
	ATF_CHECK(strstr(p[2], "SECRET BODY") == NULL);
	ATF_CHECK(strstr(t, "SECRET BODY") == NULL);
	free_parts(p, n);
	free(h);
	free(t);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(report_selected);
ATF_TC_BODY(report_selected, tc)
{
	struct conf		 c;
	struct spool_entry	 e;
	char			*dir = mkspool(), *t, *p[8];
	unsigned char		 sel[3] = { 0, 0, 1 };

	load_conf(&c, NULL, dir);
	mkentry(dir, "alice@example.net", 0, &e);
	set_states(&e);
	/* Expiry of the pending one only: 5.4.7, not its 4xx code. */
	t = render(&c, &e, DSN_EXPIRED, sel);
	ATF_REQUIRE_EQ(parts(t, p, 8), 3);
	ATF_CHECK(has_line(p[1], "Final-Recipient: rfc822; pending@example.com"));
	ATF_CHECK(has_line(p[1], "Action: failed"));
	ATF_CHECK(has_line(p[1], "Status: 5.4.7"));
	ATF_CHECK(has_line(p[1], "Diagnostic-Code: smtp; 451 4.3.0 try later"));
	ATF_CHECK(strstr(p[1], "failed@example.com") == NULL);
	ATF_CHECK(strstr(p[0], "too long") != NULL);
	free_parts(p, 3);
	free(t);
	/* A delay warning: the pending recipients, Action: delayed. */
	t = render(&c, &e, DSN_DELAYED, NULL);
	ATF_REQUIRE_EQ(parts(t, p, 8), 3);
	ATF_CHECK(strstr(t, "Subject: Delayed Mail") != NULL);
	ATF_CHECK(has_line(p[1], "Final-Recipient: rfc822; pending@example.com"));
	ATF_CHECK(has_line(p[1], "Action: delayed"));
	ATF_CHECK(has_line(p[1], "Status: 4.3.0"));
	ATF_CHECK(strstr(p[1], "failed@example.com") == NULL);
	free_parts(p, 3);
	free(t);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(status_codes);
ATF_TC_BODY(status_codes, tc)
{
	static const struct {
		const char	*reply;
		enum dsn_kind	 kind;
		const char	*want;
	} t[] = {
		{ "550 5.1.1 no such user", DSN_FAILED, "5.1.1" },
		{ "554 5.7.1 rejected", DSN_FAILED, "5.7.1" },
		{ "552 5.3.4 too big", DSN_EXPIRED, "5.3.4" },
		{ "451 4.3.0 later", DSN_EXPIRED, "5.4.7" },
		{ "451 4.3.0 later", DSN_DELAYED, "4.3.0" },
		{ "451 4.3.0 later", DSN_FAILED, "5.0.0" },
		{ "550 no enhanced code", DSN_FAILED, "5.0.0" },
		{ "connect to x: refused", DSN_EXPIRED, "5.4.7" },
		{ "connect to x: refused", DSN_DELAYED, "4.4.7" },
		{ NULL, DSN_FAILED, "5.0.0" },
		{ "", DSN_FAILED, "5.0.0" },
		{ "550", DSN_FAILED, "5.0.0" },
		{ "550 5", DSN_FAILED, "5.0.0" },
		{ "550 5.", DSN_FAILED, "5.0.0" },
		{ "550 5.1.", DSN_FAILED, "5.0.0" },
		{ "550 5.x.1 bad", DSN_FAILED, "5.0.0" },
		{ "550 5.1.1111111111 long", DSN_FAILED, "5.0.0" },
		{ "550 5.1.1\\r\\nInjected: yes", DSN_FAILED, "5.0.0" },
		{ "550 5.1.1\r\nInjected: yes", DSN_FAILED, "5.0.0" },
		{ "550-5.1.1 continuation", DSN_FAILED, "5.0.0" },
		{ "550 5.123.456 ok", DSN_FAILED, "5.123.456" },
	};
	char	 buf[16];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		dsn_status(t[i].reply, t[i].kind, buf, sizeof(buf));
		if (strcmp(buf, t[i].want) != 0)
			atf_tc_fail("case %zu (%s): %s, want %s", i,
			    t[i].reply != NULL ? t[i].reply : "NULL", buf,
			    t[i].want);
	}
}

ATF_TC_WITHOUT_HEAD(recipients);
ATF_TC_BODY(recipients, tc)
{
	static const struct {
		const char	*sender;
		const char	*want;	/* comma-separated, "" for none */
	} t[] = {
		{ "alice@example.net", "alice@example.net" },
		{ "root@example.org", "admin@example.org" },
		{ "ROOT@EXAMPLE.ORG", "admin@example.org" },
		{ "root", "admin@example.org" },
		{ "root@localhost", "admin@example.org" },
		{ "postmaster@example.org", "admin@example.org" },
		{ "www-data@example.org", "www-data@example.org" },
		{ "www-data", "www-data@example.org" },
		{ "www-data@localhost", "www-data@example.org" },
		{ "root@example.net", "root@example.net" },
		{ "", "" },
	};
	struct conf		 c;
	struct addr_list	 l;
	char			*cause = NULL, got[512];
	size_t			 i, k;

	load_conf(&c, NULL, NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		addr_list_init(&l);
		ATF_REQUIRE_EQ(dsn_recipients(&c, t[i].sender, &l, &cause), 0);
		got[0] = '\0';
		for (k = 0; k < l.n; k++) {
			if (k > 0)
				strlcat(got, ",", sizeof(got));
			strlcat(got, l.v[k], sizeof(got));
		}
		if (strcmp(got, t[i].want) != 0)
			atf_tc_fail("%s: <%s>, want <%s>", t[i].sender, got,
			    t[i].want);
		addr_list_free(&l);
	}
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(notify);
ATF_TC_BODY(notify, tc)
{
	static const struct {
		const char	*notify;
		const char	*sender;
		int		 bounce;
		int		 failed, delayed;
	} t[] = {
		{ NULL, "a@example.net", 0, 1, 1 },
		{ "NEVER", "a@example.net", 0, 0, 0 },
		{ "SUCCESS", "a@example.net", 0, 0, 0 },
		{ "FAILURE", "a@example.net", 0, 1, 0 },
		{ "DELAY", "a@example.net", 0, 0, 1 },
		{ "SUCCESS,FAILURE,DELAY", "a@example.net", 0, 1, 1 },
		{ "FAILUREX", "a@example.net", 0, 0, 0 },
		{ NULL, "", 0, 0, 0 },
		{ NULL, "", 1, 0, 0 },
	};
	struct spool_entry	 e;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.meta.dsn_notify = (char *)t[i].notify;
		e.meta.sender = (char *)t[i].sender;
		e.meta.is_bounce = t[i].bounce;
		if (dsn_wanted(&e, DSN_FAILED) != t[i].failed ||
		    dsn_wanted(&e, DSN_EXPIRED) != t[i].failed ||
		    dsn_wanted(&e, DSN_DELAYED) != t[i].delayed)
			atf_tc_fail("case %zu (%s)", i, t[i].notify != NULL ?
			    t[i].notify : "NULL");
	}
}

/* The ids in dir other than skip. */
static size_t
other_ids(const char *dir, const char *skip, char *out)
{
	char	**ids, *cause = NULL, newest[SPOOL_ID_LEN + 1] = "";
	size_t	  n, i, k = 0;

	ATF_REQUIRE_EQ(spool_list_oldest(dir, SPOOL_WINDOW, NULL, NULL,
	    newest, &ids, &n, &cause), 0);
	for (i = 0; i < n; i++)
		if (strcmp(ids[i], skip) != 0) {
			strlcpy(out, ids[i], SPOOL_ID_LEN + 1);
			k++;
		}
	spool_list_free(ids, n);
	return (k);
}

ATF_TC_WITHOUT_HEAD(queue_null_sender);
ATF_TC_BODY(queue_null_sender, tc)
{
	struct conf		 c;
	struct spool_entry	 e, d;
	char			*dir = mkspool(), *cause = NULL, *buf;
	char			 id[SPOOL_ID_LEN + 1];
	ssize_t			 r;

	load_conf(&c, NULL, dir);
	mkentry(dir, "root@example.org", 0, &e);
	set_states(&e);
	ATF_REQUIRE_EQ(dsn_queue(&c, &e, DSN_FAILED, NULL, &cause), 0);
	ATF_REQUIRE_EQ(other_ids(dir, e.id, id), 1);
	ATF_REQUIRE_EQ(spool_open(dir, id, 0, &d, &cause), SPOOL_OK);
	free(cause);
	cause = NULL;
	ATF_CHECK_STREQ(d.meta.sender, "");
	ATF_CHECK_EQ(d.meta.is_bounce, 1);
	ATF_REQUIRE(TAILQ_FIRST(&d.meta.rcpts) != NULL);
	ATF_CHECK_STREQ(TAILQ_FIRST(&d.meta.rcpts)->addr, "admin@example.org");
	ATF_CHECK(TAILQ_NEXT(TAILQ_FIRST(&d.meta.rcpts), entry) == NULL);
	/* The queued bytes are the whole report. */
	ATF_REQUIRE(d.msg_size > 500);
	buf = xmalloc(d.msg_size + 1);
	r = pread(d.fd, buf, d.msg_size, d.msg_offset);
	ATF_REQUIRE_EQ(r, d.msg_size);
	buf[r] = '\0';
	check_canonical(buf, r, !d.meta.body_8bit);
	ATF_CHECK(strstr(buf, "To: <admin@example.org>\r\n") != NULL);
	ATF_CHECK(strstr(buf, "Final-Recipient: rfc822; failed@example.com\r\n")
	    != NULL);
	ATF_CHECK(strstr(buf, "Subject: the original\r\n") != NULL);

	/* A bounce of that bounce is never made. */
	TAILQ_FIRST(&d.meta.rcpts)->state = SPOOL_RCPT_FAILED;
	ATF_REQUIRE_EQ(dsn_queue(&c, &d, DSN_FAILED, NULL, &cause), 0);
	ATF_REQUIRE_EQ(dsn_queue(&c, &d, DSN_EXPIRED, NULL, &cause), 0);
	ATF_REQUIRE_EQ(dsn_queue(&c, &d, DSN_DELAYED, NULL, &cause), 0);
	ATF_CHECK_EQ(other_ids(dir, e.id, id), 1);
	free(buf);
	spool_close(&d);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(queue_notify_never);
ATF_TC_BODY(queue_notify_never, tc)
{
	struct conf		 c;
	struct spool_entry	 e;
	char			*dir = mkspool(), *cause = NULL;
	char			 id[SPOOL_ID_LEN + 1];

	load_conf(&c, NULL, dir);
	mkentry(dir, "alice@example.net", 0, &e);
	set_states(&e);
	free(e.meta.dsn_notify);
	e.meta.dsn_notify = xstrdup("NEVER");
	ATF_REQUIRE_EQ(dsn_queue(&c, &e, DSN_FAILED, NULL, &cause), 0);
	ATF_CHECK_EQ(other_ids(dir, e.id, id), 0);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(headers_bounded);
ATF_TC_BODY(headers_bounded, tc)
{
	struct conf		 c;
	struct spool_entry	 e;
	struct spool_meta	 m;
	char			*dir = mkspool(), *cause = NULL, *t, *p[8];
	char			 id[SPOOL_ID_LEN + 1];
	FILE			*f;
	int			 i;

	load_conf(&c, NULL, dir);
	spool_meta_init(&m);
	m.sender = xstrdup("alice@example.net");
	spool_meta_add_rcpt(&m, "bob@example.com");
	ATF_REQUIRE((f = tmpfile()) != NULL);
	/* 200 KB of headers, LF-only line ends, no body separator. */
	for (i = 0; i < 4000; i++)
		fprintf(f, "X-Filler-%d: %040d\n", i, i);
	rewind(f);
	ATF_REQUIRE_EQ(spool_write_entry(dir, &m, fileno(f), getuid(), id, &cause), 0);
	fclose(f);
	spool_meta_free(&m);
	ATF_REQUIRE_EQ(spool_open(dir, id, 0, &e, &cause), SPOOL_OK);
	free(cause);
	TAILQ_FIRST(&e.meta.rcpts)->state = SPOOL_RCPT_FAILED;
	t = render(&c, &e, DSN_FAILED, NULL);
	ATF_REQUIRE_EQ(parts(t, p, 8), 3);
	ATF_CHECK(strlen(p[2]) <= DSN_HEADERS_MAX + 200);
	ATF_CHECK(strlen(p[2]) > DSN_HEADERS_MAX / 2);
	ATF_CHECK(strstr(p[2], "X-Filler-0: ") != NULL);
	ATF_CHECK(strstr(p[2], "X-Filler-3999: ") == NULL);
	free_parts(p, 3);
	free(t);
	spool_close(&e);
	conf_free(&c);
	free(dir);
}

/* A hostile entry's bounce, as queued, is still canonical. */
ATF_TC_WITHOUT_HEAD(queue_canonical);
ATF_TC_BODY(queue_canonical, tc)
{
	static const char *const origs[] = {
	    "From: a\rb@example.net\nBcc: x@y\nX: \xff\n\nbody\rline\n",
	    "Subject: \xc3\xa9\r\n\r\n\xc3\xa9\r\n",
	    "Subject: no body, no newline",
	    "\n\nonly a body\n.\n",
	    "",
	};
	struct conf		 c;
	struct spool_entry	 e, d;
	struct spool_meta	 m;
	char			*dir, *cause = NULL, *buf;
	char			 id[SPOOL_ID_LEN + 1];
	size_t			 i, k;
	ssize_t			 r;
	FILE			*f;

	for (i = 0; i < sizeof(origs) / sizeof(origs[0]) + 1; i++) {
		dir = mkspool();
		load_conf(&c, NULL, dir);
		spool_meta_init(&m);
		m.sender = xstrdup("alice@example.net");
		spool_meta_add_rcpt(&m, "bob@example.com");
		ATF_REQUIRE((f = tmpfile()) != NULL);
		if (i < sizeof(origs) / sizeof(origs[0]))
			fputs(origs[i], f);
		else {
			/* One 3000-byte header line with a NUL in it. */
			fputs("X-Long: ", f);
			for (k = 0; k < 3000; k++)
				fputc(k == 1500 ? '\0' : 'a' + k % 26, f);
			fputs("\r\n\r\nhi\r\n", f);
		}
		rewind(f);
		ATF_REQUIRE_EQ(spool_write_entry(dir, &m, fileno(f), getuid(), id,
		    &cause), 0);
		fclose(f);
		spool_meta_free(&m);
		ATF_REQUIRE_EQ(spool_open(dir, id, LOCK_EX | LOCK_NB, &e,
		    &cause), SPOOL_OK);
		TAILQ_FIRST(&e.meta.rcpts)->state = SPOOL_RCPT_FAILED;
		ATF_REQUIRE_EQ(dsn_queue(&c, &e, DSN_FAILED, NULL, &cause), 0);
		ATF_REQUIRE_EQ(other_ids(dir, e.id, id), 1);
		ATF_REQUIRE_EQ(spool_open(dir, id, 0, &d, &cause), SPOOL_OK);
		buf = xmalloc(d.msg_size + 1);
		r = pread(d.fd, buf, d.msg_size, d.msg_offset);
		ATF_REQUIRE_EQ(r, d.msg_size);
		check_canonical(buf, r, !d.meta.body_8bit);
		free(buf);
		spool_close(&d);
		spool_close(&e);
		conf_free(&c);
		free(dir);
	}
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, report_failed);
	ATF_TP_ADD_TC(tp, report_selected);
	ATF_TP_ADD_TC(tp, status_codes);
	ATF_TP_ADD_TC(tp, recipients);
	ATF_TP_ADD_TC(tp, notify);
	ATF_TP_ADD_TC(tp, queue_null_sender);
	ATF_TP_ADD_TC(tp, queue_canonical);
	ATF_TP_ADD_TC(tp, queue_notify_never);
	ATF_TP_ADD_TC(tp, headers_bounded);
	return (atf_no_error());
}
