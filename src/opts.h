/*
 * opts.h: the sendmail 8 command line.
 */
#ifndef OPTS_H
#define OPTS_H

#include <time.h>

#include "addr.h"

/* What the invocation asks for. */
enum opts_mode {
	OPTS_MODE_DELIVER,	/* -bm, the default: read a message */
	OPTS_MODE_SMTP,		/* -bs: SMTP dialogue on stdin/stdout */
	OPTS_MODE_PRINTQ,	/* -bp, mailq */
	OPTS_MODE_NEWALIASES,	/* -bi, -I, newaliases */
	OPTS_MODE_VERIFY,	/* -bv: show where the recipients go */
	OPTS_MODE_RUNQ		/* -q[...] */
};

/* -od<x> (or -O DeliveryMode=<x>). */
enum opts_delivery {
	OPTS_DELIVERY_DEFAULT,	/* the configuration decides */
	OPTS_DELIVERY_BACKGROUND,	/* -odb, -odd */
	OPTS_DELIVERY_FOREGROUND,	/* -odi, -odf */
	OPTS_DELIVERY_QUEUE	/* -odq */
};

/* -B. */
enum opts_body {
	OPTS_BODY_DEFAULT,
	OPTS_BODY_7BIT,
	OPTS_BODY_8BITMIME
};

/* -qI, -qR, -qS: which queue entries a run takes. */
enum opts_qfilter {
	OPTS_QFILTER_NONE,
	OPTS_QFILTER_ID,	/* -qI<substr>: entries whose ID contains it */
	OPTS_QFILTER_RCPT,	/* -qR<substr>: a recipient contains it */
	OPTS_QFILTER_SENDER	/* -qS<substr>: the sender contains it */
};

struct opts {
	enum opts_mode		 mode;
	int			 extract;	/* -t */
	int			 ignore_dots;	/* -i, -oi, -O IgnoreDots */
	int			 verbose;	/* -v, counted */
	enum opts_delivery	 delivery;
	enum opts_body		 body;
	char			*sender;	/* -f/-r parsed: "" = <>, NULL = none */
	char			*fullname;	/* -F, raw, or NULL */
	char			*dsn_notify;	/* -N, "NEVER" or "SUCCESS,..." */
	char			*dsn_ret;	/* -R, "FULL" or "HDRS" */
	char			*dsn_envid;	/* -V, printable ASCII, not xtext-encoded */
	char			*config;	/* -C: recorded, the caller decides */
	time_t			 queue_interval;	/* -q<time>; 0: run once */
	enum opts_qfilter	 qfilter;
	int			 qfilter_negate;	/* -qI!x */
	char			*qfilter_str;
	struct addr_list	 rcpts;		/* argv, parsed, de-duplicated */
};

/* opts_parse() return values besides 0. */
#define OPTS_ERR_USAGE		-1	/* EX_USAGE, with opts_usage() */
#define OPTS_ERR_DATA		-2	/* bad address: EX_DATAERR */

int		 opts_parse(int, char *const *, struct opts *, char **);
void		 opts_free(struct opts *);
const char	*opts_usage(void);
int		 opts_parse_interval(const char *, time_t *);

#endif /* OPTS_H */
