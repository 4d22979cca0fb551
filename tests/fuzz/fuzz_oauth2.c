/*
 * libFuzzer target for the OAuth2 endpoint reply parsers
 * (oauth2_parse_token, oauth2_parse_device): whatever the bytes, a
 * result is a status; an accepted token is non-empty printable ASCII
 * without space, and a refusal has a one-line cause.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "oauth2.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_token_chars(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	if (s[0] == '\0')
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth2_token	 t;
	struct oauth2_device	 d;
	char			*cause = NULL;

	if (oauth2_parse_token((const char *)data, size, &t, &cause) ==
	    OAUTH2_OK) {
		if (t.access == NULL || cause != NULL)
			abort();
		check_token_chars(t.access);
		check_token_chars(t.refresh);
		oauth2_token_free(&t);
	} else if (cause == NULL || strchr(cause, '\n') != NULL)
		abort();
	free(cause);
	cause = NULL;
	if (oauth2_parse_device((const char *)data, size, &d, &cause) ==
	    OAUTH2_OK) {
		if (d.device_code == NULL || d.user_code == NULL ||
		    d.verification_uri == NULL || d.interval <= 0)
			abort();
		oauth2_device_free(&d);
	} else if (cause == NULL || strchr(cause, '\n') != NULL)
		abort();
	free(cause);
	return (0);
}
