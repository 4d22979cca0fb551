/*
 * Tests for the spool: frame round trip, truncated and malformed frames,
 * hostile entry and state files, locking, maintenance, write failures,
 * and the privsep helpers.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "addr.h"
#include "canon.h"
#include "envelope.h"
#include "privsep.h"
#include "frame.h"
#include "spool.h"

#define GOOD_ID	"0123456789ABCDEF"

static const char good_entry[] =
    "mailferry-spool 1\n"
    "id " GOOD_ID "\n"
    "created 1700000000\n"
    "uid 1000\n"
    "sender a@example.com\n"
    "rcpt b@example.org\n"
    "rcpt c@example.net\n"
    "body 7bit\n"
    "smtputf8 0\n"
    "bounce 0\n"
    "\n"
    "Subject: x\r\n\r\nhello\r\n";

static char *
mkspool(void)
{
	char	 tmpl[] = "spool.XXXXXX", cwd[PATH_MAX], *dir, *cause = NULL;

	ATF_REQUIRE(mkdtemp(tmpl) != NULL);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	xasprintf(&dir, "%s/%s", cwd, tmpl);
	ATF_REQUIRE(spool_mkdirs(dir, &cause) == 0);
	free(cause);
	return (dir);
}

/* spool_open() without keeping the cause; returns its code. */
static int
open_entry(const char *dir, const char *id, int lockflags,
    struct spool_entry *e)
{
	char	*cause = NULL;
	int	 rv;

	rv = spool_open(dir, id, lockflags, e, &cause);
	free(cause);
	return (rv);
}

static int
count_dir(const char *dir, const char *sub)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	int		 n = 0;

	xasprintf(&path, "%s/%s", dir, sub);
	ATF_REQUIRE((d = opendir(path)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	free(path);
	return (n);
}

/* An unlinked temporary file holding buf, positioned at its start. */
static int
mem_fd(const void *buf, size_t len)
{
	char	 tmpl[] = "frame.XXXXXX";
	int	 fd;

	ATF_REQUIRE((fd = mkstemp(tmpl)) != -1);
	ATF_REQUIRE(unlink(tmpl) == 0);
	ATF_REQUIRE((size_t)write(fd, buf, len) == len);
	ATF_REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
	return (fd);
}

static void
put_file(const char *dir, const char *sub, const char *name,
    const void *buf, size_t len)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/%s/%s", dir, sub, name);
	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) !=
	    -1);
	ATF_REQUIRE((size_t)write(fd, buf, len) == len);
	close(fd);
	free(path);
}

static void
sample_meta(struct spool_meta *m)
{
	spool_meta_init(m);
	m->sender = xstrdup("sender@example.com");
	spool_meta_add_rcpt(m, "one@example.org");
	spool_meta_add_rcpt(m, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	spool_meta_add_rcpt(m, "three@example.net");
	/* SP inside a quoted local part is part of the value. */
	spool_meta_add_rcpt(m, "\"john doe\"@example.net");
	m->body_8bit = 1;
	m->smtputf8 = 1;
	m->dsn_notify = xstrdup("FAILURE,DELAY");
	m->dsn_ret = xstrdup("HDRS");
	m->dsn_envid = xstrdup("QQ314159");
}

/* Serialise a frame for m and msg into memory. */
static char *
build_frame(const struct spool_meta *m, const char *msg, size_t len,
    size_t *outlen)
{
	char	 tmpl[] = "build.XXXXXX", *cause = NULL, *buf;
	off_t	 size;
	int	 fd;

	ATF_REQUIRE((fd = mkstemp(tmpl)) != -1);
	unlink(tmpl);
	ATF_REQUIRE(frame_write_header(fd, m, &cause) == 0);
	ATF_REQUIRE(frame_write_chunk(fd, msg, len, &cause) == 0);
	ATF_REQUIRE(frame_write_end(fd, &cause) == 0);
	free(cause);
	size = lseek(fd, 0, SEEK_END);
	buf = xmalloc(size + 1);
	ATF_REQUIRE(pread(fd, buf, size, 0) == size);
	close(fd);
	*outlen = size;
	return (buf);
}

static int
commit_buf(const char *dir, const void *buf, size_t len, off_t max,
    char *id, enum spool_error *err)
{
	struct spool_policy	 pol = { max, NULL, NULL };
	char			*cause = NULL;
	int			 fd, rv;

	fd = mem_fd(buf, len);
	rv = spool_commit_stream(dir, fd, 1234, &pol, id, err, &cause);
	close(fd);
	if (rv == -1)
		ATF_REQUIRE(cause != NULL && *err != SPOOL_ERR_NONE);
	free(cause);
	return (rv);
}

static void
compare_meta(const struct spool_meta *a, const struct spool_meta *b)
{
	struct spool_rcpt	*ra, *rb;

	ATF_CHECK_STREQ(a->sender, b->sender);
	rb = TAILQ_FIRST(&b->rcpts);
	TAILQ_FOREACH(ra, &a->rcpts, entry) {
		ATF_REQUIRE(rb != NULL);
		ATF_CHECK_STREQ(ra->addr, rb->addr);
		rb = TAILQ_NEXT(rb, entry);
	}
	ATF_CHECK(rb == NULL);
	ATF_CHECK_EQ(a->body_8bit, b->body_8bit);
	ATF_CHECK_EQ(a->smtputf8, b->smtputf8);
	ATF_CHECK_EQ(a->is_bounce, b->is_bounce);
	ATF_CHECK((a->dsn_notify == NULL) == (b->dsn_notify == NULL));
	if (a->dsn_notify != NULL && b->dsn_notify != NULL)
		ATF_CHECK_STREQ(a->dsn_notify, b->dsn_notify);
	if (a->dsn_ret != NULL && b->dsn_ret != NULL)
		ATF_CHECK_STREQ(a->dsn_ret, b->dsn_ret);
	if (a->dsn_envid != NULL && b->dsn_envid != NULL)
		ATF_CHECK_STREQ(a->dsn_envid, b->dsn_envid);
}

static void
check_message(const struct spool_entry *e, const char *msg, size_t len)
{
	char	*buf;

	ATF_REQUIRE_EQ((size_t)e->msg_size, len);
	buf = xmalloc(len + 1);
	ATF_REQUIRE(pread(e->fd, buf, len, e->msg_offset) == (ssize_t)len);
	ATF_CHECK(memcmp(buf, msg, len) == 0);
	free(buf);
}

/*
 * fsync(2) as the spool calls it: this definition takes the place of
 * libc's for the library linked into this program.  It records the
 * inode of every descriptor synced, then syncs it (fdatasync).
 */
static struct {
	dev_t	dev;
	ino_t	ino;
}		 synced[64];
static size_t	 nsynced;

int
fsync(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == 0 && nsynced < sizeof(synced) /
	    sizeof(synced[0])) {
		synced[nsynced].dev = st.st_dev;
		synced[nsynced].ino = st.st_ino;
		nsynced++;
	}
	return (fdatasync(fd));
}

/* Whether dir/sub/name (name may be NULL) was given to fsync(). */
static int
was_synced(const char *dir, const char *sub, const char *name)
{
	struct stat	 st;
	char		*path;
	size_t		 i;

	xasprintf(&path, "%s/%s%s%s", dir, sub, name != NULL ? "/" : "",
	    name != NULL ? name : "");
	ATF_REQUIRE_MSG(stat(path, &st) == 0, "%s", path);
	free(path);
	for (i = 0; i < nsynced; i++)
		if (synced[i].dev == st.st_dev && synced[i].ino == st.st_ino)
			return (1);
	return (0);
}

ATF_TC_WITHOUT_HEAD(id_valid);
ATF_TC_BODY(id_valid, tc)
{
	static const struct {
		const char	*id;
		int		 ok;
	} t[] = {
		{ GOOD_ID, 1 }, { "ZZZZZZZZZZZZZZZZ", 1 },
		{ "0123456789ABCDE", 0 }, { "0123456789ABCDEF0", 0 },
		{ "0123456789abcdef", 0 }, { "0123456789ABCDE/", 0 },
		{ "../..//ABCDEFGHI", 0 }, { "", 0 }, { "0123456789ABCDE.", 0 }
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ(spool_id_valid(t[i].id), t[i].ok);
}

ATF_TC_WITHOUT_HEAD(frame_roundtrip);
ATF_TC_BODY(frame_roundtrip, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, *frame, *msg, id[SPOOL_ID_LEN + 1];
	size_t			 i, len, flen;
	time_t			 now = time(NULL);

	dir = mkspool();
	sample_meta(&m);
	/* Over one chunk, with NUL, CR, LF and 8-bit bytes. */
	len = FRAME_CHUNK_MAX + 12345;
	msg = xmalloc(len);
	for (i = 0; i < len; i++)
		msg[i] = (char)(i * 7 + i / 13);
	frame = build_frame(&m, msg, len, &flen);
	ATF_REQUIRE(commit_buf(dir, frame, flen, len, id, &err) == 0);
	ATF_CHECK(spool_id_valid(id));
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	ATF_REQUIRE_EQ(open_entry(dir, id, LOCK_EX | LOCK_NB, &e),
	    SPOOL_OK);
	ATF_CHECK_STREQ(e.id, id);
	ATF_CHECK_EQ(e.uid, 1234);
	ATF_CHECK(e.created >= now && e.created <= time(NULL));
	ATF_CHECK_EQ(e.attempts, 0);
	ATF_CHECK(e.last_error == NULL);
	compare_meta(&m, &e.meta);
	check_message(&e, msg, len);
	spool_close(&e);

	/* One byte less of allowance is over the limit. */
	ATF_CHECK(commit_buf(dir, frame, flen, len - 1, id, &err) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_SIZE);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	spool_meta_free(&m);
	free(frame);
	free(msg);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(null_sender_bounce);
ATF_TC_BODY(null_sender_bounce, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, *frame, id[SPOOL_ID_LEN + 1];
	char			*cause = NULL;
	size_t			 flen;

	dir = mkspool();
	spool_meta_init(&m);
	m.sender = xstrdup("");
	m.is_bounce = 1;
	spool_meta_add_rcpt(&m, "x@example.com");
	frame = build_frame(&m, "", 0, &flen);
	ATF_CHECK(strncmp(frame, "sender\n", 7) == 0);
	/* Only mailferry-send makes bounces: a caller's frame may not. */
	ATF_CHECK(commit_buf(dir, frame, flen, 10, id, &err) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_POLICY);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 0);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	/* The same envelope as an entry mailferry-send writes. */
	ATF_REQUIRE(spool_write_entry(dir, &m, mem_fd("", 0), 4321, id,
	    &cause) == 0);
	ATF_REQUIRE_EQ(open_entry(dir, id, 0, &e), SPOOL_OK);
	compare_meta(&m, &e.meta);
	ATF_CHECK_EQ(e.msg_size, 0);
	ATF_CHECK_EQ(e.uid, 4321);
	spool_close(&e);
	spool_meta_free(&m);
	free(frame);
	free(dir);
}

/*
 * What the door takes, the spool keeps: every address the front end's
 * parser produces from these inputs (argv and header forms, qualified
 * as deliver.c does) and envelope.c accepts must be written as a frame,
 * committed by the helper's reader and read back by the queue run's
 * reader, as sender and as recipient.  An address refused here is
 * refused by the front end (exit 65) before any spooling, so a
 * permanent reason can never turn into a spool refusal (75, 451).
 */
static const char *door_inputs[] = {
	"user@example.com", "root", "first.last+tag@sub.example.com",
	"\"john doe\"@example.com", "John <\"john doe\"@example.com>",
	"\"a\\\"b\"@example.com", "\"a@b\"@example.com", "\"\"@example.com",
	"\"-oi\"@example.com", "-oi", "-x@example.com", "a-b", "a, b, c",
	"j\xc3\xb6rg@b\xc3\xbc" "cher.example", "user@[192.0.2.1]",
	"user@[IPv6:2001:db8::1]", "!#$%&'*+/=?^_`{|}~@x",
	"\"john doe@example.com", "a@b@c", "\"a b\" <x@y>, (c) z@w",
	"user@exa\xc2\x85mple.com", "undisclosed-recipients:;",
};

/* Spool addr as sender and as recipient: 0 when both round trips work. */
static int
door_spool(const char *dir, const char *addr)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*frame, *cause = NULL, id[SPOOL_ID_LEN + 1];
	size_t			 flen;
	int			 rv = -1;

	spool_meta_init(&m);
	m.sender = xstrdup(addr);
	spool_meta_add_rcpt(&m, addr);
	m.smtputf8 = envelope_needs_smtputf8(addr);
	if (spool_meta_validate(&m, &cause) == -1) {
		fprintf(stderr, "%s: validate: %s\n", addr, cause);
		goto out;
	}
	frame = build_frame(&m, "Subject: x\r\n\r\nx\r\n", 17, &flen);
	if (commit_buf(dir, frame, flen, 4096, id, &err) == -1) {
		fprintf(stderr, "%s: frame refused (%d)\n", addr, (int)err);
		free(frame);
		goto out;
	}
	free(frame);
	if (open_entry(dir, id, 0, &e) != SPOOL_OK) {
		fprintf(stderr, "%s: entry unreadable\n", addr);
		goto out;
	}
	compare_meta(&m, &e.meta);
	spool_close(&e);
	rv = 0;
out:
	free(cause);
	spool_meta_free(&m);
	return (rv);
}

ATF_TC_WITHOUT_HEAD(door_to_spool);
ATF_TC_BODY(door_to_spool, tc)
{
	struct addr_list	 l;
	const char		*why;
	char			*dir, *cause, *q;
	size_t			 i, j, accepted = 0, refused = 0;
	int			 mode;

	dir = mkspool();
	for (i = 0; i < sizeof(door_inputs) / sizeof(door_inputs[0]); i++) {
		for (mode = 0; mode < 2; mode++) {
			addr_list_init(&l);
			cause = NULL;
			(void)addr_parse_list(door_inputs[i],
			    strlen(door_inputs[i]), mode == 0 ? ADDR_MODE_ARGV :
			    ADDR_MODE_HEADER, &l, &cause);
			free(cause);
			for (j = 0; j < l.n; j++) {
				q = strchr(l.v[j], '@') == NULL ?
				    addr_qualify(l.v[j], "example.org") :
				    xstrdup(l.v[j]);
				if (envelope_valid_address(q, 0, &why) == -1)
					refused++;
				else if (door_spool(dir, q) == 0)
					accepted++;
				else
					ATF_CHECK_MSG(0, "door yes, spool no: "
					    "%s", q);
				free(q);
			}
			addr_list_free(&l);
		}
	}
	/* The table holds both kinds. */
	ATF_CHECK(accepted > 10);
	ATF_CHECK(refused > 0);
	free(dir);
}

/* Under rewrite_from = always only the configured sender is accepted. */
ATF_TC_WITHOUT_HEAD(force_sender);
ATF_TC_BODY(force_sender, tc)
{
	struct spool_policy	 pol = { 1000, "sender@example.com", NULL };
	struct spool_meta	 m;
	enum spool_error	 err;
	char			*dir, *frame, *cause = NULL;
	char			 id[SPOOL_ID_LEN + 1];
	size_t			 flen;
	int			 fd;

	dir = mkspool();
	sample_meta(&m);
	frame = build_frame(&m, "x\r\n", 3, &flen);
	fd = mem_fd(frame, flen);
	ATF_CHECK_EQ(spool_commit_stream(dir, fd, 1234, &pol, id, &err,
	    &cause), 0);
	close(fd);
	free(cause);
	cause = NULL;
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	pol.force_sender = "other@example.com";
	fd = mem_fd(frame, flen);
	ATF_CHECK_EQ(spool_commit_stream(dir, fd, 1234, &pol, id, &err,
	    &cause), -1);
	close(fd);
	ATF_CHECK_EQ(err, SPOOL_ERR_POLICY);
	ATF_CHECK(cause != NULL && strstr(cause, "rewrite_from") != NULL);
	free(cause);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	spool_meta_free(&m);
	free(frame);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(trailing_ignored);
ATF_TC_BODY(trailing_ignored, tc)
{
	static const char f[] = "sender a@b.c\nrcpt d@e.f\nbody 7bit\n"
	    "smtputf8 0\nbounce 0\n\n5\nhello0\n0\ngarbage after the end";
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, id[SPOOL_ID_LEN + 1];

	dir = mkspool();
	ATF_REQUIRE(commit_buf(dir, f, sizeof(f) - 1, 100, id, &err) == 0);
	ATF_REQUIRE_EQ(open_entry(dir, id, 0, &e), SPOOL_OK);
	check_message(&e, "hello", 5);
	spool_close(&e);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(truncated_never_committed);
ATF_TC_BODY(truncated_never_committed, tc)
{
	struct spool_meta	 m;
	enum spool_error	 err;
	char			*dir, *frame, id[SPOOL_ID_LEN + 1];
	size_t			 cut, flen;

	dir = mkspool();
	sample_meta(&m);
	frame = build_frame(&m, "Subject: t\r\n\r\nbody\r\n", 20, &flen);
	for (cut = 0; cut < flen; cut++) {
		if (commit_buf(dir, frame, cut, 1000, id, &err) != -1) {
			atf_tc_fail("committed a frame cut at %zu", cut);
			break;
		}
		ATF_CHECK_EQ(err, SPOOL_ERR_TRUNC);
	}
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 0);
	ATF_CHECK(commit_buf(dir, frame, flen, 1000, id, &err) == 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	spool_meta_free(&m);
	free(frame);
	free(dir);
}

#define F(s, e)	{ s, sizeof(s) - 1, e }
#define HDR	"sender a@b.c\nrcpt d@e.f\nbody 7bit\nsmtputf8 0\nbounce 0\n"

ATF_TC_WITHOUT_HEAD(bad_frames);
ATF_TC_BODY(bad_frames, tc)
{
	static const struct {
		const char		*frame;
		size_t			 len;
		enum spool_error	 err;
	} t[] = {
		F(HDR "x-unknown 1\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "id 0123456789ABCDEF\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "uid 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\r\nrcpt d@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@\re.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f\0x\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a @b.c\nrcpt d@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c \nrcpt d@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender \nrcpt d@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt <d@e.f>\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt def\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt @e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d\xc3\xa9@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d\xc3@e.f\nbody 7bit\nsmtputf8 1\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d\xc0\xaf@e.f\nbody 7bit\nsmtputf8 1\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d\xed\xa0\x80@e.f\nbody 7bit\n"
		    "smtputf8 1\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		/* C1 controls, DEL, bidi, bad quoting, 65-octet local part. */
		F("sender a@b.c\nrcpt d\xc2\x85@e.f\nbody 7bit\nsmtputf8 1\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt \"d\xc2\x9b\"@e.f\nbody 7bit\n"
		    "smtputf8 1\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d\x7f@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a\xe2\x80\xae@b.c\nrcpt d@e.f\nbody 7bit\n"
		    "smtputf8 1\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt \"d e@f.g\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt \"d\te\"@f.g\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f \nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt 0123456789012345678901234567890123456789"
		    "0123456789012345678901234@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f\nbody 9bit\nsmtputf8 0\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f\nbody 7bit\nsmtputf8 2\n"
		    "bounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f\nbody 7bit\nsmtputf8 0\n"
		    "bounce 1\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nsender a@b.c\nrcpt d@e.f\nbody 7bit\n"
		    "smtputf8 0\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("rcpt d@e.f\nbody 7bit\nsmtputf8 0\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nbody 7bit\nsmtputf8 0\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F("sender a@b.c\nrcpt d@e.f\nsmtputf8 0\nbounce 0\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "notify NEVER,DELAY\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "notify DELAY,DELAY\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "notify delay\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "notify SUCCESS,\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "ret ALL\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "envid \xc3\xa9\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "envid 0123456789012345678901234567890123456789012345678"
		    "90123456789012345678901234567890123456789012345678901\n"
		    "\n0\n", SPOOL_ERR_FRAME),
		F(HDR " sender a@b.c\n\n0\n", SPOOL_ERR_FRAME),
		F(HDR "\nabc\n", SPOOL_ERR_FRAME),
		F(HDR "\n-1\nx0\n", SPOOL_ERR_FRAME),
		F(HDR "\n+1\nx0\n", SPOOL_ERR_FRAME),
		F(HDR "\n 1\nx0\n", SPOOL_ERR_FRAME),
		F(HDR "\n01\nx0\n", SPOOL_ERR_FRAME),
		F(HDR "\n1\r\nx0\n", SPOOL_ERR_FRAME),
		F(HDR "\n00\n", SPOOL_ERR_FRAME),
		F(HDR "\n\n", SPOOL_ERR_FRAME),
		F(HDR "\n1048577\n", SPOOL_ERR_FRAME),
		F(HDR "\n99999999999999999999\n", SPOOL_ERR_FRAME),
		F(HDR "\n101\n", SPOOL_ERR_SIZE),
		F(HDR "\n60\n0123456789012345678901234567890123456789"
		    "0123456789012345678950\n0\n", SPOOL_ERR_SIZE),
		F(HDR "\n5\nabc", SPOOL_ERR_TRUNC),
		F(HDR "\n5\nabcde", SPOOL_ERR_TRUNC),
		F(HDR, SPOOL_ERR_TRUNC),
		F("", SPOOL_ERR_TRUNC)
	};
	enum spool_error	 err;
	char			*dir, id[SPOOL_ID_LEN + 1];
	size_t			 i, len;

	dir = mkspool();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t[i].len;
		if (commit_buf(dir, t[i].frame, len, 100, id, &err) != -1)
			atf_tc_fail("bad frame %zu accepted", i);
		else if (err != t[i].err)
			atf_tc_fail("bad frame %zu: err %d, not %d", i, err,
			    t[i].err);
	}
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 0);
	free(dir);
}

#define ADD(...) do {							\
	p += snprintf(p, cap - (p - f), __VA_ARGS__);			\
	ATF_REQUIRE((size_t)(p - f) < cap);				\
} while (0)

ATF_TC_WITHOUT_HEAD(frame_limits);
ATF_TC_BODY(frame_limits, tc)
{
	enum spool_error	 err;
	char			*dir, *f, *p, id[SPOOL_ID_LEN + 1], addr[300];
	size_t			 i, n, cap = SPOOL_HEADER_MAX * 2;

	dir = mkspool();
	f = xmalloc(cap);
	/* SPOOL_RCPT_MAX recipients pass, one more does not. */
	for (n = SPOOL_RCPT_MAX; n <= SPOOL_RCPT_MAX + 1; n++) {
		p = f;
		ADD("sender a@b.c\n");
		for (i = 0; i < n; i++)
			ADD("rcpt r%zu@example.com\n", i);
		ADD("body 7bit\nsmtputf8 0\nbounce 0\n\n0\n");
		ATF_CHECK_EQ(commit_buf(dir, f, p - f, 10, id, &err),
		    n == SPOOL_RCPT_MAX ? 0 : -1);
	}
	ATF_CHECK_EQ(err, SPOOL_ERR_FRAME);
	/*
	 * An address of SMTP_ADDR_MAX bytes passes, one more does not: a
	 * 64-octet local part, then 63-octet labels (envelope.c limits).
	 */
	for (n = SMTP_ADDR_MAX; n <= SMTP_ADDR_MAX + 1; n++) {
		memset(addr, 'x', n);
		addr[64] = '@';
		addr[64 + 64] = addr[64 + 128] = '.';
		addr[n] = '\0';
		p = f;
		ADD("sender %s\nrcpt %s\nbody 7bit\nsmtputf8 0\nbounce 0\n"
		    "\n0\n", addr, addr);
		ATF_CHECK_EQ(commit_buf(dir, f, p - f, 10, id, &err),
		    n == SMTP_ADDR_MAX ? 0 : -1);
	}
	/* Endless rcpt lines: refused (count or header size). */
	p = f;
	ADD("sender a@b.c\n");
	while (p - f < SPOOL_HEADER_MAX + 10)
		ADD("rcpt %0200d@b.c\n", 1);
	ATF_CHECK(commit_buf(dir, f, p - f, 10, id, &err) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_FRAME);
	/* A line over SPOOL_LINE_MAX. */
	p = f;
	ADD("sender a@b.c\nenvid ");
	memset(p, 'e', SPOOL_LINE_MAX);
	p += SPOOL_LINE_MAX;
	*p++ = '\n';
	ATF_CHECK(commit_buf(dir, f, p - f, 10, id, &err) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_FRAME);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 2);
	free(f);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(meta_validate);
ATF_TC_BODY(meta_validate, tc)
{
	static const struct {
		const char	*sender;
		const char	*rcpt;
		int		 utf8;
		int		 bounce;
		const char	*notify;
		int		 ok;
	} t[] = {
		{ "a@b.c", "d@e.f", 0, 0, NULL, 1 },
		{ "", "d@e.f", 0, 1, "NEVER", 1 },
		{ "a@b.c", "d\xc3\xa9@e.f", 1, 0, "SUCCESS", 1 },
		{ "\"john doe\"@b.c", "\"jane \\\" roe\"@e.f", 0, 0,
		    "FAILURE,DELAY", 1 },
		{ "a@b.c", "\"d e@f.g", 0, 0, NULL, 0 },
		{ "a@b.c", "d\xc2\x85@e.f", 1, 0, NULL, 0 },
		{ "a@b.c", "d@e.f", 0, 0, "DELAY,FAILURE", 0 },
		{ "a@b.c", "d@e.f", 0, 0, "failure", 0 },
		{ "a@b.c\nrcpt evil@x.y", "d@e.f", 0, 0, NULL, 0 },
		{ "a@b.c", "d@e.f\r\nRSET", 0, 0, NULL, 0 },
		{ "a@b.c", "d@e.f", 0, 0, "NEVER\nrcpt x@y.z", 0 },
		{ "a@b.c", "d e@f.g", 0, 0, NULL, 0 },
		{ "a@b.c", "", 0, 0, NULL, 0 },
		{ "a@b.c", "d\xc3\xa9@e.f", 0, 0, NULL, 0 },
		{ "a@b.c", "d@e.f", 0, 1, NULL, 0 },
		{ NULL, "d@e.f", 0, 0, NULL, 0 },
		{ "a@b.c", NULL, 0, 0, NULL, 0 }
	};
	struct spool_meta	 m;
	char			*cause = NULL;
	size_t			 i;
	int			 fd;

	fd = open("/dev/null", O_WRONLY);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		spool_meta_init(&m);
		if (t[i].sender != NULL)
			m.sender = xstrdup(t[i].sender);
		if (t[i].rcpt != NULL)
			spool_meta_add_rcpt(&m, t[i].rcpt);
		m.smtputf8 = t[i].utf8;
		m.is_bounce = t[i].bounce;
		if (t[i].notify != NULL)
			m.dsn_notify = xstrdup(t[i].notify);
		if ((spool_meta_validate(&m, &cause) == 0) != t[i].ok)
			atf_tc_fail("meta %zu: wrong verdict", i);
		free(cause);
		cause = NULL;
		if ((frame_write_header(fd, &m, &cause) == 0) != t[i].ok)
			atf_tc_fail("meta %zu: frame writer disagrees", i);
		free(cause);
		cause = NULL;
		spool_meta_free(&m);
	}
	close(fd);
}

static char *
replace(const char *s, const char *from, const char *to)
{
	const char	*p;
	char		*out;

	ATF_REQUIRE((p = strstr(s, from)) != NULL);
	xasprintf(&out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return (out);
}

ATF_TC_WITHOUT_HEAD(hostile_entries);
ATF_TC_BODY(hostile_entries, tc)
{
	static const struct {
		const char	*from;
		const char	*to;
	} t[] = {
		{ "mailferry-spool 1", "mailferry-spool 2" },
		{ "mailferry-spool 1\n", "" },
		{ "id " GOOD_ID, "id 0123456789ABCDEE" },
		{ "id " GOOD_ID "\n", "" },
		{ "id " GOOD_ID "\n", "id " GOOD_ID "\nid " GOOD_ID "\n" },
		{ "uid 1000\n", "uid 1000\nfoo bar\n" },
		{ "uid 1000", "uid -1" },
		{ "uid 1000", "uid 4294967295" },
		{ "uid 1000", "uid 01000" },
		{ "uid 1000", "uid 1000 " },
		{ "created 1700000000", "created 99999999999999999999" },
		{ "created 1700000000\n", "" },
		{ "sender a@example.com", "sender a@example.com\r" },
		{ "sender a@example.com", "sender a@ex\tample.com" },
		{ "rcpt b@example.org\nrcpt c@example.net\n", "" },
		{ "bounce 0\n", "bounce 0\nbounce 0\n" },
		{ "bounce 0\n", "" },
		{ "bounce 0", "bounce 1" },
		{ "\n\nSubject", "\nSubject" },
		{ "rcpt b@example.org", "rcpt b@exa\x01mple.org" },
		{ "smtputf8 0\n", "smtputf8 0\nnotify x\n" }
	};
	struct spool_entry	 e;
	char			*dir, *s;
	size_t			 i;

	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_OK);
	check_message(&e, "Subject: x\r\n\r\nhello\r\n", 21);
	ATF_CHECK_EQ(e.created, 1700000000);
	ATF_CHECK_EQ(e.uid, 1000);
	spool_close(&e);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = replace(good_entry, t[i].from, t[i].to);
		put_file(dir, "msg", GOOD_ID, s, strlen(s));
		if (open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &e) !=
		    SPOOL_CORRUPT)
			atf_tc_fail("hostile entry %zu accepted", i);
		free(s);
	}
	/* NUL inside the header. */
	s = xstrdup(good_entry);
	s[30] = '\0';
	put_file(dir, "msg", GOOD_ID, s, strlen(good_entry));
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	free(s);
	/* No empty line within SPOOL_HEADER_MAX. */
	s = xmalloc(SPOOL_HEADER_MAX + 100);
	memcpy(s, good_entry, 100);
	memset(s + 100, 'x', SPOOL_HEADER_MAX);
	put_file(dir, "msg", GOOD_ID, s, SPOOL_HEADER_MAX + 100);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	free(s);
	put_file(dir, "msg", GOOD_ID, "", 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_CHECK_EQ(open_entry(dir, "0123456789ABCDEG", 0, &e),
	    SPOOL_GONE);
	ATF_CHECK_EQ(open_entry(dir, "../msg/01234567", 0, &e), -1);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(hostile_files);
ATF_TC_BODY(hostile_files, tc)
{
	struct spool_entry	 e;
	char			*dir, *path, *other;

	dir = mkspool();
	xasprintf(&path, "%s/msg/%s", dir, GOOD_ID);
	xasprintf(&other, "%s/tmp/other", dir);
	put_file(dir, "tmp", "other", good_entry, strlen(good_entry));

	ATF_REQUIRE(symlink(other, path) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(path) == 0);

	ATF_REQUIRE(link(other, path) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(other) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_OK);
	spool_close(&e);
	ATF_REQUIRE(chmod(path, 0646) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(path) == 0);

	ATF_REQUIRE(mkfifo(path, 0640) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &e),
	    SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(path) == 0);

	ATF_REQUIRE(mkdir(path, 0750) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(rmdir(path) == 0);
	free(other);
	free(path);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(hostile_state);
ATF_TC_BODY(hostile_state, tc)
{
	static const char *const t[] = {
		"",
		"junk\n",
		"mailferry-state 1\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0",
		"mailferry-state 1\nid 0123456789ABCDEE\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts -1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 2\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\nrcpt 2 sent\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\nrcpt 0 sent\n"
		    "rcpt 0 failed\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\nrcpt 0 done\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\n"
		    "rcpt 0 sent 250 \x1b[31m\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\nlast_error \n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\nwhat ever\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 5\nnext_attempt 6\nwarned 0\r\n",
		"mailferry-state 1\nid " GOOD_ID "\nattempts 1\n"
		    "last_attempt 05\nnext_attempt 6\nwarned 0\n"
	};
	static const char valid[] = "mailferry-state 1\nid " GOOD_ID
	    "\nattempts 7\nlast_attempt 5\nnext_attempt 6\nwarned 0\n";
	struct spool_entry	 e;
	char			*dir, *path;
	size_t			 i;

	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		put_file(dir, "state", GOOD_ID, t[i], strlen(t[i]));
		if (open_entry(dir, GOOD_ID, 0, &e) != SPOOL_CORRUPT)
			atf_tc_fail("hostile state %zu accepted", i);
	}
	xasprintf(&path, "%s/state/%s", dir, GOOD_ID);
	ATF_REQUIRE(unlink(path) == 0);
	ATF_REQUIRE(symlink("/etc/passwd", path) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(path) == 0);
	/* A link to a valid state file is refused as well (O_NOFOLLOW). */
	put_file(dir, "tmp", "valid", valid, strlen(valid));
	put_file(dir, "state", GOOD_ID, valid, strlen(valid));
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_OK);
	ATF_CHECK_EQ(e.attempts, 7);
	spool_close(&e);
	ATF_REQUIRE(unlink(path) == 0);
	ATF_REQUIRE(symlink("../tmp/valid", path) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_CORRUPT);
	ATF_REQUIRE(unlink(path) == 0);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_OK);
	spool_close(&e);
	free(path);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(state_roundtrip);
ATF_TC_BODY(state_roundtrip, tc)
{
	struct spool_entry	 e;
	struct spool_rcpt	*r;
	char			*dir, *cause = NULL, big[2000];

	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &e),
	    SPOOL_OK);
	e.attempts = 3;
	e.last_attempt = 1700000100;
	e.next_attempt = 1700000700;
	e.warned = 1;
	e.last_error = xstrdup("451 4.3.0 try\r\nlater \x1b[1m");
	r = TAILQ_FIRST(&e.meta.rcpts);
	r->state = SPOOL_RCPT_SENT;
	r->reply = xstrdup("250 2.1.5 ok");
	r = TAILQ_NEXT(r, entry);
	r->state = SPOOL_RCPT_FAILED;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r->reply = xstrdup(big);
	ATF_REQUIRE(spool_state_write(dir, &e, &cause) == 0);
	free(cause);
	cause = NULL;
	spool_close(&e);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);

	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &e),
	    SPOOL_OK);
	ATF_CHECK_EQ(e.attempts, 3);
	ATF_CHECK_EQ(e.last_attempt, 1700000100);
	ATF_CHECK_EQ(e.next_attempt, 1700000700);
	ATF_CHECK_EQ(e.warned, 1);
	ATF_REQUIRE(e.last_error != NULL);
	ATF_CHECK_STREQ(e.last_error,
	    "451 4.3.0 try\\x0d\\x0alater \\x1b[1m");
	r = TAILQ_FIRST(&e.meta.rcpts);
	ATF_CHECK_EQ(r->state, SPOOL_RCPT_SENT);
	ATF_CHECK_STREQ(r->reply, "250 2.1.5 ok");
	r = TAILQ_NEXT(r, entry);
	ATF_CHECK_EQ(r->state, SPOOL_RCPT_FAILED);
	ATF_CHECK_EQ(strlen(r->reply), SPOOL_REPLY_MAX);
	/* Rewriting keeps it readable. */
	e.attempts = 4;
	ATF_REQUIRE(spool_state_write(dir, &e, &cause) == 0);
	free(cause);
	spool_close(&e);
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, 0, &e), SPOOL_OK);
	ATF_CHECK_EQ(e.attempts, 4);
	spool_close(&e);
	free(dir);
}

/*
 * Durability: a committed entry, and each state file, are synced
 * before they are renamed into place, and so is the directory that
 * holds the new name, before success is reported.
 */
ATF_TC_WITHOUT_HEAD(fsync_durable);
ATF_TC_BODY(fsync_durable, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, *frame, *cause = NULL;
	char			 id[SPOOL_ID_LEN + 1];
	const char		 msg[] = "Subject: x\r\n\r\nhello\r\n";
	size_t			 flen;

	dir = mkspool();
	sample_meta(&m);
	frame = build_frame(&m, msg, sizeof(msg) - 1, &flen);
	nsynced = 0;
	ATF_REQUIRE(commit_buf(dir, frame, flen, 1000, id, &err) == 0);
	ATF_CHECK_MSG(was_synced(dir, "msg", id), "msg/ID not synced");
	ATF_CHECK_MSG(was_synced(dir, "msg", NULL), "msg/ not synced");

	ATF_REQUIRE_EQ(open_entry(dir, id, LOCK_EX | LOCK_NB, &e),
	    SPOOL_OK);
	e.attempts = 1;
	nsynced = 0;
	ATF_REQUIRE(spool_state_write(dir, &e, &cause) == 0);
	free(cause);
	ATF_CHECK_MSG(was_synced(dir, "state", id), "state/ID not synced");
	ATF_CHECK_MSG(was_synced(dir, "state", NULL), "state/ not synced");
	spool_close(&e);
	spool_meta_free(&m);
	free(frame);
	free(dir);
}

/*
 * spool_open_owned(): another uid's entry is SPOOL_NOT_MINE and is left
 * unlocked; the owner's own opens.
 */
ATF_TC_WITHOUT_HEAD(owner);
ATF_TC_BODY(owner, tc)
{
	struct spool_entry	 e, f;
	char			*dir, *cause = NULL;

	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	ATF_CHECK_EQ(spool_open_owned(dir, GOOD_ID, LOCK_EX | LOCK_NB, 1001,
	    &e, &cause), SPOOL_NOT_MINE);
	free(cause);
	cause = NULL;
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &f),
	    SPOOL_OK);
	spool_close(&f);
	ATF_CHECK_EQ(spool_open_owned(dir, GOOD_ID, LOCK_EX | LOCK_NB, 1000,
	    &e, &cause), SPOOL_OK);
	free(cause);
	ATF_CHECK_EQ(e.uid, 1000);
	spool_close(&e);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(lock);
ATF_TC_BODY(lock, tc)
{
	struct spool_entry	 a, b;
	char			*dir, *cause = NULL;

	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	ATF_REQUIRE_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &a),
	    SPOOL_OK);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &b),
	    SPOOL_LOCKED);
	ATF_CHECK_EQ(b.fd, -1);
	/* mailq reads without the lock. */
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, 0, &b), SPOOL_OK);
	spool_close(&b);
	/* Removed under the lock: the waiting opener sees it gone. */
	ATF_REQUIRE(spool_remove(dir, &a, &cause) == 0);
	free(cause);
	spool_close(&a);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, LOCK_EX | LOCK_NB, &b),
	    SPOOL_GONE);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(gone_after_lock);
ATF_TC_BODY(gone_after_lock, tc)
{
	struct spool_entry	 e;
	char			*dir, *path, c;
	int			 fd, p[2], status;
	pid_t			 pid;

	/* A runner holds the lock; we open, wait; it removes the entry. */
	dir = mkspool();
	put_file(dir, "msg", GOOD_ID, good_entry, strlen(good_entry));
	xasprintf(&path, "%s/msg/%s", dir, GOOD_ID);
	ATF_REQUIRE(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		if ((fd = open(path, O_RDONLY)) == -1 ||
		    flock(fd, LOCK_EX) == -1 || write(p[1], "x", 1) != 1)
			_exit(1);
		sleep(1);
		_exit(unlink(path) == 0 ? 0 : 1);
	}
	ATF_REQUIRE(pid != -1);
	ATF_REQUIRE(read(p[0], &c, 1) == 1);
	ATF_CHECK_EQ(open_entry(dir, GOOD_ID, LOCK_EX, &e),
	    SPOOL_GONE);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(path);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(list_remove_quarantine);
ATF_TC_BODY(list_remove_quarantine, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, *frame, ids[3][SPOOL_ID_LEN + 1], **list;
	char			*cause = NULL, *path, newest[SPOOL_ID_LEN + 1] = "";
	size_t			 flen, n, i;

	dir = mkspool();
	sample_meta(&m);
	frame = build_frame(&m, "x\r\n", 3, &flen);
	for (i = 0; i < 3; i++)
		ATF_REQUIRE(commit_buf(dir, frame, flen, 100, ids[i], &err) ==
		    0);
	put_file(dir, "msg", "foo", "x", 1);
	put_file(dir, "msg", "0123456789abcdef", "x", 1);
	put_file(dir, "msg", ".0123456789ABCDE", "x", 1);
	put_file(dir, "msg", "0123456789ABCDEF0", "x", 1);
	ATF_REQUIRE(spool_list_oldest(dir, SPOOL_WINDOW, NULL, NULL, newest,
	    &list, &n, &cause) == 0);
	free(cause);
	cause = NULL;
	ATF_REQUIRE_EQ(n, 3);
	for (i = 0; i < 3; i++)
		ATF_CHECK_STREQ(list[i], ids[i]);	/* time order */
	spool_list_free(list, n);

	ATF_REQUIRE_EQ(open_entry(dir, ids[0], LOCK_EX, &e),
	    SPOOL_OK);
	ATF_REQUIRE(spool_state_write(dir, &e, &cause) == 0);
	free(cause);
	cause = NULL;
	ATF_REQUIRE(spool_remove(dir, &e, &cause) == 0);
	free(cause);
	cause = NULL;
	spool_close(&e);
	ATF_CHECK_EQ(count_dir(dir, "state"), 0);

	put_file(dir, "state", ids[1], "junk", 4);
	ATF_REQUIRE_EQ(open_entry(dir, ids[1], LOCK_EX, &e),
	    SPOOL_CORRUPT);
	ATF_REQUIRE(spool_quarantine(dir, ids[1], &cause) == 0);
	free(cause);
	cause = NULL;
	xasprintf(&path, "%s/corrupt/%s.state", dir, ids[1]);
	ATF_CHECK(access(path, F_OK) == 0);
	ATF_CHECK_EQ(count_dir(dir, "corrupt"), 2);
	ATF_CHECK_EQ(count_dir(dir, "state"), 0);
	ATF_CHECK(spool_quarantine(dir, "../../etc/passw", &cause) == -1);
	free(cause);
	cause = NULL;

	ATF_REQUIRE(spool_list_oldest(dir, SPOOL_WINDOW, NULL, NULL, newest,
	    &list, &n, &cause) == 0);
	free(cause);
	ATF_REQUIRE_EQ(n, 1);
	ATF_CHECK_STREQ(list[0], ids[2]);
	spool_list_free(list, n);
	spool_meta_free(&m);
	free(frame);
	free(path);
	free(dir);
}

/* spool_list_oldest()'s skip: the ids in the NULL-ended array arg. */
static int
skip_listed(void *arg, const char *id)
{
	const char	**v;

	for (v = arg; *v != NULL; v++)
		if (strcmp(*v, id) == 0)
			return (1);
	return (0);
}

/*
 * A queue run's window: the max oldest ids that skip() lets through, in
 * order, whatever order the directory gives them in; newest is raised
 * to the newest id seen (skipped or not), never lowered.
 */
ATF_TC_WITHOUT_HEAD(list_oldest_table);
ATF_TC_BODY(list_oldest_table, tc)
{
	static const char *on_disk[] = { "0000000000000005",
	    "0000000000000001", "000000000000000Z", "0000000000000003",
	    "00000000000000A0", "0000000000000002", NULL };
	static const char *none[] = { NULL };
	static const char *two[] = { "0000000000000001", "0000000000000003",
	    NULL };
	static const struct {
		size_t		  max;
		const char	**skip;
		const char	 *newest_before;
		const char	 *want;		/* ids, space-separated */
		const char	 *newest_after;
	} t[] = {
		{ 1, none, "", "0000000000000001", "00000000000000A0" },
		{ 3, none, "", "0000000000000001 0000000000000002 "
		    "0000000000000003", "00000000000000A0" },
		{ 6, none, "", "0000000000000001 0000000000000002 "
		    "0000000000000003 0000000000000005 000000000000000Z "
		    "00000000000000A0", "00000000000000A0" },
		{ 100, none, "", "0000000000000001 0000000000000002 "
		    "0000000000000003 0000000000000005 000000000000000Z "
		    "00000000000000A0", "00000000000000A0" },
		{ 2, two, "", "0000000000000002 0000000000000005",
		    "00000000000000A0" },
		{ 2, none, "ZZZZZZZZZZZZZZZZ", "0000000000000001 "
		    "0000000000000002", "ZZZZZZZZZZZZZZZZ" },
		{ 0, none, "", "", "" },
	};
	char		*dir, **list, *cause = NULL, *path, got[512];
	char		 newest[SPOOL_ID_LEN + 1];
	size_t		 i, k, n;

	dir = mkspool();
	for (i = 0; on_disk[i] != NULL; i++)
		put_file(dir, "msg", on_disk[i], "x", 1);
	put_file(dir, "msg", "not-an-id", "x", 1);
	put_file(dir, "msg", "0000000000000000x", "x", 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		strlcpy(newest, t[i].newest_before, sizeof(newest));
		ATF_REQUIRE(spool_list_oldest(dir, t[i].max, skip_listed,
		    (void *)t[i].skip, newest, &list, &n, &cause) == 0);
		got[0] = '\0';
		for (k = 0; k < n; k++) {
			if (k > 0)
				strlcat(got, " ", sizeof(got));
			strlcat(got, list[k], sizeof(got));
		}
		ATF_CHECK_STREQ_MSG(got, t[i].want, "case %zu", i);
		ATF_CHECK_STREQ_MSG(newest, t[i].newest_after, "case %zu", i);
		spool_list_free(list, n);
	}
	/* No msg/ at all: an empty queue, not an error. */
	xasprintf(&path, "%s/nonexistent", dir);
	ATF_REQUIRE(spool_list_oldest(path, 5, NULL, NULL, newest, &list,
	    &n, &cause) == 0);
	ATF_CHECK_EQ(n, 0);
	ATF_CHECK(cause == NULL);
	free(path);
	free(dir);
}

/*
 * A queue run's bulk removal: the message files go at once, their state
 * files only in spool_sync_removed(), after msg/ is synced (never an
 * entry that looks fresh); a missing state file is no error, a missing
 * state/ directory is.
 */
ATF_TC_WITHOUT_HEAD(bulk_remove);
ATF_TC_BODY(bulk_remove, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	enum spool_error	 err;
	char			*dir, *frame, ids[3][SPOOL_ID_LEN + 1], *list[3];
	char			*cause = NULL, *path;
	size_t			 flen, i;

	dir = mkspool();
	sample_meta(&m);
	frame = build_frame(&m, "x\r\n", 3, &flen);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE(commit_buf(dir, frame, flen, 100, ids[i], &err) ==
		    0);
		list[i] = ids[i];
	}
	/* Two with a state file, one without. */
	for (i = 0; i < 2; i++) {
		ATF_REQUIRE_EQ(open_entry(dir, ids[i], LOCK_EX, &e), SPOOL_OK);
		ATF_REQUIRE(spool_state_write(dir, &e, &cause) == 0);
		spool_close(&e);
	}
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE(spool_unlink_msg(dir, ids[i], &cause) == 0);
		/* Gone already (a crash now: the run never sent it twice). */
		ATF_CHECK_EQ(open_entry(dir, ids[i], LOCK_EX, &e), SPOOL_GONE);
	}
	ATF_CHECK_EQ(count_dir(dir, "msg"), 0);
	ATF_CHECK_EQ(count_dir(dir, "state"), 2);
	ATF_REQUIRE(spool_sync_removed(dir, list, 3, &cause) == 0);
	ATF_CHECK_EQ(count_dir(dir, "state"), 0);
	ATF_CHECK(cause == NULL);
	/* Twice is harmless; nothing to do is nothing done. */
	ATF_CHECK(spool_unlink_msg(dir, ids[0], &cause) == 0);
	ATF_CHECK(spool_sync_removed(dir, list, 3, &cause) == 0);
	ATF_CHECK(spool_sync_removed(dir, list, 0, &cause) == 0);
	/* state/ replaced by a file: said, not ignored. */
	xasprintf(&path, "%s/state", dir);
	ATF_REQUIRE(rmdir(path) == 0);
	put_file(dir, "", "state", "x", 1);
	ATF_CHECK(spool_sync_removed(dir, list, 1, &cause) == -1);
	ATF_CHECK(cause != NULL && strstr(cause, "removing") != NULL);
	free(cause);
	spool_meta_free(&m);
	free(frame);
	free(path);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(clean_tmp);
ATF_TC_BODY(clean_tmp, tc)
{
	struct timespec	 ts[2];
	char		*dir, *path, *cause = NULL;

	dir = mkspool();
	put_file(dir, "tmp", "old", "x", 1);
	put_file(dir, "tmp", "new", "x", 1);
	put_file(dir, "state", GOOD_ID, "x", 1);	/* orphan */
	put_file(dir, "state", "0123456789ABCDEE", "x", 1); /* young */
	put_file(dir, "state", "0123456789ABCDED", "x", 1); /* has entry */
	put_file(dir, "msg", "0123456789ABCDED", "x", 1);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 2 * SPOOL_TMP_MAX_AGE;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	xasprintf(&path, "%s/tmp/old", dir);
	ATF_REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
	free(path);
	xasprintf(&path, "%s/state/%s", dir, GOOD_ID);
	ATF_REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
	free(path);
	xasprintf(&path, "%s/state/0123456789ABCDED", dir);
	ATF_REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
	free(path);
	ATF_CHECK_EQ(spool_clean_tmp(dir, SPOOL_TMP_MAX_AGE, &cause), 2);
	free(cause);
	xasprintf(&path, "%s/tmp/new", dir);
	ATF_CHECK(access(path, F_OK) == 0);
	free(path);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 1);
	ATF_CHECK_EQ(count_dir(dir, "state"), 2);
	free(dir);
}

/* The canonical-form check on the commit path: refused, nothing left. */
ATF_TC_WITHOUT_HEAD(commit_canon);
ATF_TC_BODY(commit_canon, tc)
{
	static const struct {
		const char		*msg;
		int			 body8;
		off_t			 max;
		enum spool_error	 err;	/* SPOOL_ERR_NONE: committed */
		const char		*want;
	} t[] = {
		{ "Subject: x\r\n\r\nhi\r\n", 0, 0, SPOOL_ERR_NONE, NULL },
		{ "Subject: \xc3\xa9\r\n\r\n", 1, 0, SPOOL_ERR_NONE, NULL },
		{ "Subject: x\n\nhi\n", 0, 0, SPOOL_ERR_FORM, "line 1: bare LF" },
		{ "Subject: x\r\n\r\nh\ri\r\n", 0, 0, SPOOL_ERR_FORM,
		    "line 3: bare CR" },
		{ "Bcc: a@b\r\n\r\nhi\r\n", 0, 0, SPOOL_ERR_FORM,
		    "Bcc header present" },
		{ "Subject: \xc3\xa9\r\n\r\n", 0, 0, SPOOL_ERR_FORM,
		    "8-bit byte" },
		{ "Subject: x\r\n\r\nhi", 0, 0, SPOOL_ERR_FORM,
		    "no CRLF at the end" },
		{ "Subject: x\r\n\r\nhi\r\n", 0, 10, SPOOL_ERR_SIZE, NULL },
	};
	struct canon_policy	 cp;
	struct spool_policy	 pol = { 65536, NULL, &cp };
	struct spool_meta	 m;
	enum spool_error	 err;
	char			*dir, *frame, *cause, id[SPOOL_ID_LEN + 1];
	size_t			 i, flen;
	int			 fd, rv, n = 0;

	dir = mkspool();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sample_meta(&m);
		m.body_8bit = t[i].body8;
		frame = build_frame(&m, t[i].msg, strlen(t[i].msg), &flen);
		memset(&cp, 0, sizeof(cp));
		cp.max_size = t[i].max;
		cp.body_7bit = 1;	/* overridden by the frame's body */
		fd = mem_fd(frame, flen);
		cause = NULL;
		rv = spool_commit_stream(dir, fd, 0, &pol, id, &err, &cause);
		close(fd);
		if (t[i].err == SPOOL_ERR_NONE) {
			ATF_CHECK_MSG(rv == 0, "case %zu: %s", i, cause);
			n++;
		} else {
			ATF_CHECK_MSG(rv == -1 && err == t[i].err,
			    "case %zu: rv %d err %d", i, rv, (int)err);
			ATF_CHECK_MSG(cause != NULL && (t[i].want == NULL ||
			    strstr(cause, t[i].want) != NULL), "case %zu: %s",
			    i, cause != NULL ? cause : "(none)");
		}
		ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
		ATF_CHECK_EQ(count_dir(dir, "msg"), n);
		free(cause);
		free(frame);
		spool_meta_free(&m);
	}
	/* Without a policy, the same bytes are committed as they are. */
	sample_meta(&m);
	frame = build_frame(&m, t[2].msg, strlen(t[2].msg), &flen);
	ATF_CHECK(commit_buf(dir, frame, flen, 65536, id, &err) == 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), n + 1);
	free(frame);
	spool_meta_free(&m);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(write_failure);
ATF_TC_BODY(write_failure, tc)
{
	struct spool_meta	 m;
	struct spool_policy	 pol = { 200000, NULL, NULL };
	struct rlimit		 rl;
	enum spool_error	 err;
	char			*dir, *frame, *msg, id[SPOOL_ID_LEN + 1];
	char			*cause = NULL;
	size_t			 flen;
	int			 fd;

	/* A file size limit stands in for a full disk (EFBIG ~ ENOSPC). */
	dir = mkspool();
	sample_meta(&m);
	msg = xcalloc(1, 100000);
	frame = build_frame(&m, msg, 100000, &flen);
	fd = mem_fd(frame, flen);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = 20000;
	ATF_REQUIRE(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	ATF_CHECK(spool_commit_stream(dir, fd, 0, &pol, id, &err,
	    &cause) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_IO);
	ATF_CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	close(fd);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 0);
	spool_meta_free(&m);
	free(frame);
	free(msg);
	free(dir);
}

ATF_TC_WITHOUT_HEAD(no_spool);
ATF_TC_BODY(no_spool, tc)
{
	enum spool_error	 err;
	char			 id[SPOOL_ID_LEN + 1];
	static const char	 f[] = HDR "\n0\n";

	ATF_CHECK(commit_buf("/nonexistent/spool", f, sizeof(f) - 1, 10, id,
	    &err) == -1);
	ATF_CHECK_EQ(err, SPOOL_ERR_IO);
}

ATF_TC_WITHOUT_HEAD(mkdirs_on_demand);
ATF_TC_BODY(mkdirs_on_demand, tc)
{
	struct stat		 st;
	enum spool_error	 err;
	char			 tmpl[] = "bare.XXXXXX", id[SPOOL_ID_LEN + 1];
	char			*path;
	static const char	 f[] = HDR "\n0\n";

	umask(027);
	ATF_REQUIRE(mkdtemp(tmpl) != NULL);
	ATF_REQUIRE(commit_buf(tmpl, f, sizeof(f) - 1, 10, id, &err) == 0);
	xasprintf(&path, "%s/msg", tmpl);
	ATF_REQUIRE(stat(path, &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0770);
	free(path);
	xasprintf(&path, "%s/msg/%s", tmpl, id);
	ATF_REQUIRE(stat(path, &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0640);
	free(path);
}

ATF_TC_WITHOUT_HEAD(write_entry);
ATF_TC_BODY(write_entry, tc)
{
	struct spool_meta	 m;
	struct spool_entry	 e;
	char			*dir, *cause = NULL, id[SPOOL_ID_LEN + 1];
	static const char	 msg[] = "From: MAILER-DAEMON\r\n\r\nbounce\r\n";
	int			 fd;

	dir = mkspool();
	spool_meta_init(&m);
	m.sender = xstrdup("");
	m.is_bounce = 1;
	spool_meta_add_rcpt(&m, "orig@example.com");
	fd = mem_fd(msg, sizeof(msg) - 1);
	ATF_REQUIRE(spool_write_entry(dir, &m, fd, getuid(), id, &cause) == 0);
	free(cause);
	cause = NULL;
	close(fd);
	ATF_REQUIRE_EQ(open_entry(dir, id, LOCK_EX | LOCK_NB, &e),
	    SPOOL_OK);
	compare_meta(&m, &e.meta);
	ATF_CHECK_EQ(e.uid, getuid());
	check_message(&e, msg, sizeof(msg) - 1);
	spool_close(&e);
	free(m.sender);
	m.sender = xstrdup("bad\nsender");
	ATF_CHECK(spool_write_entry(dir, &m, 0, getuid(), id, &cause) == -1);
	free(cause);
	ATF_CHECK_EQ(count_dir(dir, "tmp"), 0);
	ATF_CHECK_EQ(count_dir(dir, "msg"), 1);
	spool_meta_free(&m);
	free(dir);
}

/* privsep_path_trusted() without keeping the cause; returns its code. */
static int
trusted(const char *path)
{
	char	*cause = NULL;
	int	 rv;

	rv = privsep_path_trusted(path, &cause);
	free(cause);
	return (rv);
}

ATF_TC_WITHOUT_HEAD(path_trusted);
ATF_TC_BODY(path_trusted, tc)
{
	char	 cwd[PATH_MAX], *d, *f, *l, *cause = NULL;
	int	 fd;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	if (getuid() != 0 && geteuid() != getuid())
		atf_tc_skip("needs an unprivileged run or root");
	if (privsep_path_trusted(cwd, &cause) == 0 ||
	    strstr(cause, "not a regular file") == NULL)
		atf_tc_skip("work directory not trusted: %s", cause);
	free(cause);
	cause = NULL;
	xasprintf(&d, "%s/trust", cwd);
	xasprintf(&f, "%s/trust/conf", cwd);
	xasprintf(&l, "%s/trust/link", cwd);
	ATF_REQUIRE(mkdir(d, 0755) == 0);
	ATF_REQUIRE(chmod(d, 0755) == 0);
	ATF_REQUIRE((fd = open(f, O_WRONLY | O_CREAT, 0644)) != -1);
	close(fd);
	ATF_REQUIRE(chmod(f, 0644) == 0);
	ATF_REQUIRE(symlink(f, l) == 0);

	ATF_CHECK(trusted(f) == 0);
	ATF_CHECK((fd = privsep_open_trusted(f, &cause)) != -1);
	free(cause);
	close(fd);
	ATF_CHECK(trusted(l) == -1);
	ATF_CHECK(trusted("trust/conf") == -1);
	ATF_CHECK(trusted(d) == -1);
	free(l);
	xasprintf(&l, "%s/trust/../trust/conf", cwd);
	ATF_CHECK(trusted(l) == -1);
	free(l);
	xasprintf(&l, "%s//trust/conf", cwd);
	ATF_CHECK(trusted(l) == -1);
	free(l);
	xasprintf(&l, "%s/trust/conf/", cwd);
	ATF_CHECK(trusted(l) == -1);
	free(l);
	xasprintf(&l, "%s/trust/missing", cwd);
	ATF_CHECK(trusted(l) == -1);
	free(l);
	ATF_REQUIRE(chmod(f, 0664) == 0);
	ATF_CHECK(trusted(f) == -1);
	ATF_REQUIRE(chmod(f, 0644) == 0);
	ATF_REQUIRE(chmod(d, 0777) == 0);
	ATF_CHECK(trusted(f) == -1);
	ATF_REQUIRE(chmod(d, 01777) == 0);
	ATF_CHECK(trusted(f) == 0);
	ATF_REQUIRE(chmod(d, 0755) == 0);
	if (getuid() == 0) {
		ATF_REQUIRE(chown(f, 1, 1) == 0);
		ATF_CHECK(trusted(f) == -1);
	}
	free(f);
	free(d);
}

ATF_TC_WITHOUT_HEAD(sanitise);
ATF_TC_BODY(sanitise, tc)
{
	pid_t	 pid;
	int	 status, fd;
	mode_t	 old;
	char	*p;

	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 17) == -1)
			_exit(10);
		close(STDIN_FILENO);
		setenv("LD_PRELOAD", "/tmp/evil.so", 1);
		setenv("IFS", "x", 1);
		signal(SIGPIPE, SIG_DFL);
		privsep_sanitise();
		if (fcntl(STDIN_FILENO, F_GETFD) == -1)
			_exit(1);
		if (fcntl(17, F_GETFD) != -1 || fcntl(fd, F_GETFD) != -1)
			_exit(2);
		if (getenv("LD_PRELOAD") != NULL || getenv("IFS") != NULL)
			_exit(3);
		if ((p = getenv("PATH")) == NULL ||
		    strcmp(p, "/usr/bin:/bin") != 0)
			_exit(4);
		old = umask(0);
		if (old != 027)
			_exit(5);
		if (signal(SIGPIPE, SIG_IGN) != SIG_IGN)
			_exit(6);
		_exit(0);
	}
	ATF_REQUIRE(pid != -1);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK(WIFEXITED(status));
	ATF_CHECK_EQ(WEXITSTATUS(status), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, id_valid);
	ATF_TP_ADD_TC(tp, frame_roundtrip);
	ATF_TP_ADD_TC(tp, null_sender_bounce);
	ATF_TP_ADD_TC(tp, door_to_spool);
	ATF_TP_ADD_TC(tp, force_sender);
	ATF_TP_ADD_TC(tp, trailing_ignored);
	ATF_TP_ADD_TC(tp, truncated_never_committed);
	ATF_TP_ADD_TC(tp, bad_frames);
	ATF_TP_ADD_TC(tp, frame_limits);
	ATF_TP_ADD_TC(tp, meta_validate);
	ATF_TP_ADD_TC(tp, hostile_entries);
	ATF_TP_ADD_TC(tp, hostile_files);
	ATF_TP_ADD_TC(tp, hostile_state);
	ATF_TP_ADD_TC(tp, state_roundtrip);
	ATF_TP_ADD_TC(tp, fsync_durable);
	ATF_TP_ADD_TC(tp, owner);
	ATF_TP_ADD_TC(tp, lock);
	ATF_TP_ADD_TC(tp, gone_after_lock);
	ATF_TP_ADD_TC(tp, list_remove_quarantine);
	ATF_TP_ADD_TC(tp, list_oldest_table);
	ATF_TP_ADD_TC(tp, bulk_remove);
	ATF_TP_ADD_TC(tp, clean_tmp);
	ATF_TP_ADD_TC(tp, commit_canon);
	ATF_TP_ADD_TC(tp, write_failure);
	ATF_TP_ADD_TC(tp, no_spool);
	ATF_TP_ADD_TC(tp, mkdirs_on_demand);
	ATF_TP_ADD_TC(tp, write_entry);
	ATF_TP_ADD_TC(tp, path_trusted);
	ATF_TP_ADD_TC(tp, sanitise);
	return (atf_no_error());
}
