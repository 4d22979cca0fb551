/*
 * helper.c: the start of a set-id helper, where it decides what to trust.
 *
 * Anyone can run mailferry-queue and mailferry-send with any argv, so
 * a helper learns everything that matters (which spool, which size
 * limit, which sender policy, which secret) from the system
 * configuration, never from its caller:
 *
 *  - Without -C it reads the compiled-in configuration.  In a set-id
 *    install that file and every directory above it must be root's
 *    and writable by nobody else: whoever could write it could send
 *    the secret to a host of their choosing.
 *  - -C FILE is honoured for root, for a program holding no privilege
 *    (a one-user install, the test tree), and for other users only
 *    when FILE passes the same trust check AND the real user can open
 *    it: the file is opened with the caller's own ids, so the helper's
 *    group never reads a file for a caller who could not (the secret
 *    file is root's and nobody else can write it, but only group
 *    mailferry can read it).  What a caller could read anyway may be
 *    quoted in a parse error; nothing else ever is.
 *  - The spool directory and its subdirectories must keep other users
 *    out (privsep_dir_private()): a spool anyone can write is a spool
 *    anyone can forge entries in or empty.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "helper.h"
#include "privsep.h"
#include "spool.h"

static int	helper_open_conf(const char *, int, char **);

/* Open the configuration file; -1 with cause (refused or unreadable). */
static int
helper_open_conf(const char *path, int caller_named, char **cause)
{
	struct stat	 st;
	int		 fd;

	if (privsep_privileged() && (!caller_named || getuid() != 0) &&
	    privsep_path_trusted(path, cause) == -1)
		return (-1);
	if (caller_named && privsep_privileged() && getuid() != 0)
		fd = privsep_open_as_caller(path, O_RDONLY, cause);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	if (fd == -1)
		return (-1);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Load the configuration a helper may trust (see above): arg is the
 * -C argument or NULL.  Returns 0, or a sysexits value with cause.
 */
int
helper_load_conf(struct conf *conf, const char *arg, char **cause)
{
	const char	*path = arg != NULL ? arg : MF_CONF_PATH;
	char		*why = NULL;
	FILE		*fp;
	int		 fd, r;

	conf_init(conf);
	if ((fd = helper_open_conf(path, arg != NULL, &why)) == -1) {
		if (arg != NULL)
			xasprintf(cause, "-C %s: refused: %s", arg, why);
		else
			xasprintf(cause, "configuration refused: %s", why);
		free(why);
		return (EX_NOPERM);
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		fatal("fdopen");
	r = conf_load_fp(conf, fp, path, cause);
	fclose(fp);
	if (r != 0)
		return (r == CONF_ERR_INSECURE ? EX_NOPERM : EX_CONFIG);
	return (0);
}

/*
 * Refuse a spool that lets other users in: the directory itself and
 * each subdirectory that exists.  Returns 0, or EX_NOPERM with cause.
 */
int
helper_check_spool(const char *dir, char **cause)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	size_t		 i;
	int		 n;

	/* A missing spool is reported by whoever needs it, as before. */
	if (lstat(dir, &st) == -1 && errno == ENOENT)
		return (0);
	if (privsep_dir_private(dir, cause) == -1)
		return (EX_NOPERM);
	for (i = 0; i < SPOOL_NSUBDIRS; i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir,
		    spool_subdirs[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			xasprintf(cause, "%s: path too long", dir);
			return (EX_NOPERM);
		}
		if (lstat(path, &st) == -1 && errno == ENOENT)
			continue;
		if (privsep_dir_private(path, cause) == -1)
			return (EX_NOPERM);
	}
	return (0);
}
