/*
 * hostlist.h: the [smarthost] host list, "a.example, b.example:2525"
 * (format in hostlist.c).
 */
#ifndef HOSTLIST_H
#define HOSTLIST_H

#include <stddef.h>

#define HOSTLIST_MAX	8	/* servers tried in one attempt */

struct hostlist_entry {
	char		 name[256];	/* name or IP literal, no brackets */
	unsigned int	 port;
};

struct hostlist {
	struct hostlist_entry	 e[HOSTLIST_MAX];
	size_t			 n;
};

int	 hostlist_parse(const char *, unsigned int, struct hostlist *,
	    char **);
void	 hostlist_format(const struct hostlist *, char *, size_t);

#endif /* HOSTLIST_H */
