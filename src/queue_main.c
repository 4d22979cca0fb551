/*
 * mailferry-queue: the setgid spool writer.
 *
 * usage: mailferry-queue [-C conf]
 *
 * It reads one framed message on stdin (format: spool.c), checks it
 * against the trusted system configuration, commits it atomically
 * under the configured queue directory and prints the queue id on
 * stdout once the entry is durable.
 *
 * Anyone can run it with any stdin, so it is a judge, not a pipe: the
 * spool directory, the size limit and the sender policy come from the
 * configuration (helper.c says which file it trusts), never from its
 * caller, and the frame must hold what the front end could have
 * produced for that caller: a valid envelope (spool.c), no bounce
 * flag (only mailferry-send makes bounces), the configured sender
 * under rewrite_from = always, and a message in canonical form within
 * max_size (canon.c).  The entry records the caller's real uid.
 *
 * Exit status: 0 queued; 64 usage; 65 malformed frame, message not in
 * canonical form or over max_size; 75 not queued (stream ended early,
 * disk full, I/O error); 77 spool or configuration refused, or a
 * sender the policy does not allow; 78 configuration error.
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
#include "conf.h"
#include "helper.h"
#include "privsep.h"
#include "spool.h"

#define QUEUE_TAG	"mailferry-queue"

static void	usage(void) __attribute__((noreturn));
static int	exit_code(enum spool_error);

static void
usage(void)
{
	mf_die_usage("usage: " QUEUE_TAG " [-C conf]", NULL);
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
	case SPOOL_ERR_POLICY:
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
	struct conf		 conf;
	struct spool_policy	 pol;
	struct canon_policy	 form;
	enum spool_error	 err;
	const char		*conf_arg = NULL;
	char			 id[SPOOL_ID_LEN + 1], *cause = NULL;
	int			 ch, r;

	privsep_sanitise();
	mf_exit_tag(QUEUE_TAG);
	if (argc < 1)
		usage();
	opterr = 0;
	while ((ch = getopt(argc, argv, "C:")) != -1) {
		switch (ch) {
		case 'C':
			if (conf_arg != NULL || *optarg == '\0')
				usage();
			conf_arg = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((r = helper_load_conf(&conf, conf_arg, &cause)) != 0 ||
	    (r = helper_check_spool(conf.queue_dir, &cause)) != 0)
		mf_die(r, "%s", cause);

	memset(&pol, 0, sizeof(pol));
	memset(&form, 0, sizeof(form));
	pol.max_size = form.max_size = conf.max_size + SPOOL_SIZE_SLACK;
	if (conf.from != NULL && conf.rewrite_from == CONF_REWRITE_ALWAYS)
		pol.force_sender = form.force_from = conf.from;
	/* body_7bit comes from the frame (spool.c). */
	pol.form = &form;
	if (spool_commit_stream(conf.queue_dir, STDIN_FILENO, getuid(), &pol,
	    id, &err, &cause) == -1)
		mf_die(exit_code(err), "%s", cause);
	conf_free(&conf);

	/*
	 * The entry is durable and will be delivered: failing now would
	 * make the caller submit it again, so a lost id is only a warning.
	 */
	if (printf("%s\n", id) < 0 || fflush(stdout) == EOF)
		fprintf(stderr, "%s: queued as %s, but writing the id "
		    "failed: %s\n", QUEUE_TAG, id, strerror(errno));
	return (EX_OK);
}
