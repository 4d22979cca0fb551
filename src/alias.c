/*
 * alias.c: where local recipients go.
 *
 * Cron, mdadm, sudo, fail2ban and friends mail `root`, `root@localhost`
 * or a bare user name.  Such a local address (no domain, @localhost, or
 * @ one of this host's names) is looked up by its local part in
 * [aliases], `*` being the catch-all; an alias may name further local
 * addresses (up to ALIAS_DEPTH_MAX deep, which also stops loops).  A
 * local address with no alias is qualified with the configured domain.
 * Every other address passes unchanged.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "alias.h"
#include "conf.h"

/* Expand one address into out; depth counts alias hops. */
int
alias_expand_one(const struct conf *conf, const char *const *local_names,
    const char *a, struct addr_list *out, int depth, char **cause)
{
	struct addr_list	 targets;
	const char		*target;
	char			*lp, *q;
	size_t			 i;
	int			 r = 0;

	if (!addr_is_local(a, local_names)) {
		addr_list_add(out, a);
		return (0);
	}
	lp = addr_localpart(a);
	target = conf_alias_lookup(conf, lp);
	if (target == NULL || depth >= ALIAS_DEPTH_MAX) {
		if (target != NULL)
			log_warnx("alias %s: more than %d levels, qualified",
			    lp, ALIAS_DEPTH_MAX);
		q = addr_qualify(lp, conf->domain);
		addr_list_add(out, q);
		free(q);
		free(lp);
		return (0);
	}
	addr_list_init(&targets);
	if (addr_parse_list(target, strlen(target), ADDR_MODE_ARGV, &targets,
	    cause) == -1) {
		free(lp);
		addr_list_free(&targets);
		return (-1);
	}
	for (i = 0; i < targets.n && r == 0; i++) {
		/* "root = root@example.com" style self-references end here. */
		if (addr_cmp(targets.v[i], lp) == 0) {
			q = addr_qualify(lp, conf->domain);
			addr_list_add(out, q);
			free(q);
			continue;
		}
		r = alias_expand_one(conf, local_names, targets.v[i], out,
		    depth + 1, cause);
	}
	free(lp);
	addr_list_free(&targets);
	return (r);
}

/* Expand every address of in into out (de-duplicated, in order). */
int
alias_expand(const struct conf *conf, const char *const *local_names,
    const struct addr_list *in, struct addr_list *out, char **cause)
{
	size_t	 i;

	for (i = 0; i < in->n; i++)
		if (alias_expand_one(conf, local_names, in->v[i], out, 0,
		    cause) == -1)
			return (-1);
	return (0);
}
