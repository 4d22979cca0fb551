/*
 * libFuzzer target for the spool's parsers of untrusted input.
 * The first byte picks the parser; the rest is its input:
 *   0: a frame given to spool_commit_stream (what mailferry-queue reads),
 *      with the canonical-form check when the first byte is odd;
 *      whatever it commits must open cleanly and round-trip its state.
 *   1: an entry file msg/ID given to spool_open.
 *   2: a state file state/ID next to a valid entry, given to spool_open.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailferry.h"
#include "canon.h"
#include "spool.h"

#define FUZZ_ID	"0123456789ABCDEF"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*dir;

static const char good_entry[] =
    "mailferry-spool 1\nid " FUZZ_ID "\ncreated 1\nuid 0\nsender a@b.c\n"
    "rcpt d@e.f\nrcpt g@h.i\nbody 7bit\nsmtputf8 0\nbounce 0\n\nhi\r\n";

static void
setup(void)
{
	char	*base, *cause;

	if (dir != NULL)
		return;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	xasprintf(&dir, "%s/fuzz_spool.XXXXXX", base);
	if (mkdtemp(dir) == NULL || spool_mkdirs(dir, &cause) == -1)
		abort();
}

static void
put(const char *sub, const void *buf, size_t len)
{
	char	 path[512];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, FUZZ_ID);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void
drop(const char *sub)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, FUZZ_ID);
	unlink(path);
}

static void
tmp_must_be_empty(void)
{
	char		 path[512];
	DIR		*d;
	struct dirent	*de;

	snprintf(path, sizeof(path), "%s/tmp", dir);
	if ((d = opendir(path)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			abort();
	}
	closedir(d);
}

static void
fuzz_frame(const uint8_t *data, size_t len, int check)
{
	struct canon_policy	 cp = { 65536, NULL, 0 };
	struct spool_entry	 e;
	struct spool_policy	 pol = { 65536, NULL, NULL };
	enum spool_error	 err;
	char			 path[512], id[SPOOL_ID_LEN + 1], *cause = NULL;
	int			 fd;

	pol.form = check ? &cp : NULL;
	snprintf(path, sizeof(path), "%s/input", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, len) != (ssize_t)len || lseek(fd, 0, 0) != 0)
		abort();
	if (spool_commit_stream(dir, fd, 0, &pol, id, &err, &cause) == 0) {
		/* Whatever the writer accepts, the reader must accept. */
		if (spool_open(dir, id, LOCK_EX | LOCK_NB, &e, &cause) !=
		    SPOOL_OK)
			abort();
		e.attempts = 1;
		if (spool_state_write(dir, &e, &cause) == -1)
			abort();
		spool_close(&e);
		if (spool_open(dir, id, LOCK_EX | LOCK_NB, &e, &cause) !=
		    SPOOL_OK || e.attempts != 1)
			abort();
		if (spool_remove(dir, &e, &cause) == -1)
			abort();
		spool_close(&e);
	} else if (err == SPOOL_ERR_NONE || cause == NULL)
		abort();
	free(cause);
	close(fd);
	tmp_must_be_empty();
}

static void
fuzz_open(void)
{
	struct spool_entry	 e;
	char			*cause = NULL;
	int			 rv;

	rv = spool_open(dir, FUZZ_ID, LOCK_EX | LOCK_NB, &e, &cause);
	if (rv == SPOOL_OK) {
		if (e.msg_offset + e.msg_size < e.msg_offset ||
		    TAILQ_EMPTY(&e.meta.rcpts))
			abort();
		spool_close(&e);
	} else if (rv != SPOOL_CORRUPT || cause == NULL)
		abort();
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return (0);
	setup();
	switch (data[0] % 3) {
	case 0:
		fuzz_frame(data + 1, len - 1, data[0] & 1);
		break;
	case 1:
		put("msg", data + 1, len - 1);
		fuzz_open();
		drop("msg");
		break;
	case 2:
		put("msg", good_entry, sizeof(good_entry) - 1);
		put("state", data + 1, len - 1);
		fuzz_open();
		drop("state");
		drop("msg");
		break;
	}
	return (0);
}
