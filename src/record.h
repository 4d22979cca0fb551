/*
 * record.h: the log record of one delivery attempt (record.c).
 */
#ifndef RECORD_H
#define RECORD_H

#include <time.h>

struct runq_outcome;

char	*record_render(const struct runq_outcome *, int, time_t);

#endif /* RECORD_H */
