/*
 * fuzz_conf: libFuzzer target for the configuration parser.  The input
 * is the whole file; it goes through conf_load_fp() from memory, and a
 * successful load is dumped and looked up to exercise the results.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	FILE		*fp, *out;
	char		*cause = NULL;

	if (size == 0 || size > 64 * 1024)
		return (0);
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return (0);
	conf_init(&c);
	if (conf_load_fp(&c, fp, "fuzz.conf", &cause) == 0) {
		if ((out = fopen("/dev/null", "w")) != NULL) {
			conf_dump(&c, out);
			fclose(out);
		}
		(void)conf_alias_lookup(&c, "root");
		(void)conf_alias_lookup(&c, "nobody");
		if (conf_check_relay(&c, &cause) == -1)
			free(cause);
	} else
		free(cause);
	conf_free(&c);
	fclose(fp);
	return (0);
}
