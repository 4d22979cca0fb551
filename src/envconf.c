/*
 * envconf.c: a configuration file written from the environment, for a
 * container entrypoint (mailferry-config).  It runs in the front end's
 * world, without privilege; the set-id helpers never read the
 * environment.
 *
 * Names, all upper case, come from conf.c's option table (there is no
 * list of keys here):
 *   MAILFERRY_<SECTION>_<KEY>  any option: MAILFERRY_QUEUE_DIR,
 *                              MAILFERRY_SMARTHOST_PASSWORD_FILE
 *   MAILFERRY_<KEY>            the same, when no other section has the
 *                              key: MAILFERRY_HOST, MAILFERRY_FROM
 *   MAILFERRY_ALIASES_<LOCAL>  an [aliases] entry for <local>, lower
 *                              case: MAILFERRY_ALIASES_ROOT
 * An empty variable counts as unset, and MAILFERRY_LIBEXECDIR (read by
 * the front end at run time) is not configuration.  Any other
 * MAILFERRY_ variable is
 * an error, so that a misspelt name is not silently ignored; a name
 * holding PASS or SECRET that is not an option (MAILFERRY_PASSWORD) is
 * refused with the fix: the password only ever comes from a file
 * (password_file) or a command (password_command).
 *
 * Values: no control character, no leading or trailing white space and
 * no ';' after white space (inih would cut a comment off).  The text
 * is then loaded with conf_load_fp(), so every value goes through
 * conf.c's own validators; when it fails, each variable is loaded
 * alone to name the culprit.  envconf_write() writes the text to a
 * temporary file beside the target (mode 0644), loads that file with
 * conf_load() and renames it into place.
 *
 * Output: a comment line, then each section in table order with its
 * keys in table order, [aliases] last.  Errors name the variable,
 * never the value.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mailferry.h"
#include "conf.h"
#include "envconf.h"

#define ENVCONF_PREFIX		"MAILFERRY_"
#define ENVCONF_ALIASES		"MAILFERRY_ALIASES_"
#define ENVCONF_NAME_MAX	128	/* a variable name we build */

/* Read by the programs at run time: not configuration. */
static const char *const envconf_runtime[] = {
	"MAILFERRY_LIBEXECDIR", NULL
};

struct envconf_var {
	const char	*name;		/* the environment entry */
	size_t		 len;		/* of the name, before '=' */
	const char	*value;
	size_t		 opt;		/* option index, or SIZE_MAX: alias */
};

static int	 envconf_is(const char *, size_t, const char *,
		    const char *);
static int	 envconf_unique(const char *);
static int	 envconf_match(const char *, size_t, size_t *);
static int	 envconf_has(const char *, size_t, const char *);
static int	 envconf_value_ok(const char *);
static int	 envconf_scan(char *const *, struct envconf_var *, size_t *,
		    char **);
static int	 envconf_one(const struct envconf_var *, size_t, char **);
static char	*envconf_text_of(const struct envconf_var *, size_t, size_t);
static char	*envconf_text(const struct envconf_var *, size_t);
static int	 envconf_check(const char *, const char *, char **);

/* Whether name is MAILFERRY_<SECTION>_<KEY> (or _<KEY>) in upper case. */
static int
envconf_is(const char *name, size_t len, const char *section,
    const char *key)
{
	char	 buf[ENVCONF_NAME_MAX];
	size_t	 i;
	int	 n;

	if (section != NULL)
		n = snprintf(buf, sizeof(buf), ENVCONF_PREFIX "%s_%s",
		    section, key);
	else
		n = snprintf(buf, sizeof(buf), ENVCONF_PREFIX "%s", key);
	if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n != len)
		return (0);
	for (i = 0; i < len; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 'a' + 'A');
	return (memcmp(buf, name, len) == 0);
}

/* Whether no other section of the table has this key. */
static int
envconf_unique(const char *key)
{
	const char	*k, *section;
	size_t		 i;
	int		 n = 0;

	for (i = 0; (k = conf_option_name(i, &section)) != NULL; i++)
		if (section != NULL && strcmp(k, key) == 0)
			n++;
	return (n == 1);
}

/* The option a variable name stands for: 0 and *opt, or -1. */
static int
envconf_match(const char *name, size_t len, size_t *opt)
{
	const char	*key, *section;
	size_t		 i;

	for (i = 0; (key = conf_option_name(i, &section)) != NULL; i++) {
		if (section == NULL)
			continue;
		if (envconf_is(name, len, section, key) ||
		    (envconf_unique(key) && envconf_is(name, len, NULL, key))) {
			*opt = i;
			return (0);
		}
	}
	return (-1);
}

/* Whether word occurs in name[0..len), ignoring case. */
static int
envconf_has(const char *name, size_t len, const char *word)
{
	size_t	 i, wlen = strlen(word);

	for (i = 0; i + wlen <= len; i++)
		if (strncasecmp(name + i, word, wlen) == 0)
			return (1);
	return (0);
}

/* A value that reads back from an INI line exactly as it was. */
static int
envconf_value_ok(const char *v)
{
	size_t	 i, len = strlen(v);

	if (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
	    v[len - 1] == '\t')
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return (0);
		if (v[i] == ';' && i > 0 && (v[i - 1] == ' ' ||
		    v[i - 1] == '\t'))
			return (0);
	}
	return (1);
}

/* Collect the non-empty MAILFERRY_ variables of env into vars. */
static int
envconf_scan(char *const *env, struct envconf_var *vars, size_t *nvars,
    char **cause)
{
	const char	*eq;
	size_t		 i, j, n = 0, len, opt;

	for (i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], ENVCONF_PREFIX,
		    strlen(ENVCONF_PREFIX)) != 0 ||
		    (eq = strchr(env[i], '=')) == NULL || eq[1] == '\0')
			continue;
		len = (size_t)(eq - env[i]);
		opt = SIZE_MAX;
		for (j = 0; envconf_runtime[j] != NULL; j++)
			if (strlen(envconf_runtime[j]) == len &&
			    strncmp(envconf_runtime[j], env[i], len) == 0)
				break;
		if (envconf_runtime[j] != NULL)
			continue;
		if (envconf_match(env[i], len, &opt) == 0)
			;
		else if (envconf_has(env[i], len, "PASS") ||
		    envconf_has(env[i], len, "SECRET"))
			goto password;
		else if (len <= strlen(ENVCONF_ALIASES) ||
		    strncmp(env[i], ENVCONF_ALIASES,
		    strlen(ENVCONF_ALIASES)) != 0) {
			xasprintf(cause, "%.*s: unknown variable: see "
			    "mailferry-config(8)", (int)len, env[i]);
			return (CONF_ERR_SYNTAX);
		}
		for (j = 0; opt != SIZE_MAX && j < n; j++)
			if (vars[j].opt == opt) {
				xasprintf(cause, "%.*s: the same option as "
				    "%.*s", (int)len, env[i],
				    (int)vars[j].len, vars[j].name);
				return (CONF_ERR_SYNTAX);
			}
		if (!envconf_value_ok(eq + 1)) {
			xasprintf(cause, "%.*s: control character, white "
			    "space around the value, or \" ;\" in the value",
			    (int)len, env[i]);
			return (CONF_ERR_SYNTAX);
		}
		vars[n].name = env[i];
		vars[n].len = len;
		vars[n].value = eq + 1;
		vars[n++].opt = opt;
	}
	*nvars = n;
	return (0);

password:
	xasprintf(cause, "%.*s: passwords are not taken from the "
	    "environment: write it to a file and set "
	    "MAILFERRY_PASSWORD_FILE", (int)len, env[i]);
	return (CONF_ERR_SYNTAX);
}

/* The INI text of vars (or of vars[only] alone if only < n). */
static char *
envconf_text_of(const struct envconf_var *vars, size_t n, size_t only)
{
	const char	*key, *section, *last = NULL;
	char		*text;
	size_t		 i, j, size, k;
	FILE		*fp;

	if ((fp = open_memstream(&text, &size)) == NULL)
		fatal("open_memstream");
	fprintf(fp, "# Written by mailferry-config from MAILFERRY_* "
	    "variables: edits are lost.\n");
	for (i = 0; (key = conf_option_name(i, &section)) != NULL; i++)
		for (j = 0; section != NULL && j < n; j++) {
			if (vars[j].opt != i || (only < n && j != only))
				continue;
			if (last == NULL || strcmp(last, section) != 0)
				fprintf(fp, "[%s]\n", section);
			last = section;
			fprintf(fp, "%s = %s\n", key, vars[j].value);
		}
	for (j = 0, last = NULL; j < n; j++) {
		if (vars[j].opt != SIZE_MAX || (only < n && j != only))
			continue;
		if (last == NULL)
			fprintf(fp, "[aliases]\n");
		last = "aliases";
		for (k = strlen(ENVCONF_ALIASES); k < vars[j].len; k++)
			fputc(vars[j].name[k] >= 'A' && vars[j].name[k] <= 'Z' ?
			    vars[j].name[k] - 'A' + 'a' : vars[j].name[k], fp);
		fprintf(fp, " = %s\n", vars[j].value);
	}
	if (fclose(fp) != 0)
		fatal("open_memstream");
	return (text);
}

static char *
envconf_text(const struct envconf_var *vars, size_t n)
{
	return (envconf_text_of(vars, n, n));
}

/* Load vars[i] alone: 0, or CONF_ERR_SYNTAX with its cause. */
static int
envconf_one(const struct envconf_var *vars, size_t i, char **cause)
{
	char	 name[ENVCONF_NAME_MAX];
	char	*text;
	int	 rc;

	snprintf(name, sizeof(name), "%.*s", (int)vars[i].len, vars[i].name);
	text = envconf_text_of(vars, i + 1, i);
	rc = envconf_check(text, name, cause);
	free(text);
	return (rc);
}

/* Load text with conf.c as the file name would be. */
static int
envconf_check(const char *text, const char *name, char **cause)
{
	struct conf	 c;
	FILE		*fp;
	int		 rc;

	if ((fp = fmemopen((void *)text, strlen(text), "r")) == NULL)
		fatal("fmemopen");
	conf_init(&c);
	rc = conf_load_fp(&c, fp, name, cause);
	conf_free(&c);
	fclose(fp);
	return (rc == 0 ? 0 : CONF_ERR_SYNTAX);
}

/*
 * The configuration file text for the MAILFERRY_ variables of env,
 * every value checked by conf.c.  0 and *text, or CONF_ERR_SYNTAX.
 */
int
envconf_build(char *const *env, char **text, char **cause)
{
	struct envconf_var	*vars;
	size_t			 i, n = 0;
	char			*why;

	*text = NULL;
	for (i = 0; env[i] != NULL; i++)
		;
	vars = xcalloc(i + 1, sizeof(*vars));
	if (envconf_scan(env, vars, &n, cause) != 0) {
		free(vars);
		return (CONF_ERR_SYNTAX);
	}
	*text = envconf_text(vars, n);
	if (envconf_check(*text, "MAILFERRY_* variables", &why) != 0) {
		for (i = 0; i < n; i++)
			if (envconf_one(vars, i, cause) != 0)
				break;
		if (i == n)
			*cause = why;
		else
			free(why);
		free(*text);
		*text = NULL;
	}
	free(vars);
	return (*text == NULL ? CONF_ERR_SYNTAX : 0);
}

/*
 * Write text to path atomically: a temporary file beside it (mode
 * 0644), loaded with conf_load() like any configuration, then renamed
 * into place.  0, CONF_ERR_SYNTAX or CONF_ERR_TEMP (cannot write).
 */
int
envconf_write(const char *text, const char *path, char **cause)
{
	struct conf	 c;
	char		 tmp[PATH_MAX], *why;
	size_t		 len = strlen(text);
	int		 fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		xasprintf(cause, "%s: path too long", path);
		return (CONF_ERR_SYNTAX);
	}
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return (CONF_ERR_TEMP);
	}
	if (fchmod(fd, 0644) == -1 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return (CONF_ERR_TEMP);
	}
	close(fd);
	conf_init(&c);
	rc = conf_load(&c, tmp, &why);
	conf_free(&c);
	if (rc != 0) {
		*cause = why;
		(void)unlink(tmp);
		return (CONF_ERR_SYNTAX);
	}
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return (CONF_ERR_TEMP);
	}
	return (0);
}
