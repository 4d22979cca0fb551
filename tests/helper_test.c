/*
 * helper_test: what a set-id helper trusts at start-up (src/helper.c,
 * src/privsep.c): the spool directory checks, the configuration it
 * loads, and opening a caller-named file with the caller's ids.  The
 * test process holds no privilege, so "root or our own user" owns a
 * trusted directory; the cases that chown need root.
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

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "helper.h"
#include "privsep.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define OTHER_ID	65534		/* somebody else's uid and gid */

enum kind { K_DIR, K_FILE, K_LINK, K_MISSING };

struct dir_case {
	enum kind	 kind;
	mode_t		 mode;
	int		 other_owner;
	int		 other_group;
	int		 ok;
	const char	*want;		/* part of the cause when refused */
};

static void	 make_case(const char *, const struct dir_case *);

static void
make_case(const char *path, const struct dir_case *c)
{
	int	 fd;

	switch (c->kind) {
	case K_DIR:
		ATF_REQUIRE(mkdir(path, 0700) == 0);
		break;
	case K_FILE:
		ATF_REQUIRE((fd = open(path, O_CREAT | O_WRONLY, 0600)) != -1);
		close(fd);
		break;
	case K_LINK:
		ATF_REQUIRE(mkdir("target", 0700) == 0 || errno == EEXIST);
		ATF_REQUIRE(symlink("target", path) == 0);
		return;
	case K_MISSING:
		return;
	}
	ATF_REQUIRE(chmod(path, c->mode) == 0);
	ATF_REQUIRE(chown(path, c->other_owner ? OTHER_ID : (uid_t)-1,
	    c->other_group ? OTHER_ID : getegid()) == 0);
}

ATF_TC(dir_private);
ATF_TC_HEAD(dir_private, tc)
{
	atf_tc_set_md_var(tc, "descr", "a spool directory keeps other users out");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(dir_private, tc)
{
	static const struct dir_case t[] = {
		{ K_DIR, 0700, 0, 0, 1, NULL },
		{ K_DIR, 0770, 0, 0, 1, NULL },		/* our group */
		{ K_DIR, 0750, 0, 0, 1, NULL },
		{ K_DIR, 0700, 0, 1, 1, NULL },		/* no group bits */
		{ K_DIR, 0770, 0, 1, 0, "lets other users in" },
		{ K_DIR, 0710, 0, 1, 0, "lets other users in" },
		{ K_DIR, 0755, 0, 0, 0, "mode 0755" },
		{ K_DIR, 0701, 0, 0, 0, "mode 0701" },
		{ K_DIR, 0702, 0, 0, 0, "mode 0702" },
		{ K_DIR, 0777, 0, 0, 0, "chmod 0770" },
		{ K_DIR, 01777, 0, 0, 0, "mode 1777" },
		{ K_DIR, 0700, 1, 0, 0, "owned by uid 65534" },
		{ K_FILE, 0700, 0, 0, 0, "not a directory" },
		{ K_LINK, 0, 0, 0, 0, "symbolic link" },
		{ K_MISSING, 0, 0, 0, 0, "No such file" },
	};
	char	 path[64], *cause;
	size_t	 i;
	int	 r;

	for (i = 0; i < nitems(t); i++) {
		snprintf(path, sizeof(path), "d%zu", i);
		make_case(path, &t[i]);
		cause = NULL;
		r = privsep_dir_private(path, &cause);
		if (t[i].ok) {
			ATF_CHECK_MSG(r == 0, "case %zu: refused: %s", i,
			    cause);
		} else {
			ATF_CHECK_MSG(r == -1, "case %zu: accepted", i);
			ATF_CHECK_MSG(cause != NULL &&
			    strstr(cause, t[i].want) != NULL &&
			    strstr(cause, path) != NULL,
			    "case %zu: cause '%s', wanted '%s'", i, cause,
			    t[i].want);
		}
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(check_spool);
ATF_TC_BODY(check_spool, tc)
{
	char	*cause = NULL;

	/* A spool that does not exist yet is somebody else's report. */
	ATF_CHECK_EQ(helper_check_spool("nospool", &cause), 0);
	ATF_REQUIRE(mkdir("spool", 0700) == 0);
	ATF_CHECK_EQ(helper_check_spool("spool", &cause), 0);
	ATF_REQUIRE(mkdir("spool/msg", 0770) == 0);
	ATF_REQUIRE(mkdir("spool/tmp", 0700) == 0);
	ATF_CHECK_EQ(helper_check_spool("spool", &cause), 0);
	/* Any subdirectory that lets others in is refused, by name. */
	ATF_REQUIRE(chmod("spool/tmp", 0777) == 0);
	ATF_CHECK_EQ(helper_check_spool("spool", &cause), EX_NOPERM);
	ATF_CHECK(cause != NULL && strstr(cause, "spool/tmp") != NULL);
	free(cause);
	cause = NULL;
	ATF_REQUIRE(chmod("spool/tmp", 0700) == 0);
	ATF_REQUIRE(symlink("/tmp", "spool/state") == 0);
	ATF_CHECK_EQ(helper_check_spool("spool", &cause), EX_NOPERM);
	ATF_CHECK(cause != NULL && strstr(cause, "spool/state") != NULL);
	free(cause);
	cause = NULL;
	ATF_REQUIRE(unlink("spool/state") == 0);
	ATF_REQUIRE(chmod("spool", 0705) == 0);
	ATF_CHECK_EQ(helper_check_spool("spool", &cause), EX_NOPERM);
	free(cause);
}

ATF_TC_WITHOUT_HEAD(load_conf);
ATF_TC_BODY(load_conf, tc)
{
	struct conf	 conf;
	char		 path[PATH_MAX + 16], cwd[PATH_MAX], *cause = NULL;
	FILE		*f;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(path, sizeof(path), "%s/c.conf", cwd);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	fprintf(f, "[queue]\ndir = %s/spool\nmax_size = 10k\n"
	    "[sender]\ndomain = example.org\nfrom = app@example.org\n"
	    "rewrite_from = always\n", cwd);
	fclose(f);
	ATF_REQUIRE_EQ(helper_load_conf(&conf, path, &cause), 0);
	ATF_CHECK_EQ(conf.max_size, 10 * 1024);
	ATF_CHECK_STREQ(conf.from, "app@example.org");
	ATF_CHECK(strstr(conf.queue_dir, "/spool") != NULL);
	conf_free(&conf);
	/* Not a regular file, missing, bad syntax. */
	ATF_CHECK_EQ(helper_load_conf(&conf, cwd, &cause), EX_NOPERM);
	ATF_CHECK(cause != NULL && strstr(cause, "not a regular file"));
	free(cause);
	cause = NULL;
	conf_free(&conf);
	ATF_CHECK_EQ(helper_load_conf(&conf, "/nonexistent.conf", &cause),
	    EX_NOPERM);
	ATF_CHECK(cause != NULL && strstr(cause, "-C /nonexistent.conf"));
	free(cause);
	cause = NULL;
	conf_free(&conf);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	fprintf(f, "[queue]\nnosuchkey = 1\n");
	fclose(f);
	ATF_CHECK_EQ(helper_load_conf(&conf, path, &cause), EX_CONFIG);
	free(cause);
	conf_free(&conf);
}

ATF_TC(open_as_caller);
ATF_TC_HEAD(open_as_caller, tc)
{
	atf_tc_set_md_var(tc, "descr", "a file is opened with the real ids");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(open_as_caller, tc)
{
	char	*cause = NULL;
	int	 fd;

	ATF_REQUIRE((fd = open("f", O_CREAT | O_WRONLY, 0600)) != -1);
	close(fd);
	/* Holding no privilege, the caller is us: it opens. */
	ATF_REQUIRE((fd = privsep_open_as_caller("f", O_RDONLY, &cause)) !=
	    -1);
	close(fd);
	ATF_CHECK_EQ(privsep_open_as_caller("nonexistent", O_RDONLY, &cause),
	    -1);
	ATF_CHECK(cause != NULL && strstr(cause, "nonexistent") != NULL);
	free(cause);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dir_private);
	ATF_TP_ADD_TC(tp, check_spool);
	ATF_TP_ADD_TC(tp, load_conf);
	ATF_TP_ADD_TC(tp, open_as_caller);
	return (atf_no_error());
}
