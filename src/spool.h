/*
 * spool.h: the on-disk queue.  The format is specified at the top of
 * spool.c; this is the interface the three programs share.
 *
 * Layout under the queue directory (root:mailferry 0770):
 *   tmp/     entries being written (removed after a day by the runner)
 *   msg/ID   committed entries: header + message, written once (0640)
 *   state/ID delivery state, rewritten atomically by mailferry-send
 *   corrupt/ entries the reader refused, kept for the admin
 *   sessions/ smarthost session slots and sent-message tokens (limit.c)
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <time.h>

#define SPOOL_ID_LEN		16	/* [0-9A-Z], time-sortable */
#define SPOOL_RCPT_MAX		1000	/* recipients per entry */
#define SPOOL_HEADER_MAX	(SPOOL_RCPT_MAX * (SMTP_PATH_MAX + 16) + 4096)
#define SPOOL_REPLY_MAX		512	/* stored (escaped) server reply */
#define SPOOL_LINE_MAX		512	/* one header line, without LF */
#define SPOOL_MSG_DEFAULT	((off_t)35 * 1024 * 1024) /* no -s given */
#define SPOOL_MSG_LIMIT		((off_t)1024 * 1024 * 1024) /* -s cap */
/*
 * mailferry-queue accepts max_size plus this: the front end applies
 * max_size to its input, and the headers it adds make the entry longer.
 */
#define SPOOL_SIZE_SLACK	((off_t)64 * 1024)
#define SPOOL_STATE_MAX		(SPOOL_RCPT_MAX * (SPOOL_REPLY_MAX + 32) + 4096)
#define SPOOL_NSUBDIRS		5	/* spool_subdirs[] */
#define SPOOL_TMP_MAX_AGE	(24 * 60 * 60)	/* stale tmp/ files */

/* spool_open() results; -1 is a temporary failure (retry later). */
#define SPOOL_OK		0
#define SPOOL_LOCKED		1	/* another process delivers it: skip */
#define SPOOL_GONE		2	/* removed meanwhile: skip */
#define SPOOL_CORRUPT		3	/* hostile or damaged: quarantine */
#define SPOOL_NOT_MINE		4	/* another user's entry: not locked */

#define SPOOL_ANY_OWNER		((uid_t)-1)	/* spool_open_owned(): all */

/* Why spool_commit_stream() refused; main maps it to an exit code. */
enum spool_error {
	SPOOL_ERR_NONE = 0,
	SPOOL_ERR_FRAME,	/* malformed frame: permanent (EX_DATAERR) */
	SPOOL_ERR_SIZE,		/* over the size limit: permanent (EX_DATAERR) */
	SPOOL_ERR_TRUNC,	/* stream ended early: temporary (EX_TEMPFAIL) */
	SPOOL_ERR_IO,		/* write, fsync, rename: temporary (EX_TEMPFAIL) */
	SPOOL_ERR_PERM,		/* EACCES/EPERM on the spool (EX_NOPERM) */
	SPOOL_ERR_FORM,		/* message not canonical: permanent (EX_DATAERR) */
	SPOOL_ERR_POLICY	/* envelope refused by policy (EX_NOPERM) */
};

struct canon_policy;

/* What mailferry-queue enforces, from the trusted configuration. */
struct spool_policy {
	off_t		 max_size;	/* message bytes, at most */
	const char	*force_sender;	/* the only envelope sender, or NULL */
	const struct canon_policy *form; /* canon.c rules; NULL: unchecked */
};

enum spool_rcpt_state {
	SPOOL_RCPT_PENDING,
	SPOOL_RCPT_SENT,
	SPOOL_RCPT_FAILED,	/* permanent refusal, reported or bounced */
	SPOOL_RCPT_BOUNCING	/* permanent refusal, bounce not yet queued */
};

struct spool_rcpt {
	char			*addr;
	enum spool_rcpt_state	 state;
	char			*reply;		/* last reply, escaped; or NULL */
	TAILQ_ENTRY(spool_rcpt)	 entry;
};
TAILQ_HEAD(spool_rcpts, spool_rcpt);

/* What the front end says about a message (the framed header). */
struct spool_meta {
	char		*sender;	/* "" is the null sender <> */
	struct spool_rcpts rcpts;
	int		 body_8bit;	/* BODY=8BITMIME wanted */
	int		 smtputf8;	/* SMTPUTF8 wanted */
	char		*dsn_notify;	/* -N, or NULL */
	char		*dsn_ret;	/* -R FULL|HDRS, or NULL */
	char		*dsn_envid;	/* -V, or NULL */
	int		 is_bounce;	/* a DSN we made: never bounce it */
};

/* A committed entry as mailferry-send sees it. */
struct spool_entry {
	char		 id[SPOOL_ID_LEN + 1];
	time_t		 created;
	uid_t		 uid;
	struct spool_meta meta;
	int		 fd;		/* open, locked (flock LOCK_EX) */
	off_t		 msg_offset;	/* message bytes start here */
	off_t		 msg_size;
	/* state/ID */
	unsigned int	 attempts;
	time_t		 last_attempt;
	time_t		 next_attempt;
	int		 warned;	/* delay warning sent */
	time_t		 age;		/* time queued, immune to clock jumps */
	char		*last_error;	/* escaped, or NULL */
};

extern const char *const spool_subdirs[SPOOL_NSUBDIRS];

/* spool.c: identifiers and metadata. */
int	 spool_id_valid(const char *);
void	 spool_meta_init(struct spool_meta *);
void	 spool_meta_free(struct spool_meta *);
void	 spool_meta_add_rcpt(struct spool_meta *, const char *);
int	 spool_meta_validate(const struct spool_meta *, char **);
char	*spool_meta_text(const struct spool_meta *, size_t *);

/* spool.c: committing entries (mailferry-queue, bounces). */
int	 spool_commit_stream(const char *, int, uid_t,
	    const struct spool_policy *, char *, enum spool_error *, char **);
int	 spool_write_entry(const char *, const struct spool_meta *, int,
	    uid_t, char *, char **);
int	 spool_mkdirs(const char *, char **);

/* spool.c: the untrusted reader (mailferry-send, mailq). */
int	 spool_open(const char *, const char *, int, struct spool_entry *,
	    char **);
int	 spool_open_owned(const char *, const char *, int, uid_t,
	    struct spool_entry *, char **);
void	 spool_close(struct spool_entry *);

/* spool_state.c: delivery state and queue maintenance. */
const char *spool_rcpt_state_name(enum spool_rcpt_state);
int	 spool_state_load(const char *, struct spool_entry *, char **);
int	 spool_state_write(const char *, const struct spool_entry *, char **);
#define SPOOL_WINDOW	16384	/* ids listed at a time (runq, mailq) */
int	 spool_list_oldest(const char *, size_t, int (*)(void *, const char *),
	    void *, char *, char ***, size_t *, char **);
void	 spool_list_free(char **, size_t);
int	 spool_remove(const char *, const struct spool_entry *, char **);
int	 spool_unlink_msg(const char *, const char *, char **);
int	 spool_sync_removed(const char *, char *const *, size_t, char **);
int	 spool_quarantine(const char *, const char *, char **);
int	 spool_clean_tmp(const char *, time_t, char **);

#endif /* SPOOL_H */
