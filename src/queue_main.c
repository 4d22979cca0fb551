/*
 * mailferry-queue: the setgid spool writer.
 *
 * usage: mailferry-queue [-d dir] [-s max_size]
 *
 * It reads one framed message on stdin (format: spool.c), commits it
 * atomically under the queue directory and prints the queue id on
 * stdout once the entry is durable.  It reads no configuration.
 *
 * -d is honoured only when it cannot widen what the caller could do
 * anyway: when the program holds no privilege (a container or test
 * tree where the user owns the spool), when the real user is root, or
 * when it names the compiled-in queue directory (so the front end may
 * always pass its configured one).  A trust check on an arbitrary
 * directory was not chosen: group mailferry may write other places
 * (the state of mailferry-send, a second spool) that a trust check on
 * ownership and modes cannot tell apart from the real queue.
 *
 * The message must be in the canonical form of canon.c (CRLF lines of
 * at most 998 octets, no Bcc, 7-bit unless the frame says 8bit).
 *
 * Exit status: 0 queued; 64 usage; 65 malformed frame, message not
 * canonical or over size; 75 not queued (stream ended early, disk
 * full, I/O error); 77 spool permission, or -d refused.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "canon.h"
#include "privsep.h"
#include "spool.h"

#ifndef MF_QUEUE_DIR
#define MF_QUEUE_DIR	"/var/spool/mailferry"
#endif

#define QUEUE_TAG	"mailferry-queue"

static void	usage(void) __attribute__((noreturn));
static void	die(int, const char *) __attribute__((noreturn));
static int	exit_code(enum spool_error);

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-d dir] [-s max_size]\n", QUEUE_TAG);
	exit(EX_USAGE);
}

static void
die(int code, const char *msg)
{
	fprintf(stderr, "%s: %s\n", QUEUE_TAG, msg);
	exit(code);
}

static int
exit_code(enum spool_error err)
{
	switch (err) {
	case SPOOL_ERR_FRAME:
	case SPOOL_ERR_FORM:
	case SPOOL_ERR_SIZE:
		return (EX_DATAERR);
	case SPOOL_ERR_PERM:
		return (EX_NOPERM);
	case SPOOL_ERR_NONE:
	case SPOOL_ERR_TRUNC:
	case SPOOL_ERR_IO:
		break;
	}
	return (EX_TEMPFAIL);
}

int
main(int argc, char **argv)
{
	struct canon_policy	 cp;
	enum spool_error	 err;
	const char		*dir = NULL, *errstr;
	char			 id[SPOOL_ID_LEN + 1], *cause = NULL, *esc;
	off_t			 max_size = SPOOL_MSG_DEFAULT;
	int			 ch, sflag = 0;

	privsep_sanitise();
	if (argc < 1)
		usage();
	opterr = 0;
	while ((ch = getopt(argc, argv, "d:s:")) != -1) {
		switch (ch) {
		case 'd':
			if (dir != NULL || *optarg == '\0')
				usage();
			dir = optarg;
			break;
		case 's':
			if (sflag++)
				usage();
			max_size = strtonum(optarg, 1, SPOOL_MSG_LIMIT, &errstr);
			if (errstr != NULL)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (dir == NULL)
		dir = MF_QUEUE_DIR;
	else if (privsep_privileged() && getuid() != 0 &&
	    strcmp(dir, MF_QUEUE_DIR) != 0)
		die(EX_NOPERM, "-d is only for root or an unprivileged run");

	/* body_7bit comes from the frame; force_from: not yet configured. */
	memset(&cp, 0, sizeof(cp));
	cp.max_size = max_size;
	if (spool_commit_stream(dir, STDIN_FILENO, getuid(), max_size, &cp,
	    id, &err, &cause) == -1) {
		esc = log_escape(cause, strlen(cause));
		die(exit_code(err), esc);
	}

	/*
	 * The entry is durable and will be delivered: failing now would
	 * make the caller submit it again, so a lost id is only a warning.
	 */
	if (printf("%s\n", id) < 0 || fflush(stdout) == EOF)
		fprintf(stderr, "%s: queued as %s, but writing the id "
		    "failed: %s\n", QUEUE_TAG, id, strerror(errno));
	return (EX_OK);
}
