/*
 * libFuzzer target for addr.c: address lists in both modes, -f forms,
 * envelope validation and From qualification, on arbitrary bytes.
 * Property: what the parser produces and envelope.c accepts (after
 * qualification, as deliver.c does) passes the spool's metadata rules
 * as sender and as recipient: the door never takes what the spool
 * would refuse.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "envelope.h"
#include "spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort if addr passes envelope.c but not spool_meta_validate(). */
static void
door_to_spool(const char *addr)
{
	struct spool_meta	 m;
	const char		*why;
	char			*q, *cause = NULL;

	q = strchr(addr, '@') == NULL ? addr_qualify(addr, "example.com") :
	    xstrdup(addr);
	if (envelope_valid_address(q, 0, &why) == 0) {
		spool_meta_init(&m);
		m.sender = xstrdup(q);
		spool_meta_add_rcpt(&m, q);
		m.smtputf8 = envelope_needs_smtputf8(q);
		if (spool_meta_validate(&m, &cause) == -1)
			abort();
		spool_meta_free(&m);
	}
	free(cause);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list	 l;
	const char		*why;
	char			*s, *out, *cause;
	size_t			 i;

	s = malloc(size + 1);
	if (s == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';

	addr_list_init(&l);
	cause = NULL;
	(void)addr_parse_list(s, size, ADDR_MODE_HEADER, &l, &cause);
	free(cause);
	cause = NULL;
	(void)addr_parse_list(s, size, ADDR_MODE_ARGV, &l, &cause);
	free(cause);
	for (i = 0; i < l.n; i++) {
		cause = NULL;
		/* Every address we produce is free of CR, LF and NUL. */
		if (strpbrk(l.v[i], "\r\n") != NULL || strlen(l.v[i]) >
		    SMTP_ADDR_MAX)
			abort();
		(void)envelope_valid_address(l.v[i], 0, &why);
		out = addr_qualify(l.v[i], "example.com");
		free(out);
		(void)addr_is_local(l.v[i], NULL);
		door_to_spool(l.v[i]);
	}
	addr_list_free(&l);

	out = cause = NULL;
	if (addr_parse_sender(s, &out, &cause) == 0 &&
	    strpbrk(out, "\r\n") != NULL)
		abort();
	free(out);
	free(cause);

	out = cause = NULL;
	if (addr_qualify_list(s, size, "example.com", &out, &cause) == 0 &&
	    strlen(out) < strlen(s))
		abort();
	free(out);
	free(cause);
	(void)envelope_valid_address(s, ENVELOPE_NULL_OK, &why);
	free(s);
	return (0);
}
