/*
 * canon.h: a streaming check that a message is in the canonical form
 * the front end produces (rules at the top of canon.c).  Pure: no I/O,
 * no allocation kept between calls, any chunk split gives the same
 * verdict.
 */
#ifndef CANON_H
#define CANON_H

#include <sys/types.h>

#include <stddef.h>

#define CANON_FROM_MAX	8192	/* unfolded From value checked */
#define CANON_NAME_MAX	16	/* field name bytes compared */

/* What the message must satisfy besides the form itself. */
struct canon_policy {
	off_t		 max_size;	/* bytes; 0 or less: no limit */
	const char	*force_from;	/* the only From address, or NULL */
	int		 body_7bit;	/* no byte >= 0x80 anywhere */
};

/* The checker's state: treat as opaque, use the functions below. */
struct canon {
	struct canon_policy	 pol;
	off_t			 size;
	unsigned long long	 line;		/* 1-based */
	size_t			 col;		/* octets of the line so far */
	int			 cr;		/* last byte was CR */
	int			 body;		/* past the header section */
	int			 ls;		/* header line state */
	int			 field;		/* a field seen: may continue */
	int			 in_from;	/* current field is From */
	int			 nfrom;
	int			 failed;
	size_t			 namelen;
	char			 name[CANON_NAME_MAX];
	size_t			 fromlen;
	char			 from[CANON_FROM_MAX];
};

void	canon_init(struct canon *, const struct canon_policy *);
int	canon_feed(struct canon *, const void *, size_t, char **);
int	canon_end(struct canon *, char **);

#endif /* CANON_H */
