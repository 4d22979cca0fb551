/*
 * secret_test: the smarthost password (src/secret.c): password_file's
 * contents and ownership rule, password_command; tls_key_file.  Every case runs in a
 * fresh working directory; the ownership cases need root to chown.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "secret.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define OTHER_UID	65534		/* "owned by somebody else" */
#define USER_UID	1000		/* a real user for the child cases */

enum owner { OWN_ROOT, OWN_OTHER };
enum priv { UNPRIV, SETID };	/* how the case is run */
enum group { GRP_EGID, GRP_OTHER };

struct file_case {
	const char	*data;
	size_t		 len;
	mode_t		 mode;
	enum owner	 owner;
	enum group	 group;
	int		 rc;
	const char	*want;	/* the password, or a part of the cause */
};

/* A symbolic link case: ops build the tree, "pw" is password_file. */
struct link_case {
	const char	*ops[8];	/* "d name mode", "f name mode",
					   "l name target", "o name uid" */
	enum priv	 priv;
	int		 rc;
	const char	*want;	/* the password, or a part of the cause */
};

static void	 write_file(const char *, const char *, size_t, mode_t);
static gid_t	 other_gid(void);
static void	 pw_conf(struct conf *, const char *);
static int	 check_case(size_t, const struct file_case *);
static int	 check_key(size_t, const struct file_case *);
static int	 run_table(const struct file_case *, size_t, int);
static int	 run_table_with(const struct file_case *, size_t, int,
		    int (*)(size_t, const struct file_case *));
static int	 child_read(const char *, uid_t, const char *);
static void	 link_op(const char *);
static int	 check_link(size_t, const struct link_case *);

static void
write_file(const char *name, const char *data, size_t len, mode_t mode)
{
	int	 fd;

	(void)unlink(name);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE(write(fd, data, len) == (ssize_t)len);
	ATF_REQUIRE(fchmod(fd, mode) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

/* A group that is not our effective group. */
static gid_t
other_gid(void)
{
	return (getegid() != 65534 ? 65534 : 1);
}

/* A configuration whose password_file is name (made absolute). */
static void
pw_conf(struct conf *c, const char *name)
{
	char	 cwd[PATH_MAX];

	conf_init(c);
	if (name[0] == '/') {
		c->password_file = strdup(name);
		return;
	}
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE(asprintf(&c->password_file, "%s/%s", cwd, name) != -1);
}

/*
 * Write, chown and read one case; the cause never shows the secret.
 * 0 if the case passed, else -1 with the reason on stderr (the case
 * may run in a child, where atf_tc_fail() must not be called).
 */
static int
check_case(size_t i, const struct file_case *t)
{
	struct conf	 c;
	char		*pw = NULL, *cause = NULL;
	int		 rc, ok = 1;

	/* data NULL: a link case, whose tree is built: read "pw". */
	if (t->data != NULL) {
		write_file("secret", t->data, t->len, t->mode);
		ATF_REQUIRE(chown("secret", t->owner == OWN_ROOT ? 0 :
		    OTHER_UID, t->group == GRP_EGID ? getegid() :
		    other_gid()) == 0);
		/* chown(2) may clear mode bits: set them again. */
		ATF_REQUIRE(chmod("secret", t->mode) == 0);
	}
	pw_conf(&c, t->data != NULL ? "secret" : "pw");
	rc = secret_read(&c, &pw, &cause);
	if (rc != t->rc)
		ok = 0;
	else if (rc == 0)
		ok = pw != NULL && strcmp(pw, t->want) == 0;
	else
		ok = pw == NULL && cause != NULL &&
		    strstr(cause, t->want) != NULL &&
		    strstr(cause, c.password_file) != NULL &&
		    strstr(cause, "hunter") == NULL &&
		    strstr(cause, "xyzzy") == NULL &&
		    strchr(cause, '\n') == NULL;
	if (!ok)
		fprintf(stderr, "case %zu: rc %d, want %d (%s): %s\n", i, rc,
		    t->rc, t->want, cause != NULL ? cause : "");
	if (pw != NULL)
		freezero(pw, strlen(pw));
	free(cause);
	conf_free(&c);
	return (ok ? 0 : -1);
}

/*
 * The same for tls_key_file (secret_read_key): the whole file comes
 * back, and a refusal names tls_key_file, never password_file.
 */
static int
check_key(size_t i, const struct file_case *t)
{
	char	 path[PATH_MAX], *pem = NULL, *cause = NULL;
	size_t	 len = 0;
	int	 rc, ok;

	write_file("key", t->data, t->len, t->mode);
	ATF_REQUIRE(chown("key", t->owner == OWN_ROOT ? 0 : OTHER_UID,
	    t->group == GRP_EGID ? getegid() : other_gid()) == 0);
	ATF_REQUIRE(chmod("key", t->mode) == 0);
	ATF_REQUIRE(getcwd(path, sizeof(path) - 4) != NULL);
	strlcat(path, "/key", sizeof(path));
	rc = secret_read_key(path, &pem, &len, &cause);
	if (rc != t->rc)
		ok = 0;
	else if (rc == 0)
		ok = pem != NULL && len == t->len + 1 &&
		    memcmp(pem, t->data, t->len) == 0 && pem[t->len] == '\0';
	else
		ok = pem == NULL && cause != NULL &&
		    strstr(cause, t->want) != NULL &&
		    strncmp(cause, "tls_key_file ", 13) == 0 &&
		    strstr(cause, "PRIVATE") == NULL &&
		    strchr(cause, '\n') == NULL;
	if (!ok)
		fprintf(stderr, "key case %zu: rc %d, want %d (%s): %s\n", i,
		    rc, t->rc, t->want, cause != NULL ? cause : "");
	if (pem != NULL)
		freezero(pem, len);
	free(cause);
	return (ok ? 0 : -1);
}

/*
 * Run a table as we are (root, no privilege) or, for SETID, in a child
 * whose real gid differs from its effective gid, as a setgid helper's.
 * Returns the number of failed cases.
 */
static int
run_table(const struct file_case *t, size_t n, int priv)
{
	return (run_table_with(t, n, priv, check_case));
}

/* run_table() with another checker (check_key: tls_key_file). */
static int
run_table_with(const struct file_case *t, size_t n, int priv,
    int (*check)(size_t, const struct file_case *))
{
	size_t	 i;
	pid_t	 pid;
	int	 status, failed = 0;

	if (priv == UNPRIV) {
		for (i = 0; i < n; i++)
			failed -= check(i, &t[i]);
		return (failed);
	}
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (setresgid(other_gid(), getegid(), getegid()) == -1)
			_exit(100);
		for (i = 0; i < n; i++)
			failed -= check(i, &t[i]);
		_exit(failed > 99 ? 99 : failed);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

ATF_TC(password_file);
ATF_TC_HEAD(password_file, tc)
{
	atf_tc_set_md_var(tc, "descr", "password_file in a set-id helper: "
	    "contents, modes, owner and group");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(password_file, tc)
{
	static const struct file_case t[] = {
		/* Good: root 0600, root:<egid> 0640, line ends. */
		{ "hunter2", 7, 0600, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		{ "hunter2\n", 8, 0640, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		{ "hunter2\r\n", 9, 0400, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		{ "hunter 2\n", 9, 0600, OWN_ROOT, GRP_EGID, 0, "hunter 2" },
		{ "hunter2\n", 8, 0660, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		/* No group bits: any group will do. */
		{ "hunter2\n", 8, 0600, OWN_ROOT, GRP_OTHER, 0, "hunter2" },
		/* Others: refused whatever the owner. */
		{ "hunter2\n", 8, 0644, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "readable, writable or executable by others (mode 0644): "
		    "chmod o-rwx" },
		{ "hunter2\n", 8, 0604, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "by others (mode 0604): chmod o-rwx" },
		{ "hunter2\n", 8, 0602, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "by others (mode 060" },
		{ "hunter2\n", 8, 0601, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "by others (mode 060" },
		/* Group bits for another group. */
		{ "hunter2\n", 8, 0660, OWN_ROOT, GRP_OTHER, CONF_ERR_INSECURE,
		    "by group 65534 (mode 0660): chgrp " },
		{ "hunter2\n", 8, 0640, OWN_ROOT, GRP_OTHER, CONF_ERR_INSECURE,
		    "by group 65534 (mode 06" },
		{ "hunter2\n", 8, 0610, OWN_ROOT, GRP_OTHER, CONF_ERR_INSECURE,
		    "by group 65534 (mode 06" },
		/* Somebody else's file, even private. */
		{ "hunter2\n", 8, 0600, OWN_OTHER, GRP_EGID, CONF_ERR_INSECURE,
		    "owned by uid 65534: chown root:" },
		{ "hunter2\n", 8, 0400, OWN_OTHER, GRP_OTHER,
		    CONF_ERR_INSECURE, "owned by uid 65534" },
		/* Contents. */
		{ "", 0, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX, "empty" },
		{ "\n", 1, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX, "empty" },
		{ "hunter2\n\n", 9, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX,
		    "more than one line" },
		{ "hunter2\nxyzzy\n", 14, 0600, OWN_ROOT, GRP_EGID,
		    CONF_ERR_SYNTAX, "more than one line" },
		{ "hunter2\rxyzzy", 13, 0600, OWN_ROOT, GRP_EGID,
		    CONF_ERR_SYNTAX, "more than one line" },
		{ "hun\0ter2\n", 9, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX,
		    "NUL byte" },
	};

	ATF_REQUIRE(getegid() != other_gid());
	ATF_CHECK_EQ(run_table(t, nitems(t), SETID), 0);
}

ATF_TC(key_file);
ATF_TC_HEAD(key_file, tc)
{
	atf_tc_set_md_var(tc, "descr", "tls_key_file in a set-id helper: "
	    "the password_file rules, the whole file, at most 64 KiB");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(key_file, tc)
{
#define K	"-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"
	static char big[64 * 1024 + 2];
	static struct file_case t[] = {
		{ K, sizeof(K) - 1, 0640, OWN_ROOT, GRP_EGID, 0, NULL },
		{ K, sizeof(K) - 1, 0400, OWN_ROOT, GRP_OTHER, 0, NULL },
		{ K, sizeof(K) - 1, 0644, OWN_ROOT, GRP_EGID,
		    CONF_ERR_INSECURE, "by others (mode 0644): chmod o-rwx" },
		{ K, sizeof(K) - 1, 0640, OWN_ROOT, GRP_OTHER,
		    CONF_ERR_INSECURE, "by group 65534" },
		{ K, sizeof(K) - 1, 0600, OWN_OTHER, GRP_EGID,
		    CONF_ERR_INSECURE, "owned by uid 65534" },
		{ "", 0, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX, "empty" },
		{ "a\0b", 3, 0600, OWN_ROOT, GRP_EGID, CONF_ERR_SYNTAX,
		    "NUL byte" },
		{ big, 64 * 1024, 0600, OWN_ROOT, GRP_EGID, 0, NULL },
		{ big, 64 * 1024 + 1, 0600, OWN_ROOT, GRP_EGID,
		    CONF_ERR_SYNTAX, "longer than 64 KiB" },
	};
#undef K

	memset(big, 'k', sizeof(big));
	ATF_REQUIRE(getegid() != other_gid());
	ATF_CHECK_EQ(run_table_with(t, nitems(t), SETID, check_key), 0);
}

ATF_TC(password_file_unpriv);
ATF_TC_HEAD(password_file_unpriv, tc)
{
	atf_tc_set_md_var(tc, "descr", "password_file without privilege "
	    "(single-user install, container): readable by others is "
	    "fine, writable is not");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(password_file_unpriv, tc)
{
	static const struct file_case t[] = {
		{ "hunter2\n", 8, 0600, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		/* Kubernetes (0444, 0644) and Compose (host mode) secrets. */
		{ "hunter2\n", 8, 0444, OWN_ROOT, GRP_OTHER, 0, "hunter2" },
		{ "hunter2\n", 8, 0644, OWN_ROOT, GRP_OTHER, 0, "hunter2" },
		{ "hunter2\n", 8, 0604, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		{ "hunter2\n", 8, 0640, OWN_ROOT, GRP_OTHER, 0, "hunter2" },
		/* Writable or executable by others: refused. */
		{ "hunter2\n", 8, 0646, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "writable or executable by others (mode 0646): "
		    "chmod o-wx" },
		{ "hunter2\n", 8, 0666, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "by others (mode 0666)" },
		{ "hunter2\n", 8, 0645, OWN_ROOT, GRP_EGID, CONF_ERR_INSECURE,
		    "by others (mode 0645)" },
		/* Writable by another group: refused; by ours: fine. */
		{ "hunter2\n", 8, 0664, OWN_ROOT, GRP_OTHER, CONF_ERR_INSECURE,
		    "writable or executable by group 65534 (mode 0664)" },
		{ "hunter2\n", 8, 0660, OWN_ROOT, GRP_EGID, 0, "hunter2" },
		/* Somebody else's file: refused, even readable. */
		{ "hunter2\n", 8, 0644, OWN_OTHER, GRP_EGID, CONF_ERR_INSECURE,
		    "owned by uid 65534" },
	};

	ATF_REQUIRE(getegid() != other_gid());
	ATF_CHECK_EQ(run_table(t, nitems(t), UNPRIV), 0);
}

/* One operation of a link case (see struct link_case). */
static void
link_op(const char *op)
{
	char		 what, name[64], arg[64];
	unsigned int	 n;

	ATF_REQUIRE(sscanf(op, "%c %63s %63s", &what, name, arg) == 3);
	switch (what) {
	case 'd':
		ATF_REQUIRE(sscanf(arg, "%o", &n) == 1);
		ATF_REQUIRE(mkdir(name, 0700) == 0);
		ATF_REQUIRE(chmod(name, n) == 0);
		break;
	case 'f':
		ATF_REQUIRE(sscanf(arg, "%o", &n) == 1);
		write_file(name, "hunter2\n", 8, n);
		break;
	case 'l':
		ATF_REQUIRE(symlink(arg, name) == 0);
		break;
	case 'o':
		ATF_REQUIRE(sscanf(arg, "%u", &n) == 1);
		ATF_REQUIRE(lchown(name, n, (gid_t)-1) == 0);
		break;
	default:
		atf_tc_fail("bad op %s", op);
	}
}

/* Build one link case in a fresh directory and read "pw" there. */
static int
check_link(size_t i, const struct link_case *t)
{
	struct file_case	 fc;
	char			 dir[32];
	size_t			 j;
	int			 failed;

	snprintf(dir, sizeof(dir), "case%zu", i);
	ATF_REQUIRE(mkdir(dir, 0755) == 0);
	ATF_REQUIRE(chdir(dir) == 0);
	for (j = 0; j < nitems(t->ops) && t->ops[j] != NULL; j++)
		link_op(t->ops[j]);
	memset(&fc, 0, sizeof(fc));
	fc.rc = t->rc;
	fc.want = t->want;
	if ((failed = run_table(&fc, 1, t->priv)) != 0)
		fprintf(stderr, "link case %zu failed\n", i);
	ATF_REQUIRE(chdir("..") == 0);
	return (failed);
}

ATF_TC(password_file_links);
ATF_TC_HEAD(password_file_links, tc)
{
	atf_tc_set_md_var(tc, "descr", "password_file through symbolic "
	    "links: Kubernetes chains, bad targets, dangling, loops, "
	    "directories writable by others");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(password_file_links, tc)
{
#define K8S(mode) "d ..2026_01_01_00_00_00.1 0755", \
	    "f ..2026_01_01_00_00_00.1/pw " mode, \
	    "l ..data ..2026_01_01_00_00_00.1", "l pw ..data/pw"
	static const struct link_case t[] = {
		/* A Kubernetes Secret: root 0644 without privilege. */
		{ { K8S("0644") }, UNPRIV, 0, "hunter2" },
		{ { K8S("0444") }, UNPRIV, 0, "hunter2" },
		{ { K8S("0640") }, SETID, 0, "hunter2" },
		/* The same 0644 target in a set-id helper: refused. */
		{ { K8S("0644") }, SETID, CONF_ERR_INSECURE,
		    "(-> " },
		{ { K8S("0666") }, UNPRIV, CONF_ERR_INSECURE,
		    "by others (mode 0666)" },
		/* Absolute target, and a chain of three. */
		{ { "l pw /nonexistent/secret" }, UNPRIV, CONF_ERR_SYNTAX,
		    "dangling" },
		{ { "f real 0600", "l a real", "l b a", "l pw b" },
		    UNPRIV, 0, "hunter2" },
		/* Bad targets: a directory, somebody else's file. */
		{ { "d sub 0755", "l pw sub" }, UNPRIV, CONF_ERR_INSECURE,
		    "not a regular file" },
		{ { "f real 0600", "o real 65534", "l pw real" }, UNPRIV,
		    CONF_ERR_INSECURE, "owned by uid 65534" },
		/* A link owned by somebody else. */
		{ { "f real 0600", "l pw real", "o pw 65534" }, UNPRIV,
		    CONF_ERR_INSECURE, "owned by uid 65534: make root own" },
		/* Dangling, and loops. */
		{ { "l pw nowhere" }, UNPRIV, CONF_ERR_SYNTAX,
		    "dangling symbolic link: No such file" },
		{ { "l pw ..data/pw", "l ..data gone" }, UNPRIV,
		    CONF_ERR_SYNTAX, "dangling" },
		{ { "l pw pw" }, UNPRIV, CONF_ERR_SYNTAX,
		    "too many symbolic links" },
		{ { "l pw a", "l a pw" }, UNPRIV, CONF_ERR_SYNTAX,
		    "too many symbolic links" },
		/* A hop in a directory writable by others: refused... */
		{ { "d pub 0777", "f real 0600", "l pub/x ../real",
		    "l pw pub/x" }, UNPRIV, CONF_ERR_INSECURE,
		    "writable by others: chmod o-w" },
		{ { "d pub 0777", "f pub/real 0600", "l pw pub/real" },
		    SETID, CONF_ERR_INSECURE, "its target" },
		/* ...unless it is sticky (a Kubernetes secret volume). */
		{ { "d pub 1777", "f real 0600", "l pub/x ../real",
		    "l pw pub/x" }, UNPRIV, 0, "hunter2" },
		{ { "d pub 1777", "f pub/real 0600", "l pw pub/real" },
		    SETID, 0, "hunter2" },
	};
#undef K8S
	size_t	 i;
	int	 failed = 0;

	for (i = 0; i < nitems(t); i++)
		failed += check_link(i, &t[i]);
	ATF_CHECK_EQ(failed, 0);
}

ATF_TC_WITHOUT_HEAD(password_file_refused);
ATF_TC_BODY(password_file_refused, tc)
{
	struct conf	 c;
	char		*pw, *cause = NULL, big[5000];

	pw_conf(&c, "missing");
	ATF_CHECK_EQ(secret_read(&c, &pw, &cause), CONF_ERR_SYNTAX);
	free(cause);
	conf_free(&c);

	ATF_REQUIRE(mkdir("dir", 0700) == 0);
	pw_conf(&c, "dir");
	ATF_CHECK_EQ(secret_read(&c, &pw, &cause), CONF_ERR_INSECURE);
	ATF_CHECK(cause != NULL && strstr(cause, "not a regular file") !=
	    NULL);
	free(cause);
	conf_free(&c);

	ATF_REQUIRE(mkfifo("fifo", 0600) == 0);
	pw_conf(&c, "fifo");
	ATF_CHECK_EQ(secret_read(&c, &pw, &cause), CONF_ERR_INSECURE);
	ATF_CHECK(cause != NULL && strstr(cause, "not a regular file") !=
	    NULL);
	free(cause);
	conf_free(&c);

	memset(big, 'x', sizeof(big));
	write_file("big", big, sizeof(big), 0600);
	pw_conf(&c, "big");
	ATF_CHECK_EQ(secret_read(&c, &pw, &cause), CONF_ERR_SYNTAX);
	ATF_CHECK(cause != NULL && strstr(cause, "longer than 4096") != NULL);
	free(cause);
	conf_free(&c);

	write_file("max", big, 4096, 0600);
	pw_conf(&c, "max");
	ATF_REQUIRE_EQ(secret_read(&c, &pw, &cause), 0);
	ATF_CHECK_EQ(strlen(pw), 4096);
	freezero(pw, strlen(pw));
	conf_free(&c);

	/* Neither source configured. */
	conf_init(&c);
	ATF_CHECK_EQ(secret_read(&c, &pw, &cause), CONF_ERR_SYNTAX);
	free(cause);
	conf_free(&c);
}

/*
 * In a child with real uid USER_UID and effective uid euid, read path.
 * Returns what secret_read() returned; the child fails the test if the
 * cause of a refusal does not hold want.
 */
static int
child_read(const char *path, uid_t euid, const char *want)
{
	struct conf	 c;
	char		*pw = NULL, *cause = NULL;
	pid_t		 pid;
	int		 status, rc;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (setresuid(USER_UID, euid, 0) == -1)
			_exit(100);
		pw_conf(&c, path);
		rc = secret_read(&c, &pw, &cause);
		if (rc != 0 && (cause == NULL || strstr(cause, want) == NULL))
			_exit(101);
		_exit(-rc);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status));
	ATF_REQUIRE_MSG(WEXITSTATUS(status) < 100, "child failed: %d",
	    WEXITSTATUS(status));
	return (-WEXITSTATUS(status));
}

ATF_TC(password_file_user);
ATF_TC_HEAD(password_file_user, tc)
{
	atf_tc_set_md_var(tc, "descr", "password_file owned by the real "
	    "user: fine without privilege, refused with it");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(password_file_user, tc)
{
	char	 dir[] = "/tmp/secret_test.XXXXXX", path[64];
	int	 mine, privileged;

	/* Outside the work directory: the child must reach the file. */
	ATF_REQUIRE(mkdtemp(dir) != NULL);
	ATF_REQUIRE(chmod(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, "hunter2\n", 8, 0600);
	ATF_REQUIRE(chown(path, USER_UID, getegid()) == 0);

	/* Real and effective uid USER_UID: no privilege, its own file. */
	mine = child_read(path, USER_UID, "");
	/* Real uid USER_UID, effective root: privileged, refused. */
	privileged = child_read(path, 0, "owned by uid 1000: chown root:");
	(void)unlink(path);
	(void)rmdir(dir);
	ATF_CHECK_EQ(mine, 0);
	ATF_CHECK_EQ(privileged, CONF_ERR_INSECURE);
}

ATF_TC_WITHOUT_HEAD(password_command);
ATF_TC_BODY(password_command, tc)
{
	static const struct {
		const char	*cmd;
		int		 rc;
		const char	*want;
	} t[] = {
		{ "echo token", 0, "token" },
		{ "printf 'tok en\\r\\nsecond line\\n'", 0, "tok en" },
		{ "printf nonewline", 0, "nonewline" },
		{ "echo \"$PATH:$HOME:$USER\"", 0, "/usr/bin:/bin::" },
		{ "cat; echo done", 0, "done" },
		{ "echo token; exit 3", CONF_ERR_TEMP, NULL },
		{ "kill -9 $$", CONF_ERR_TEMP, NULL },
		{ "true", CONF_ERR_TEMP, NULL },
		{ "/nonexistent/program", CONF_ERR_TEMP, NULL },
		{ "printf 'a\\000b\\n'", CONF_ERR_SYNTAX, NULL },
		{ "head -c 20000 /dev/zero | tr '\\000' a", CONF_ERR_SYNTAX,
		    NULL },
		{ "head -c 30000 /dev/zero | tr '\\000' a | sed 1s/^/x\\\\n/",
		    0, "x" },
	};
	struct conf	 c;
	char		*pw, *cause;
	size_t		 i;
	int		 rc;

	for (i = 0; i < nitems(t); i++) {
		conf_init(&c);
		c.password_command = strdup(t[i].cmd);
		cause = NULL;
		rc = secret_read(&c, &pw, &cause);
		if (rc != t[i].rc)
			atf_tc_fail("command case %zu: rc %d: %s", i, rc,
			    cause != NULL ? cause : "");
		if (rc == 0) {
			ATF_CHECK_STREQ(pw, t[i].want);
			freezero(pw, strlen(pw));
		} else
			ATF_CHECK(cause != NULL && pw == NULL);
		free(cause);
		conf_free(&c);
	}
}

ATF_TC_WITHOUT_HEAD(password_command_timeout);
ATF_TC_BODY(password_command_timeout, tc)
{
	struct conf	 c;
	char		*pw, *cause = NULL;
	time_t		 start;

	static const char *cmds[] = {
		"sleep 30",
		"echo token; exec >&-; sleep 30",
		"sleep 30 & echo token",
	};
	size_t		 i;

	for (i = 0; i < nitems(cmds); i++) {
		conf_init(&c);
		c.timeout = 1;
		c.password_command = strdup(cmds[i]);
		start = time(NULL);
		cause = NULL;
		ATF_CHECK_EQ(secret_read(&c, &pw, &cause),
		    CONF_ERR_TEMP);
		ATF_CHECK(time(NULL) - start < 10);
		ATF_CHECK(cause != NULL &&
		    strstr(cause, "no answer") != NULL);
		free(cause);
		conf_free(&c);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, password_file);
	ATF_TP_ADD_TC(tp, key_file);
	ATF_TP_ADD_TC(tp, password_file_unpriv);
	ATF_TP_ADD_TC(tp, password_file_links);
	ATF_TP_ADD_TC(tp, password_file_refused);
	ATF_TP_ADD_TC(tp, password_file_user);
	ATF_TP_ADD_TC(tp, password_command);
	ATF_TP_ADD_TC(tp, password_command_timeout);
	return (atf_no_error());
}
