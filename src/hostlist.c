/*
 * hostlist.c: the [smarthost] host list.
 *
 * Format: one or more entries separated by commas and/or white space,
 * tried in the order written.  An entry is
 *
 *	name			host name or IPv4 literal, the common port
 *	name:port		with its own port (1-65535)
 *	v6addr			bare IPv6 literal (more than one colon), common port
 *	[v6addr]:port		IPv6 literal with its own port
 *
 * At most HOSTLIST_MAX entries.  Names are checked by the caller's
 * rule (conf.c's host name or IP rule); this file only splits.
 * Every server in the list is verified against its own name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "hostlist.h"

static int	hostlist_one(const char *, size_t, unsigned int,
		    struct hostlist_entry *);

/* Split one entry of len bytes at s; 0 or -1 if malformed. */
static int
hostlist_one(const char *s, size_t len, unsigned int defport,
    struct hostlist_entry *e)
{
	const char	*colon, *end = s + len, *errstr;
	char		 port[8];
	size_t		 nlen, plen;

	e->port = defport;
	colon = memchr(s, ':', len);
	if (s[0] == '[') {
		/* [v6]:port, or [v6] alone */
		if ((colon = memchr(s, ']', len)) == NULL)
			return (-1);
		nlen = (size_t)(colon - s - 1);
		s++;
		/* Brackets are for IPv6 only: "[192.0.2.1]" is refused. */
		if (memchr(s, ':', nlen) == NULL)
			return (-1);
		colon++;
		if (colon < end && *colon != ':')
			return (-1);
		if (colon == end)
			colon = NULL;
	} else if (colon != NULL &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
		nlen = len;	/* bare IPv6 literal */
		colon = NULL;
	} else
		nlen = colon != NULL ? (size_t)(colon - s) : len;
	if (nlen == 0 || nlen >= sizeof(e->name))
		return (-1);
	memcpy(e->name, s, nlen);
	e->name[nlen] = '\0';
	if (colon == NULL)
		return (0);
	plen = (size_t)(end - colon - 1);
	if (plen == 0 || plen >= sizeof(port))
		return (-1);
	memcpy(port, colon + 1, plen);
	port[plen] = '\0';
	e->port = (unsigned int)strtonum(port, 1, 65535, &errstr);
	return (errstr == NULL ? 0 : -1);
}

/*
 * Split list into l (entries with no port of their own get defport).
 * Returns 0, or -1 with a cause naming the bad entry (never a value
 * longer than the entry itself).
 */
int
hostlist_parse(const char *list, unsigned int defport, struct hostlist *l,
    char **cause)
{
	const char	*s = list;
	size_t		 len;

	memset(l, 0, sizeof(*l));
	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		if (l->n == HOSTLIST_MAX) {
			xasprintf(cause, "more than %d hosts", HOSTLIST_MAX);
			return (-1);
		}
		if (hostlist_one(s, len, defport, &l->e[l->n]) == -1) {
			xasprintf(cause, "malformed host entry %.*s",
			    (int)(len > 64 ? 64 : len), s);
			return (-1);
		}
		l->n++;
		s += len;
	}
	if (l->n == 0) {
		xasprintf(cause, "no host");
		return (-1);
	}
	return (0);
}

/*
 * The list as "name:port,name:port" ("[v6]:port"), for a log record
 * when no server answered; cut short if buf is too small.
 */
void
hostlist_format(const struct hostlist *l, char *buf, size_t size)
{
	char	 one[sizeof(l->e[0].name) + 16];
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		snprintf(one, sizeof(one), "%s%s%s%s:%u", i > 0 ? "," : "",
		    strchr(l->e[i].name, ':') != NULL ? "[" : "",
		    l->e[i].name, strchr(l->e[i].name, ':') != NULL ? "]" : "",
		    l->e[i].port);
		if (strlcat(buf, one, size) >= size)
			break;
	}
}
