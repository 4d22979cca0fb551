/*
 * dsn.h: delivery status notifications (RFC 3464) for queued mail.
 */
#ifndef DSN_H
#define DSN_H

#include <stdio.h>

#include "addr.h"
#include "conf.h"
#include "spool.h"

#define DSN_HEADERS_MAX	(64 * 1024)	/* original headers attached */

enum dsn_kind {
	DSN_FAILED,	/* refused for good by the smarthost (5xx) */
	DSN_EXPIRED,	/* max_age is over: given up */
	DSN_DELAYED	/* delay warning: still trying */
};

/*
 * sel: per recipient (in the entry's order) whether it is reported;
 * NULL reports the failed recipients (DSN_FAILED, DSN_EXPIRED) or the
 * pending ones (DSN_DELAYED).
 */
int	dsn_queue(const struct conf *, const struct spool_entry *,
	    enum dsn_kind, const unsigned char *, char **);
int	dsn_write(FILE *, const struct conf *, const struct spool_entry *,
	    enum dsn_kind, const unsigned char *, const struct addr_list *);
int	dsn_recipients(const struct conf *, const char *, struct addr_list *,
	    char **);
int	dsn_wanted(const struct spool_entry *, enum dsn_kind);
void	dsn_status(const char *, enum dsn_kind, char *, size_t);

#endif /* DSN_H */
