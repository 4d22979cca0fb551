/*
 * mailq.h: the queue listing (mailq, sendmail -bp) and admin actions.
 */
#ifndef MAILQ_H
#define MAILQ_H

#include <stdio.h>

#include "conf.h"
#include "spool.h"

int	mailq_scan(const struct conf *, size_t,
	    void (*)(const struct spool_entry *, void *), void *, char **);
int	mailq_list(const struct conf *, FILE *);
int	mailq_list_json(const struct conf *, FILE *);
int	mailq_delete(const struct conf *, const char *, uid_t, char **);

#endif /* MAILQ_H */
