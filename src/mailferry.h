/*
 * mailferry: declarations shared by every program and module.
 *
 * Conventions (src/README.md): modules return -1 and fill a
 * `char **cause` (a malloc'ed one-line message, no trailing newline,
 * never containing a secret); only a program's main decides the exit
 * status, from <sysexits.h>.  Every failure is classified where it is
 * detected as temporary or permanent.
 */
#ifndef MAILFERRY_H
#define MAILFERRY_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

#include "compat.h"

#define MF_PROGNAME	"mailferry"

/* Protocol limits, RFC 5321 section 4.5.3.1. */
#define SMTP_LINE_MAX		998	/* text line, without CRLF */
#define SMTP_CMD_MAX		512	/* command line, with CRLF */
#define SMTP_REPLY_LINE_MAX	512	/* reply line, with CRLF */
#define SMTP_PATH_MAX		256	/* a reverse- or forward-path */
#define SMTP_ADDR_MAX		254	/* an address inside the path */

/* How a failure should be treated: retried later or reported now. */
enum mf_fail {
	MF_OK = 0,
	MF_TEMP,	/* 4xx, network, TLS, AUTH 535: keep queued */
	MF_PERM		/* 5xx, bad input: report or bounce */
};

/* log.c: syslog LOG_MAIL by default, stderr when log_init(.., 1). */
void	log_init(const char *, int);
void	log_set_stderr(int);
int	log_is_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Escape control and non-ASCII bytes of untrusted text for logging. */
char	*log_escape(const char *, size_t);
/* Untrusted bytes as a quoted JSON string (valid UTF-8, RFC 8259). */
char	*log_json_string(const char *, size_t);

/* Where log lines and records go (log_set_target). */
enum log_target {
	LOG_TARGET_SYSLOG,
	LOG_TARGET_STDERR,
	LOG_TARGET_FILE
};
#define LOG_FILE_REFUSED	-2	/* log_open_file(): EX_NOPERM */
int	log_open_file(const char *, char **);
void	log_set_target(enum log_target, int, int);
void	log_record(const char *);

/* exit.c: the only way a main ends a failed run (one line, escaped). */
void	mf_exit_tag(const char *);
void	mf_die(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	mf_die_usage(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* xmalloc.c: allocation that cannot fail (fatalx on exhaustion). */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif /* MAILFERRY_H */
