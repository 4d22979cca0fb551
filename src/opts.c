/*
 * The sendmail 8 command line.
 *
 * The letters and their arity are sendmail 8.14's getopt string
 * "A:B:b:C:cD:d:e:F:f:Gh:IiL:M:mN:nO:o:p:Q:q:R:r:sTtV:vX:" plus -U.
 * Value-less letters bundle (-ti); a letter taking a value takes the
 * rest of the token, or else the next argument (-fuser, -f user, -oem,
 * -b s).  Exceptions, as in sendmail's obsolete(): -q, -Q and -d take
 * only an attached value, so "-q -v" is a queue run with -v.
 *
 * Like glibc getopt, options are recognised anywhere before "--" (the
 * arguments are permuted): "sendmail root -oi" works, and a recipient
 * that starts with '-' must come after "--".  A lone "-" is ignored.
 *
 * Meaningful: -t -i -oi -v -f -r -F -N -R -V -B -C -bm -bs -bp -bi -bv
 * -I -odb/-odd -odi/-odf -odq -O IgnoreDots[=bool] -O DeliveryMode=x
 * and the -q forms:
 *   -q            run the queue once
 *   -q<time>      stay and run it every <time> (5m, 1h30m, 90s; no unit =
 *                 minutes, as sendmail); -qp<time> is the same
 *   -qI<s> -qR<s> -qS<s>   run once, only entries whose ID, a recipient
 *                 or the sender contains <s> (-qI!<s>: those that do not);
 *                 so "-qI<ID>" retries that entry now
 *   -qf -qG.. -qQ.. -qL.. and anything else: run once
 * Accepted and ignored: every other -o and -O, -A -c -D -d -e -G -h -L
 * -M -m -n -p -Q -s -T -U -X (-D and -X never open the file named).
 * Errors (OPTS_ERR_USAGE): unknown letters, a missing value, daemon and
 * test modes (-bd -bD -bt -bh -bH -bP and other -b), bad -N/-R/-V.
 * An unparsable -f/-r or recipient is OPTS_ERR_DATA.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailferry.h"
#include "envelope.h"
#include "opts.h"

#define OPTS_LETTERS	"A:B:b:C:cD:d:e:F:f:Gh:IiL:M:mN:nO:o:p:Q:q:R:r:sTtUV:vX:"
#define OPTS_ATTACHED	"dqQ"	/* optional value, attached only */
#define OPTS_INTERVAL_MAX (30 * 24 * 3600)

static int	 opts_err(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 opts_flag(struct opts *, char, char **);
static int	 opts_value(struct opts *, char, const char *, char **);
static int	 opts_mode(struct opts *, const char *, char **);
static int	 opts_o(struct opts *, const char *);
static int	 opts_O(struct opts *, const char *);
static void	 opts_delivery(struct opts *, char);
static void	 opts_q(struct opts *, const char *);
static int	 opts_notify(struct opts *, const char *, char **);
static int	 opts_bool(const char *);
static void	 opts_set(char **, const char *);
static void	 opts_progname(struct opts *, const char *);

static const char opts_usage_text[] =
    "usage: sendmail [-Iitv] [-B type] [-b m|s|p|i|v] [-C file] "
    "[-F fullname] [-f sender] [-N dsn] [-O option=value] [-o option] "
    "[-q[time]] [-R ret] [-r sender] [-V envid] [--] [recipient ...]";

static int
opts_err(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	xvasprintf(cause, fmt, ap);
	va_end(ap);
	return (OPTS_ERR_USAGE);
}

/* The usage line, for main's EX_USAGE message. */
const char *
opts_usage(void)
{
	return (opts_usage_text);
}

static void
opts_set(char **dst, const char *val)
{
	free(*dst);
	*dst = xstrdup(val);
}

static void
opts_progname(struct opts *o, const char *argv0)
{
	const char	*p;

	if (argv0 == NULL)
		return;
	if ((p = strrchr(argv0, '/')) != NULL)
		argv0 = p + 1;
	if (strcmp(argv0, "mailq") == 0)
		o->mode = OPTS_MODE_PRINTQ;
	else if (strcmp(argv0, "newaliases") == 0)
		o->mode = OPTS_MODE_NEWALIASES;
}

/* Parse the command line into o (which the caller frees with opts_free). */
int
opts_parse(int argc, char *const *argv, struct opts *o, char **cause)
{
	const char	*a, *lp, *val;
	int		 i, j, rv, nrcpt = 0, dashdash = 0;
	char		 c;
	char		**rcpt;

	memset(o, 0, sizeof(*o));
	addr_list_init(&o->rcpts);
	opts_progname(o, argc > 0 ? argv[0] : NULL);
	rcpt = xcalloc(argc > 0 ? argc : 1, sizeof(*rcpt));
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (dashdash || a[0] != '-') {
			rcpt[nrcpt++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		for (j = 1; a[j] != '\0'; j++) {
			c = a[j];
			if (c == ':' || (lp = strchr(OPTS_LETTERS, c)) == NULL) {
				rv = opts_err(cause, "unknown option -%c", c);
				goto out;
			}
			if (lp[1] != ':') {
				if ((rv = opts_flag(o, c, cause)) != 0)
					goto out;
				continue;
			}
			if (a[j + 1] != '\0' || strchr(OPTS_ATTACHED, c) != NULL)
				val = a + j + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				rv = opts_err(cause, "option -%c needs a value", c);
				goto out;
			}
			if ((rv = opts_value(o, c, val, cause)) != 0)
				goto out;
			break;
		}
	}
	rv = 0;
	for (i = 0; i < nrcpt && rv == 0; i++) {
		if (addr_parse_list(rcpt[i], strlen(rcpt[i]), ADDR_MODE_ARGV,
		    &o->rcpts, cause) == -1)
			rv = OPTS_ERR_DATA;
	}
out:
	free(rcpt);
	return (rv);
}

static int
opts_flag(struct opts *o, char c, char **cause)
{
	(void)cause;
	switch (c) {
	case 't':
		o->extract = 1;
		break;
	case 'i':
		o->ignore_dots = 1;
		break;
	case 'v':
		o->verbose++;
		break;
	case 'I':
		o->mode = OPTS_MODE_NEWALIASES;
		break;
	default:
		/* -c -G -m -n -s -T -U: meaningless here. */
		break;
	}
	return (0);
}

static int
opts_value(struct opts *o, char c, const char *val, char **cause)
{
	const char	*canon, *why;
	char		*s;

	switch (c) {
	case 'b':
		return (opts_mode(o, val, cause));
	case 'B':
		if (strcasecmp(val, "8BITMIME") == 0)
			o->body = OPTS_BODY_8BITMIME;
		else if (strcasecmp(val, "7BIT") == 0)
			o->body = OPTS_BODY_7BIT;
		break;
	case 'C':
		opts_set(&o->config, val);
		break;
	case 'F':
		opts_set(&o->fullname, val);
		break;
	case 'f':
	case 'r':
		if (addr_parse_sender(val, &s, cause) == -1)
			return (OPTS_ERR_DATA);
		free(o->sender);
		o->sender = s;
		break;
	case 'N':
		return (opts_notify(o, val, cause));
	case 'R':
		if (envelope_ret_parse(val, 0, &canon, &why) == -1)
			return (opts_err(cause, "-R must be full or hdrs"));
		opts_set(&o->dsn_ret, canon);
		break;
	case 'V':
		if (envelope_valid_envid(val, &why) == -1)
			return (opts_err(cause, "-V: envelope id must be 1 to "
			    "100 printable ASCII characters"));
		opts_set(&o->dsn_envid, val);
		break;
	case 'o':
		return (opts_o(o, val));
	case 'O':
		return (opts_O(o, val));
	case 'q':
		opts_q(o, val);
		break;
	default:
		/* -A -D -d -e -h -L -M -p -Q -X: accepted, ignored. */
		break;
	}
	return (0);
}

static int
opts_mode(struct opts *o, const char *val, char **cause)
{
	switch (val[0]) {
	case 'm':
		o->mode = OPTS_MODE_DELIVER;
		break;
	case 's':
		o->mode = OPTS_MODE_SMTP;
		break;
	case 'p':
		o->mode = OPTS_MODE_PRINTQ;
		break;
	case 'i':
		o->mode = OPTS_MODE_NEWALIASES;
		break;
	case 'v':
		o->mode = OPTS_MODE_VERIFY;
		break;
	case 'd':
	case 'D':
	case 't':
	case 'h':
	case 'H':
	case 'P':
		return (opts_err(cause, "daemon and test modes are not "
		    "supported (-b%c)", val[0]));
	default:
		if (val[0] >= 0x21 && val[0] <= 0x7e)
			return (opts_err(cause, "unsupported mode -b%c",
			    val[0]));
		return (opts_err(cause, "missing or bad mode after -b"));
	}
	return (0);
}

static int
opts_bool(const char *v)
{
	if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "off") == 0 || strcasecmp(v, "f") == 0 ||
	    strcasecmp(v, "n") == 0 || strcmp(v, "0") == 0)
		return (0);
	return (1);
}

static void
opts_delivery(struct opts *o, char m)
{
	switch (m) {
	case 'b':
	case 'B':
	case 'd':
	case 'D':
		o->delivery = OPTS_DELIVERY_BACKGROUND;
		break;
	case 'i':
	case 'I':
	case 'f':
	case 'F':
		o->delivery = OPTS_DELIVERY_FOREGROUND;
		break;
	case 'q':
	case 'Q':
		o->delivery = OPTS_DELIVERY_QUEUE;
		break;
	default:
		break;
	}
}

/* -o<letter><value>: only i and d mean something. */
static int
opts_o(struct opts *o, const char *val)
{
	if (val[0] == 'i')
		o->ignore_dots = opts_bool(val + 1);
	else if (val[0] == 'd')
		opts_delivery(o, val[1]);
	return (0);
}

/* -O Name[=value]: only IgnoreDots and DeliveryMode mean something. */
static int
opts_O(struct opts *o, const char *val)
{
	const char	*eq = strchr(val, '=');
	size_t		 nlen = eq == NULL ? strlen(val) : (size_t)(eq - val);

	if (nlen == 10 && strncasecmp(val, "IgnoreDots", nlen) == 0)
		o->ignore_dots = eq == NULL ? 1 : opts_bool(eq + 1);
	else if (nlen == 12 && strncasecmp(val, "DeliveryMode", nlen) == 0 &&
	    eq != NULL)
		opts_delivery(o, eq[1]);
	return (0);
}

/* Parse a queue interval ("30m", "1h30m", "90s"; no unit = minutes). */
int
opts_parse_interval(const char *s, time_t *out)
{
	long long	 total = 0, n;
	int		 mult;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return (-1);
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (*s - '0');
			if (n > OPTS_INTERVAL_MAX)
				return (-1);
		}
		switch (*s) {
		case 's':
			mult = 1;
			break;
		case '\0':
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 7 * 86400;
			break;
		default:
			return (-1);
		}
		if (*s != '\0')
			s++;
		total += n * mult;
		if (total > OPTS_INTERVAL_MAX)
			return (-1);
	}
	*out = (time_t)total;
	return (0);
}

static void
opts_q(struct opts *o, const char *val)
{
	time_t	 t;

	o->mode = OPTS_MODE_RUNQ;
	switch (val[0]) {
	case 'I':
	case 'R':
	case 'S':
		o->qfilter = val[0] == 'I' ? OPTS_QFILTER_ID :
		    val[0] == 'R' ? OPTS_QFILTER_RCPT : OPTS_QFILTER_SENDER;
		val++;
		if ((o->qfilter_negate = (*val == '!')))
			val++;
		opts_set(&o->qfilter_str, val);
		if (*val == '\0')
			o->qfilter = OPTS_QFILTER_NONE;
		return;
	case 'p':
		val++;
		break;
	default:
		break;
	}
	if (opts_parse_interval(val, &t) == 0)
		o->queue_interval = t;
}

static int
opts_notify(struct opts *o, const char *val, char **cause)
{
	char		 buf[ENVELOPE_NOTIFY_BUF];
	const char	*why;
	unsigned int	 bits;

	if (envelope_notify_parse(val, 0, &bits, &why) == -1)
		return (opts_err(cause, "-N must be never or a list of "
		    "success, failure, delay"));
	envelope_notify_format(bits, buf, sizeof(buf));
	opts_set(&o->dsn_notify, buf);
	return (0);
}

/* Free what opts_parse() allocated. */
void
opts_free(struct opts *o)
{
	free(o->sender);
	free(o->fullname);
	free(o->dsn_notify);
	free(o->dsn_ret);
	free(o->dsn_envid);
	free(o->config);
	free(o->qfilter_str);
	addr_list_free(&o->rcpts);
	memset(o, 0, sizeof(*o));
}
