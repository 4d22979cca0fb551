/*
 * smarthost -- scriptable SMTP server for the mailferry tests.
 *
 * This file: options, the listening socket, the sequential accept loop,
 * signals and small helpers.  The dialogue is in smarthost_session.c.
 * Usage and formats: tests/smarthost.md.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "smarthost.h"

#define SH_DEFAULT_IDLE	120
#define SH_DEFAULT_READ	60

volatile sig_atomic_t sh_quit;
struct sh_config sh_conf;

static void	usage(void) __attribute__((__noreturn__));
static long	number(const char *, long, long, const char *);
static void	on_signal(int);
static void	setup_signals(void);
static int	listen_local(int *);
static void	write_portfile(const char *, int);
static void	client_verify_setup(struct sh_config *);
static void	tls_setup(struct sh_config *);
static int	serve(int);

static void
usage(void)
{
	fprintf(stderr, "usage: smarthost -P portfile [-iRT] [-a idle_secs] "
	    "[-c cert -k key] [-d dir]\n"
	    "\t[-E ext] [-g greeting] [-h hostname] [-m mechs] [-n sessions] "
	    "[-s script]\n"
	    "\t[-t read_secs] [-u user -w pass] [-V client_ca] [-X ext] "
	    "[-z size]\n");
	exit(64);
}

/* Report a fatal error and exit with EX_SOFTWARE-like status 70. */
void
sh_fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "smarthost: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(70);
}

/* Report a problem on stderr. */
void
sh_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "smarthost: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/*
 * Write a whole file via a temporary name and rename(2), so a test that
 * polls for the file never reads it half written.
 */
int
sh_write_file(const char *path, const char *buf, size_t len)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return (-1);
	if ((f = fopen(tmp, "w")) == NULL)
		return (-1);
	if (fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return (-1);
	}
	if (fclose(f) != 0)
		return (-1);
	return (rename(tmp, path));
}

/* Sleep, giving up early when a terminating signal arrived. */
void
sh_sleep_ms(long ms)
{
	struct timespec	ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !sh_quit)
		;
}

static long
number(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		sh_fatal("%s: invalid value", what);
	return (v);
}

static void
on_signal(int sig)
{
	(void)sig;
	sh_quit = 1;
}

/*
 * No SA_RESTART: a blocking poll(2) or accept(2) must return EINTR so
 * that SIGTERM ends the server promptly.  SIGPIPE is ignored because a
 * client closing early is an ordinary test case, seen as EPIPE.
 */
static void
setup_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int
listen_local(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		sh_fatal("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		sh_fatal("bind: %s", strerror(errno));
	if (listen(fd, 16) == -1)
		sh_fatal("listen: %s", strerror(errno));
	len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		sh_fatal("getsockname: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return (fd);
}

static void
write_portfile(const char *path, int port)
{
	char	buf[16];
	int	n;

	n = snprintf(buf, sizeof(buf), "%d\n", port);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    sh_write_file(path, buf, (size_t)n) == -1)
		sh_fatal("%s: %s", path, strerror(errno));
}

/*
 * -V: ask for a client certificate, verify it against the CA file and
 * fail the handshake without one (the recording names its subject).
 */
static void
client_verify_setup(struct sh_config *c)
{
	STACK_OF(X509_NAME)	*names;
	static const unsigned char sid[] = "smarthost";

	if (SSL_CTX_load_verify_file(c->ctx, c->client_ca) != 1)
		sh_fatal("%s: cannot load the client CA", c->client_ca);
	if ((names = SSL_load_client_CA_file(c->client_ca)) == NULL)
		sh_fatal("%s: no CA names", c->client_ca);
	SSL_CTX_set_client_CA_list(c->ctx, names);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_session_id_context(c->ctx, sid, sizeof(sid) - 1);
	c->ext |= EXT_AUTH;
}

static void
tls_setup(struct sh_config *c)
{
	if (c->certfile == NULL && c->keyfile == NULL) {
		if (c->implicit_tls)
			sh_fatal("-i needs -c and -k");
		c->ext &= ~EXT_STARTTLS;
		return;
	}
	if (c->certfile == NULL || c->keyfile == NULL)
		sh_fatal("-c and -k go together");
	if ((c->ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		sh_fatal("SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (c->tls_max != 0)
		SSL_CTX_set_max_proto_version(c->ctx, c->tls_max);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, c->certfile) != 1)
		sh_fatal("%s: cannot load certificate", c->certfile);
	if (SSL_CTX_use_PrivateKey_file(c->ctx, c->keyfile,
	    SSL_FILETYPE_PEM) != 1)
		sh_fatal("%s: cannot load key", c->keyfile);
	if (SSL_CTX_check_private_key(c->ctx) != 1)
		sh_fatal("certificate and key do not match");
	if (c->client_ca != NULL)
		client_verify_setup(c);
	/* No session cache: every session is a full handshake. */
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(c->ctx, 0);
	if (c->implicit_tls)
		c->ext &= ~EXT_STARTTLS;
}

/* Accept and serve sessions one at a time until told to stop. */
static int
serve(int lfd)
{
	struct pollfd	pfd;
	int		fd, n, timeout;

	timeout = sh_conf.idle_secs > 0 ? (int)sh_conf.idle_secs * 1000 : -1;
	while (!sh_quit) {
		if (sh_conf.max_sessions > 0 &&
		    sh_conf.sessions_done >= sh_conf.max_sessions)
			return (0);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			sh_fatal("poll: %s", strerror(errno));
		if (n == 0) {
			sh_warn("idle for %ld s, exiting", sh_conf.idle_secs);
			return (0);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			sh_fatal("accept: %s", strerror(errno));
		}
		session_run(fd, (int)sh_conf.sessions_done + 1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct sh_config	*c = &sh_conf;
	char			*cause;
	int			 ch, lfd, port;

	c->ext = EXT_STARTTLS | EXT_PIPELINING | EXT_8BITMIME | EXT_DSN |
	    EXT_SMTPUTF8 | EXT_ENHANCED;
	c->idle_secs = SH_DEFAULT_IDLE;
	c->read_secs = SH_DEFAULT_READ;
	snprintf(c->hostname, sizeof(c->hostname), "smarthost.test");

	while ((ch = getopt(argc, argv, "a:c:d:E:g:h:ik:m:n:P:Rs:t:Tu:V:w:X:z:"))
	    != -1) {
		switch (ch) {
		case 'a':
			c->idle_secs = number(optarg, 0, 86400, "-a");
			break;
		case 'c':
			c->certfile = optarg;
			break;
		case 'd':
			c->recdir = optarg;
			break;
		case 'E':
		case 'X':
			if (script_set(c, optarg, ch == 'E' ? "on" : "off",
			    &cause) == -1)
				sh_fatal("-%c %s: %s", ch, optarg, cause);
			break;
		case 'g':
			if (script_set(c, "greeting", optarg, &cause) == -1)
				sh_fatal("-g: %s", cause);
			break;
		case 'h':
			if (script_set(c, "hostname", optarg, &cause) == -1)
				sh_fatal("-h: %s", cause);
			break;
		case 'i':
			c->implicit_tls = 1;
			break;
		case 'k':
			c->keyfile = optarg;
			break;
		case 'm':
			if (script_set(c, "mechs", optarg, &cause) == -1)
				sh_fatal("-m: %s", cause);
			break;
		case 'n':
			c->max_sessions = number(optarg, 0, LONG_MAX, "-n");
			break;
		case 'P':
			c->portfile = optarg;
			break;
		case 'R':
			c->require_auth = 1;
			break;
		case 's':
			c->script = optarg;
			break;
		case 't':
			c->read_secs = number(optarg, 1, 86400, "-t");
			break;
		case 'T':
			c->require_tls = 1;
			break;
		case 'u':
			c->user = optarg;
			break;
		case 'V':
			c->client_ca = optarg;
			break;
		case 'w':
			c->pass = optarg;
			break;
		case 'z':
			c->size = (unsigned long)number(optarg, 0, LONG_MAX,
			    "-z");
			c->ext |= EXT_SIZE;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || c->portfile == NULL)
		usage();
	if ((c->user == NULL) != (c->pass == NULL))
		sh_fatal("-u and -w go together");
	if (c->client_ca != NULL && c->certfile == NULL)
		sh_fatal("-V needs -c and -k");
	if (c->user != NULL)
		c->ext |= EXT_AUTH;
	if (c->script != NULL && script_load(c->script, c) == -1)
		exit(64);
	if (c->recdir != NULL && mkdir(c->recdir, 0755) == -1 &&
	    errno != EEXIST)
		sh_fatal("%s: %s", c->recdir, strerror(errno));
	tls_setup(c);
	setup_signals();

	lfd = listen_local(&port);
	write_portfile(c->portfile, port);
	serve(lfd);
	close(lfd);
	SSL_CTX_free(c->ctx);
	return (0);
}
