/*
 * submit.c: the front end's side of the privilege boundary.
 *
 * mailferry (unprivileged) never writes the spool itself: it starts the
 * setgid helper mailferry-queue with a pipe on its stdin and another on
 * its stdout, streams the framed entry (spool.c documents the frame)
 * and reads back the queue id, which mailferry-queue prints only once
 * the entry is durable.  Then it starts mailferry-send, the only
 * program that can read the smarthost password: fully detached for
 * background delivery, or waited for in the foreground.
 *
 * This file is the only one that knows the helpers' command lines:
 * every other module asks for mailferry-send with a struct submit_req
 * (submit_argv() below is the one builder).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "submit.h"

#define SUBMIT_ARGV_MAX	10	/* mailferry-send's longest command line */

static int	submit_dup(posix_spawn_file_actions_t *, int, int);
static pid_t	submit_spawn(const char *, char *const [], int, int, int,
		    int);
static int	submit_status(int);
static void	submit_read_err(struct submit *, char **);
static void	submit_drain(int *, char *, size_t);
static int	submit_argv(const struct submit_req *, char *[], char *,
		    size_t);
static int	submit_wait(const char *, char *const []);
static pid_t	submit_detach(const char *, char *const []);

/*
 * Return the path of a helper program.  MAILFERRY_LIBEXECDIR is a hook
 * for the test suite only: the front end holds no privilege, so the
 * variable lets a caller run nothing it could not run anyway, and the
 * setgid helpers themselves never read the environment.
 */
const char *
submit_helper_path(const char *name)
{
	static char	 path[PATH_MAX];
	const char	*dir;
	int		 n;

	if ((dir = getenv("MAILFERRY_LIBEXECDIR")) == NULL || *dir == '\0')
		dir = MF_LIBEXECDIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx("helper path too long");
	return (path);
}

/* Have the child's fd to be fd (nothing to do if it is already). */
static int
submit_dup(posix_spawn_file_actions_t *fa, int fd, int to)
{
	return (fd == to ? 0 : posix_spawn_file_actions_adddup2(fa, fd, to));
}

/*
 * Start argv[0] with the given stdin, stdout and stderr and SIGPIPE at
 * its default; its pid, or -1 with errno set (exec errors included).
 * posix_spawn, not fork: glibc's vfork-style spawn does not copy our
 * page tables, which costs a millisecond per helper on a virtual
 * machine, on the path every caller waits for.  setsid: in a session
 * of its own.
 */
static pid_t
submit_spawn(const char *path, char *const argv[], int in, int out, int err,
    int setsid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 sa;
	sigset_t			 dfl;
	pid_t				 pid;
	int				 e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = e;
		return (-1);
	}
	if ((e = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = e;
		return (-1);
	}
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if ((e = submit_dup(&fa, in, STDIN_FILENO)) == 0 &&
	    (e = submit_dup(&fa, out, STDOUT_FILENO)) == 0 &&
	    (e = submit_dup(&fa, err, STDERR_FILENO)) == 0 &&
	    (e = posix_spawnattr_setsigdefault(&sa, &dfl)) == 0 &&
	    (e = posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF |
	    (setsid ? POSIX_SPAWN_SETSID : 0))) == 0)
		e = posix_spawn(&pid, path, &fa, &sa, argv, environ);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	return (pid);
}

/*
 * Start mailferry-queue, with -C conf_arg when the caller gave one: the
 * helper learns the spool and the limits from that configuration.
 */
int
submit_open(struct submit *s, const char *conf_arg, char **cause)
{
	const char	*path;
	char		*argv[4];
	int		 in[2], out[2], err[2], argc = 0;
	pid_t		 pid;

	memset(s, 0, sizeof(*s));
	s->frame_fd = s->id_fd = s->err_fd = -1;
	path = submit_helper_path("mailferry-queue");
	argv[argc++] = (char *)"mailferry-queue";
	if (conf_arg != NULL) {
		argv[argc++] = (char *)"-C";
		argv[argc++] = (char *)conf_arg;
	}
	argv[argc] = NULL;

	/* Its stderr is ours to read: the caller gets one line, not two. */
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (-1);
	}
	pid = submit_spawn(path, argv, in[0], out[1], err[1], 0);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (pid == -1) {
		/*
		 * Like a helper that exited at once: the frame goes
		 * nowhere (broken), and submit_close() says why.
		 */
		s->spawn_status = errno == EAGAIN || errno == ENOMEM ?
		    EX_TEMPFAIL : EX_OSERR;
		xasprintf(&s->spawn_error, "cannot run %s: %s", path,
		    strerror(errno));
		s->broken = 1;
	}
	s->pid = pid;
	s->frame_fd = in[1];
	s->id_fd = out[0];
	s->err_fd = err[0];
	return (0);
}

/*
 * Write bytes of the frame.  If the helper went away (it refused the
 * entry), remember it and swallow the rest: the caller still reads its
 * input to the end, and submit_close() reports the helper's verdict.
 */
int
submit_write(struct submit *s, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0 && !s->broken) {
		n = write(s->frame_fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			s->broken = 1;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (s->broken ? -1 : 0);
}

/* Map a helper's wait status to a sysexits value. */
static int
submit_status(int status)
{
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	return (EX_TEMPFAIL);
}

/*
 * Close the frame, wait for mailferry-queue and read the queue id.
 * Returns 0 with the id once the entry is durable, else the helper's
 * sysexits value (it already printed why on our stderr).
 */
int
submit_close(struct submit *s, char *id, size_t idlen, char **cause)
{
	char	 buf[64], *why = NULL;
	int	 status, ex;

	close(s->frame_fd);
	s->frame_fd = -1;
	if (s->pid == -1) {
		close(s->id_fd);
		close(s->err_fd);
		s->id_fd = s->err_fd = -1;
		*cause = s->spawn_error;
		s->spawn_error = NULL;
		return (s->spawn_status);
	}
	submit_drain(&s->id_fd, buf, sizeof(buf));
	while (waitpid(s->pid, &status, 0) == -1)
		if (errno != EINTR) {
			xasprintf(cause, "waitpid: %s", strerror(errno));
			return (EX_TEMPFAIL);
		}
	submit_read_err(s, cause);
	buf[strcspn(buf, "\n")] = '\0';
	/*
	 * The id is printed only once the entry is durable: then it is
	 * queued, however the writer ended (killed right after, say).
	 */
	ex = submit_status(status);
	if (spool_id_valid(buf) && ex != 0)
		xasprintf(&why, "queued as %s, but the spool writer then "
		    "failed (exit %d)", buf, ex);
	else if (ex != 0) {
		if (*cause == NULL)
			xasprintf(cause, "the spool writer failed (exit %d)",
			    ex);
		return (ex == EX_OK ? EX_TEMPFAIL : ex);
	}
	if (*cause != NULL || why != NULL) {
		/* Queued, but it had something to say: say it. */
		fprintf(stderr, MF_PROGNAME ": %s\n", *cause != NULL ? *cause :
		    why);
		free(*cause);
		*cause = NULL;
		free(why);
	}
	if (!spool_id_valid(buf) || strlcpy(id, buf, idlen) >= idlen) {
		xasprintf(cause, "the spool writer gave no queue id");
		return (EX_TEMPFAIL);
	}
	return (0);
}

/* Read *fd to its end (size - 1 bytes kept, NUL-terminated); close it. */
static void
submit_drain(int *fd, char *buf, size_t size)
{
	size_t	 have = 0;
	ssize_t	 n;

	while (have < size - 1) {
		n = read(*fd, buf + have, size - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(*fd);
	*fd = -1;
}

/*
 * Read what mailferry-queue said on its stderr (one line; it has exited)
 * into cause, without its program name (or ours, from submit_spawn()
 * when it could not be run), or leave cause NULL.
 */
static void
submit_read_err(struct submit *s, char **cause)
{
	static const char	*tags[] = { "mailferry-queue: ",
	    MF_PROGNAME ": " };
	char			 buf[1024], *p;
	size_t			 i;

	*cause = NULL;
	submit_drain(&s->err_fd, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	/* It escapes what it prints; anything else is not passed on. */
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	p = buf;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strncmp(p, tags[i], strlen(tags[i])) == 0) {
			p += strlen(tags[i]);
			break;
		}
	if (*p != '\0')
		*cause = xstrdup(p);
}

/* Give up on a submission: the helper sees a truncated frame. */
void
submit_abort(struct submit *s)
{
	int	 status;

	if (s->frame_fd != -1)
		close(s->frame_fd);
	if (s->id_fd != -1)
		close(s->id_fd);
	if (s->err_fd != -1)
		close(s->err_fd);
	s->err_fd = -1;
	s->frame_fd = s->id_fd = -1;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		while (waitpid(s->pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	s->pid = 0;
	free(s->spawn_error);
	s->spawn_error = NULL;
}

/*
 * Build mailferry-send's argument vector for req, the one place that
 * knows its command line (send_main.c documents it):
 *   mailferry-send [-C conf] [-v] OP
 * where OP is -q -a, -q, -I id, -t seconds, -p, -p -j, -H [-W l] [-X l],
 * -D id, -c, -d, -q -I id (after a submission, detached) or -F -I id
 * (after one, waited for).
 * -v is passed for the ops that log (never for -p, -D, -c, -d).
 * Returns -1 if req lacks the id or interval its op needs.
 */
static int
submit_argv(const struct submit_req *req, char *argv[], char *secs,
    size_t secslen)
{
	static const struct {
		enum submit_op	 op;
		const char	*flag1, *flag2;
		int		 verbose, id;
	} ops[] = {
		{ SUBMIT_OP_RUNQ, "-q", "-a", 1, 0 },
		{ SUBMIT_OP_RUN_DUE, "-q", NULL, 1, 0 },
		{ SUBMIT_OP_RUN_ONE, "-I", NULL, 1, 1 },
		{ SUBMIT_OP_PERIODIC, "-t", NULL, 1, 0 },
		{ SUBMIT_OP_LIST, "-p", NULL, 0, 0 },
		{ SUBMIT_OP_LIST_JSON, "-p", "-j", 0, 0 },
		{ SUBMIT_OP_HEALTH, "-H", NULL, 0, 0 },
		{ SUBMIT_OP_DELETE, "-D", NULL, 0, 1 },
		{ SUBMIT_OP_CHECK, "-c", NULL, 0, 0 },
		{ SUBMIT_OP_DUMP, "-d", NULL, 0, 0 },
		{ SUBMIT_OP_AFTER_BACKGROUND, "-q", "-I", 1, 1 },
		{ SUBMIT_OP_AFTER_FOREGROUND, "-F", "-I", 1, 1 },
	};
	size_t	 i;
	int	 argc = 0;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == req->op)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]) ||
	    (ops[i].id && (req->id == NULL || *req->id == '\0')) ||
	    (req->op == SUBMIT_OP_PERIODIC && req->interval <= 0))
		return (-1);
	argv[argc++] = (char *)"mailferry-send";
	if (req->conf_path != NULL) {
		argv[argc++] = (char *)"-C";
		argv[argc++] = (char *)req->conf_path;
	}
	if (req->verbose && ops[i].verbose)
		argv[argc++] = (char *)"-v";
	argv[argc++] = (char *)ops[i].flag1;
	if (ops[i].flag2 != NULL)
		argv[argc++] = (char *)ops[i].flag2;
	if (ops[i].id)
		argv[argc++] = (char *)req->id;
	if (req->op == SUBMIT_OP_PERIODIC) {
		snprintf(secs, secslen, "%lld", req->interval);
		argv[argc++] = secs;
	}
	if (req->op == SUBMIT_OP_HEALTH && req->warn != NULL) {
		argv[argc++] = (char *)"-W";
		argv[argc++] = (char *)req->warn;
	}
	if (req->op == SUBMIT_OP_HEALTH && req->crit != NULL) {
		argv[argc++] = (char *)"-X";
		argv[argc++] = (char *)req->crit;
	}
	argv[argc] = NULL;
	return (argc);
}

/*
 * Run mailferry-send for req.  SUBMIT_OP_AFTER_BACKGROUND is fully
 * detached (new session, fds 0-2 on /dev/null), so callers that read
 * our pipes to EOF (Symfony, node) never wait for it: 0 is returned
 * (EX_OSERR if it could not be started).
 * SUBMIT_OP_PERIODIC replaces this process (a supervisor's SIGTERM must
 * reach the runner) and returns EX_OSERR, errno set, only if it cannot.
 * The other ops are waited for, with our stdio, and return the
 * helper's exit status.  EX_SOFTWARE: req is incomplete.
 */
int
submit_send(const struct submit_req *req)
{
	char		*argv[SUBMIT_ARGV_MAX];
	char		 secs[32];
	const char	*path;

	if (submit_argv(req, argv, secs, sizeof(secs)) == -1)
		return (EX_SOFTWARE);
	path = submit_helper_path("mailferry-send");
	if (req->op == SUBMIT_OP_AFTER_BACKGROUND)
		return (submit_detach(path, argv) == -1 ? EX_OSERR : 0);
	/* What we printed comes before what the helper prints. */
	fflush(stdout);
	if (req->op != SUBMIT_OP_PERIODIC)
		return (submit_wait(path, argv));
	execv(path, argv);
	return (EX_OSERR);
}

/* Run mailferry-send with argv and our stdio; its exit status. */
static int
submit_wait(const char *path, char *const argv[])
{
	pid_t	 pid;
	int	 status;

	if ((pid = submit_spawn(path, argv, STDIN_FILENO, STDOUT_FILENO,
	    STDERR_FILENO, 0)) == -1) {
		fprintf(stderr, MF_PROGNAME ": cannot run %s: %s\n", path,
		    strerror(errno));
		return (EX_OSERR);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return (EX_OSERR);
	return (submit_status(status));
}

/*
 * Start mailferry-send detached: a session of its own, fds 0-2 on
 * /dev/null, SIGHUP ignored.
 * Not waited for: it becomes init's (or a subreaper's) child when we
 * exit, which the caller's wait is already about to do.  Its pid, or
 * -1 (said on stderr).
 */
static pid_t
submit_detach(const char *path, char *const argv[])
{
	struct sigaction	 ign, old;
	pid_t			 pid;
	int			 fd, e;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return (-1);
	/* An ignored signal stays ignored across exec. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGHUP, &ign, &old);
	pid = submit_spawn(path, argv, fd, fd, fd, 1);
	e = errno;
	sigaction(SIGHUP, &old, NULL);
	close(fd);
	if (pid == -1)
		/* The entry is queued: the next run delivers it. */
		fprintf(stderr, MF_PROGNAME ": queued; cannot run %s: %s\n",
		    path, strerror(e));
	return (pid);
}
