/*
 * deliver.h: one submission from the front end (pipe mode or -bs):
 * envelope sender policy, recipient resolution, the frame to
 * mailferry-queue, and the start of delivery.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include "addr.h"
#include "conf.h"
#include "msg.h"
#include "spool.h"
#include "submit.h"

struct deliver {
	const struct conf	*conf;
	const char		*conf_arg;	/* -C for the helpers, or NULL */
	const char *const	*local_names;
	char			*sender;	/* envelope; "" = <> */
	struct spool_meta	 meta;
	struct submit		 sub;
	int			 opened;	/* mailferry-queue is running */
	int			 status;	/* sysexits of a failed step */
	char			 id[SPOOL_ID_LEN + 1];
};

const char *const *deliver_local_names(void);
int	deliver_init(struct deliver *, const struct conf *, const char *,
	    const char *, char **);
int	deliver_recipients(struct deliver *, const struct addr_list *,
	    char **);
int	deliver_open(struct deliver *, char **);
void	deliver_sink(struct deliver *, struct msg_sink *);
int	deliver_commit(struct deliver *, char **);
void	deliver_abort(struct deliver *);
void	deliver_free(struct deliver *);
char	*deliver_default_sender(const struct conf *);

#endif /* DELIVER_H */
