/*
 * Privileged start-up for the setgid helpers.
 *
 * A setgid program inherits everything its caller chose: open or closed
 * descriptors, environment, umask, resource limits and signal
 * dispositions.  privsep_sanitise() resets what could make the helper
 * write where it should not or leak what it holds, before any option
 * is parsed.
 *
 * privsep_path_trusted() decides whether a file named by an
 * unprivileged caller may be read with the helper's privilege: the
 * file and every directory above it must belong to root (or, when the
 * program holds no privilege and is not strict, to the real user) and
 * be writable by
 * nobody else, except sticky directories.  Symbolic links anywhere in
 * the path are refused, so that what was checked is what gets opened:
 * with only trusted, non-symlink directories above it, nobody else can
 * rename or replace the file between the check and the open.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "privsep.h"

extern char	**environ;

static void	privsep_fds(void);
static void	privsep_limits(void);
static int	privsep_owner_ok(uid_t);
static int	privsep_check(const char *, int, char **);
static int	privsep_canonical(const char *);

#define PRIVSEP_NOFILE_MIN	256	/* a batch of entries and a session */
#define PRIVSEP_MEM_MIN		((rlim_t)256 * 1024 * 1024)
#define PRIVSEP_STACK_MIN	((rlim_t)1024 * 1024)

static char	*privsep_env[] = { "PATH=/usr/bin:/bin", NULL };
static int	 privsep_strict;

static void
privsep_fds(void)
{
	int	 fd, nfd;
#ifndef HAVE_CLOSEFROM
	long	 max;
#endif

	/*
	 * A closed 0, 1 or 2 would be reused by the next open(), and a
	 * spool file could then receive what is meant for stderr.
	 */
	for (fd = 0; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if ((nfd = open("/dev/null", O_RDWR)) == -1)
			_exit(EX_OSERR);
		if (nfd != fd)
			_exit(EX_OSERR);
	}
#ifdef HAVE_CLOSEFROM
	closefrom(STDERR_FILENO + 1);
#else
	if ((max = sysconf(_SC_OPEN_MAX)) == -1 || max > INT_MAX)
		max = 1024;
	for (fd = STDERR_FILENO + 1; fd < max; fd++)
		(void)close(fd);
#endif
}

/*
 * Resource limits pass through exec, so the caller chooses them.  Raise
 * every soft limit we depend on to its hard limit, and refuse to run
 * when a hard limit is below what a spool write or a queue run needs:
 * a file size limit would make a commit, a state file or a bounce fail
 * half-way, too few descriptors would make a run fail after it has
 * taken entries.  Refusing loses nothing: nothing has been read yet.
 */
static void
privsep_limits(void)
{
	static const struct {
		int		 res;
		const char	*name;
		rlim_t		 need;		/* hard limit at least */
	} lim[] = {
		{ RLIMIT_FSIZE, "file size (ulimit -f)", RLIM_INFINITY },
		{ RLIMIT_NOFILE, "open files (ulimit -n)", PRIVSEP_NOFILE_MIN },
		{ RLIMIT_CPU, "CPU time (ulimit -t)", RLIM_INFINITY },
		{ RLIMIT_DATA, "data size (ulimit -d)", PRIVSEP_MEM_MIN },
		{ RLIMIT_AS, "address space (ulimit -v)", PRIVSEP_MEM_MIN },
		{ RLIMIT_STACK, "stack size (ulimit -s)", PRIVSEP_STACK_MIN },
	};
	struct rlimit	 rl;
	size_t		 i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (getrlimit(lim[i].res, &rl) == -1)
			continue;
		if (rl.rlim_max != RLIM_INFINITY &&
		    (lim[i].need == RLIM_INFINITY || rl.rlim_max < lim[i].need)) {
			dprintf(STDERR_FILENO, MF_PROGNAME ": refusing to run: "
			    "the %s limit is too low\n", lim[i].name);
			_exit(EX_TEMPFAIL);
		}
		if (rl.rlim_cur != rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(lim[i].res, &rl);
		}
	}
}

/* Reset descriptors, environment, umask, limits and signals at start. */
void
privsep_sanitise(void)
{
	struct rlimit	 rl;
	sigset_t	 set;

	privsep_fds();
	environ = privsep_env;
	umask(027);
	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
#ifdef HAVE_SYS_PRCTL_H
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	/* Report EPIPE and EFBIG as errors instead of dying silently. */
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGXFSZ, SIG_IGN);
	privsep_limits();
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Whether the program runs with an effective id other than the real one. */
int
privsep_privileged(void)
{
	return (getegid() != getgid() || geteuid() != getuid());
}

/*
 * Whether the program may create spool subdirectories.  A setgid run
 * by an ordinary user would create them owned by that user; only root
 * (or a program holding no privilege, in a single-user setup) may.
 */
int
privsep_may_create(void)
{
	return (!privsep_privileged() || getuid() == 0);
}

/*
 * Trust only root's files even in an unprivileged program.  The front
 * end calls this when its helpers are set-id: a configuration it reads
 * for them must be one they would accept too.
 */
void
privsep_set_strict(void)
{
	privsep_strict = 1;
}

static int
privsep_owner_ok(uid_t uid)
{
	if (uid == 0)
		return (1);
	return (!privsep_strict && !privsep_privileged() && uid == getuid());
}

static int
privsep_check(const char *path, int last, char **cause)
{
	struct stat	 st;

	if (lstat(path, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (S_ISLNK(st.st_mode)) {
		xasprintf(cause, "%s: is a symbolic link", path);
		return (-1);
	}
	if (!privsep_owner_ok(st.st_uid)) {
		xasprintf(cause, "%s: bad owner (uid %lu)", path,
		    (unsigned long)st.st_uid);
		return (-1);
	}
	if (last && !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		return (-1);
	}
	if (!last && !S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: not a directory", path);
		return (-1);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (last || (st.st_mode & S_ISVTX) == 0)) {
		xasprintf(cause, "%s: writable by group or others", path);
		return (-1);
	}
	return (0);
}

static int
privsep_canonical(const char *path)
{
	const char	*p, *q;
	size_t		 len;

	if (path[0] != '/' || path[strlen(path) - 1] == '/')
		return (0);
	for (p = path + 1; *p != '\0'; p = q + 1) {
		if ((q = strchr(p, '/')) == NULL)
			q = p + strlen(p);
		len = q - p;
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return (0);
		if (*q == '\0')
			break;
	}
	return (1);
}

/* Check that path, and every directory above it, is safe to trust. */
int
privsep_path_trusted(const char *path, char **cause)
{
	char	 buf[PATH_MAX], *p;

	if (!privsep_canonical(path) || strcmp(path, "/") == 0) {
		xasprintf(cause, "%s: not a canonical absolute file path",
		    path);
		return (-1);
	}
	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		xasprintf(cause, "path too long");
		return (-1);
	}
	if (privsep_check("/", 0, cause) == -1)
		return (-1);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (privsep_check(buf, 0, cause) == -1)
			return (-1);
		*p = '/';
	}
	return (privsep_check(buf, 1, cause));
}

/* Open a trusted file read-only; returns the descriptor or -1. */
int
privsep_open_trusted(const char *path, char **cause)
{
	struct stat	 st1, st2;
	int		 fd;

	if (privsep_path_trusted(path, cause) == -1)
		return (-1);
	if (lstat(path, &st1) == -1 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st2) == -1 || st1.st_dev != st2.st_dev ||
	    st1.st_ino != st2.st_ino || !S_ISREG(st2.st_mode)) {
		close(fd);
		xasprintf(cause, "%s: changed while being checked", path);
		return (-1);
	}
	return (fd);
}

/*
 * Open path as the real user would: with the effective ids set to the
 * real ones for the open() only.  A set-id helper uses this for every
 * file a caller names, so that the helper's group never lets a caller
 * read what they could not read themselves (the secret file, say).
 */
int
privsep_open_as_caller(const char *path, int flags, char **cause)
{
	gid_t	 egid = getegid();
	uid_t	 euid = geteuid();
	int	 fd, saved;

	if (egid != getgid() && setegid(getgid()) == -1)
		fatal("setegid");
	if (euid != getuid() && seteuid(getuid()) == -1)
		fatal("seteuid");
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	saved = errno;
	if (euid != getuid() && seteuid(euid) == -1)
		fatal("seteuid");
	if (egid != getgid() && setegid(egid) == -1)
		fatal("setegid");
	if (fd == -1)
		xasprintf(cause, "%s: %s", path, strerror(saved));
	return (fd);
}

/*
 * Whether a spool directory keeps others out: a directory (not a
 * link) owned by root, or by our effective user in a program holding
 * no privilege (a one-user install); no permission for others; group
 * permissions only for our effective group (mailferry).  Anything else
 * would let another local user read, forge or remove queued mail.
 */
int
privsep_dir_private(const char *path, char **cause)
{
	struct stat	 st;
	int		 owner_ok;

	if (lstat(path, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: not a directory%s", path,
		    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		return (-1);
	}
	owner_ok = st.st_uid == 0 ||
	    (!privsep_privileged() && st.st_uid == geteuid());
	if (!owner_ok) {
		xasprintf(cause, "%s: owned by uid %lu, not root: chown "
		    "root:mailferry %s", path, (unsigned long)st.st_uid, path);
		return (-1);
	}
	if ((st.st_mode & S_IRWXO) != 0 ||
	    ((st.st_mode & S_IRWXG) != 0 && st.st_gid != getegid())) {
		xasprintf(cause, "%s: mode %04o lets other users in: chmod "
		    "0770 %s (group mailferry)", path,
		    (unsigned int)(st.st_mode & 07777), path);
		return (-1);
	}
	return (0);
}
