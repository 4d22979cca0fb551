/*
 * libFuzzer target for addr.c: address lists in both modes, -f forms,
 * envelope validation and From qualification, on arbitrary bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "addr.h"
#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
