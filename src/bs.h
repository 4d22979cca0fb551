/*
 * bs.h: the -bs SMTP server dialogue on stdin/stdout.
 */
#ifndef BS_H
#define BS_H

#include <stddef.h>

#include "conf.h"
#include "opts.h"

#define BS_CMD_MAX	4096	/* a command line, without its line end */
#define BS_PARAM_MAX	16	/* ESMTP parameters of one MAIL or RCPT */

enum bs_verb {
	BS_HELO,
	BS_EHLO,
	BS_MAIL,
	BS_RCPT,
	BS_DATA,
	BS_RSET,
	BS_NOOP,
	BS_VRFY,
	BS_HELP,
	BS_QUIT,
	BS_NOTIMPL		/* EXPN, STARTTLS, AUTH, BDAT...: 502 */
};

struct bs_param {
	const char	*key;
	const char	*value;		/* NULL: no "=value" */
};

/* One parsed command line; every string points into buf. */
struct bs_cmd {
	enum bs_verb	 verb;
	const char	*arg;		/* HELO name, VRFY text; MAIL, RCPT:
					   the address without <> or source
					   route, "" for <>; never NULL */
	struct bs_param	 params[BS_PARAM_MAX];
	size_t		 nparams;
	char		*buf;
};

/* bs_parse_command() return values besides 0. */
#define BS_ERR_SYNTAX	-1	/* a known command, bad arguments: 501 */
#define BS_ERR_COMMAND	-2	/* unknown command, bad line: 500 */

/* Where the DATA scanner stands: see bs_dot_scan(). */
enum bs_dot_state {
	BS_DOT_BOL,		/* at the start of a line */
	BS_DOT_MID,		/* inside a line */
	BS_DOT_DOT,		/* after a leading "." */
	BS_DOT_DOTCR		/* after a leading ".\r" */
};

int	bs_run(const struct conf *, const struct opts *, const char *);
int	bs_parse_command(const char *, size_t, struct bs_cmd *, char **);
void	bs_cmd_free(struct bs_cmd *);
size_t	bs_dot_scan(enum bs_dot_state *, const char *, size_t,
	    void (*)(void *, const char *, size_t), void *, int *);

#endif /* BS_H */
