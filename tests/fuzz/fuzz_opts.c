/*
 * libFuzzer target for opts.c: the input is split at NUL bytes into an
 * argument vector.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "opts.h"

#define FUZZ_ARGS	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opts	 o;
	char		*buf, *argv[FUZZ_ARGS + 1], *cause = NULL;
	size_t		 i;
	int		 argc = 0;

	if ((buf = malloc(size + 1)) == NULL)
		return (0);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "sendmail";
	for (i = 0; i <= size && argc < FUZZ_ARGS; i++) {
		argv[argc++] = buf + i;
		i += strlen(buf + i);
	}
	argv[argc] = NULL;
	(void)opts_parse(argc, argv, &o, &cause);
	free(cause);
	opts_free(&o);
	free(buf);
	return (0);
}
