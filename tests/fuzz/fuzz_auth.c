/*
 * libFuzzer target for auth.c: the base64 decoder of server challenges
 * (auth_unb64), checked to round-trip through auth_b64, and the bearer
 * payload builder, whose output must decode to exactly one user and
 * one token field whatever the (possibly refused) input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "auth.h"
#include "reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_unb64(const char *data, size_t size)
{
	unsigned char	*dec;
	char		*enc;
	size_t		 n, elen;

	if (auth_unb64(data, size, &dec, &n) == -1)
		return;
	if (n > 3 * AUTH_CRED_MAX)
		abort();
	enc = auth_b64(dec, n, &elen);
	/* Whatever decoded must decode again to the same bytes. */
	free(dec);
	if (auth_unb64(enc, elen, &dec, &n) == -1)
		abort();
	free(dec);
	free(enc);
}

static void
fuzz_bearer(const char *data, size_t size)
{
	const char	*sep;
	char		*user, *tok, *b64, *cause = NULL;
	unsigned char	*dec;
	size_t		 len, n, i, ctl = 0;

	if ((sep = memchr(data, '\n', size)) == NULL)
		return;
	user = strndup(data, sep - data);
	tok = strndup(sep + 1, size - (sep + 1 - data));
	if (user == NULL || tok == NULL)
		abort();
	b64 = auth_bearer(size % 2 ? EHLO_AUTH_XOAUTH2 : EHLO_AUTH_OAUTHBEARER,
	    user, tok, &len, &cause);
	if (b64 != NULL) {
		if (auth_unb64(b64, len, &dec, &n) == -1)
			abort();
		/* Exactly the three ^A separators of the format. */
		for (i = 0; i < n; i++)
			if (dec[i] == '\001')
				ctl++;
		if (ctl != 3)
			abort();
		free(dec);
		free(b64);
	}
	free(cause);
	free(user);
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 3 * AUTH_CRED_MAX)
		return (0);
	if (data[0] & 1)
		fuzz_unb64((const char *)data + 1, size - 1);
	else
		fuzz_bearer((const char *)data + 1, size - 1);
	return (0);
}
