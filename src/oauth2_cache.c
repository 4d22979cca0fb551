/*
 * oauth2_cache.c: the access token cache of mailferry-send, and the
 * atomic file replacement it shares with the refresh token write-back.
 *
 * The cache is [oauth2] token_cache, by default QUEUE_DIR/oauth2/token.
 * Its directory must keep others out (privsep_dir_private: root or,
 * without privilege, our user; group only mailferry; nothing for
 * others): the file itself belongs to whichever user's run wrote it,
 * so the directory is what keeps that user (outside the helper) and
 * everybody else away from the token.  install creates QUEUE_DIR/oauth2
 * root:mailferry 0770; a program holding no privilege (or root) creates
 * a missing default directory itself.
 *
 * Format, one "key value" per line, values without space:
 *	mailferry-oauth2-cache 1
 *	id <SHA-256 hex of the endpoint, client, scope, grant and user>
 *	obtained <epoch seconds>
 *	expires <epoch seconds>
 *	token <access token>
 * The id makes a cache written for another configuration a miss.
 *
 * "<cache>.refresh" holds a rotated refresh token that could not be
 * written back over refresh_token_file (oauth2.c): one line, mode 0660
 * (0600 without privilege), trusted like the cache because only the
 * helper reaches the directory.  It is used only while it is newer
 * than refresh_token_file.
 *
 * Concurrent runs serialise on flock(2) of "<cache>.lock" (the cache
 * itself is replaced by rename, so it cannot carry the lock): one run
 * refreshes, the others wait and then find the fresh token.  Writes go
 * to a temporary file in the same directory, fsync, rename, fsync of
 * the directory: a crash leaves the old or the new file, never half.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "privsep.h"
#include "util.h"

#define OAUTH2_CACHE_DIR	"oauth2"
#define OAUTH2_CACHE_MAGIC	"mailferry-oauth2-cache 1"
#define OAUTH2_CACHE_MAX	(OAUTH2_TOKEN_MAX + 512)

static void	 oauth2_cache_id(const struct conf *, char *);
static char	*oauth2_private_name(const struct conf *, const char *);
static ssize_t	 oauth2_private_read(const struct conf *, const char *, char *,
		    size_t, struct stat *);
static int	 oauth2_private_write(const struct conf *, const char *, char *,
		    char **);
static int	 oauth2_cache_dir(const struct conf *, const char *, char **);
static int	 oauth2_cache_parse(char *, const char *, char **, time_t *,
		    time_t *);

/* The cache's path (the caller frees it), or NULL with cause. */
char *
oauth2_cache_path(const struct conf *c, char **cause)
{
	char	*path;

	if (c->oauth2_token_cache != NULL)
		path = xstrdup(c->oauth2_token_cache);
	else
		xasprintf(&path, "%s/" OAUTH2_CACHE_DIR "/token",
		    c->queue_dir);
	if (strlen(path) >= PATH_MAX - 16) {
		xasprintf(cause, "token_cache %s: path too long", path);
		free(path);
		return (NULL);
	}
	return (path);
}

/*
 * Take the cache's lock (waiting for a run that holds it).  The
 * descriptor, to close() when done, or a CONF_ERR_* code with cause:
 * an unsafe directory is CONF_ERR_INSECURE.  The lock file is opened
 * read-only: flock needs no more, and the umask of the set-id helper
 * leaves the group (other users' runs) only read permission.
 */
int
oauth2_cache_lock(const struct conf *c, char **cause)
{
	char	*path, *lock;
	int	 fd;

	if ((path = oauth2_cache_path(c, cause)) == NULL)
		return (CONF_ERR_SYNTAX);
	if (oauth2_cache_dir(c, path, cause) == -1) {
		free(path);
		return (CONF_ERR_INSECURE);
	}
	xasprintf(&lock, "%s.lock", path);
	free(path);
	fd = open(lock, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    privsep_privileged() ? 0660 : 0600);
	if (fd == -1)
		xasprintf(cause, "token_cache %s: %s", lock, strerror(errno));
	else if (flock(fd, LOCK_EX) == -1) {
		xasprintf(cause, "token_cache %s: flock: %s", lock,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	free(lock);
	return (fd == -1 ? CONF_ERR_TEMP : fd);
}

/*
 * The cached token for this configuration: 0 with *token (freezero by
 * the caller), its expiry and when it was obtained; -1 when there is
 * none (missing, unreadable, another configuration's, malformed).
 */
int
oauth2_cache_read(const struct conf *c, char **token, time_t *expires,
    time_t *obtained)
{
	char		 buf[OAUTH2_CACHE_MAX + 1], id[65];
	struct stat	 sb;
	int		 rv = -1;

	*token = NULL;
	if (oauth2_private_read(c, "", buf, sizeof(buf), &sb) > 0) {
		oauth2_cache_id(c, id);
		rv = oauth2_cache_parse(buf, id, token, expires, obtained);
	}
	explicit_bzero(buf, sizeof(buf));
	return (rv);
}

/* Replace the cache with token, valid until expires. */
int
oauth2_cache_write(const struct conf *c, const char *token, time_t expires,
    char **cause)
{
	char	 id[65], *text;

	oauth2_cache_id(c, id);
	xasprintf(&text, OAUTH2_CACHE_MAGIC "\nid %s\nobtained %lld\n"
	    "expires %lld\ntoken %s\n", id, (long long)time(NULL),
	    (long long)expires, token);
	return (oauth2_private_write(c, "", text, cause));
}

/*
 * Write text (then wiped and freed) to the cache's path plus suffix,
 * atomically, readable by the helper only.
 */
static int
oauth2_private_write(const struct conf *c, const char *suffix, char *text,
    char **cause)
{
	char	*name;
	int	 rv = -1;

	if ((name = oauth2_private_name(c, suffix)) == NULL)
		xasprintf(cause, "token_cache: path too long");
	else
		rv = oauth2_write_atomic(name, text, privsep_privileged() ?
		    0660 : 0600, NULL, cause);
	freezero(text, strlen(text));
	free(name);
	return (rv);
}

/* The cache's path plus suffix (the caller frees it), or NULL. */
static char *
oauth2_private_name(const struct conf *c, const char *suffix)
{
	char	*path, *cause = NULL, *name;

	if ((path = oauth2_cache_path(c, &cause)) == NULL) {
		free(cause);
		return (NULL);
	}
	xasprintf(&name, "%s%s", path, suffix);
	free(path);
	return (name);
}

/*
 * The cache's path plus suffix into buf, NUL-terminated: a regular
 * file others have no access to, shorter than size, without NUL bytes.
 * Its length (and *sb), or -1.
 */
static ssize_t
oauth2_private_read(const struct conf *c, const char *suffix, char *buf,
    size_t size, struct stat *sb)
{
	char	*name;
	ssize_t	 n = -1;
	int	 fd;

	if ((name = oauth2_private_name(c, suffix)) == NULL)
		return (-1);
	fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(name);
	if (fd == -1)
		return (-1);
	if (fstat(fd, sb) == 0 && S_ISREG(sb->st_mode) &&
	    (sb->st_mode & S_IRWXO) == 0 && sb->st_size < (off_t)size)
		n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0 || memchr(buf, '\0', (size_t)n) != NULL) {
		explicit_bzero(buf, size);
		return (-1);
	}
	buf[n] = '\0';
	return (n);
}

/*
 * Replace path with text atomically: a temporary file in the same
 * directory with the given mode (and, when like is set, its owner and
 * group), fsync, rename, fsync of the directory.  0, or -1 with cause
 * and nothing changed.
 */
int
oauth2_write_atomic(const char *path, const char *text, mode_t mode,
    const struct stat *like, char **cause)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	const char	*what = NULL, *slash;
	int		 fd, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		what = "path too long";
	else if ((fd = mkstemp(tmp)) == -1)
		what = strerror(errno);
	if (what != NULL) {
		xasprintf(cause, "%s: %s", path, what);
		return (-1);
	}
	if (fchmod(fd, mode) == -1 || (like != NULL &&
	    (like->st_uid != geteuid() || like->st_gid != getegid()) &&
	    fchown(fd, like->st_uid, like->st_gid) == -1))
		what = strerror(errno);
	else if (util_write_all(fd, text, strlen(text)) == -1 ||
	    fsync(fd) == -1)
		what = strerror(errno);
	if (close(fd) == -1 && what == NULL)
		what = strerror(errno);
	if (what == NULL && rename(tmp, path) == -1)
		what = strerror(errno);
	if (what != NULL) {
		xasprintf(cause, "%s: %s", path, what);
		unlink(tmp);
		return (-1);
	}
	slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		strlcpy(dir, path, (size_t)(slash - path) + 1);
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
		    -1) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	return (0);
}

/*
 * The kept refresh token when it is newer than refresh_token_file:
 * 0 with *token (freezero by the caller), else -1.
 */
int
oauth2_kept_read(const struct conf *c, char **token)
{
	char		 buf[OAUTH2_TOKEN_MAX + 2];
	struct stat	 sb, fsb;
	ssize_t		 n;

	*token = NULL;
	n = oauth2_private_read(c, ".refresh", buf, sizeof(buf), &sb);
	if (n > 1 && buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1 &&
	    (stat(c->oauth2_refresh_token_file, &fsb) == -1 ||
	    sb.st_mtim.tv_sec > fsb.st_mtim.tv_sec ||
	    (sb.st_mtim.tv_sec == fsb.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec > fsb.st_mtim.tv_nsec))) {
		*token = xstrndup(buf, (size_t)n - 1);
		log_debug("oauth2: the rotated refresh token kept beside the "
		    "cache is newer than refresh_token_file");
	}
	explicit_bzero(buf, sizeof(buf));
	return (*token != NULL ? 0 : -1);
}

/* Keep a rotated refresh token beside the cache. */
int
oauth2_kept_write(const struct conf *c, const char *token, char **cause)
{
	char	*text;

	xasprintf(&text, "%s\n", token);
	return (oauth2_private_write(c, ".refresh", text, cause));
}

/* refresh_token_file holds the newest token again: forget ours. */
void
oauth2_kept_drop(const struct conf *c)
{
	char	*path;

	if ((path = oauth2_private_name(c, ".refresh")) != NULL &&
	    unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
	free(path);
}

/* What the cached token was obtained for, as 64 hex digits. */
static void
oauth2_cache_id(const struct conf *c, char *hex)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 ep[2048 + 256], *s;
	unsigned int	 len = 0, i;

	xasprintf(&s, "%s\n%s\n%s\n%d\n%s",
	    oauth2_token_endpoint(c, ep, sizeof(ep)),
	    c->oauth2_client_id != NULL ? c->oauth2_client_id : "",
	    oauth2_scope(c), (int)c->oauth2_grant,
	    c->user != NULL ? c->user : "");
	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1)
		len = 0;
	free(s);
	for (i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * i] = '\0';
}

/*
 * The cache's directory must keep others out.  The default one is
 * created where we may (no privilege, or root).
 */
static int
oauth2_cache_dir(const struct conf *c, const char *path, char **cause)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');

	if (slash == NULL || slash == path ||
	    (size_t)(slash - path) >= sizeof(dir)) {
		xasprintf(cause, "token_cache %s: not in a directory", path);
		return (-1);
	}
	strlcpy(dir, path, (size_t)(slash - path) + 1);
	if (c->oauth2_token_cache == NULL && privsep_may_create() &&
	    mkdir(dir, 0770) == 0 && chmod(dir,
	    privsep_privileged() ? 0770 : 0700) == -1)
		log_warn("%s: chmod", dir);
	if (privsep_dir_private(dir, cause) == 0)
		return (0);
	if (c->oauth2_token_cache == NULL && errno == ENOENT) {
		free(*cause);
		xasprintf(cause, "%s: missing: install -d -o root -g "
		    "mailferry -m 0770 %s", dir, dir);
	}
	return (-1);
}

/* Parse a cache file for id; 0 with the token, else -1. */
static int
oauth2_cache_parse(char *buf, const char *id, char **token,
    time_t *expires, time_t *obtained)
{
	char		*line, *next, *val;
	const char	*err = NULL;
	int		 seen = 0;
	long long	 v;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (seen == 0 && strcmp(line, OAUTH2_CACHE_MAGIC) == 0) {
			seen |= 1;
			continue;
		}
		if ((val = strchr(line, ' ')) == NULL || strchr(val + 1, ' '))
			return (-1);
		*val++ = '\0';
		if (strcmp(line, "id") == 0 && strcmp(val, id) == 0)
			seen |= 2;
		else if (strcmp(line, "expires") == 0 || strcmp(line,
		    "obtained") == 0) {
			v = strtonum(val, 1, LLONG_MAX, &err);
			if (err != NULL)
				return (-1);
			if (line[0] == 'e')
				*expires = (time_t)v;
			else
				*obtained = (time_t)v;
			seen |= line[0] == 'e' ? 4 : 8;
		} else if (strcmp(line, "token") == 0 && *token == NULL &&
		    *val != '\0' && strlen(val) <= OAUTH2_TOKEN_MAX) {
			*token = xstrdup(val);
			seen |= 16;
		}
	}
	if (seen == 31)
		return (0);
	if (*token != NULL)
		freezero(*token, strlen(*token));
	*token = NULL;
	return (-1);
}
