/*
 * addr.h: RFC 5322 addresses: address-list parsing (headers and argv),
 * qualification and locality tests (envelope rules: envelope.h).
 *
 * Addresses are plain strings "local@domain" (or a bare "local"),
 * without display names, comments or angle brackets.  A local part
 * that is not a dot-atom is kept quoted ("a b"@x); bytes >= 0x80
 * (RFC 6532 UTF-8) are kept as they are.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

/* At most this many addresses from one parse (de-duplication is O(n^2)). */
#define ADDR_LIST_MAX	2000

/* A de-duplicated, ordered list of addresses. */
struct addr_list {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

/* How addr_parse_list() separates addresses. */
enum addr_mode {
	ADDR_MODE_HEADER,	/* RFC 5322 address-list (To, Cc, From...) */
	ADDR_MODE_ARGV		/* the same, but white space also separates */
};

void	 addr_list_init(struct addr_list *);
int	 addr_list_add(struct addr_list *, const char *);
int	 addr_list_contains(const struct addr_list *, const char *);
void	 addr_list_copy(struct addr_list *, const struct addr_list *);
void	 addr_list_free(struct addr_list *);

int	 addr_parse_list(const char *, size_t, enum addr_mode,
	    struct addr_list *, char **);
int	 addr_qualify_list(const char *, size_t, const char *, char **,
	    char **);
int	 addr_parse_sender(const char *, char **, char **);
int	 addr_cmp(const char *, const char *);
char	*addr_qualify(const char *, const char *);
char	*addr_localpart(const char *);
const char *addr_domain(const char *);
int	 addr_is_local(const char *, const char *const *);

#endif /* ADDR_H */
