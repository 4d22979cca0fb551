/*
 * Tests for the JSON string encoder (src/json.c): RFC 8259 escapes,
 * valid UTF-8 passed through, \u escapes for controls, C1, U+2028/2029
 * and every byte of an invalid sequence (overlong forms, surrogates,
 * truncated and out-of-range sequences).
 */
#include "config.h"

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailferry.h"
#include "json.h"

static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*out;
} escape_cases[] = {
	{ "", 0, "" },
	{ "plain <a@example.org>", 0, "plain <a@example.org>" },
	{ "say \"hi\"", 0, "say \\\"hi\\\"" },
	{ "back\\slash", 0, "back\\\\slash" },
	{ "a/b", 0, "a/b" },
	{ "\b\f\n\r\t", 0, "\\b\\f\\n\\r\\t" },
	{ "\x01\x1f\x7f", 0, "\\u0001\\u001f\\u007f" },
	{ "\x0b", 0, "\\u000b" },
	{ "a\0b", 3, "a\\u0000b" },
	/* Valid UTF-8 passes through. */
	{ "j\xc3\xb6rg", 0, "j\xc3\xb6rg" },
	{ "\xe2\x82\xac", 0, "\xe2\x82\xac" },			/* U+20AC */
	{ "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" },		/* U+1F600 */
	{ "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
	{ "\xc2\xa0", 0, "\xc2\xa0" },				/* U+00A0 */
	/* C1 controls, line and paragraph separators: escaped. */
	{ "\xc2\x80", 0, "\\u0080" },
	{ "\xc2\x9b[2J", 0, "\\u009b[2J" },
	{ "\xc2\x9f", 0, "\\u009f" },
	{ "\xe2\x80\xa8\xe2\x80\xa9", 0, "\\u2028\\u2029" },
	/* Invalid bytes: each one as \u00XX. */
	{ "\x80", 0, "\\u0080" },
	{ "\xff", 0, "\\u00ff" },
	{ "\xc0\xaf", 0, "\\u00c0\\u00af" },			/* overlong / */
	{ "\xe0\x80\xaf", 0, "\\u00e0\\u0080\\u00af" },		/* overlong */
	{ "\xed\xa0\x80", 0, "\\u00ed\\u00a0\\u0080" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 0, "\\u00f4\\u0090\\u0080\\u0080" }, /* >10FFFF */
	{ "\xf5\x80\x80\x80", 0, "\\u00f5\\u0080\\u0080\\u0080" },
	{ "\xc3", 0, "\\u00c3" },				/* truncated */
	{ "\xe2\x82", 0, "\\u00e2\\u0082" },
	{ "\xe2\x82x", 0, "\\u00e2\\u0082x" },
	{ "\xc3\xb6\xc3", 0, "\xc3\xb6\\u00c3" },
	{ "\"\xc3\"", 0, "\\\"\\u00c3\\\"" },
};

ATF_TC_WITHOUT_HEAD(escape_table);
ATF_TC_BODY(escape_table, tc)
{
	char	*got;
	size_t	 i, len;

	for (i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		len = escape_cases[i].len != 0 ? escape_cases[i].len :
		    strlen(escape_cases[i].in);
		got = json_escape(escape_cases[i].in, len);
		ATF_CHECK_MSG(strcmp(got, escape_cases[i].out) == 0,
		    "case %zu: got '%s', want '%s'", i, got,
		    escape_cases[i].out);
		free(got);
	}
}

ATF_TC_WITHOUT_HEAD(worst_case);
ATF_TC_BODY(worst_case, tc)
{
	char	 in[256], *got;
	size_t	 i;

	/* Every byte value once: no overflow, only escapes and ASCII. */
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(255 - i);
	got = json_escape(in, sizeof(in));
	for (i = 0; got[i] != '\0'; i++)
		ATF_REQUIRE((unsigned char)got[i] >= 0x20 &&
		    (unsigned char)got[i] < 0x7f);
	free(got);
}

ATF_TC_WITHOUT_HEAD(put_string);
ATF_TC_BODY(put_string, tc)
{
	char	 buf[64];
	FILE	*f;

	f = fmemopen(buf, sizeof(buf), "w");
	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(json_put_string(f, "a\"\n\xc2\x85") == 0);
	fclose(f);
	ATF_CHECK_STREQ(buf, "\"a\\\"\\n\\u0085\"");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, escape_table);
	ATF_TP_ADD_TC(tp, worst_case);
	ATF_TP_ADD_TC(tp, put_string);
	return (atf_no_error());
}
