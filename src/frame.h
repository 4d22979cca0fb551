/*
 * frame.h: the frame protocol, mailferry -> mailferry-queue on a pipe.
 * The format is specified at the top of frame.c; the header keys are
 * the spool's (spool.c).
 */
#ifndef FRAME_H
#define FRAME_H

#include <sys/types.h>

#include "spool.h"

#define FRAME_CHUNK_MAX		(1024 * 1024)	/* one chunk */

struct frame_in;

/* Called for each header line (without LF), then for each body piece. */
typedef int	(*frame_line_fn)(void *, const char *, size_t, char **);
typedef int	(*frame_data_fn)(void *, const void *, size_t,
		    enum spool_error *, char **);

int	 frame_write_header(int, const struct spool_meta *, char **);
int	 frame_write_chunk(int, const void *, size_t, char **);
int	 frame_write_end(int, char **);

struct frame_in *frame_in_new(int);
void	 frame_in_free(struct frame_in *);
int	 frame_read_header(struct frame_in *, frame_line_fn, void *,
	    enum spool_error *, char **);
int	 frame_read_body(struct frame_in *, off_t, frame_data_fn, void *,
	    enum spool_error *, char **);

#endif /* FRAME_H */
