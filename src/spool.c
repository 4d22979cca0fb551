/*
 * The spool: the atomic writer of entries (from a frame, frame.c, in
 * mailferry-queue; from a bounce in mailferry-send) and the untrusted
 * reader used by mailferry-send.
 *
 * Header keys, the same in a frame's header and an entry file, each at
 * most once except rcpt, in any order:
 *
 *	sender [addr]	required; no value is the null sender <>
 *	rcpt addr	required, 1..SPOOL_RCPT_MAX times
 *	body 7bit|8bit	required
 *	smtputf8 0|1	required; 1 whenever an address is not ASCII
 *	bounce 0|1	required; 1 (a DSN we made) needs the null sender
 *	notify list	optional: NEVER, or a comma-separated subset of
 *			SUCCESS,FAILURE,DELAY (upper case, no repeats)
 *	ret FULL|HDRS	optional
 *	envid text	optional, 1..ENVELOPE_ENVID_MAX printable ASCII bytes
 *
 * A value is the rest of the line after "key SP".  An address value
 * (sender, rcpt) must be valid by envelope_valid_address() (the rules
 * are at the top of envelope.c): RFC 5321 Mailbox with RFC 6531 UTF-8,
 * at most SMTP_ADDR_MAX bytes, no '<' or '>', and no control character
 * anywhere (C0, DEL, C1, U+2028/9, bidi controls); it may hold SP only
 * inside a quoted local part ("john doe"@example.com).  Every other
 * value is one or more bytes 0x21-0x7e.  So no value can carry a line
 * break into the file or onto the wire.  notify, ret and envid are in
 * the canonical form of envelope.c (ENVELOPE_CANON).
 *
 * Entry file msg/ID (written once, mode 0640):
 *
 *	"mailferry-spool 1" LF
 *	id ID		the file name; [0-9A-Z]{16}
 *	created N	time(NULL) when committed
 *	uid N		real uid of the submitter
 *	the frame header keys, with the same rules
 *	LF
 *	the message bytes, as sent in the chunks (up to the end of file)
 *
 * The reader re-checks every rule above: an entry may have been put
 * there by anyone able to write the spool, so it is hostile input.
 * Delivery state lives in state/ID (see spool_state.c).
 *
 * Queue ids: 11 base-32 digits (alphabet 0-9A-V, so ASCII order is time
 * order) of the time in microseconds, then 5 random base-32 digits.  An
 * id is taken only if tmp/ID can be created with O_EXCL and no msg/ID,
 * state/ID or corrupt/ID exists; every writer follows that protocol, so
 * the rename into msg/ cannot replace an entry.  (link() would refuse
 * to replace by itself, but the reader must then see entries with two
 * links while the writer removes its tmp name.)
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailferry.h"
#include "canon.h"
#include "envelope.h"
#include "frame.h"
#include "privsep.h"
#include "spool.h"
#include "util.h"

#define SPOOL_BUF_SIZE	65536
#define SPOOL_MAGIC	"mailferry-spool 1"

enum hkey {
	HK_ID, HK_CREATED, HK_UID, HK_SENDER, HK_RCPT, HK_BODY,
	HK_SMTPUTF8, HK_BOUNCE, HK_NOTIFY, HK_RET, HK_ENVID, HK_MAX
};

static const struct {
	const char	*name;
	int		 entry_only;	/* only in entry files */
	int		 required;
} hkeys[HK_MAX] = {
	{ "id", 1, 1 },
	{ "created", 1, 1 },
	{ "uid", 1, 1 },
	{ "sender", 0, 1 },
	{ "rcpt", 0, 1 },
	{ "body", 0, 1 },
	{ "smtputf8", 0, 1 },
	{ "bounce", 0, 1 },
	{ "notify", 0, 0 },
	{ "ret", 0, 0 },
	{ "envid", 0, 0 }
};

struct hparse {
	struct spool_meta *meta;
	int		 entry;
	unsigned int	 seen;		/* 1 << hkey */
	size_t		 nrcpt;
	char		 id[SPOOL_ID_LEN + 1];
	long long	 created;
	long long	 uid;
};

struct sbuf {
	char		*s;
	size_t		 len;
	size_t		 cap;
};

struct commit {
	int		 dfd;		/* queue directory */
	int		 tmpfd;		/* tmp/ */
	int		 msgfd;		/* msg/ */
	int		 fd;		/* tmp/ID */
	int		 linked;	/* tmp/ID exists */
	char		 id[SPOOL_ID_LEN + 1];
	time_t		 created;
};

/* Where the bytes of a frame go: the canonical-form check, the entry. */
struct commit_sink {
	struct commit		*cm;
	struct canon_policy	 form;
	struct canon		*cn;	/* NULL: not checked */
};

static void	sb_add(struct sbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static enum spool_error err_class(int);
static void	id_make(char *);
static int	val_rule(enum hkey, const char *, size_t, char **);
static int	val_check(enum hkey, const char *, size_t, char **);
static int	meta_check(const struct spool_meta *, char **);
static int	hp_line(struct hparse *, const char *, size_t, char **);
static int	hp_store(struct hparse *, enum hkey, const char *, size_t);
static int	hp_finish(struct hparse *, char **);
static void	meta_format(struct sbuf *, const struct spool_meta *);
static int	entry_check(struct spool_entry *, struct stat *, char **);
static int	frame_line(void *, const char *, size_t, char **);
static int	commit_data(void *, const void *, size_t, enum spool_error *,
		    char **);
static int	frame_policy(const struct spool_meta *,
		    const struct spool_policy *, enum spool_error *, char **);
static int	id_taken(struct commit *);
static int	commit_dirs(const char *, struct commit *,
		    enum spool_error *, char **);
static int	commit_begin(const char *, struct commit *,
		    enum spool_error *, char **);
static int	commit_header(struct commit *, const struct spool_meta *,
		    uid_t, enum spool_error *, char **);
static int	commit_end(struct commit *, enum spool_error *, char **);
static void	commit_close(struct commit *);
static int	entry_header(struct spool_entry *, off_t, char **);

static void
sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->s == NULL ? NULL : sb->s + sb->len,
		    sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("sb_add: vsnprintf");
		if ((size_t)n < sb->cap - sb->len) {
			sb->len += n;
			return;
		}
		sb->cap = (sb->cap + n + 1) * 2;
		sb->s = xreallocarray(sb->s, sb->cap, 1);
	}
}

static enum spool_error
err_class(int e)
{
	if (e == EACCES || e == EPERM)
		return (SPOOL_ERR_PERM);
	return (SPOOL_ERR_IO);
}

static void
id_make(char *id)
{
	static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	struct timespec	 ts;
	uint64_t	 us = 0;
	uint32_t	 r;
	int		 i;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 0)
		us = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	arc4random_buf(&r, sizeof(r));
	for (i = 10; i >= 0; i--) {
		id[i] = alpha[us & 31];
		us >>= 5;
	}
	for (i = 11; i < SPOOL_ID_LEN; i++) {
		id[i] = alpha[r & 31];
		r >>= 5;
	}
	id[SPOOL_ID_LEN] = '\0';
}

/* Whether s is a queue id: SPOOL_ID_LEN characters of [0-9A-Z]. */
int
spool_id_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < SPOOL_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return (0);
	}
	return (s[i] == '\0');
}

/* The rule of one key for a value (NUL-terminated, len bytes). */
static int
val_rule(enum hkey k, const char *v, size_t len, char **cause)
{
	const char	*why = "invalid value", *canon;
	unsigned int	 bits;
	long long	 num;
	int		 ok = 0;

	switch (k) {
	case HK_ID:
		ok = spool_id_valid(v);
		break;
	case HK_CREATED:
		ok = util_decimal(v, len, LLONG_MAX, &num) == 0;
		break;
	case HK_UID:
		ok = util_decimal(v, len, UINT32_MAX - 1, &num) == 0;
		break;
	case HK_SENDER:
	case HK_RCPT:
		ok = envelope_valid_address(v, k == HK_SENDER ?
		    ENVELOPE_NULL_OK : 0, &why) == 0;
		break;
	case HK_BODY:
		ok = strcmp(v, "7bit") == 0 || strcmp(v, "8bit") == 0;
		break;
	case HK_SMTPUTF8:
	case HK_BOUNCE:
		ok = strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
		break;
	case HK_NOTIFY:
		ok = envelope_notify_parse(v, ENVELOPE_CANON, &bits,
		    &why) == 0;
		break;
	case HK_RET:
		ok = envelope_ret_parse(v, ENVELOPE_CANON, &canon, &why) == 0;
		break;
	case HK_ENVID:
		ok = envelope_valid_envid(v, &why) == 0;
		break;
	case HK_MAX:
		break;
	}
	if (!ok)
		xasprintf(cause, "%s: %s", hkeys[k].name, why);
	return (ok ? 0 : -1);
}

/*
 * Check one value (NUL-terminated, len bytes) for its key.  Addresses
 * get their byte rules from envelope.c; every other value is printable
 * ASCII without SP.
 */
static int
val_check(enum hkey k, const char *v, size_t len, char **cause)
{
	size_t	 i;

	if (memchr(v, '\0', len) != NULL || strlen(v) != len) {
		xasprintf(cause, "%s: NUL in value", hkeys[k].name);
		return (-1);
	}
	if (len == 0 && k != HK_SENDER) {
		xasprintf(cause, "%s: empty value", hkeys[k].name);
		return (-1);
	}
	for (i = 0; k != HK_SENDER && k != HK_RCPT && i < len; i++) {
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e) {
			xasprintf(cause, "%s: invalid byte 0x%02x",
			    hkeys[k].name, (unsigned char)v[i]);
			return (-1);
		}
	}
	return (val_rule(k, v, len, cause));
}

/* Rules across fields, checked once the whole header is known. */
static int
meta_check(const struct spool_meta *m, char **cause)
{
	struct spool_rcpt	*r;
	size_t			 n = 0;
	int			 utf8;

	utf8 = envelope_needs_smtputf8(m->sender);
	TAILQ_FOREACH(r, &m->rcpts, entry) {
		n++;
		if (envelope_needs_smtputf8(r->addr))
			utf8 = 1;
	}
	if (n == 0 || n > SPOOL_RCPT_MAX) {
		xasprintf(cause, "%zu recipients (1 to %d allowed)", n,
		    SPOOL_RCPT_MAX);
		return (-1);
	}
	if (utf8 && !m->smtputf8) {
		xasprintf(cause, "non-ASCII address without smtputf8");
		return (-1);
	}
	if (m->is_bounce && *m->sender != '\0') {
		xasprintf(cause, "bounce with a non-null sender");
		return (-1);
	}
	return (0);
}

/* Prepare an empty metadata set. */
void
spool_meta_init(struct spool_meta *m)
{
	memset(m, 0, sizeof(*m));
	TAILQ_INIT(&m->rcpts);
}

/* Free what a metadata set holds and leave it empty. */
void
spool_meta_free(struct spool_meta *m)
{
	struct spool_rcpt	*r, *r1;

	TAILQ_FOREACH_SAFE(r, &m->rcpts, entry, r1) {
		TAILQ_REMOVE(&m->rcpts, r, entry);
		free(r->addr);
		free(r->reply);
		free(r);
	}
	free(m->sender);
	free(m->dsn_notify);
	free(m->dsn_ret);
	free(m->dsn_envid);
	spool_meta_init(m);
}

/* Append a recipient (validated later by spool_meta_validate). */
void
spool_meta_add_rcpt(struct spool_meta *m, const char *addr)
{
	struct spool_rcpt	*r;

	r = xcalloc(1, sizeof(*r));
	r->addr = xstrdup(addr);
	r->state = SPOOL_RCPT_PENDING;
	TAILQ_INSERT_TAIL(&m->rcpts, r, entry);
}

/* Check metadata against the rules the reader will apply. */
int
spool_meta_validate(const struct spool_meta *m, char **cause)
{
	struct spool_rcpt	*r;

	if (m->sender == NULL) {
		xasprintf(cause, "no sender");
		return (-1);
	}
	if (val_check(HK_SENDER, m->sender, strlen(m->sender), cause) == -1)
		return (-1);
	TAILQ_FOREACH(r, &m->rcpts, entry) {
		if (val_check(HK_RCPT, r->addr, strlen(r->addr), cause) == -1)
			return (-1);
	}
	if (m->dsn_notify != NULL && val_check(HK_NOTIFY, m->dsn_notify,
	    strlen(m->dsn_notify), cause) == -1)
		return (-1);
	if (m->dsn_ret != NULL && val_check(HK_RET, m->dsn_ret,
	    strlen(m->dsn_ret), cause) == -1)
		return (-1);
	if (m->dsn_envid != NULL && val_check(HK_ENVID, m->dsn_envid,
	    strlen(m->dsn_envid), cause) == -1)
		return (-1);
	return (meta_check(m, cause));
}

static int
hp_store(struct hparse *hp, enum hkey k, const char *v, size_t len)
{
	struct spool_meta	*m = hp->meta;

	switch (k) {
	case HK_ID:
		strlcpy(hp->id, v, sizeof(hp->id));
		break;
	case HK_CREATED:
		return (util_decimal(v, len, LLONG_MAX, &hp->created));
	case HK_UID:
		return (util_decimal(v, len, UINT32_MAX - 1, &hp->uid));
	case HK_SENDER:
		m->sender = xstrdup(v);
		break;
	case HK_RCPT:
		if (++hp->nrcpt > SPOOL_RCPT_MAX)
			return (-1);
		spool_meta_add_rcpt(m, v);
		break;
	case HK_BODY:
		m->body_8bit = (strcmp(v, "8bit") == 0);
		break;
	case HK_SMTPUTF8:
		m->smtputf8 = (v[0] == '1');
		break;
	case HK_BOUNCE:
		m->is_bounce = (v[0] == '1');
		break;
	case HK_NOTIFY:
		m->dsn_notify = xstrdup(v);
		break;
	case HK_RET:
		m->dsn_ret = xstrdup(v);
		break;
	case HK_ENVID:
		m->dsn_envid = xstrdup(v);
		break;
	case HK_MAX:
		return (-1);
	}
	return (0);
}

/* Parse one header line (without its LF). */
static int
hp_line(struct hparse *hp, const char *line, size_t len, char **cause)
{
	char		 buf[SPOOL_LINE_MAX + 1];
	const char	*sp, *v;
	size_t		 klen, vlen;
	int		 k;

	if (len > SPOOL_LINE_MAX || memchr(line, '\0', len) != NULL) {
		xasprintf(cause, "header line too long or with NUL");
		return (-1);
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((sp = memchr(buf, ' ', len)) != NULL) {
		klen = sp - buf;
		v = sp + 1;
		vlen = len - klen - 1;
	} else {
		klen = len;
		v = buf + len;
		vlen = 0;
	}
	for (k = 0; k < HK_MAX; k++) {
		if (strlen(hkeys[k].name) == klen &&
		    memcmp(hkeys[k].name, buf, klen) == 0 &&
		    (hp->entry || !hkeys[k].entry_only))
			break;
	}
	if (k == HK_MAX) {
		xasprintf(cause, "unknown header key");
		return (-1);
	}
	if (k != HK_RCPT && (hp->seen & (1U << k)) != 0) {
		xasprintf(cause, "%s: duplicate", hkeys[k].name);
		return (-1);
	}
	hp->seen |= 1U << k;
	/* "sender" alone is the null sender; "key " is never valid. */
	if ((sp != NULL && vlen == 0) || (sp == NULL && k != HK_SENDER)) {
		xasprintf(cause, "%s: missing value", hkeys[k].name);
		return (-1);
	}
	if (val_check(k, v, vlen, cause) == -1)
		return (-1);
	if (hp_store(hp, k, v, vlen) == -1) {
		xasprintf(cause, "%s: invalid value or too many",
		    hkeys[k].name);
		return (-1);
	}
	return (0);
}

static int
hp_finish(struct hparse *hp, char **cause)
{
	int	 k;

	for (k = 0; k < HK_MAX; k++) {
		if (hkeys[k].required && (hp->entry || !hkeys[k].entry_only) &&
		    (hp->seen & (1U << k)) == 0) {
			xasprintf(cause, "%s: missing", hkeys[k].name);
			return (-1);
		}
	}
	return (meta_check(hp->meta, cause));
}

static void
meta_format(struct sbuf *sb, const struct spool_meta *m)
{
	struct spool_rcpt	*r;

	if (*m->sender == '\0')
		sb_add(sb, "sender\n");
	else
		sb_add(sb, "sender %s\n", m->sender);
	TAILQ_FOREACH(r, &m->rcpts, entry)
		sb_add(sb, "rcpt %s\n", r->addr);
	sb_add(sb, "body %s\n", m->body_8bit ? "8bit" : "7bit");
	sb_add(sb, "smtputf8 %d\n", m->smtputf8 ? 1 : 0);
	sb_add(sb, "bounce %d\n", m->is_bounce ? 1 : 0);
	if (m->dsn_notify != NULL)
		sb_add(sb, "notify %s\n", m->dsn_notify);
	if (m->dsn_ret != NULL)
		sb_add(sb, "ret %s\n", m->dsn_ret);
	if (m->dsn_envid != NULL)
		sb_add(sb, "envid %s\n", m->dsn_envid);
}

/*
 * The header lines for m ("key value" LF each), as in a frame or an
 * entry file; malloc'ed, its length in *len.
 */
char *
spool_meta_text(const struct spool_meta *m, size_t *len)
{
	struct sbuf	 sb = { NULL, 0, 0 };

	meta_format(&sb, m);
	*len = sb.len;
	return (sb.s);
}

/* Whether cm->id is in use anywhere but our own tmp/ID. */
static int
id_taken(struct commit *cm)
{
	static const char *const dirs[] = { "msg", "state", "corrupt" };
	struct stat	 st;
	char		 path[64];
	size_t		 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], cm->id);
		if (fstatat(cm->dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		    errno != ENOENT)
			return (1);
	}
	return (0);
}

/* The queue directory's subdirectories (spool.h shows the layout). */
const char *const spool_subdirs[SPOOL_NSUBDIRS] = {
	"tmp", "msg", "state", "corrupt", "sessions"
};

/* Create tmp/ msg/ state/ corrupt/ under dir, where this process may. */
int
spool_mkdirs(const char *dir, char **cause)
{
	const char *const *sub = spool_subdirs;
	size_t	 i;
	int	 dfd;

	if (!privsep_may_create()) {
		xasprintf(cause, "%s: spool subdirectories missing (create "
		    "them as root)", dir);
		return (-1);
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	for (i = 0; i < SPOOL_NSUBDIRS; i++) {
		if (mkdirat(dfd, sub[i], 0770) == 0) {
			/* umask 027 would leave the group without write. */
			if (fchmodat(dfd, sub[i], 0770, 0) == -1)
				log_warn("%s/%s: chmod", dir, sub[i]);
		} else if (errno != EEXIST) {
			xasprintf(cause, "%s/%s: %s", dir, sub[i],
			    strerror(errno));
			close(dfd);
			return (-1);
		}
	}
	close(dfd);
	return (0);
}

static int
commit_dirs(const char *dir, struct commit *cm, enum spool_error *err,
    char **cause)
{
	int	 try;

	if ((cm->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	for (try = 0;; try++) {
		cm->tmpfd = openat(cm->dfd, "tmp", O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (cm->tmpfd != -1)
			cm->msgfd = openat(cm->dfd, "msg", O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cm->tmpfd != -1 && cm->msgfd != -1)
			return (0);
		if (errno != ENOENT || try > 0)
			goto fail;
		if (cm->tmpfd != -1)
			close(cm->tmpfd);
		cm->tmpfd = -1;
		if (spool_mkdirs(dir, cause) == -1) {
			*err = SPOOL_ERR_PERM;
			return (-1);
		}
	}
fail:
	*err = err_class(errno);
	xasprintf(cause, "%s: %s", dir, strerror(errno));
	return (-1);
}

static int
commit_begin(const char *dir, struct commit *cm, enum spool_error *err,
    char **cause)
{
	int	 try;

	if (commit_dirs(dir, cm, err, cause) == -1)
		return (-1);
	cm->created = time(NULL);
	for (try = 0; try < 100; try++) {
		id_make(cm->id);
		cm->fd = openat(cm->tmpfd, cm->id, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		if (cm->fd == -1) {
			if (errno == EEXIST)
				continue;
			*err = err_class(errno);
			xasprintf(cause, "%s/tmp: %s", dir, strerror(errno));
			return (-1);
		}
		cm->linked = 1;
		if (!id_taken(cm))
			return (0);
		close(cm->fd);
		cm->fd = -1;
		(void)unlinkat(cm->tmpfd, cm->id, 0);
		cm->linked = 0;
	}
	*err = SPOOL_ERR_IO;
	xasprintf(cause, "%s: no free queue id", dir);
	return (-1);
}

static int
commit_header(struct commit *cm, const struct spool_meta *m, uid_t uid,
    enum spool_error *err, char **cause)
{
	struct sbuf	 sb = { NULL, 0, 0 };
	int		 rv = 0;

	sb_add(&sb, "%s\nid %s\ncreated %lld\nuid %lu\n", SPOOL_MAGIC, cm->id,
	    (long long)cm->created, (unsigned long)uid);
	meta_format(&sb, m);
	sb_add(&sb, "\n");
	if (sb.len > SPOOL_HEADER_MAX) {
		*err = SPOOL_ERR_FRAME;
		xasprintf(cause, "entry header too long");
		rv = -1;
	} else if (util_write_all(cm->fd, sb.s, sb.len) == -1) {
		*err = err_class(errno);
		xasprintf(cause, "writing the queue file: %s", strerror(errno));
		rv = -1;
	}
	free(sb.s);
	return (rv);
}

static int
commit_end(struct commit *cm, enum spool_error *err, char **cause)
{
	const char	*what;
	int		 fd = cm->fd;

	cm->fd = -1;
	what = "fsync";
	if (fsync(fd) == -1) {
		close(fd);
		goto fail;
	}
	what = "close";
	if (close(fd) == -1)
		goto fail;
	what = "rename";
	if (id_taken(cm)) {
		errno = EEXIST;
		goto fail;
	}
	if (renameat(cm->tmpfd, cm->id, cm->msgfd, cm->id) == -1)
		goto fail;
	cm->linked = 0;
	/* Until the directory is synced the entry may vanish: undo it. */
	what = "fsync(msg)";
	if (fsync(cm->msgfd) == -1) {
		(void)unlinkat(cm->msgfd, cm->id, 0);
		goto fail;
	}
	return (0);
fail:
	*err = err_class(errno);
	xasprintf(cause, "committing the queue file: %s: %s", what,
	    strerror(errno));
	return (-1);
}

static void
commit_close(struct commit *cm)
{
	if (cm->fd != -1)
		close(cm->fd);
	if (cm->linked)
		(void)unlinkat(cm->tmpfd, cm->id, 0);
	if (cm->msgfd != -1)
		close(cm->msgfd);
	if (cm->tmpfd != -1)
		close(cm->tmpfd);
	if (cm->dfd != -1)
		close(cm->dfd);
	cm->fd = cm->msgfd = cm->tmpfd = cm->dfd = -1;
	cm->linked = 0;
}

/*
 * The envelope rules of the trusted configuration, which the front end
 * applies by construction: a frame is never a bounce (only
 * mailferry-send makes those, with spool_write_entry()), and under
 * rewrite_from = always its sender is the configured one.
 */
static int
frame_policy(const struct spool_meta *m, const struct spool_policy *pol,
    enum spool_error *err, char **cause)
{
	if (m->is_bounce) {
		*err = SPOOL_ERR_POLICY;
		xasprintf(cause, "bounce entries are not accepted from a "
		    "caller");
		return (-1);
	}
	if (pol->force_sender != NULL &&
	    strcmp(m->sender, pol->force_sender) != 0) {
		*err = SPOOL_ERR_POLICY;
		xasprintf(cause, "sender <%s> not permitted: the "
		    "configuration sends as <%s> (rewrite_from = always)",
		    m->sender, pol->force_sender);
		return (-1);
	}
	return (0);
}

/* A frame header line: parsed by the entry's key rules. */
static int
frame_line(void *arg, const char *line, size_t len, char **cause)
{
	return (hp_line(arg, line, len, cause));
}

/* Message bytes of the frame: checked by canon.c, written to the entry. */
static int
commit_data(void *arg, const void *buf, size_t len, enum spool_error *err,
    char **cause)
{
	struct commit_sink	*sink = arg;

	if (sink->cn != NULL && canon_feed(sink->cn, buf, len, cause) == -1) {
		*err = SPOOL_ERR_FORM;
		return (-1);
	}
	if (util_write_all(sink->cm->fd, buf, len) == -1) {
		*err = err_class(errno);
		xasprintf(cause, "writing the queue file: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Read a frame from in and commit it under dir as an entry of uid.
 * The envelope must pass pol (frame_policy()), the message must be at
 * most pol->max_size bytes and, unless pol->form is NULL, canonical
 * (canon.c) under pol->form, with body_7bit taken from the frame's
 * "body" key.
 * On success the id is in id_out (SPOOL_ID_LEN + 1 bytes) and the entry
 * is durable; on failure nothing is left behind and err says why.
 */
int
spool_commit_stream(const char *dir, int in, uid_t uid,
    const struct spool_policy *pol, char *id_out, enum spool_error *err,
    char **cause)
{
	struct spool_meta	 m;
	struct hparse		 hp;
	struct commit		 cm = { -1, -1, -1, -1, 0, "", 0 };
	struct commit_sink	 sink;
	struct frame_in		*fin;
	off_t			 max_size = pol->max_size;
	int			 rv = -1;

	*err = SPOOL_ERR_NONE;
	spool_meta_init(&m);
	memset(&hp, 0, sizeof(hp));
	hp.meta = &m;
	memset(&sink, 0, sizeof(sink));
	sink.cm = &cm;
	fin = frame_in_new(in);
	if (frame_read_header(fin, frame_line, &hp, err, cause) == -1)
		goto out;
	if (hp_finish(&hp, cause) == -1) {
		*err = SPOOL_ERR_FRAME;
		goto out;
	}
	if (frame_policy(&m, pol, err, cause) == -1)
		goto out;
	if (pol->form != NULL) {
		sink.form = *pol->form;
		sink.form.body_7bit = !m.body_8bit;
		if (sink.form.max_size > 0 && sink.form.max_size < max_size)
			max_size = sink.form.max_size;
		sink.cn = xmalloc(sizeof(*sink.cn));
		canon_init(sink.cn, &sink.form);
	}
	if (commit_begin(dir, &cm, err, cause) == -1 ||
	    commit_header(&cm, &m, uid, err, cause) == -1 ||
	    frame_read_body(fin, max_size, commit_data, &sink, err,
	    cause) == -1)
		goto out;
	if (sink.cn != NULL && canon_end(sink.cn, cause) == -1) {
		*err = SPOOL_ERR_FORM;
		goto out;
	}
	if (commit_end(&cm, err, cause) == -1)
		goto out;
	strlcpy(id_out, cm.id, SPOOL_ID_LEN + 1);
	rv = 0;
out:
	commit_close(&cm);
	free(sink.cn);
	frame_in_free(fin);
	spool_meta_free(&m);
	return (rv);
}

/*
 * Commit an entry for m whose message is read from msg_fd to its end
 * (mailferry-send queueing a bounce it made), owned by uid: the owner
 * of the entry it reports on, so that it is theirs to see or delete.
 */
int
spool_write_entry(const char *dir, const struct spool_meta *m, int msg_fd,
    uid_t uid, char *id_out, char **cause)
{
	struct commit		 cm = { -1, -1, -1, -1, 0, "", 0 };
	enum spool_error	 err;
	char			*buf;
	ssize_t			 n;
	off_t			 total = 0;
	int			 rv = -1;

	if (spool_meta_validate(m, cause) == -1)
		return (-1);
	buf = xmalloc(SPOOL_BUF_SIZE);
	if (commit_begin(dir, &cm, &err, cause) == -1 ||
	    commit_header(&cm, m, uid, &err, cause) == -1)
		goto out;
	for (;;) {
		if ((n = read(msg_fd, buf, SPOOL_BUF_SIZE)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "reading the message: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((total += n) > SPOOL_MSG_LIMIT) {
			xasprintf(cause, "message too large");
			goto out;
		}
		if (util_write_all(cm.fd, buf, n) == -1) {
			xasprintf(cause, "writing the queue file: %s",
			    strerror(errno));
			goto out;
		}
	}
	if (commit_end(&cm, &err, cause) == -1)
		goto out;
	strlcpy(id_out, cm.id, SPOOL_ID_LEN + 1);
	rv = 0;
out:
	commit_close(&cm);
	free(buf);
	return (rv);
}

/* Read and parse the entry header; SPOOL_CORRUPT or -1 on failure. */
static int
entry_header(struct spool_entry *e, off_t size, char **cause)
{
	struct hparse	 hp;
	char		*buf, *nl;
	size_t		 n, got = 0, pos, len;
	ssize_t		 r;
	int		 rv = SPOOL_CORRUPT;

	n = size > SPOOL_HEADER_MAX ? SPOOL_HEADER_MAX : (size_t)size;
	buf = xmalloc(n + 1);
	while (got < n) {
		r = pread(e->fd, buf + got, n - got, got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			xasprintf(cause, "reading: %s", r == 0 ?
			    "file shrank" : strerror(errno));
			rv = r == 0 ? SPOOL_CORRUPT : -1;
			goto out;
		}
		got += r;
	}
	memset(&hp, 0, sizeof(hp));
	hp.meta = &e->meta;
	hp.entry = 1;
	len = strlen(SPOOL_MAGIC);
	if (n <= len || memcmp(buf, SPOOL_MAGIC "\n", len + 1) != 0) {
		xasprintf(cause, "bad magic");
		goto out;
	}
	for (pos = len + 1;; pos += len + 1) {
		if ((nl = memchr(buf + pos, '\n', n - pos)) == NULL) {
			xasprintf(cause, "header unterminated or too long");
			goto out;
		}
		if ((len = nl - (buf + pos)) == 0)
			break;
		if (hp_line(&hp, buf + pos, len, cause) == -1)
			goto out;
	}
	if (hp_finish(&hp, cause) == -1)
		goto out;
	if (strcmp(hp.id, e->id) != 0) {
		xasprintf(cause, "id does not match the file name");
		goto out;
	}
	e->created = hp.created;
	e->uid = hp.uid;
	e->msg_offset = pos + 1;
	e->msg_size = size - e->msg_offset;
	rv = SPOOL_OK;
out:
	free(buf);
	return (rv);
}

/*
 * Open entry id under dir for reading, take flock(lockflags) when not
 * zero, and parse its header and state.  Returns SPOOL_OK, SPOOL_LOCKED,
 * SPOOL_GONE, SPOOL_CORRUPT (cause set: quarantine it) or -1 (cause
 * set: temporary).  Anything but SPOOL_OK leaves e closed.
 */
int
spool_open(const char *dir, const char *id, int lockflags,
    struct spool_entry *e, char **cause)
{
	return (spool_open_owned(dir, id, lockflags, SPOOL_ANY_OWNER, e,
	    cause));
}

/*
 * spool_open() for the entries of one owner: an entry of another uid
 * is SPOOL_NOT_MINE and is never locked, so a run of one user can never
 * hold another user's mail (the header, written once, is read first).
 */
int
spool_open_owned(const char *dir, const char *id, int lockflags,
    uid_t owner, struct spool_entry *e, char **cause)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	int		 rv = -1;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	spool_meta_init(&e->meta);
	if (!spool_id_valid(id)) {
		xasprintf(cause, "invalid queue id");
		return (-1);
	}
	strlcpy(e->id, id, sizeof(e->id));
	if ((size_t)snprintf(path, sizeof(path), "%s/msg/%s", dir, id) >=
	    sizeof(path)) {
		xasprintf(cause, "%s: path too long", dir);
		return (-1);
	}
	e->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (e->fd == -1) {
		if (errno == ENOENT)
			return (SPOOL_GONE);
		if (errno == ELOOP || errno == EMLINK || errno == ENXIO)
			rv = SPOOL_CORRUPT;
		xasprintf(cause, "%s: %s", id, strerror(errno));
		return (rv);
	}
	if ((rv = entry_check(e, &st, cause)) != SPOOL_OK ||
	    (rv = entry_header(e, st.st_size, cause)) != SPOOL_OK)
		goto fail;
	if (owner != SPOOL_ANY_OWNER && e->uid != owner) {
		rv = SPOOL_NOT_MINE;
		goto fail;
	}
	rv = -1;
	if (lockflags != 0 && flock(e->fd, lockflags) == -1) {
		rv = (errno == EWOULDBLOCK) ? SPOOL_LOCKED : -1;
		if (rv == -1)
			xasprintf(cause, "%s: flock: %s", id, strerror(errno));
		goto fail;
	}
	/* Checked after the lock: a runner may have removed it meanwhile. */
	if (fstat(e->fd, &st) == -1) {
		xasprintf(cause, "%s: fstat: %s", id, strerror(errno));
		goto fail;
	}
	if (st.st_nlink == 0) {
		rv = SPOOL_GONE;
		goto fail;
	}
	if ((rv = spool_state_load(dir, e, cause)) != SPOOL_OK)
		goto fail;
	return (SPOOL_OK);
fail:
	spool_close(e);
	return (rv);
}

/* The entry file must be a plain, private, single-linked file. */
static int
entry_check(struct spool_entry *e, struct stat *st, char **cause)
{
	if (fstat(e->fd, st) == -1) {
		xasprintf(cause, "%s: fstat: %s", e->id, strerror(errno));
		return (-1);
	}
	if (st->st_nlink == 0)
		return (SPOOL_GONE);
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    (st->st_mode & S_IWOTH) != 0 ||
	    st->st_size > SPOOL_HEADER_MAX + SPOOL_MSG_LIMIT) {
		xasprintf(cause, "%s: not a plain file, linked, writable by "
		    "others or too large", e->id);
		return (SPOOL_CORRUPT);
	}
	return (SPOOL_OK);
}

/* Release an entry: close (unlock) the file and free its contents. */
void
spool_close(struct spool_entry *e)
{
	if (e->fd != -1)
		close(e->fd);
	e->fd = -1;
	spool_meta_free(&e->meta);
	free(e->last_error);
	e->last_error = NULL;
}
