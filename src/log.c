/*
 * Logging: syslog LOG_MAIL by default, stderr when verbose; a program
 * may choose another target (log_set_target(): stderr or an open file)
 * and JSON lines instead of text.
 *
 * Formats, one line per message (records from log_record() may span
 * several text lines, each written like a message):
 *
 *   syslog   the text, LOG_MAIL, tag and pid added by syslog
 *   stderr   "TAG: text"
 *   file     "YYYY-MM-DDTHH:MM:SSZ TAG[PID]: text"
 *   json     {"time":"YYYY-MM-DDTHH:MM:SSZ","prog":TAG,"pid":N,
 *            "level":"info|warning|crit","msg":TEXT} for messages; a
 *            record (already a JSON object) is written as it is.
 *
 * A target that fails to take a line hands it, and every later one, to
 * stderr: nothing is dropped silently.
 *
 * Nothing that reaches these functions may contain a secret; text that
 * came from a caller or a server goes through log_escape() or
 * log_json_string() first, so a hostile reply cannot forge log lines.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"

static int	log_stderr;
static int	log_verbose;
static const char *log_tag = MF_PROGNAME;
static enum log_target log_target = LOG_TARGET_SYSLOG;
static int	log_fd = -1;
static int	log_json;

static void	log_vwrite(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	log_line(int, const char *, int);
static void	log_put(const char *);
static size_t	log_utf8(const unsigned char *, size_t);

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

/*
 * Send messages and records to target: fd is the open log file for
 * LOG_TARGET_FILE (log.c owns it from now on), json selects JSON lines.
 */
void
log_set_target(enum log_target target, int fd, int json)
{
	if (log_fd != -1 && log_fd != fd)
		close(log_fd);
	log_target = target;
	log_fd = target == LOG_TARGET_FILE ? fd : -1;
	log_json = json;
}

/* Write one finished line to the target; on failure, to stderr. */
static void
log_put(const char *line)
{
	size_t	 len = strlen(line), off = 0;
	ssize_t	 n;

	if (log_target == LOG_TARGET_FILE) {
		while (off < len) {
			if ((n = write(log_fd, line + off, len - off)) == -1 &&
			    errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (off == len)
			return;
		/* Keep the record: stderr from now on, and say why. */
		fprintf(stderr, "%s: log file: %s: logging to stderr\n",
		    log_tag, strerror(errno));
		log_set_target(LOG_TARGET_STDERR, -1, log_json);
	}
	fputs(line, stderr);
	fflush(stderr);
}

/* Format text (a message, or a record when rec) for the target. */
static void
log_line(int pri, const char *text, int rec)
{
	char		 ts[32], *line, *q;
	const char	*lvl;
	time_t		 now;
	struct tm	 tm;

	if (log_target == LOG_TARGET_SYSLOG) {
		syslog(pri, "%s", text);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_json && rec)
		xasprintf(&line, "%s\n", text);
	else if (log_json) {
		lvl = pri == LOG_INFO ? "info" : pri == LOG_CRIT ? "crit" :
		    "warning";
		q = log_json_string(text, strlen(text));
		xasprintf(&line, "{\"time\":\"%s\",\"prog\":\"%s\","
		    "\"pid\":%ld,\"level\":\"%s\",\"msg\":%s}\n", ts,
		    log_tag, (long)getpid(), lvl, q);
		free(q);
	} else if (log_target == LOG_TARGET_FILE)
		xasprintf(&line, "%s %s[%ld]: %s\n", ts, log_tag,
		    (long)getpid(), text);
	else
		xasprintf(&line, "%s: %s\n", log_tag, text);
	log_put(line);
	free(line);
}

static void
log_vwrite(int pri, const char *suffix, const char *fmt, va_list ap)
{
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix != NULL)
		strlcat(buf, suffix, sizeof(buf));
	if (pri != LOG_DEBUG)
		log_line(pri, buf, 0);
	if (log_stderr && (pri != LOG_DEBUG || log_verbose) &&
	    (pri == LOG_DEBUG || log_target != LOG_TARGET_STDERR)) {
		fprintf(stderr, "%s: %s\n", log_tag, buf);
		fflush(stderr);
	}
}

/*
 * Open the log file path for appending (created 0640): it must be an
 * absolute path to a regular file with one link, not a symbolic link,
 * and not writable by others.  Returns the descriptor, -1 with cause
 * when it cannot be opened, LOG_FILE_REFUSED with cause when refused.
 */
int
log_open_file(const char *path, char **cause)
{
	struct stat	 st;
	int		 fd;

	memset(&st, 0, sizeof(st));
	if (path[0] != '/') {
		xasprintf(cause, "log file %s: not an absolute path", path);
		return (LOG_FILE_REFUSED);
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640)) == -1) {
		xasprintf(cause, "log file %s: %s", path, errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		return (errno == ELOOP ? LOG_FILE_REFUSED : -1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || (st.st_mode & S_IWOTH) != 0) {
		xasprintf(cause, "log file %s: refused: %s", path,
		    (st.st_mode & S_IWOTH) != 0 ? "writable by others" :
		    "not a regular file with one link");
		close(fd);
		return (LOG_FILE_REFUSED);
	}
	return (fd);
}

/*
 * Write a record (log_record renders them: text lines separated by
 * newlines, or one JSON object) to the target, and to stderr with -v.
 */
void
log_record(const char *text)
{
	char		*copy, *p, *nl;

	copy = xstrdup(text);
	for (p = copy; *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (*p == '\0')
			continue;
		log_line(LOG_INFO, p, 1);
		if (log_stderr && log_target != LOG_TARGET_STDERR) {
			fprintf(stderr, "%s: %s\n", log_tag, p);
			fflush(stderr);
		}
	}
	free(copy);
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

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629).
 */
static size_t
log_utf8(const unsigned char *s, size_t n)
{
	size_t	 len, i;
	unsigned int	 cp, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (len);
}

/*
 * Return s (len bytes) as a malloc'ed JSON string with its quotes
 * (RFC 8259): quote and backslash escaped, every C0 control, DEL, C1
 * control (U+0080-U+009F), line and paragraph separator and bidi
 * control as \uXXXX; other valid UTF-8 as it is; each byte of an
 * invalid sequence as the six characters \\xNN (a backslash, "x" and
 * two hex digits, as log_escape() writes it), so the output is always
 * valid UTF-8.
 */
char *
log_json_string(const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*u = (const unsigned char *)s;
	char			*out, *p;
	size_t			 i, k, n;
	unsigned int		 cp;

	out = xreallocarray(NULL, len + 1, 6);
	p = out;
	*p++ = '"';
	for (i = 0; i < len; i += n) {
		n = 1;
		cp = u[i];
		if (u[i] >= 0x80 && (n = log_utf8(u + i, len - i)) == 0) {
			n = 1;
			memcpy(p, "\\\\x", 3);
			p += 3;
			*p++ = hex[u[i] >> 4];
			*p++ = hex[u[i] & 0xf];
			continue;
		}
		if (n == 2)
			cp = ((u[i] & 0x1fU) << 6) | (u[i + 1] & 0x3fU);
		else if (n == 3)
			cp = ((u[i] & 0x0fU) << 12) |
			    ((u[i + 1] & 0x3fU) << 6) | (u[i + 2] & 0x3fU);
		if (cp == '"' || cp == '\\') {
			*p++ = '\\';
			*p++ = (char)cp;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			p += snprintf(p, 7, "\\u%04x", cp);
		} else
			for (k = 0; k < n; k++)
				*p++ = (char)u[i + k];
	}
	*p++ = '"';
	*p = '\0';
	return (out);
}
