/*
 * Logging: syslog LOG_MAIL by default, stderr when verbose.
 *
 * Nothing that reaches these functions may contain a secret; text that
 * came from a caller or a server goes through log_escape() first, so a
 * hostile reply cannot forge log lines.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "mailferry.h"

static int	log_stderr;
static int	log_verbose;
static const char *log_tag = MF_PROGNAME;

static void	log_vwrite(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* Open the log; with verbose set, messages go to stderr as well. */
void
log_init(const char *tag, int verbose)
{
	if (tag != NULL)
		log_tag = tag;
	log_verbose = verbose;
	log_stderr = verbose;
	openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* Copy warnings and errors to stderr even when not verbose. */
void
log_set_stderr(int on)
{
	log_stderr = on;
}

/* Whether -v was given: debug traces are wanted. */
int
log_is_verbose(void)
{
	return (log_verbose);
}

static void
log_vwrite(int pri, const char *suffix, const char *fmt, va_list ap)
{
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (pri != LOG_DEBUG)
		syslog(pri, "%s%s", buf, suffix != NULL ? suffix : "");
	if (log_stderr && (pri != LOG_DEBUG || log_verbose)) {
		fprintf(stderr, "%s: %s%s\n", log_tag, buf,
		    suffix != NULL ? suffix : "");
		fflush(stderr);
	}
}

/* A warning with the current errno appended. */
void
log_warn(const char *fmt, ...)
{
	char	 suffix[256];
	va_list	 ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, suffix, fmt, ap);
	va_end(ap);
}

/* A warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* An informational line: one per message per attempt. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* A trace line, shown on stderr only with -v and never in syslog. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* An error that cannot be handled, with errno: exit EX_OSERR. */
void
fatal(const char *fmt, ...)
{
	char	 suffix[256];
	va_list	 ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	log_stderr = 1;
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, suffix, fmt, ap);
	va_end(ap);
	exit(EX_OSERR);
}

/* An error that cannot be handled: exit EX_OSERR. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	log_stderr = 1;
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(EX_OSERR);
}

/*
 * Return a malloc'ed copy of len bytes of s where every byte outside
 * printable ASCII is written as \xNN (and a backslash as \\), so the
 * result is safe for syslog, stderr and spool metadata.  That covers
 * C0, DEL (\x7f) and every byte of a non-ASCII character, so C1
 * controls (U+0085 is \xc2\x85, U+009B \xc2\x9b) and bidi controls
 * never reach a log or a terminal as themselves.
 */
char *
log_escape(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	  c;
	char		 *out, *p;
	size_t		  i;

	out = xreallocarray(NULL, len + 1, 4);
	p = out;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\\') {
			*p++ = '\\';
			*p++ = '\\';
		} else if (c >= 0x20 && c < 0x7f)
			*p++ = (char)c;
		else {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		}
	}
	*p = '\0';
	return (out);
}
