/*
 * libFuzzer target for envelope.c: the input (up to its first NUL) as
 * an address, a NOTIFY, RET and ENVID value.  What is accepted must keep
 * the promises of the rules at the top of envelope.c: no control byte,
 * DEL, C1 control or angle bracket in an address, SP only inside the
 * quoted local part; NOTIFY and ENVID survive a format/parse round trip.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_address(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	const char		*why, *q;
	size_t			 i, len = strlen(s);

	if (envelope_valid_address(s, 0, &why) != 0)
		return;
	if (len == 0 || len > SMTP_ADDR_MAX || strchr(s, '@') == NULL)
		abort();
	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f || u[i] == '<' || u[i] == '>')
			abort();
		if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			abort();
	}
	/* A space only between the quotes of the local part. */
	if ((q = strchr(s, ' ')) != NULL && (s[0] != '"' ||
	    strchr(q, '"') == NULL))
		abort();
	if (envelope_needs_smtputf8(s) != (strspn(s,
	    "\x20!\"#$%&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != len))
		abort();
}

static void
check_dsn(const char *s)
{
	char		 buf[ENVELOPE_NOTIFY_BUF];
	const char	*why, *canon;
	char		*d, *e, *d2;
	unsigned int	 bits, bits2;

	if (envelope_notify_parse(s, 0, &bits, &why) == 0) {
		envelope_notify_format(bits, buf, sizeof(buf));
		if (envelope_notify_parse(buf, ENVELOPE_CANON, &bits2,
		    &why) != 0 || (bits2 & ~ENVELOPE_NOTIFY_NEVER) !=
		    (bits & ~ENVELOPE_NOTIFY_NEVER))
			abort();
	}
	if (envelope_ret_parse(s, 0, &canon, &why) == 0 &&
	    strcmp(canon, "FULL") != 0 && strcmp(canon, "HDRS") != 0)
		abort();
	if ((d = envelope_envid_decode(s)) == NULL)
		return;
	if (envelope_valid_envid(d, &why) != 0)
		abort();
	e = envelope_envid_encode(d);
	if (strpbrk(e, " =") != NULL || (d2 = envelope_envid_decode(e)) ==
	    NULL || strcmp(d, d2) != 0)
		abort();
	free(d2);
	free(e);
	free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	check_address(s);
	check_dsn(s);
	free(s);
	return (0);
}
