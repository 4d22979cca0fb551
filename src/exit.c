/*
 * exit.c: the one way out of mailferry, mailferry-queue and
 * mailferry-send.
 *
 * A program's main (and only a main) ends a run that failed with
 * mf_die(): one line on stderr, "TAG: what went wrong", then exit with
 * the sysexits code the main picked.  TAG is the program's name as the
 * caller knows it (mf_exit_tag()).  The message is escaped like a log
 * line (log_escape()): it may quote a caller's argument, a file name
 * or a server's reply, and none of those may forge a second line or
 * reach a terminal as control characters.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"

#define MF_DIE_MAX	2048	/* the line, before escaping */

static const char *mf_tag = MF_PROGNAME;

static void	mf_vline(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));

/* Name the program in mf_die() lines (default "mailferry"). */
void
mf_exit_tag(const char *tag)
{
	mf_tag = tag;
}

static void
mf_vline(const char *fmt, va_list ap)
{
	char	 buf[MF_DIE_MAX], *esc;
	int	 n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		strlcpy(buf, "error", sizeof(buf));
	esc = log_escape(buf, strlen(buf));
	fprintf(stderr, "%s: %s\n", mf_tag, esc);
	free(esc);
}

/* Print one escaped line "TAG: message" on stderr and exit status. */
void
mf_die(int status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	mf_vline(fmt, ap);
	va_end(ap);
	fflush(stderr);
	exit(status);
}

/* Like mf_die() for EX_USAGE, with the usage text after the line. */
void
mf_die_usage(const char *usage, const char *fmt, ...)
{
	va_list	 ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		mf_vline(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "%s\n", usage);
	fflush(stderr);
	exit(EX_USAGE);
}
