/*
 * fuzz_envconf: libFuzzer target for the environment-to-configuration
 * mapping (envconf.c).  The input is an environment, one NAME=value
 * entry per line; a text envconf_build() accepts must load again with
 * conf_load_fp() and hold no more lines than entries plus headers (no
 * value can inject a line).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "conf.h"
#include "envconf.h"

#define FUZZ_ENV_MAX	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		*buf, *env[FUZZ_ENV_MAX + 1], *text, *cause = NULL, *p;
	size_t		 n = 0, lines = 0;
	FILE		*fp;

	if (size == 0 || size > 16 * 1024 || memchr(data, '\0', size) != NULL)
		return (0);
	buf = xstrndup((const char *)data, size);
	for (p = strtok(buf, "\n"); p != NULL && n < FUZZ_ENV_MAX;
	    p = strtok(NULL, "\n"))
		env[n++] = p;
	env[n] = NULL;
	if (envconf_build(env, &text, &cause) == 0) {
		for (p = text; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		/* A comment, at most 5 section headers, one line each. */
		if (lines > n + 6)
			abort();
		if ((fp = fmemopen(text, strlen(text), "r")) == NULL)
			abort();
		conf_init(&c);
		if (conf_load_fp(&c, fp, "fuzz", &cause) != 0)
			abort();
		conf_free(&c);
		fclose(fp);
		free(text);
	} else
		free(cause);
	free(buf);
	return (0);
}
