/*
 * smarthost: the fault script.
 *
 * One statement per line; '#' starts a comment line; blank lines are
 * ignored.  Full grammar in tests/smarthost.md:
 *
 *	set NAME [VALUE]
 *	on EVENT [SELECTOR ...] [MODIFIER ...] ACTION [TEXT]
 *
 *	EVENT:    CONNECT EHLO HELO STARTTLS AUTH MAIL RCPT DATA DOT RSET
 *	          NOOP VRFY QUIT OTHER *
 *	SELECTOR: session N | nth N | every K | times N | arg WORD
 *	MODIFIER: stall SECS | slow [MS] | pad N | flood N | close
 *	ACTION:   pass | disconnect | reply TEXT | raw TEXT | append TEXT
 *
 * TEXT is the rest of the line, with \r \n \t \\ \xHH escapes.
 */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smarthost.h"

#define SCRIPT_LINE_MAX	8192

static const char *event_names[EV_COUNT] = {
	"CONNECT", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT",
	"DATA", "DOT", "RSET", "NOOP", "VRFY", "QUIT", "OTHER"
};

static const struct {
	const char	*name;
	unsigned int	 flag;
} ext_names[] = {
	{ "starttls", EXT_STARTTLS },
	{ "auth", EXT_AUTH },
	{ "pipelining", EXT_PIPELINING },
	{ "size", EXT_SIZE },
	{ "8bitmime", EXT_8BITMIME },
	{ "dsn", EXT_DSN },
	{ "smtputf8", EXT_SMTPUTF8 },
	{ "enhancedstatuscodes", EXT_ENHANCED },
};

static char	*next_word(char **);
static int	 get_long(char **, long, long, long *);
static int	 bool_value(const char *, int *);
static int	 parse_rule(char *, struct sh_rule *, char **);
static int	 parse_line(struct sh_config *, char *, int, char **);

/* Map an event name to its enum; EV_COUNT means "*" (any command). */
enum sh_event
script_event(const char *s)
{
	int	i;

	for (i = 0; i < EV_COUNT; i++)
		if (strcasecmp(s, event_names[i]) == 0)
			return ((enum sh_event)i);
	if (strcmp(s, "*") == 0)
		return (EV_COUNT);
	return ((enum sh_event)-1);
}

/* Name of an event, for the transcript. */
const char *
script_event_name(enum sh_event ev)
{
	if (ev >= 0 && ev < EV_COUNT)
		return (event_names[ev]);
	return ("*");
}

/*
 * Unescape s into buf (at most size bytes); returns the length.  The
 * result may hold NULs, so callers use the length, not strlen.
 */
size_t
script_unescape(const char *s, char *buf, size_t size)
{
	size_t	n = 0;
	char	hex[3];

	while (*s != '\0' && n < size) {
		if (*s != '\\' || s[1] == '\0') {
			buf[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			buf[n++] = '\r';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'x':
			if (isxdigit((unsigned char)s[1]) &&
			    isxdigit((unsigned char)s[2])) {
				hex[0] = s[1];
				hex[1] = s[2];
				hex[2] = '\0';
				buf[n++] = (char)strtol(hex, NULL, 16);
				s += 2;
				break;
			}
			/* FALLTHROUGH */
		default:
			buf[n++] = *s;
			break;
		}
		s++;
	}
	return (n);
}

static char *
next_word(char **sp)
{
	char	*s = *sp, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*sp = s;
		return (NULL);
	}
	w = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*sp = s;
	return (w);
}

static int
get_long(char **sp, long min, long max, long *v)
{
	char	*w, *end;

	if ((w = next_word(sp)) == NULL)
		return (-1);
	errno = 0;
	*v = strtol(w, &end, 10);
	if (*end != '\0' || errno != 0 || *v < min || *v > max)
		return (-1);
	return (0);
}

static int
bool_value(const char *v, int *on)
{
	if (v == NULL || strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*on = 1;
	else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*on = 0;
	else
		return (-1);
	return (0);
}

/*
 * Apply a setting (from a "set" line or the -E/-X/-g/-h options).
 * value NULL means "on".
 */
int
script_set(struct sh_config *c, const char *name, const char *value,
    char **cause)
{
	const char *why;
	char	*end;
	size_t	 i, n;
	int	 on, rv;

	if (strcmp(name, "greeting") == 0) {
		n = script_unescape(value == NULL ? "" : value, c->greeting,
		    sizeof(c->greeting) - 1);
		c->greeting[n] = '\0';
		return (0);
	}
	if (strcmp(name, "hostname") == 0) {
		if (value == NULL || (size_t)snprintf(c->hostname,
		    sizeof(c->hostname), "%s", value) >= sizeof(c->hostname)) {
			*cause = "bad hostname";
			return (-1);
		}
		return (0);
	}
	if (strcmp(name, "size") == 0 && value != NULL &&
	    isdigit((unsigned char)value[0])) {
		errno = 0;
		c->size = strtoul(value, &end, 10);
		if (*end != '\0' || errno != 0) {
			*cause = "bad size";
			return (-1);
		}
		c->ext |= EXT_SIZE;
		return (0);
	}
	if ((rv = sasl_set(c, name, value, &why)) != 1) {
		if (rv == -1)
			*cause = (char *)why;
		return (rv);
	}
	if (bool_value(value, &on) == -1) {
		*cause = "value must be on or off";
		return (-1);
	}
	if (strcmp(name, "require-tls") == 0) {
		c->require_tls = on;
		return (0);
	}
	if (strcmp(name, "require-auth") == 0) {
		c->require_auth = on;
		return (0);
	}
	if (strcmp(name, "data-without-rcpt") == 0) {
		c->data_without_rcpt = on;
		return (0);
	}
	for (i = 0; i < sizeof(ext_names) / sizeof(ext_names[0]); i++) {
		if (strcasecmp(name, ext_names[i].name) != 0)
			continue;
		if (on)
			c->ext |= ext_names[i].flag;
		else
			c->ext &= ~ext_names[i].flag;
		return (0);
	}
	*cause = "unknown setting";
	return (-1);
}

/* Parse what follows "on" into r. */
static int
parse_rule(char *s, struct sh_rule *r, char **cause)
{
	char	 buf[SH_TEXT_MAX];
	char	*w, *end;
	double	 d;
	long	 v;

	r->flood = -1;
	if ((w = next_word(&s)) == NULL ||
	    (int)(r->event = script_event(w)) == -1) {
		*cause = "unknown event";
		return (-1);
	}
	for (;;) {
		if ((w = next_word(&s)) == NULL) {
			*cause = "missing action";
			return (-1);
		}
		if (strcmp(w, "session") == 0 || strcmp(w, "nth") == 0 ||
		    strcmp(w, "every") == 0 || strcmp(w, "times") == 0) {
			if (get_long(&s, 1, INT_MAX, &v) == -1) {
				*cause = "bad number";
				return (-1);
			}
			if (w[0] == 's')
				r->session = (int)v;
			else if (w[0] == 'n')
				r->nth = (int)v;
			else if (w[0] == 'e')
				r->every = (int)v;
			else
				r->times = (int)v;
		} else if (strcmp(w, "arg") == 0) {
			if ((w = next_word(&s)) == NULL ||
			    (size_t)snprintf(r->arg, sizeof(r->arg), "%s", w) >=
			    sizeof(r->arg)) {
				*cause = "bad arg";
				return (-1);
			}
		} else if (strcmp(w, "stall") == 0) {
			if ((w = next_word(&s)) == NULL)
				return (*cause = "bad stall", -1);
			d = strtod(w, &end);
			if (*end != '\0' || d < 0 || d > 86400)
				return (*cause = "bad stall", -1);
			r->stall_ms = (long)(d * 1000);
		} else if (strcmp(w, "slow") == 0) {
			r->slow_ms = SH_SLOW_MS;
			while (*s == ' ' || *s == '\t')
				s++;
			if (isdigit((unsigned char)*s) &&
			    get_long(&s, 1, 10000, &r->slow_ms) == -1)
				return (*cause = "bad slow", -1);
		} else if (strcmp(w, "pad") == 0) {
			if (get_long(&s, 1, SH_OUT_MAX / 2, &v) == -1)
				return (*cause = "bad pad", -1);
			r->pad = (size_t)v;
		} else if (strcmp(w, "flood") == 0) {
			if (get_long(&s, 0, LONG_MAX, &r->flood) == -1)
				return (*cause = "bad flood", -1);
		} else if (strcmp(w, "close") == 0) {
			r->close = 1;
		} else
			break;
	}
	if (strcmp(w, "pass") == 0)
		r->action = ACT_PASS;
	else if (strcmp(w, "disconnect") == 0)
		r->action = ACT_DISCONNECT;
	else if (strcmp(w, "reply") == 0)
		r->action = ACT_REPLY;
	else if (strcmp(w, "raw") == 0)
		r->action = ACT_RAW;
	else if (strcmp(w, "append") == 0)
		r->action = ACT_APPEND;
	else
		return (*cause = "unknown selector, modifier or action", -1);
	while (*s == ' ' || *s == '\t')
		s++;
	if (r->action == ACT_PASS || r->action == ACT_DISCONNECT) {
		if (*s != '\0')
			return (*cause = "text after action", -1);
		return (0);
	}
	r->textlen = script_unescape(s, buf, sizeof(buf));
	if (r->textlen == 0)
		return (*cause = "missing text", -1);
	/* NUL-terminated too, so "%.3s" can print its code. */
	if ((r->text = malloc(r->textlen + 1)) == NULL)
		sh_fatal("out of memory");
	memcpy(r->text, buf, r->textlen);
	r->text[r->textlen] = '\0';
	return (0);
}

static int
parse_line(struct sh_config *c, char *s, int lineno, char **cause)
{
	struct sh_rule	 *r, **tail;
	char		 *w, *name;

	if ((w = next_word(&s)) == NULL || w[0] == '#')
		return (0);
	if (strcmp(w, "set") == 0) {
		if ((name = next_word(&s)) == NULL)
			return (*cause = "missing setting", -1);
		while (*s == ' ' || *s == '\t')
			s++;
		return (script_set(c, name, *s == '\0' ? NULL : s, cause));
	}
	if (strcmp(w, "on") != 0)
		return (*cause = "expected set or on", -1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		sh_fatal("out of memory");
	r->line = lineno;
	if (parse_rule(s, r, cause) == -1) {
		free(r);
		return (-1);
	}
	for (tail = &c->rules; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return (0);
}

/* Load a script file; messages go to stderr. */
int
script_load(const char *path, struct sh_config *c)
{
	FILE	*f;
	char	 line[SCRIPT_LINE_MAX], *cause;
	size_t	 len;
	int	 lineno = 0, errors = 0;

	if ((f = fopen(path, "r")) == NULL) {
		sh_warn("%s: %s", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
			sh_warn("%s:%d: line too long", path, lineno);
			errors++;
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (parse_line(c, line, lineno, &cause) == -1) {
			sh_warn("%s:%d: %s", path, lineno, cause);
			errors++;
		}
	}
	fclose(f);
	return (errors > 0 ? -1 : 0);
}

/*
 * First rule matching this event; counts it as fired.  nth is the
 * occurrence of the event in this session (from 1), txn the global
 * transaction number (0 before any MAIL), arg the command argument.
 */
struct sh_rule *
script_match(struct sh_config *c, enum sh_event ev, int session, int nth,
    long txn, const char *arg)
{
	struct sh_rule	*r;

	for (r = c->rules; r != NULL; r = r->next) {
		if (r->event != ev && !(r->event == EV_COUNT &&
		    ev != EV_CONNECT))
			continue;
		if (r->session != 0 && r->session != session)
			continue;
		if (r->nth != 0 && r->nth != nth)
			continue;
		if (r->every != 0 && (txn == 0 || txn % r->every != 0))
			continue;
		if (r->times != 0 && r->fired >= r->times)
			continue;
		if (r->arg[0] != '\0' && (arg == NULL ||
		    strcasestr(arg, r->arg) == NULL))
			continue;
		r->fired++;
		return (r);
	}
	return (NULL);
}
