/*
 * deliver.c: one submission from the front end, shared by pipe mode
 * (main.c) and the -bs dialogue (bs.c).
 *
 *   deliver_init()        envelope sender: -f / MAIL FROM, else the
 *                         caller's login (from the uid, never from the
 *                         environment) at the configured domain
 *   deliver_recipients()  aliases and qualification (alias.c),
 *                         envelope syntax checked, de-duplicated
 *   deliver_open()        start mailferry-queue, send the frame header
 *   deliver_sink()        the message bytes, as msg.c produces them
 *   deliver_commit()      end marker; the queue id once it is durable
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "alias.h"
#include "conf.h"
#include "deliver.h"
#include "frame.h"
#include "envelope.h"
#include "msg.h"
#include "spool.h"
#include "submit.h"

static int	deliver_write(void *, const char *, size_t, char **);

/* The names under which this host is "local": localhost, hostname. */
const char *const *
deliver_local_names(void)
{
	static char		 host[256];
	static const char	*names[4];

	if (names[0] != NULL)
		return (names);
	names[0] = "localhost";
	names[1] = "localhost.localdomain";
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0')
		names[2] = host;
	names[3] = NULL;
	return (names);
}

/* <login>@domain for the real uid; the login never comes from env. */
char *
deliver_default_sender(const struct conf *conf)
{
	struct passwd	*pw;
	char		*s;

	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name[0] != '\0')
		xasprintf(&s, "%s@%s", pw->pw_name, conf->domain);
	else
		xasprintf(&s, "uid%lu@%s", (unsigned long)getuid(),
		    conf->domain);
	return (s);
}

/*
 * Start a submission with envelope sender from (NULL: the default; ""
 * the null sender).  rewrite_from = always replaces it by `from`.
 */
int
deliver_init(struct deliver *d, const struct conf *conf,
    const char *conf_arg, const char *from, char **cause)
{
	const char	*why;

	memset(d, 0, sizeof(*d));
	d->conf = conf;
	d->conf_arg = conf_arg;
	d->local_names = deliver_local_names();
	spool_meta_init(&d->meta);
	if (conf->rewrite_from == CONF_REWRITE_ALWAYS && conf->from != NULL)
		d->sender = xstrdup(conf->from);
	else if (from == NULL)
		d->sender = deliver_default_sender(conf);
	else if (*from == '\0')
		d->sender = xstrdup("");
	else if (strchr(from, '@') == NULL)
		d->sender = addr_qualify(from, conf->domain);
	else
		d->sender = xstrdup(from);
	if (envelope_valid_address(d->sender, ENVELOPE_NULL_OK, &why) == -1) {
		xasprintf(cause, "invalid sender address: %s", why);
		d->status = EX_DATAERR;
		return (-1);
	}
	d->meta.sender = xstrdup(d->sender);
	d->meta.smtputf8 = envelope_needs_smtputf8(d->sender);
	return (0);
}

/*
 * Resolve the recipients (aliases, qualification) into the entry.
 * None left is EX_NOUSER; a malformed one is EX_DATAERR.
 */
int
deliver_recipients(struct deliver *d, const struct addr_list *in,
    char **cause)
{
	struct addr_list	 out;
	const char		*why;
	size_t			 i;

	addr_list_init(&out);
	if (alias_expand(d->conf, d->local_names, in, &out, cause) == -1) {
		d->status = EX_DATAERR;
		goto fail;
	}
	if (out.n == 0) {
		xasprintf(cause, "no recipient addresses");
		d->status = EX_NOUSER;
		goto fail;
	}
	if (out.n > SPOOL_RCPT_MAX) {
		xasprintf(cause, "too many recipients (%zu, at most %d)",
		    out.n, SPOOL_RCPT_MAX);
		d->status = EX_DATAERR;
		goto fail;
	}
	for (i = 0; i < out.n; i++) {
		if (envelope_valid_address(out.v[i], 0, &why) == -1) {
			xasprintf(cause, "invalid recipient address: %s", why);
			d->status = EX_DATAERR;
			goto fail;
		}
		spool_meta_add_rcpt(&d->meta, out.v[i]);
		if (envelope_needs_smtputf8(out.v[i]))
			d->meta.smtputf8 = 1;
	}
	addr_list_free(&out);
	return (0);
fail:
	addr_list_free(&out);
	return (-1);
}

/* Start mailferry-queue and send the frame header. */
int
deliver_open(struct deliver *d, char **cause)
{
	char	*ignored = NULL;

	if (submit_open(&d->sub, d->conf_arg, cause) == -1) {
		d->status = EX_TEMPFAIL;
		return (-1);
	}
	d->opened = 1;
	if (frame_write_header(d->sub.frame_fd, &d->meta, &ignored) == -1) {
		/* The helper went away: its exit status says why. */
		d->sub.broken = 1;
		free(ignored);
	}
	return (0);
}

static int
deliver_write(void *arg, const char *buf, size_t len, char **cause)
{
	struct deliver	*d = arg;
	char		*ignored = NULL;

	(void)cause;
	if (!d->opened || d->sub.broken)
		return (0);
	if (frame_write_chunk(d->sub.frame_fd, buf, len, &ignored) == -1) {
		/* Keep reading the input; submit_close() tells the verdict. */
		d->sub.broken = 1;
		free(ignored);
	}
	return (0);
}

/* A msg.c sink that streams into the frame. */
void
deliver_sink(struct deliver *d, struct msg_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->write = deliver_write;
	sink->arg = d;
}

/*
 * End the frame and wait for the queue id.  Returns 0 once the entry is
 * durable, else a sysexits value (75 when it was not accepted).
 */
int
deliver_commit(struct deliver *d, char **cause)
{
	char	*ignored = NULL;
	int	 r;

	if (!d->sub.broken &&
	    frame_write_end(d->sub.frame_fd, &ignored) == -1)
		free(ignored);
	d->opened = 0;
	r = submit_close(&d->sub, d->id, sizeof(d->id), cause);
	if (r != 0)
		d->status = r;
	return (r);
}

/* Abandon the submission: nothing is committed. */
void
deliver_abort(struct deliver *d)
{
	if (d->opened)
		submit_abort(&d->sub);
	d->opened = 0;
}

/* Release what deliver_init() and friends allocated. */
void
deliver_free(struct deliver *d)
{
	deliver_abort(d);
	spool_meta_free(&d->meta);
	free(d->sender);
	d->sender = NULL;
}
