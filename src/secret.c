/*
 * secret.c: the smarthost password, read by mailferry-send only.
 *
 * This module is linked into mailferry-send alone (libmailferry_send.a):
 * the front end and mailferry-queue never contain code that reads the
 * secret.
 *
 * password_file: the first line of the file is the password, without
 * its line end (LF or CRLF).  The file must hold exactly one non-empty
 * line of at most SECRET_FILE_MAX bytes without NUL bytes.
 *
 * Symbolic links are followed, at most SECRET_HOPS_MAX of them, as
 * platforms mount secrets that way (Kubernetes: name -> ..data/name ->
 * ..2024_01_01_00_00_00.1/name).  Because a link can be replaced by
 * whoever may write its directory, every link of the chain must be
 * owned like the file (below) and every directory holding a link or
 * the file must not be writable by others unless it is sticky (a
 * Kubernetes secret volume is a 1777 tmpfs).  Group-writable
 * directories are accepted.  The final name is then opened with
 * O_NOFOLLOW and the descriptor must be the file that was judged
 * (same device and inode).  Directory links inside a name (..data/)
 * are followed by the kernel; their directory is the one checked.
 *
 * Before a byte is read the file must be a regular file owned by root
 * (or, when the program holds no privilege, by the real user), and:
 *  - set-id (privileged): no permission bit for others, and no group
 *    bit unless its group is our effective group (mailferry).
 *    Recommended: root:mailferry 0640.
 *  - no privilege (a single-user install, a container where every
 *    process is one user): readable by group and others is accepted
 *    (a Kubernetes Secret is root 0444 or 0644, a Compose secret keeps
 *    the host file's mode, often 0644), since nobody but the user is
 *    expected there and the program can read nothing the user cannot.
 *    Writable or executable by others, or writable by a group other
 *    than ours, is still refused.  SECRET_UNPRIV_READ below is the one
 *    line to change (make it 0) to refuse those files too.
 * Every refusal is one line naming the fix.
 *
 * tls_key_file (the TLS client key, PEM) is opened and judged by the
 * same rules, with its own name in every message; the whole file (at
 * most SECRET_KEY_MAX bytes) is read into memory, for tls.c to parse.
 *
 * password_command: run with /bin/sh -c, stdin on /dev/null and only
 * PATH in the environment; the first line of its standard output (at
 * most SECRET_CMD_OUT_MAX bytes, CRLF or LF) is the password.  It must
 * exit with status 0 within the configured timeout.
 *
 * Return values are those of conf_load(): CONF_ERR_SYNTAX (fix the
 * configuration), CONF_ERR_INSECURE (fix the file's ownership or mode)
 * and CONF_ERR_TEMP (try again later).  Every buffer that held the
 * password is cleared before it is released.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "privsep.h"
#include "secret.h"

#define SECRET_FILE_MAX		4096	/* password_file contents */
#define SECRET_CMD_OUT_MAX	(16 * 1024)	/* password_command output */
#define SECRET_HOPS_MAX		32	/* symbolic links followed */
#define SECRET_KEY_MAX		(64 * 1024)	/* tls_key_file contents */

/* Read bits accepted without privilege (0: refuse as when set-id). */
#define SECRET_UNPRIV_READ	(S_IRGRP | S_IROTH)

static int	 secret_slurp(const char *, const char *, char *, size_t,
		    size_t *, char **);
static int	 secret_file(const char *, const char *, char **, char **);
static int	 secret_open(const char *, const char *, int *, char **);
static int	 secret_resolve(const char *, const char *, char *, size_t,
		    struct stat *, char **);
static int	 secret_hop_check(const char *, const char *, const char *,
		    int, char **);
static int	 secret_owner_ok(uid_t);
static int	 secret_file_check(const char *, const char *, const char *,
		    const struct stat *, char **);
static int	 secret_command(const struct conf *, char **, char **);
static void	 secret_exec(const char *, int) __attribute__((noreturn));
static int	 secret_ms_left(const struct timespec *);
static int	 secret_drain(int, char *, size_t, size_t *,
		    const struct timespec *);
static int	 secret_wait(pid_t, int, const struct timespec *, time_t,
		    char **);

/*
 * Read the smarthost password from password_file or password_command.
 * The caller frees it with freezero(p, strlen(p)).
 */
int
secret_read(const struct conf *c, char **password, char **cause)
{
	*password = NULL;
	if (c->oauth2_provider != CONF_OAUTH2_NONE)
		return (oauth2_get(c, 0, password, NULL, cause));
	if (c->password_file != NULL)
		return (secret_file("password_file", c->password_file, password,
		    cause));
	if (c->password_command != NULL)
		return (secret_command(c, password, cause));
	xasprintf(cause, "%s: neither password_file nor password_command "
	    "is set", c->path != NULL ? c->path : MF_CONF_PATH);
	return (CONF_ERR_SYNTAX);
}

/*
 * Read at most size - 1 bytes of the private file path into buf (the
 * rules above, key names the option in messages); one byte more than
 * wanted tells the caller the file is too long.
 */
static int
secret_slurp(const char *key, const char *path, char *buf, size_t size,
    size_t *lenp, char **cause)
{
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc;

	if ((rc = secret_open(key, path, &fd, cause)) != 0)
		return (rc);
	while (len < size - 1) {
		if ((n = read(fd, buf + len, size - 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s %s: %s", key, path,
			    strerror(errno));
			close(fd);
			return (CONF_ERR_TEMP);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*lenp = len;
	return (0);
}

/*
 * The [oauth2] credential files (client_secret_file, refresh_token_file)
 * obey password_file's rules; the cause names key instead.
 */
int
secret_read_file(const char *key, const char *path, char **out,
    char **cause)
{
	*out = NULL;
	return (secret_file(key, path, out, cause));
}

/*
 * The first line of a private regular file (config key key), at most
 * 4 KiB.
 */
static int
secret_file(const char *key, const char *path, char **password,
    char **cause)
{
	char		 buf[SECRET_FILE_MAX + 2];
	const char	*what = NULL;
	size_t		 len = 0;
	int		 rc;

	if ((rc = secret_slurp(key, path, buf, sizeof(buf), &len,
	    cause)) != 0) {
		/* A read error may leave part of the password behind. */
		explicit_bzero(buf, sizeof(buf));
		return (rc);
	}
	if (len > SECRET_FILE_MAX)
		what = "longer than 4096 bytes";
	if (what == NULL && len > 0 && buf[len - 1] == '\n')
		len -= (len > 1 && buf[len - 2] == '\r') ? 2 : 1;
	if (what == NULL && len == 0)
		what = "empty";
	else if (what == NULL && memchr(buf, '\0', len) != NULL)
		what = "contains a NUL byte";
	else if (what == NULL && (memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\r', len) != NULL))
		what = "more than one line";
	if (what == NULL)
		*password = xstrndup(buf, len);
	else
		xasprintf(cause, "%s %s: %s", key, path, what);
	explicit_bzero(buf, sizeof(buf));
	return (what == NULL ? 0 : CONF_ERR_SYNTAX);
}

/*
 * Read the TLS client key (tls_key_file) by the password_file rules:
 * the whole file, at most SECRET_KEY_MAX bytes, into *pem, with a NUL
 * added (*len counts it).  The caller frees it with freezero(*pem, *len).
 */
int
secret_read_key(const char *path, char **pem, size_t *len, char **cause)
{
	const char	*what = NULL;
	char		*buf;
	size_t		 n = 0;
	int		 rc;

	*pem = NULL;
	buf = xmalloc(SECRET_KEY_MAX + 2);
	if ((rc = secret_slurp("tls_key_file", path, buf, SECRET_KEY_MAX + 2,
	    &n, cause)) != 0) {
		freezero(buf, SECRET_KEY_MAX + 2);
		return (rc);
	}
	if (n > SECRET_KEY_MAX)
		what = "longer than 64 KiB";
	else if (n == 0)
		what = "empty";
	else if (memchr(buf, '\0', n) != NULL)
		what = "contains a NUL byte";
	if (what != NULL) {
		xasprintf(cause, "tls_key_file %s: %s", path, what);
		freezero(buf, SECRET_KEY_MAX + 2);
		return (CONF_ERR_SYNTAX);
	}
	*pem = xmalloc(n + 1);
	memcpy(*pem, buf, n);
	(*pem)[n] = '\0';
	*len = n + 1;
	freezero(buf, SECRET_KEY_MAX + 2);
	return (0);
}

/* Whether a password is wanted (auth is neither none nor external). */
int
secret_needed(const struct conf *c)
{
	return (c->auth != CONF_AUTH_NONE && c->auth != CONF_AUTH_EXTERNAL &&
	    c->user != NULL);
}

/*
 * Follow path to its final file, open that with O_NOFOLLOW and check
 * that the descriptor is the file judged.  0 with *fdp, or an error.
 */
static int
secret_open(const char *key, const char *path, int *fdp, char **cause)
{
	char		 final[PATH_MAX], *name;
	struct stat	 lsb, sb;
	int		 fd, rc;

	if ((rc = secret_resolve(key, path, final, sizeof(final), &lsb,
	    cause)) != 0)
		return (rc);
	if (strcmp(path, final) == 0)
		name = xstrdup(path);
	else
		xasprintf(&name, "%s (-> %s)", path, final);
	fd = open(final, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY);
	if (fd == -1) {
		xasprintf(cause, "%s %s: %s", key, name,
		    strerror(errno));
		rc = errno == EACCES || errno == EPERM ? CONF_ERR_INSECURE :
		    CONF_ERR_TEMP;
	} else if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s %s: %s", key, name,
		    strerror(errno));
		rc = CONF_ERR_TEMP;
	} else if (sb.st_dev != lsb.st_dev || sb.st_ino != lsb.st_ino) {
		xasprintf(cause, "%s %s: changed while being "
		    "opened: try again", key, name);
		rc = CONF_ERR_TEMP;
	} else if (secret_file_check(key, name, final, &sb, cause) == -1)
		rc = CONF_ERR_INSECURE;
	free(name);
	if (rc != 0 && fd != -1)
		close(fd);
	if (rc == 0)
		*fdp = fd;
	return (rc);
}

/*
 * Follow the symbolic links of path, checking each hop, into final;
 * lsb is the lstat() of the final name.
 */
static int
secret_resolve(const char *key, const char *path, char *final, size_t size,
    struct stat *lsb, char **cause)
{
	char		 link[PATH_MAX], next[PATH_MAX];
	const char	*slash;
	ssize_t		 n;
	int		 hops;

	if (strlcpy(final, path, size) >= size) {
		xasprintf(cause, "%s %s: path too long", key, path);
		return (CONF_ERR_SYNTAX);
	}
	for (hops = 0;; hops++) {
		if (secret_hop_check(key, path, final, hops, cause) == -1)
			return (CONF_ERR_INSECURE);
		if (lstat(final, lsb) == -1) {
			xasprintf(cause, "%s %s: %s%s", key, path,
			    hops > 0 ? "dangling symbolic link: " : "",
			    strerror(errno));
			return (errno == EACCES ? CONF_ERR_INSECURE :
			    CONF_ERR_SYNTAX);
		}
		if (!S_ISLNK(lsb->st_mode))
			return (0);
		if (!secret_owner_ok(lsb->st_uid)) {
			xasprintf(cause, "%s %s: symbolic link %s "
			    "owned by uid %lu: make root own it", key, path, final,
			    (unsigned long)lsb->st_uid);
			return (CONF_ERR_INSECURE);
		}
		if (hops == SECRET_HOPS_MAX ||
		    (n = readlink(final, link, sizeof(link) - 1)) == -1) {
			xasprintf(cause, "%s %s: %s", key, path,
			    hops == SECRET_HOPS_MAX ? "too many symbolic "
			    "links (a loop?)" : strerror(errno));
			return (CONF_ERR_SYNTAX);
		}
		link[n] = '\0';
		slash = strrchr(final, '/');
		if (link[0] == '/')
			n = snprintf(next, sizeof(next), "%s", link);
		else
			n = snprintf(next, sizeof(next), "%.*s/%s",
			    (int)(slash - final), final, link);
		if (n < 0 || (size_t)n >= sizeof(next) ||
		    strlcpy(final, next, size) >= size) {
			xasprintf(cause, "%s %s: path too long", key, path);
			return (CONF_ERR_SYNTAX);
		}
	}
}

/*
 * The directory holding name (a link of the chain or the file) must
 * not be writable by others unless it is sticky: whoever may write it
 * could point the link elsewhere.  0, or -1 with the fix in cause.
 */
static int
secret_hop_check(const char *key, const char *path, const char *name,
    int hops, char **cause)
{
	char		 dir[PATH_MAX];
	const char	*slash;
	struct stat	 sb;

	if ((slash = strrchr(name, '/')) == NULL)
		return (0);	/* password_file is absolute */
	if (slash == name)
		strlcpy(dir, "/", sizeof(dir));
	else if ((size_t)(slash - name) >= sizeof(dir))
		return (0);	/* lstat() will fail with the reason */
	else
		strlcpy(dir, name, (size_t)(slash - name) + 1);
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return (0);	/* lstat() will fail with the reason */
	if ((sb.st_mode & S_IWOTH) == 0 || (sb.st_mode & S_ISVTX) != 0)
		return (0);
	xasprintf(cause, "%s %s: %s%s is in directory %s, "
	    "writable by others: chmod o-w %s (or +t)", key, path,
	    hops > 0 ? "its target " : "", name, dir, dir);
	return (-1);
}

/* Root, or the real user when we hold no privilege. */
static int
secret_owner_ok(uid_t uid)
{
	return (uid == 0 || (!privsep_privileged() && uid == getuid()));
}

/*
 * The ownership rule, checked before a byte is read: a regular file
 * owned by root (or by the real user when we hold no privilege, a
 * single-user install), nothing for others and group bits only for
 * our effective group; without privilege, read bits are accepted.
 * 0, or -1 with the fix in cause.
 */
static int
secret_file_check(const char *key, const char *name, const char *path,
    const struct stat *sb, char **cause)
{
	struct group	*gr;
	char		 grp[64];
	unsigned int	 mode = sb->st_mode & 07777;
	gid_t		 egid = getegid();
	mode_t		 ok = privsep_privileged() ? 0 : SECRET_UNPRIV_READ;
	int		 bad;

	if (!S_ISREG(sb->st_mode))
		bad = 'f';
	else if ((sb->st_mode & S_IRWXO & ~ok) != 0)
		bad = 'o';
	else if (!secret_owner_ok(sb->st_uid))
		bad = 'u';
	else if ((sb->st_mode & S_IRWXG & ~ok) != 0 && sb->st_gid != egid)
		bad = 'g';
	else
		return (0);

	/* The group the fix names: ours, mailferry in a set-id install. */
	if ((gr = getgrgid(egid)) == NULL || gr->gr_name == NULL ||
	    strlcpy(grp, gr->gr_name, sizeof(grp)) >= sizeof(grp))
		snprintf(grp, sizeof(grp), "%lu", (unsigned long)egid);
	if (bad == 'f')
		xasprintf(cause, "%s %s: not a regular file: "
		    "make it a file owned by root:%s, mode 0640", key, name, grp);
	else if (bad == 'o' && ok != 0)
		xasprintf(cause, "%s %s: writable or executable "
		    "by others (mode %04o): chmod o-wx %s", key, name, mode, path);
	else if (bad == 'o')
		xasprintf(cause, "%s %s: readable, writable or "
		    "executable by others (mode %04o): chmod o-rwx %s", key, name,
		    mode, path);
	else if (bad == 'u')
		xasprintf(cause, "%s %s: owned by uid %lu: "
		    "chown root:%s %s && chmod 0640 %s", key, name,
		    (unsigned long)sb->st_uid, grp, path, path);
	else
		xasprintf(cause, "%s %s: %s by group %lu (mode "
		    "%04o): chgrp %s %s (or chmod g-%s %s)", key, name,
		    ok != 0 ? "writable or executable" :
		    "readable, writable or executable",
		    (unsigned long)sb->st_gid, mode, grp, path,
		    ok != 0 ? "wx" : "rwx", path);
	return (-1);
}

/*
 * Run password_command with /bin/sh, stdin on /dev/null and only PATH
 * in the environment; the password is the first line of its output.
 * It must finish within `timeout`.
 */
static int
secret_command(const struct conf *c, char **password, char **cause)
{
	char		 buf[SECRET_CMD_OUT_MAX + 1];
	struct timespec	 end;
	const char	*what = NULL;
	char		*nl;
	size_t		 len = 0;
	pid_t		 pid;
	int		 p[2], rc, failed;

	if (pipe2(p, O_CLOEXEC) == -1) {
		xasprintf(cause, "password_command: pipe: %s", strerror(errno));
		return (CONF_ERR_TEMP);
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "password_command: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (CONF_ERR_TEMP);
	}
	if (pid == 0)
		secret_exec(c->password_command, p[1]);
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += c->timeout;
	failed = secret_drain(p[0], buf, sizeof(buf), &len, &end);
	close(p[0]);
	if ((rc = secret_wait(pid, failed, &end, c->timeout, cause)) != 0) {
		explicit_bzero(buf, sizeof(buf));
		return (rc);
	}
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	else if (len >= SECRET_CMD_OUT_MAX)
		what = "first line of output longer than 16 KiB";
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (what == NULL && len == 0) {
		what = "printed nothing";
		rc = CONF_ERR_TEMP;
	} else if (what == NULL && memchr(buf, '\0', len) != NULL)
		what = "output contains a NUL byte";
	else if (what == NULL && memchr(buf, '\r', len) != NULL)
		what = "output contains a stray carriage return";
	if (what == NULL)
		*password = xstrndup(buf, len);
	else {
		xasprintf(cause, "password_command: %s", what);
		if (rc == 0)
			rc = CONF_ERR_SYNTAX;
	}
	explicit_bzero(buf, sizeof(buf));
	return (rc);
}

/* The child of secret_command(): never returns. */
static void
secret_exec(const char *cmd, int out)
{
	char		*argv[] = { "sh", "-c", NULL, NULL };
	char		*envp[] = { "PATH=/usr/bin:/bin", NULL };
	sigset_t	 none;
	int		 fd;

	argv[2] = (char *)cmd;
	(void)setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (out != STDOUT_FILENO && dup2(out, STDOUT_FILENO) == -1)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	execve("/bin/sh", argv, envp);
	_exit(127);
}

/* Milliseconds left until end on the monotonic clock (0 if past). */
static int
secret_ms_left(const struct timespec *end)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (end->tv_sec - now.tv_sec) * 1000LL +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return (0);
	return (ms > INT_MAX ? INT_MAX : (int)ms);
}

/*
 * Read fd to EOF into buf (NUL-terminated; bytes past its end are
 * read and dropped) before end.  Returns -1 on a time out or a read
 * error, else 0.
 */
static int
secret_drain(int fd, char *buf, size_t size, size_t *lenp,
    const struct timespec *end)
{
	struct pollfd	 pfd;
	char		 junk[512];
	size_t		 len = 0;
	ssize_t		 n;
	int		 ms, eof = 0;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while ((ms = secret_ms_left(end)) > 0) {
		if ((n = poll(&pfd, 1, ms)) == 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if (len < size - 1)
			n = read(fd, buf + len, size - 1 - len);
		else
			n = read(fd, junk, sizeof(junk));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			eof = n == 0;
			break;
		}
		if (len < size - 1)
			len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	explicit_bzero(junk, sizeof(junk));
	return (eof ? 0 : -1);
}

/*
 * Reap the password command, killing its process group if it failed
 * to finish before end; 0 if it exited with status 0.
 */
static int
secret_wait(pid_t pid, int failed, const struct timespec *end,
    time_t timeout, char **cause)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	pid_t		 r;
	int		 status;

	while (!failed && (r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (secret_ms_left(end) == 0)
			failed = 1;
		else
			nanosleep(&tick, NULL);
	}
	if (failed) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
			;
	}
	if (r == -1 && errno != EINTR) {
		xasprintf(cause, "password_command: waitpid: %s",
		    strerror(errno));
		return (CONF_ERR_TEMP);
	}
	if (failed)
		xasprintf(cause, "password_command: no answer within %llds",
		    (long long)timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	else if (WIFEXITED(status))
		xasprintf(cause, "password_command: exited with status %d",
		    WEXITSTATUS(status));
	else
		xasprintf(cause, "password_command: killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return (CONF_ERR_TEMP);
}
