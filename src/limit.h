/*
 * limit.h: [smarthost] max_sessions and max_rate, shared by every run
 * on one spool (limit.c documents the files).
 */
#ifndef LIMIT_H
#define LIMIT_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "conf.h"

#define LIMIT_BUSY	1	/* limit_session_take(): every slot held */

int	limit_session_take(const struct conf *, int, int *, char **);
void	limit_session_release(int *);
void	limit_run_mark(const struct conf *, uid_t, int *);
int	limit_run_active(const struct conf *, int, uid_t);
size_t	limit_rate_take(const struct conf *, size_t, time_t, char **);

#endif /* LIMIT_H */
