/*
 * conf_test: the configuration parser (src/conf.c) and alias lookup
 * (the password sources: secret_test).  Every case runs in a fresh
 * working directory.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailferry.h"
#include "conf.h"
#include "hostlist.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct good_case {
	const char	*text;
	const char	*expect[6];	/* lines conf_dump() must print */
};

struct bad_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	mode_t		 mode;		/* 0: 0600 */
	int		 rc;
	int		 line;
	const char	*hidden;	/* must not appear in the cause */
};

static void	 write_file(const char *, const char *, size_t, mode_t);
static int	 load(struct conf *, const char *, size_t, mode_t, char **);
static char	*dump(const struct conf *);
static void	 check_bad(const struct bad_case *, const char *);

static void
write_file(const char *name, const char *data, size_t len, mode_t mode)
{
	int	 fd;

	(void)unlink(name);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE(write(fd, data, len) == (ssize_t)len);
	ATF_REQUIRE(fchmod(fd, mode) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

static int
load(struct conf *c, const char *text, size_t len, mode_t mode, char **cause)
{
	write_file("t.conf", text, len, mode);
	conf_init(c);
	*cause = NULL;
	return (conf_load(c, "t.conf", cause));
}

static char *
dump(const struct conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	ATF_REQUIRE((fp = open_memstream(&buf, &len)) != NULL);
	conf_dump(c, fp);
	ATF_REQUIRE(fclose(fp) == 0);
	return (buf);
}

static void
check_bad(const struct bad_case *t, const char *label)
{
	struct conf	 c;
	char		*cause, where[64];
	int		 rc;

	rc = load(&c, t->text, t->len != 0 ? t->len : strlen(t->text),
	    t->mode != 0 ? t->mode : 0600, &cause);
	snprintf(where, sizeof(where), "t.conf:%d:", t->line);
	if (rc != t->rc || cause == NULL || strstr(cause, where) == NULL ||
	    (t->hidden != NULL && strstr(cause, t->hidden) != NULL))
		atf_tc_fail("%s: rc %d (want %d), cause \"%s\" (want %s)",
		    label, rc, t->rc, cause != NULL ? cause : "(null)", where);
	free(cause);
	conf_free(&c);
}

static const struct good_case good_cases[] = {
	{ "", { "smarthost.port = 587", "smarthost.tls = starttls",
	    "smarthost.timeout = 5m", "smarthost.connect_timeout = 30s",
	    "queue.max_size = 35M", "queue.delivery = background" } },
	{ "", { "queue.retry = 5m", "queue.max_retry = 4h",
	    "queue.max_age = 5d", "queue.delay_warning = 4h",
	    "smarthost.auth = auto", "sender.rewrite_from = never" } },
	{ "", { "smarthost.tls_min_version = 1.2", "smarthost.host =",
	    "smarthost.password_command =", "smarthost.fingerprint =" } },
	{ "[smarthost]\nport = 465\n",
	    { "smarthost.port = 465", "smarthost.tls = implicit" } },
	{ "[smarthost]\nport = 465\ntls = starttls\n",
	    { "smarthost.port = 465", "smarthost.tls = starttls" } },
	{ "[smarthost]\ntls = implicit\n",
	    { "smarthost.port = 465", "smarthost.tls = implicit" } },
	{ "[smarthost]\nport = 2525\ntls = implicit\n",
	    { "smarthost.port = 2525", "smarthost.tls = implicit" } },
	{ "[smarthost]\nhost = smtp.example.com\nuser = app@example.com\n"
	    "password_file = /etc/mailferry.secret\nauth = login\n"
	    "ca_file = /etc/ssl/ca.pem\ntls_min_version = 1.3\n",
	    { "smarthost.host = smtp.example.com",
	    "smarthost.user = app@example.com",
	    "smarthost.password_file = /etc/mailferry.secret",
	    "smarthost.auth = login", "smarthost.ca_file = /etc/ssl/ca.pem",
	    "smarthost.tls_min_version = 1.3" } },
	{ "[smarthost]\ntimeout = 30\nconnect_timeout = 1m\n"
	    "helo = [192.0.2.1]\n[queue]\nretry = 90s\nmax_age = 10d\n"
	    "delay_warning = 0\n",
	    { "smarthost.timeout = 30s", "smarthost.connect_timeout = 1m",
	    "smarthost.helo = [192.0.2.1]", "queue.retry = 90s",
	    "queue.max_age = 10d", "queue.delay_warning = 0s" } },
	{ "[queue]\nmax_size = 512K\nmax_retry = 2H\nretry = 120s\n",
	    { "queue.max_size = 512K", "queue.max_retry = 2h",
	    "queue.retry = 2m" } },
	{ "[queue]\nmax_size = 1G\ndir = /srv/spool\ndelivery = queue\n",
	    { "queue.max_size = 1G", "queue.dir = /srv/spool",
	    "queue.delivery = queue" } },
	{ "[queue]\nmax_size = 1048576\ndelivery = foreground\n",
	    { "queue.max_size = 1M", "queue.delivery = foreground" } },
	{ "[smarthost]\nfingerprint = sha256:00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFF\n",
	    { "smarthost.fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:"
	    "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:"
	    "ff" } },
	{ "[smarthost]\nfingerprint = SHA256:01:23:45:67:89:ab:cd:ef:01:23:"
	    "45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:"
	    "ef\n",
	    { "smarthost.fingerprint = sha256:01:23:45:67:89:ab:cd:ef:01:23:"
	    "45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:"
	    "ef" } },
	{ "[sender]\ndomain = example.org\nfrom = app@example.org\n"
	    "rewrite_from = always\n",
	    { "sender.domain = example.org", "sender.from = app@example.org",
	    "sender.rewrite_from = always", "smarthost.helo = example.org" } },
	{ "[smarthost]\nhost = a.example, b.example:2525 [2001:db8::1]:25 "
	    "2001:db8::2 192.0.2.9:465\n",
	    { "smarthost.host = a.example, b.example:2525 [2001:db8::1]:25 "
	    "2001:db8::2 192.0.2.9:465" } },
	{ "[smarthost]\ntls_cert_file = /etc/mf/c.pem\n"
	    "tls_key_file = /etc/mf/c.key\nauth = external\n"
	    "source_address = 192.0.2.4\n",
	    { "smarthost.tls_cert_file = /etc/mf/c.pem",
	    "smarthost.tls_key_file = /etc/mf/c.key",
	    "smarthost.auth = external",
	    "smarthost.source_address = 192.0.2.4" } },
	{ "[smarthost]\ntls_key_file = /k\ntls_cert_file = /c\nauth = none\n"
	    "source_address = 2001:db8::7\n",
	    { "smarthost.auth = none",
	    "smarthost.source_address = 2001:db8::7" } },
	{ "", { "smarthost.tls_cert_file =", "smarthost.tls_key_file =",
	    "smarthost.source_address =" } },
	{ "[smarthost]\nhost = 192.0.2.7\npassword_command = oauth-token "
	    "--user 'a b'\n",
	    { "smarthost.host = 192.0.2.7",
	    "smarthost.password_command = oauth-token --user 'a b'" } },
	{ "[smarthost]\nhost = ::1\n[sender]\nrewrite_from = missing\n",
	    { "smarthost.host = ::1", "sender.rewrite_from = missing" } },
	/* Comments, indentation, CRLF, a BOM, case-folded names. */
	{ "\xef\xbb\xbf; comment\r\n# another\r\n[SmartHost]\r\n"
	    "  Host = mx.example.net ; inline\r\n\tPORT=25\r\n",
	    { "smarthost.host = mx.example.net", "smarthost.port = 25" } },
	{ "[aliases]\nroot = admin@example.com\nPostmaster = a@b.example, "
	    "bob\n* = catch@example.com\n",
	    { "aliases.root = admin@example.com",
	    "aliases.postmaster = a@b.example, bob",
	    "aliases.* = catch@example.com" } },
	/* [log]: target, file, format. */
	{ "", { "log.target = auto", "log.format = text" } },
	{ "[log]\ntarget = syslog\nformat = json\n",
	    { "log.target = syslog", "log.format = json" } },
	{ "[log]\ntarget = stderr\n", { "log.target = stderr" } },
	{ "[log]\ntarget = file\nfile = /var/log/mailferry.log\n",
	    { "log.target = file", "log.file = /var/log/mailferry.log" } },
	/* A section may appear twice; keys stay unique. */
	{ "", { "smarthost.max_sessions = 2", "smarthost.max_rate = 0",
	    "health.warn_age = 1h", "health.crit_age = 4h",
	    "health.warn_queue = 100", "health.crit_queue = 1000" } },
	{ "[smarthost]\nmax_sessions = 1\nmax_rate = 6/minute\n",
	    { "smarthost.max_sessions = 1", "smarthost.max_rate = 6/minute" } },
	{ "[smarthost]\nmax_rate = 100/H\n[health]\nwarn_age = 30m\n"
	    "crit_age = 2d\nwarn_queue = 5\ncrit_queue = 5\n",
	    { "smarthost.max_rate = 100/hour", "health.warn_age = 30m",
	    "health.crit_age = 2d", "health.warn_queue = 5",
	    "health.crit_queue = 5" } },
	{ "[smarthost]\nmax_rate = 1/s\n", { "smarthost.max_rate = 1/second" } },
	{ "[smarthost]\nmax_rate = 2/min\n", { "smarthost.max_rate = 2/minute" } },
	{ "[smarthost]\nmax_rate = 3/day\n", { "smarthost.max_rate = 3/day" } },
	{ "[smarthost]\nhost = a.example\n[queue]\nretry = 1m\n[smarthost]\n"
	    "port = 2525\n",
	    { "smarthost.host = a.example", "smarthost.port = 2525",
	    "queue.retry = 1m" } },
};

static const struct bad_case bad_cases[] = {
	{ "[smarthost]\nhots = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[smtp]\nhost = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 1, "s3cr3t" },
	{ "[smarthost]\n[nosuch]\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "host = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 1, "s3cr3t" },
	{ "[smarthost]\ntls = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[smarthost]\nauth = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[queue]\ndelivery = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[smarthost]\ntls_min_version = 1.1\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "1.1" },
	{ "[smarthost]\nport = 70000\n", 0, 0, CONF_ERR_SYNTAX, 2, "70000" },
	{ "[smarthost]\nport = 0\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nport = 58x7\n", 0, 0, CONF_ERR_SYNTAX, 2, "58x7" },
	{ "[smarthost]\nport = -25\n", 0, 0, CONF_ERR_SYNTAX, 2, "-25" },
	{ "[smarthost]\ntimeout = 5y\n", 0, 0, CONF_ERR_SYNTAX, 2, "5y" },
	{ "[smarthost]\ntimeout = 2h\n", 0, 0, CONF_ERR_SYNTAX, 2, "2h" },
	{ "[smarthost]\ntimeout = 0\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\ntimeout = 5 m\n", 0, 0, CONF_ERR_SYNTAX, 2, "5 m" },
	{ "[queue]\nretry = 99999999999999999999d\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "9999999" },
	{ "[queue]\nmax_age = 5ms\n", 0, 0, CONF_ERR_SYNTAX, 2, "5ms" },
	{ "[queue]\nmax_size = 35T\n", 0, 0, CONF_ERR_SYNTAX, 2, "35T" },
	{ "[queue]\nmax_size = 3G\n", 0, 0, CONF_ERR_SYNTAX, 2, "3G" },
	{ "[queue]\nmax_size = 10\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[queue]\nmax_size = M\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[queue]\nretry = 5h\nmax_retry = 1h\n", 0, 0, CONF_ERR_SYNTAX, 3,
	    NULL },
	{ "[smarthost]\nmax_sessions = 0\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_sessions = 101\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_sessions = 2x\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_rate = 6\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_rate = 0/minute\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nmax_rate = 6/week\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_rate = /minute\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nmax_rate = 6/minute/x\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nmax_rate = 1000001/s\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nmax_rate = -1/s\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[health]\nwarn_age = 0\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[health]\nwarn_queue = 0\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[health]\nwarn_age = 5h\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[health]\ncrit_age = 5h\nwarn_age = 6h\n", 0, 0, CONF_ERR_SYNTAX,
	    3, NULL },
	{ "[health]\nwarn_queue = 20\ncrit_queue = 10\n", 0, 0,
	    CONF_ERR_SYNTAX, 3, NULL },
	{ "[log]\ntarget = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[log]\nformat = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[log]\nfile = rel/s3cr3t.log\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "s3cr3t" },
	{ "[log]\ntarget = file\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[log]\ntarget = stderr\ntarget = file\n", 0, 0, CONF_ERR_SYNTAX,
	    3, NULL },
	{ "[smarthost]\nhost = a.example\nport = 25\nhost = s3cr3t\n", 0, 0,
	    CONF_ERR_SYNTAX, 4, "s3cr3t" },
	{ "[smarthost]\nHOST = a.example\n[smarthost]\nhost = s3cr3t\n", 0, 0,
	    CONF_ERR_SYNTAX, 4, "s3cr3t" },
	{ "[smarthost]\nhost = a\0b\n", 22, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\n\nhost = a\x01" "b\n", 0, 0, CONF_ERR_SYNTAX, 3, NULL },
	{ "[smarthost]\nhost = a\rb\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nuser = u\npassword = hunter2\n", 0, 0600,
	    CONF_ERR_SYNTAX, 3, "hunter2" },
	{ "[smarthost]\nuser = u\npassword = hunter2\n", 0, 0644,
	    CONF_ERR_INSECURE, 3, "hunter2" },
	{ "[smarthost]\nuser = u\nPassWd = hunter2\n", 0, 0640,
	    CONF_ERR_INSECURE, 3, "hunter2" },
	{ "[sender]\npass = hunter2\n", 0, 0604, CONF_ERR_INSECURE, 2,
	    "hunter2" },
	{ "[aliases]\nsecret = hunter2\n", 0, 0600, CONF_ERR_SYNTAX, 2,
	    "hunter2" },
	{ "[smarthost]\nsmtp_password = hunter2\n", 0, 0644,
	    CONF_ERR_INSECURE, 2, "hunter2" },
	{ "[aliases]\nroot = a\nSMTP_PASS = hunter2\n", 0, 0644,
	    CONF_ERR_INSECURE, 3, "hunter2" },
	{ "[queue]\nclient_secret = hunter2\n", 0, 0600,
	    CONF_ERR_SYNTAX, 2, "hunter2" },
	{ "[sender]\npassword_file = /s3cr3t\n", 0, 0644, CONF_ERR_SYNTAX, 2,
	    "s3cr3t" },
	/* A password after another error still wins. */
	{ "[smarthost]\nbogus = 1\npassword = hunter2\n", 0, 0644,
	    CONF_ERR_INSECURE, 3, "hunter2" },
	{ "[nosuch]\npassword = hunter2\n", 0, 0600, CONF_ERR_SYNTAX, 2,
	    "hunter2" },
	{ "[smarthost]\npassword_file = etc/secret\n", 0, 0, CONF_ERR_SYNTAX,
	    2, "etc/secret" },
	{ "[smarthost]\nca_file = ca.pem\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "ca.pem" },
	{ "[queue]\ndir = spool\n", 0, 0, CONF_ERR_SYNTAX, 2, "spool" },
	{ "[smarthost]\nfingerprint = sha256:0011\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "0011" },
	{ "[smarthost]\nfingerprint = md5:00112233445566778899aabbccddeeff\n",
	    0, 0, CONF_ERR_SYNTAX, 2, "0011" },
	{ "[smarthost]\nfingerprint = sha256:00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "0011" },
	{ "[smarthost]\nfingerprint = sha256:0g112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "0g11" },
	{ "[smarthost]\nhost =\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nhost = smtp..example\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "smtp..example" },
	{ "[smarthost]\nhost = [192.0.2.1]\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "192.0.2.1" },
	{ "[smarthost]\nhelo = bad_name\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "bad_name" },
	{ "[smarthost]\njust some words\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost\nhost = a\n", 0, 0, CONF_ERR_SYNTAX, 1, NULL },
	{ "[smarthost]\nhost = a.example\n  b.example\n", 0, 0,
	    CONF_ERR_SYNTAX, 3, NULL },
	{ "[sender]\ndomain = exa_mple.com\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "exa_mple" },
	{ "[sender]\nfrom = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[sender]\nfrom = <a@b.example>\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "a@b" },
	{ "[sender]\nrewrite_from = sometimes\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "sometimes" },
	{ "[aliases]\nroot = <s3cr3t>\n", 0, 0, CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[aliases]\nroot = a@b.example,,c\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "a@b" },
	{ "[aliases]\na@b = c\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[aliases]\nRoot = a\nroot = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 3,
	    "s3cr3t" },
	{ "[smarthost]\npassword_file = /etc/s\npassword_command = s3cr3t\n",
	    0, 0, CONF_ERR_SYNTAX, 3, "s3cr3t" },
	/* Host lists, client certificates, source_address. */
	{ "[smarthost]\nhost = a.example, s3cr3t..x\n", 0, 0,
	    CONF_ERR_SYNTAX, 2, "s3cr3t" },
	{ "[smarthost]\nhost = a.example:0\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nhost = a.example:70000\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nhost = a.example:\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nhost = a.example:25x\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nhost = [192.0.2.1]:25\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nhost = [2001:db8::1]x\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nhost = , ,\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nhost = a b c d e f g h i\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\ntls_cert_file = /c.pem\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\n\ntls_key_file = /c.key\n", 0, 0, CONF_ERR_SYNTAX, 3,
	    NULL },
	{ "[smarthost]\ntls_key_file = c.key\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    NULL },
	{ "[smarthost]\nauth = external\n", 0, 0, CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nsource_address = s3cr3t\n", 0, 0, CONF_ERR_SYNTAX, 2,
	    "s3cr3t" },
	{ "[smarthost]\nsource_address = 192.0.2.256\n", 0, 0,
	    CONF_ERR_SYNTAX, 2, NULL },
	{ "[smarthost]\nsource_address = localhost\n", 0, 0, CONF_ERR_SYNTAX,
	    2, NULL },
	{ "[smarthost]\nsource_address = 192.0.2.1:25\n", 0, 0,
	    CONF_ERR_SYNTAX, 2, NULL },
};

ATF_TC_WITHOUT_HEAD(good_files);
ATF_TC_BODY(good_files, tc)
{
	struct conf	 c;
	char		*cause, *out, line[512];
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < nitems(good_cases); i++) {
		rc = load(&c, good_cases[i].text, strlen(good_cases[i].text),
		    0644, &cause);
		if (rc != 0)
			atf_tc_fail("good case %zu: rc %d: %s", i, rc, cause);
		out = dump(&c);
		for (j = 0; j < nitems(good_cases[i].expect); j++) {
			if (good_cases[i].expect[j] == NULL)
				break;
			snprintf(line, sizeof(line), "\n%s\n",
			    good_cases[i].expect[j]);
			if (strstr(out, line) == NULL &&
			    strncmp(out, line + 1, strlen(line + 1)) != 0)
				atf_tc_fail("good case %zu: no \"%s\" in:\n%s",
				    i, good_cases[i].expect[j], out);
		}
		free(out);
		conf_free(&c);
	}
}

ATF_TC_WITHOUT_HEAD(bad_files);
ATF_TC_BODY(bad_files, tc)
{
	char	 label[32];
	size_t	 i;

	for (i = 0; i < nitems(bad_cases); i++) {
		snprintf(label, sizeof(label), "bad case %zu", i);
		check_bad(&bad_cases[i], label);
	}
}

/* inih r55 would split these lines in two: they must be refused. */
ATF_TC_WITHOUT_HEAD(long_lines);
ATF_TC_BODY(long_lines, tc)
{
	struct bad_case	 t;
	struct conf	 c;
	char		 text[1024], *cause, *out;
	int		 n;

	n = snprintf(text, sizeof(text), "[smarthost]\n; ok\nuser = %0*d\n",
	    250 - 7, 0);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(text));
	memset(&t, 0, sizeof(t));
	t.text = text;
	t.rc = CONF_ERR_SYNTAX;
	t.line = 3;
	t.hidden = "00000000";
	check_bad(&t, "250-byte line");

	/* A 250-byte comment is just as dangerous to inih. */
	memset(text, ';', 250);
	strlcpy(text + 250, "\n", sizeof(text) - 250);
	t.line = 1;
	t.hidden = NULL;
	check_bad(&t, "250-byte comment");

	/* 199 bytes (plus CRLF) is the longest line accepted. */
	n = snprintf(text, sizeof(text), "[smarthost]\r\nuser = %0*d\r\n",
	    199 - 7, 0);
	ATF_REQUIRE(load(&c, text, (size_t)n, 0644, &cause) == 0);
	ATF_REQUIRE(c.user != NULL && strlen(c.user) == 192);
	out = dump(&c);
	ATF_CHECK(strstr(out, "smarthost.user = 000") != NULL);
	free(out);
	conf_free(&c);
	n = snprintf(text, sizeof(text), "[smarthost]\nuser = %0*d\n",
	    200 - 7, 0);
	memset(&t, 0, sizeof(t));
	t.text = text;
	t.rc = CONF_ERR_SYNTAX;
	t.line = 2;
	check_bad(&t, "200-byte line");
}

ATF_TC_WITHOUT_HEAD(missing_file);
ATF_TC_BODY(missing_file, tc)
{
	struct conf	 c;
	char		*cause = NULL;

	conf_init(&c);
	ATF_CHECK_EQ(conf_load(&c, "nonexistent.conf", &cause),
	    CONF_ERR_SYNTAX);
	ATF_REQUIRE(cause != NULL);
	ATF_CHECK(strstr(cause, "nonexistent.conf") != NULL);
	free(cause);
	conf_free(&c);

	conf_init(&c);
	ATF_REQUIRE(mkdir("dir.conf", 0755) == 0);
	ATF_CHECK_EQ(conf_load(&c, "dir.conf", &cause), CONF_ERR_SYNTAX);
	free(cause);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	struct conf	 c;
	char		*cause;

	ATF_REQUIRE(load(&c, "", 0, 0644, &cause) == 0);
	ATF_CHECK(c.host == NULL);
	ATF_CHECK_EQ(c.port, 587);
	ATF_CHECK_EQ(c.tls, CONF_TLS_STARTTLS);
	ATF_CHECK_EQ(c.auth, CONF_AUTH_AUTO);
	ATF_CHECK_EQ(c.timeout, 300);
	ATF_CHECK_EQ(c.connect_timeout, 30);
	ATF_CHECK_EQ(c.retry, 300);
	ATF_CHECK_EQ(c.max_retry, 4 * 3600);
	ATF_CHECK_EQ(c.max_age, 5 * 86400);
	ATF_CHECK_EQ(c.delay_warning, 4 * 3600);
	ATF_CHECK_EQ(c.max_size, 35 * 1024 * 1024);
	ATF_CHECK_EQ(c.delivery, CONF_DELIVERY_BACKGROUND);
	ATF_CHECK_EQ(c.rewrite_from, CONF_REWRITE_NEVER);
	ATF_CHECK_EQ(c.tls_min_version, 0x0303);
	ATF_CHECK_EQ(c.has_fingerprint, 0);
	ATF_REQUIRE(c.queue_dir != NULL);
	ATF_CHECK(c.queue_dir[0] == '/');
	ATF_REQUIRE(c.domain != NULL && c.domain[0] != '\0');
	ATF_REQUIRE(c.helo != NULL);
	ATF_CHECK_STREQ(c.helo, c.domain);
	ATF_CHECK_STREQ(c.path, "t.conf");
	ATF_CHECK(TAILQ_EMPTY(&c.aliases));
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(aliases);
ATF_TC_BODY(aliases, tc)
{
	static const char text[] = "[aliases]\nroot = admin@example.com\n"
	    "Webmaster = web@example.com, ops\n";
	static const char text2[] = "[aliases]\n* = all@example.com\n"
	    "root = r\n";
	struct conf	 c;
	char		*cause;

	ATF_REQUIRE(load(&c, text, strlen(text), 0644, &cause) == 0);
	ATF_CHECK_STREQ(conf_alias_lookup(&c, "root"), "admin@example.com");
	ATF_CHECK_STREQ(conf_alias_lookup(&c, "ROOT"), "admin@example.com");
	ATF_CHECK_STREQ(conf_alias_lookup(&c, "webmaster"),
	    "web@example.com, ops");
	ATF_CHECK(conf_alias_lookup(&c, "nobody") == NULL);
	ATF_CHECK(conf_alias_lookup(&c, "*") == NULL);
	conf_free(&c);

	ATF_REQUIRE(load(&c, text2, strlen(text2), 0644, &cause) == 0);
	ATF_CHECK_STREQ(conf_alias_lookup(&c, "root"), "r");
	ATF_CHECK_STREQ(conf_alias_lookup(&c, "nobody"), "all@example.com");
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(check_relay);
ATF_TC_BODY(check_relay, tc)
{
	static const struct {
		const char	*text;
		int		 rc;
	} t[] = {
		{ "", -1 },
		{ "[smarthost]\nhost = a.example\n", 0 },
		{ "[smarthost]\nhost = a.example\nuser = u\n", -1 },
		{ "[smarthost]\nhost = a.example\npassword_file = /s\n", -1 },
		{ "[smarthost]\nhost = a.example\nauth = plain\n", -1 },
		{ "[smarthost]\nhost = a.example\nuser = u\nauth = none\n", 0 },
		{ "[smarthost]\nhost = a.example\nuser = u\n"
		    "password_file = /s\n", 0 },
		{ "[smarthost]\nhost = a.example\nuser = u\n"
		    "password_command = x\n", 0 },
		/* EXTERNAL: no password; user is the authzid. */
		{ "[smarthost]\nhost = a.example\nauth = external\n"
		    "tls_cert_file = /c\ntls_key_file = /k\n", 0 },
		{ "[smarthost]\nhost = a.example\nauth = external\n"
		    "user = u\ntls_cert_file = /c\ntls_key_file = /k\n", 0 },
		{ "[smarthost]\nhost = a.example, b.example\nauth = none\n"
		    "tls_cert_file = /c\ntls_key_file = /k\n", 0 },
	};
	struct conf	 c;
	char		*cause;
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		ATF_REQUIRE(load(&c, t[i].text, strlen(t[i].text), 0644,
		    &cause) == 0);
		cause = NULL;
		if (conf_check_relay(&c, &cause) != t[i].rc)
			atf_tc_fail("relay case %zu: %s", i,
			    cause != NULL ? cause : "accepted");
		if (t[i].rc != 0)
			ATF_CHECK(cause != NULL &&
			    strstr(cause, "t.conf") != NULL);
		free(cause);
		conf_free(&c);
	}
}

ATF_TC_WITHOUT_HEAD(host_list);
ATF_TC_BODY(host_list, tc)
{
	static const struct {
		const char	*text;
		size_t		 n;		/* 0: refused */
		const char	*name[3];
		unsigned int	 port[3];
	} t[] = {
		{ "a.example", 1, { "a.example" }, { 587 } },
		{ "a.example,b.example:2525", 2, { "a.example", "b.example" },
		    { 587, 2525 } },
		{ " a.example ,\tb.example  c.example:25 ", 3,
		    { "a.example", "b.example", "c.example" },
		    { 587, 587, 25 } },
		{ "2001:db8::1, [2001:db8::2]:465, [::1]", 3,
		    { "2001:db8::1", "2001:db8::2", "::1" }, { 587, 465, 587 } },
		{ "192.0.2.1:26", 1, { "192.0.2.1" }, { 26 } },
		{ "", 0, { NULL }, { 0 } },
		{ ",", 0, { NULL }, { 0 } },
		{ "a.example:", 0, { NULL }, { 0 } },
		{ "a.example:0", 0, { NULL }, { 0 } },
		{ "a.example:65536", 0, { NULL }, { 0 } },
		{ "[192.0.2.1]:25", 0, { NULL }, { 0 } },
		{ "[2001:db8::1", 0, { NULL }, { 0 } },
		{ "[2001:db8::1]25", 0, { NULL }, { 0 } },
		{ ":25", 0, { NULL }, { 0 } },
		{ "a b c d e f g h i", 0, { NULL }, { 0 } },
	};
	struct hostlist	 l;
	char		*cause, line[128];
	size_t		 i, j;
	int		 r;

	for (i = 0; i < nitems(t); i++) {
		cause = NULL;
		r = hostlist_parse(t[i].text, 587, &l, &cause);
		if (t[i].n == 0) {
			ATF_CHECK_MSG(r == -1 && cause != NULL,
			    "case %zu accepted", i);
			free(cause);
			continue;
		}
		ATF_CHECK_MSG(r == 0 && l.n == t[i].n, "case %zu: %d %zu %s",
		    i, r, l.n, cause != NULL ? cause : "");
		if (i == 3) {
			hostlist_format(&l, line, sizeof(line));
			ATF_CHECK_STREQ(line, "[2001:db8::1]:587,"
			    "[2001:db8::2]:465,[::1]:587");
		}
		for (j = 0; r == 0 && j < l.n && j < t[i].n; j++)
			ATF_CHECK_MSG(strcmp(l.e[j].name, t[i].name[j]) == 0 &&
			    l.e[j].port == t[i].port[j], "case %zu.%zu: %s:%u",
			    i, j, l.e[j].name, l.e[j].port);
		free(cause);
	}
}

ATF_TC_WITHOUT_HEAD(dump_all);
ATF_TC_BODY(dump_all, tc)
{
	static const char text[] = "[smarthost]\nhost = h.example\n"
	    "password_command = get-token\n";
	static const char *keys[] = { "smarthost.host", "smarthost.port",
	    "smarthost.tls", "smarthost.user", "smarthost.password_file",
	    "smarthost.password_command", "smarthost.auth",
	    "smarthost.ca_file", "smarthost.fingerprint",
	    "smarthost.tls_min_version", "smarthost.timeout",
	    "smarthost.connect_timeout", "smarthost.helo", "sender.domain",
	    "sender.from", "sender.rewrite_from", "queue.dir",
	    "queue.delivery", "queue.retry", "queue.max_retry",
	    "queue.max_age", "queue.delay_warning", "queue.max_size",
	    "smarthost.max_sessions", "smarthost.max_rate", "health.warn_age",
	    "health.crit_age", "health.warn_queue", "health.crit_queue",
	    "log.target", "log.file", "log.format" };
	struct conf	 c;
	char		*cause, *out;
	size_t		 i;

	ATF_REQUIRE(load(&c, text, strlen(text), 0644, &cause) == 0);
	out = dump(&c);
	for (i = 0; i < nitems(keys); i++)
		if (strstr(out, keys[i]) == NULL)
			atf_tc_fail("%s missing from dump:\n%s", keys[i], out);
	ATF_CHECK(strstr(out, "smarthost.password_command = get-token\n") !=
	    NULL);
	ATF_CHECK(strstr(out, "password =") == NULL);
	ATF_CHECK(strstr(out, "secret =") == NULL);
	free(out);
	conf_free(&c);
}

ATF_TC_WITHOUT_HEAD(sample_file);
ATF_TC_BODY(sample_file, tc)
{
#ifdef MF_SRCDIR
	struct conf	 c;
	char		*cause = NULL;
	int		 rc;

	conf_init(&c);
	rc = conf_load(&c, MF_SRCDIR "/etc/mailferry.conf", &cause);
	if (rc != 0)
		atf_tc_fail("sample: %s", cause);
	ATF_CHECK_STREQ(c.host, "smtp.example.com");
	ATF_CHECK_EQ(c.port, 587);
	ATF_CHECK_EQ(c.tls, CONF_TLS_STARTTLS);
	ATF_CHECK_STREQ(c.password_file, "/etc/mailferry.secret");
	ATF_CHECK(conf_alias_lookup(&c, "root") != NULL);
	ATF_CHECK(conf_alias_lookup(&c, "anyone") != NULL);
	ATF_CHECK_EQ(conf_check_relay(&c, &cause), 0);
	conf_free(&c);
#else
	atf_tc_skip("MF_SRCDIR not defined");
#endif
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, good_files);
	ATF_TP_ADD_TC(tp, bad_files);
	ATF_TP_ADD_TC(tp, host_list);
	ATF_TP_ADD_TC(tp, long_lines);
	ATF_TP_ADD_TC(tp, missing_file);
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, aliases);
	ATF_TP_ADD_TC(tp, check_relay);
	ATF_TP_ADD_TC(tp, dump_all);
	ATF_TP_ADD_TC(tp, sample_file);
	return (atf_no_error());
}
