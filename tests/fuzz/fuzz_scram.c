/*
 * libFuzzer target for scram.c's parsers of the hostile server: the
 * server-first message (nonce, salt, iteration count) and the
 * server-final one (v= or e=).  What they accept must hold the
 * invariants the key derivation relies on; what they refuse must come
 * with a one-line, printable cause.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "scram.h"

#define CNONCE	"rOprNGfwEbeRWgbNEkqO"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A cause is one line of printable ASCII. */
static void
check_cause(const char *cause)
{
	const unsigned char	*u;

	if (cause == NULL)
		abort();
	for (u = (const unsigned char *)cause; *u != '\0'; u++)
		if (*u < 0x20 || *u > 0x7e)
			abort();
}

static void
fuzz_first(const char *data, size_t size)
{
	struct scram_first	 f;
	char			*cause = NULL;
	size_t			 clen = strlen(CNONCE);

	if (scram_parse_first(data, size, CNONCE, &f, &cause) == -1) {
		check_cause(cause);
		free(cause);
		return;
	}
	if (cause != NULL || f.iter < SCRAM_ITER_MIN ||
	    f.iter > SCRAM_ITER_MAX || f.saltlen == 0 ||
	    f.saltlen > SCRAM_SALT_MAX || f.noncelen <= clen ||
	    memcmp(f.nonce, CNONCE, clen) != 0 || f.nonce < data ||
	    f.nonce + f.noncelen > data + size ||
	    memchr(f.nonce, ',', f.noncelen) != NULL)
		abort();
}

static void
fuzz_final(const char *data, size_t size)
{
	unsigned char	 sig[SCRAM_HASH_LEN];
	char		*cause = NULL;

	if (scram_parse_final(data, size, sig, &cause) == -1) {
		check_cause(cause);
		free(cause);
		return;
	}
	if (cause != NULL || size < 2 || data[0] != 'v' || data[1] != '=')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 8192)
		return (0);
	if (data[0] & 1)
		fuzz_first((const char *)data + 1, size - 1);
	else
		fuzz_final((const char *)data + 1, size - 1);
	return (0);
}
