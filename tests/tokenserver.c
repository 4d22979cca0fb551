/*
 * tokenserver: the test OAuth 2.0 token endpoint (HTTPS, 127.0.0.1 on
 * an ephemeral port written to -P), the peer of oauth2_e2e_test.
 *
 *	tokenserver -P portfile -c cert.pem -k key.pem -d dir
 *	    [-e expires_in] [-r] [-p pending] [-i client_id]
 *
 * POST /token: grant_type refresh_token (the refresh_token must be the
 * content of dir/refresh, "rt0-canary-RT" when missing; -r rotates it:
 * every token reply carries a new one, written to dir/refresh),
 * client_credentials (client_secret must be dir/secret's content,
 * "cs-canary-SECRET" when missing) and the device_code grant of RFC
 * 8628 (the first -p polls, default 2, answer authorization_pending),
 * authorization_code (code "ac-canary-AC", and the S256 of
 * code_verifier must be dir/challenge: the test plays the browser).
 * The client_id must be -i (default "mf-client").  A token reply holds
 * access_token "at<N>-canary-AT" with expires_in -e (default 3600),
 * and the token is written to dir/valid, which the test smarthost
 * reads (-w @dir/valid) as the only token it accepts.
 * POST /device: a device code, user code and verification_uri.
 *
 * dir/mode, read at each request, scripts failures: "invalid_grant",
 * "500" (an HTML error page), "garbage" (200 with a non-JSON body),
 * "stale" (tokens are issued but dir/valid keeps the old one), "slow"
 * (normal service, one second late);
 * anything else (or no file) is normal service.  Every request appends
 * "<path> <grant_type> scope=<scope>" to dir/requests.
 * One connection at a time; SIGTERM ends it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define TS_REQ_MAX	16384

static const char	*ts_dir;
static const char	*ts_client = "mf-client";
static long		 ts_expires = 3600;
static int		 ts_rotate;
static int		 ts_pending = 2;
static unsigned int	 ts_count;

static void
ts_fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "tokenserver: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* dir/name's first line into buf, or def when missing. */
static void
ts_read(const char *name, const char *def, char *buf, size_t len)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", ts_dir, name);
	snprintf(buf, len, "%s", def);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, (int)len, fp) == NULL)
		snprintf(buf, len, "%s", def);
	buf[strcspn(buf, "\r\n")] = '\0';
	fclose(fp);
}

/* Replace dir/name with text (write, rename: readers see one or other). */
static void
ts_write(const char *name, const char *text, const char *how)
{
	char	 path[4096], tmp[4200];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", ts_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(how[0] == 'a' ? path : tmp, how)) == NULL)
		ts_fatal("%s: %s", tmp, strerror(errno));
	fprintf(fp, "%s\n", text);
	fclose(fp);
	if (how[0] != 'a' && rename(tmp, path) == -1)
		ts_fatal("%s: %s", path, strerror(errno));
}

/* Form parameter key of body, percent-decoded, into out ("" if absent). */
static void
ts_param(const char *body, const char *key, char *out, size_t len)
{
	const char	*p = body, *v;
	size_t		 n = 0, klen = strlen(key);
	unsigned int	 hex;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			break;
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	if (p == NULL || *p == '\0')
		return;
	for (v = p + klen + 1; *v != '\0' && *v != '&' && n + 1 < len; v++) {
		if (*v == '%' && sscanf(v + 1, "%2x", &hex) == 1) {
			out[n++] = (char)hex;
			v += 2;
		} else
			out[n++] = *v == '+' ? ' ' : *v;
	}
	out[n] = '\0';
}

static void
ts_reply(SSL *ssl, int status, const char *type, const char *body)
{
	char	 head[256];

	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    status == 200 ? "OK" : status == 400 ? "Bad Request" :
	    "Internal Server Error", type, strlen(body));
	SSL_write(ssl, head, (int)strlen(head));
	SSL_write(ssl, body, (int)strlen(body));
}

static void
ts_error(SSL *ssl, const char *code, const char *desc)
{
	char	 body[512];

	snprintf(body, sizeof(body), "{\"error\":\"%s\",\"error_description\""
	    ":\"%s\"}", code, desc);
	ts_reply(ssl, 400, "application/json", body);
}

/* Issue an access token (and, with -r, a new refresh token). */
static void
ts_issue(SSL *ssl)
{
	char	 body[1024], tok[64], rt[64], mode[64];

	ts_count++;
	snprintf(tok, sizeof(tok), "at%u-canary-AT", ts_count);
	snprintf(rt, sizeof(rt), "rt%u-canary-RT", ts_count);
	ts_read("mode", "ok", mode, sizeof(mode));
	if (strcmp(mode, "stale") != 0)
		ts_write("valid", tok, "w");
	if (ts_rotate)
		ts_write("refresh", rt, "w");
	snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":%ld%s%s%s}", tok, ts_expires,
	    ts_rotate ? ",\"refresh_token\":\"" : "", ts_rotate ? rt : "",
	    ts_rotate ? "\"" : "");
	ts_reply(ssl, 200, "application/json", body);
}

/* Whether code_verifier's S256 is dir/challenge (RFC 7636 4.6). */
static int
ts_pkce_ok(const char *form)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 verifier[256], want[256], b64[128];
	unsigned int	 len;
	int		 n, i;

	ts_param(form, "code_verifier", verifier, sizeof(verifier));
	ts_read("challenge", "", want, sizeof(want));
	if (strlen(verifier) < 43 || EVP_Digest(verifier, strlen(verifier),
	    md, &len, EVP_sha256(), NULL) != 1)
		return (0);
	n = EVP_EncodeBlock((unsigned char *)b64, md, (int)len);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	for (i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	return (strcmp(b64, want) == 0);
}

/* POST /token: check the grant, then issue or refuse. */
static void
ts_token(SSL *ssl, const char *form, const char *grant)
{
	char	 want[512], got[512], client[256];

	ts_param(form, "client_id", client, sizeof(client));
	if (strcmp(client, ts_client) != 0) {
		ts_error(ssl, "invalid_client", "unknown client");
		return;
	}
	if (strcmp(grant, "refresh_token") == 0) {
		ts_read("refresh", "rt0-canary-RT", want, sizeof(want));
		ts_param(form, "refresh_token", got, sizeof(got));
	} else if (strcmp(grant, "client_credentials") == 0) {
		ts_read("secret", "cs-canary-SECRET", want, sizeof(want));
		ts_param(form, "client_secret", got, sizeof(got));
	} else if (strcmp(grant,
	    "urn:ietf:params:oauth:grant-type:device_code") == 0) {
		snprintf(want, sizeof(want), "dc-canary-DC");
		ts_param(form, "device_code", got, sizeof(got));
		if (strcmp(want, got) == 0 && ts_pending-- > 0) {
			ts_error(ssl, "authorization_pending", "waiting");
			return;
		}
		ts_rotate = 1;	/* the first refresh token comes with it */
	} else if (strcmp(grant, "authorization_code") == 0) {
		snprintf(want, sizeof(want), "ac-canary-AC");
		ts_param(form, "code", got, sizeof(got));
		if (!ts_pkce_ok(form)) {
			ts_error(ssl, "invalid_grant", "PKCE verifier mismatch");
			return;
		}
		ts_rotate = 1;
	} else {
		ts_error(ssl, "unsupported_grant_type", "no such grant");
		return;
	}
	if (strcmp(want, got) != 0)
		ts_error(ssl, "invalid_grant", "AADSTS70000: grant is invalid");
	else
		ts_issue(ssl);
}

/* One request: method, path, Content-Length body. */
static void
ts_serve(SSL *ssl)
{
	char	 req[TS_REQ_MAX + 1], path[64], grant[256], scope[512];
	char	 mode[64], line[1024], *body, *cl;
	size_t	 len = 0, want;
	int	 n;

	req[0] = '\0';
	while ((body = strstr(req, "\r\n\r\n")) == NULL || len == 0) {
		if (len >= TS_REQ_MAX ||
		    (n = SSL_read(ssl, req + len, (int)(TS_REQ_MAX - len))) <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
	}
	body += 4;
	want = (cl = strcasestr(req, "\r\nContent-Length:")) != NULL ?
	    strtoul(cl + 17, NULL, 10) : 0;
	while ((size_t)(req + len - body) < want && len < TS_REQ_MAX) {
		if ((n = SSL_read(ssl, req + len, (int)(TS_REQ_MAX - len))) <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
	}
	if (sscanf(req, "POST %63s HTTP/1.1", path) != 1) {
		ts_reply(ssl, 500, "text/html", "<html>only POST</html>");
		return;
	}
	ts_param(body, "grant_type", grant, sizeof(grant));
	ts_param(body, "scope", scope, sizeof(scope));
	snprintf(line, sizeof(line), "%s %s scope=%s", path,
	    grant[0] != '\0' ? grant : "-", scope);
	ts_write("requests", line, "a");
	ts_read("mode", "ok", mode, sizeof(mode));
	if (strcmp(mode, "slow") == 0)
		sleep(1);
	if (strcmp(mode, "500") == 0)
		ts_reply(ssl, 500, "text/html", "<html>down</html>");
	else if (strcmp(mode, "garbage") == 0)
		ts_reply(ssl, 200, "application/json", "{\"access_token\":");
	else if (strcmp(mode, "invalid_grant") == 0)
		ts_error(ssl, "invalid_grant", "AADSTS700082: The refresh "
		    "token has expired");
	else if (strcmp(path, "/device") == 0)
		ts_reply(ssl, 200, "application/json", "{\"device_code\":"
		    "\"dc-canary-DC\",\"user_code\":\"WDJB-MJHT\","
		    "\"verification_uri\":\"https://127.0.0.1/device\","
		    "\"expires_in\":60,\"interval\":1}");
	else if (strcmp(path, "/token") == 0)
		ts_token(ssl, body, grant);
	else
		ts_reply(ssl, 500, "text/html", "<html>no such path</html>");
}

static int
ts_listen(const char *portfile)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			 buf[16], tmp[4096];
	FILE			*fp;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		ts_fatal("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		ts_fatal("listen: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%d", ntohs(sin.sin_port));
	snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%s\n", buf) < 0 ||
	    fclose(fp) == EOF || rename(tmp, portfile) == -1)
		ts_fatal("%s: %s", portfile, strerror(errno));
	return (fd);
}

int
main(int argc, char *argv[])
{
	const char	*portfile = NULL, *cert = NULL, *key = NULL, *dir = NULL;
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 ch, lfd, fd;

	while ((ch = getopt(argc, argv, "c:d:e:i:k:P:p:r")) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'd': dir = optarg; break;
		case 'e': ts_expires = strtol(optarg, NULL, 10); break;
		case 'i': ts_client = optarg; break;
		case 'k': key = optarg; break;
		case 'P': portfile = optarg; break;
		case 'p': ts_pending = atoi(optarg); break;
		case 'r': ts_rotate = 1; break;
		default:
			ts_fatal("usage: tokenserver -P portfile -c cert "
			    "-k key -d dir [-e secs] [-i client] [-p n] [-r]");
		}
	}
	if (portfile == NULL || cert == NULL || key == NULL || dir == NULL)
		ts_fatal("-P, -c, -k and -d are required");
	signal(SIGPIPE, SIG_IGN);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		ts_fatal("cannot load %s and %s", cert, key);
	lfd = ts_listen(portfile);
	ts_dir = dir;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1)
			ts_serve(ssl);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
	}
}
