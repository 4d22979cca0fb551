/*
 * msg.h: reading and canonicalising a submitted message (pipe mode,
 * and DATA of the -bs dialogue fed through msg_feed()).
 */
#ifndef MSG_H
#define MSG_H

#include <sys/types.h>

#include <time.h>

#include "addr.h"

#define MSG_HEADER_MAX	(1024 * 1024)	/* all header fields together */
#define MSG_BODY_MEM	(256 * 1024)	/* body kept in memory, then a tmpfile */

/* Where the finished message goes: header block, empty line, body. */
struct msg_sink {
	/* Return 0, or -1 with *cause set; the reader then stops. */
	int	(*write)(void *, const char *, size_t, char **);
	/*
	 * Optional: called once with the final recipients, before the
	 * first write (pipe mode opens the spool only then).
	 */
	int	(*begin)(void *, const struct addr_list *, char **);
	void	*arg;
};

/* What main decided (from opts and the configuration). */
struct msg_policy {
	int			 ignore_dots;	/* -i: a lone "." is data */
	int			 extract;	/* -t */
	off_t			 max_size;	/* input bytes; 0 = no limit */
	const char		*domain;	/* qualification, Message-ID */
	const char		*sender;	/* envelope sender for an added
						   From; "" or NULL: MAILER-DAEMON */
	const char		*fullname;	/* -F, or NULL */
	const char		*force_from;	/* rewrite_from=always, or NULL */
	const struct addr_list	*rcpts;		/* argv recipients, or NULL */
	time_t			 now;		/* 0: time(NULL) */
	const char		*message_id;	/* NULL: generate (tests) */
};

/* What the reader found. */
struct msg {
	struct addr_list	 rcpts;		/* argv, plus headers with -t */
	int			 body_8bit;	/* 8-bit byte in the body sent */
	int			 header_8bit;	/* 8-bit byte in a header field */
	int			 qp_encoded;	/* long lines: body made QP */
	int			 lines_broken;	/* long lines: hard-wrapped */
	int			 dot_end;	/* a lone "." ended the input */
	off_t			 size;		/* bytes given to the sink */
};

/* Return values besides 0. */
#define MSG_ERR_DATA	-1	/* NUL, too big, bad -t header: EX_DATAERR */
#define MSG_ERR_INPUT	-2	/* read error: EX_NOINPUT */
#define MSG_ERR_SINK	-3	/* the sink failed: its cause */
#define MSG_ERR_TEMP	-4	/* no temporary file: EX_TEMPFAIL */

struct msg_reader;

struct msg_reader *msg_reader_new(const struct msg_policy *,
		    const struct msg_sink *);
int		 msg_feed(struct msg_reader *, const char *, size_t, char **);
int		 msg_finish(struct msg_reader *, struct msg *, char **);
void		 msg_reader_free(struct msg_reader *);
int		 msg_read(int, const struct msg_policy *,
		    const struct msg_sink *, struct msg *, char **);
void		 msg_free(struct msg *);
char		*msg_format_from(const char *, const char *);
char		*msg_format_date(time_t);

#endif /* MSG_H */
