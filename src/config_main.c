/*
 * mailferry-config: write the configuration file from MAILFERRY_*
 * environment variables (envconf.c), for a container entrypoint.
 *
 * usage: mailferry-config [-o file]
 *
 * Without -o the checked configuration is printed on stdout; with -o
 * it replaces file atomically (mode 0644).  It holds no privilege and
 * refuses to run set-id: the helpers never take the environment.
 *
 * Exit status: 0 written; 64 usage; 73 cannot write the file;
 * 77 run set-id; 78 a bad variable or value (one line on stderr).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "envconf.h"
#include "privsep.h"

#define CONFIG_TAG	"mailferry-config"

extern char	**environ;

static void	usage(void) __attribute__((noreturn));
static void	die(int, const char *) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-o file]\n", CONFIG_TAG);
	exit(EX_USAGE);
}

/* One line on stderr, escaped, and exit. */
static void
die(int code, const char *msg)
{
	char	*esc;

	esc = log_escape(msg, strlen(msg));
	fprintf(stderr, CONFIG_TAG ": %s\n", esc);
	free(esc);
	exit(code);
}

int
main(int argc, char *argv[])
{
	const char	*out = NULL;
	char		*text, *cause = NULL;
	int		 ch, rc;

	if (privsep_privileged())
		die(EX_NOPERM, "refusing to run set-id");
	log_init(CONFIG_TAG, 1);
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (out != NULL && out[0] == '\0'))
		usage();
	if (envconf_build(environ, &text, &cause) != 0)
		die(EX_CONFIG, cause);
	if (out == NULL) {
		fputs(text, stdout);
		if (fflush(stdout) != 0 || ferror(stdout))
			die(EX_IOERR, "stdout: write error");
		exit(0);
	}
	if ((rc = envconf_write(text, out, &cause)) != 0)
		die(rc == CONF_ERR_TEMP ? EX_CANTCREAT : EX_CONFIG, cause);
	free(text);
	return (0);
}
