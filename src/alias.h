/*
 * alias.h: local recipients through [aliases]; qualification.
 */
#ifndef ALIAS_H
#define ALIAS_H

#include "addr.h"
#include "conf.h"

#define ALIAS_DEPTH_MAX	8	/* an alias may name another, this deep */

int	alias_expand(const struct conf *, const char *const *,
	    const struct addr_list *, struct addr_list *, char **);
int	alias_expand_one(const struct conf *, const char *const *,
	    const char *, struct addr_list *, int, char **);

#endif /* ALIAS_H */
