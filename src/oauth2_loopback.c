/*
 * oauth2_loopback.c: the loopback redirect flow of mailferry-oauth2
 * (RFC 8252 section 7.3, with PKCE S256 of RFC 7636).
 *
 * Listen on 127.0.0.1, an ephemeral port; print the authorization
 * endpoint's address with response_type=code, the redirect
 * http://127.0.0.1:PORT/, the scope, a random state and the S256
 * challenge of a random verifier (Google: access_type=offline and
 * prompt=consent, so that a refresh token comes back).  Wait at most
 * OAUTH2_LOOPBACK_WAIT for the browser's GET with our state and a code
 * (other requests, a favicon, get 404), answer with a short page, and
 * exchange the code with the verifier for the refresh token.  Only the
 * browser on this host (or a forwarded port) can reach the listener;
 * the state and the verifier make a stray or forged redirect useless.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mailferry.h"
#include "conf.h"
#include "oauth2.h"
#include "util.h"

#define OAUTH2_LOOPBACK_WAIT	300	/* seconds for the user */
#define OAUTH2_REQ_MAX		8192

static void	 oauth2_b64url(const unsigned char *, size_t, char *);
static int	 oauth2_listen(unsigned int *);
static char	*oauth2_auth_url(const struct conf *, unsigned int,
		    const char *, const char *);
static char	*oauth2_wait_code(int, const char *);
static int	 oauth2_query(const char *, const char *, char *, size_t);

/* The refresh token, by the loopback flow (or mf_die). */
char *
oauth2_loopback(const struct conf *c)
{
	unsigned char	 rnd[32], md[EVP_MAX_MD_SIZE];
	char		 verifier[64], challenge[64], state[32], *url, *code;
	char		*form, *e[3], *refresh;
	unsigned int	 port, mdlen;
	int		 fd, i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		mf_die(EX_OSERR, "no random bytes");
	oauth2_b64url(rnd, sizeof(rnd), verifier);
	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || RAND_bytes(rnd, 16) != 1)
		mf_die(EX_OSERR, "SHA-256 or random bytes failed");
	oauth2_b64url(md, mdlen, challenge);
	oauth2_b64url(rnd, 16, state);
	fd = oauth2_listen(&port);
	url = oauth2_auth_url(c, port, state, challenge);
	printf("To allow mailferry to send as %s, open this address in a "
	    "browser on this machine\n(or forward the port: ssh -L %u:"
	    "127.0.0.1:%u this-host):\n\n  %s\n\nWaiting up to %d minutes..."
	    "\n", c->user != NULL ? c->user : "the mailbox", port, port, url,
	    OAUTH2_LOOPBACK_WAIT / 60);
	fflush(stdout);
	free(url);
	code = oauth2_wait_code(fd, state);
	close(fd);
	e[0] = oauth2_form_escape(code);
	xasprintf(&url, "http://127.0.0.1:%u/", port);
	e[1] = oauth2_form_escape(url);
	e[2] = oauth2_form_escape(verifier);
	xasprintf(&form, "grant_type=authorization_code&code=%s&"
	    "redirect_uri=%s&code_verifier=%s&", e[0], e[1], e[2]);
	for (i = 0; i < 3; i++)
		freezero(e[i], strlen(e[i]));
	freezero(code, strlen(code));
	free(url);
	url = oauth2_client_form(c, form, "scope", oauth2_scope(c));
	freezero(form, strlen(form));
	refresh = oauth2_token_by_form(c, url);
	freezero(url, strlen(url));
	explicit_bzero(verifier, sizeof(verifier));
	return (refresh);
}

/* base64url without padding (RFC 7636 appendix A) into out. */
static void
oauth2_b64url(const unsigned char *in, size_t len, char *out)
{
	size_t	 i, n;

	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

static int
oauth2_listen(unsigned int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		mf_die(EX_OSERR, "listen on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* The authorization request's address. */
static char *
oauth2_auth_url(const struct conf *c, unsigned int port, const char *state,
    const char *challenge)
{
	char	 buf[512], redirect[64], *e[3], *url;
	int	 i;

	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u/", port);
	e[0] = oauth2_form_escape(c->oauth2_client_id);
	e[1] = oauth2_form_escape(redirect);
	e[2] = oauth2_form_escape(oauth2_scope(c));
	xasprintf(&url, "%s?response_type=code&client_id=%s&redirect_uri=%s"
	    "&scope=%s&state=%s&code_challenge=%s&code_challenge_method=S256"
	    "%s", oauth2_authorize_endpoint(c, buf, sizeof(buf)), e[0], e[1],
	    e[2], state, challenge,
	    c->oauth2_provider == CONF_OAUTH2_GOOGLE ?
	    "&access_type=offline&prompt=consent" : "");
	for (i = 0; i < 3; i++)
		free(e[i]);
	return (url);
}

/* Serve the listener until the redirect with our state arrives. */
static char *
oauth2_wait_code(int lfd, const char *state)
{
	struct pollfd	 pfd;
	char		 req[OAUTH2_REQ_MAX + 1], got[64], code[2048];
	const char	*page;
	time_t		 end = time(NULL) + OAUTH2_LOOPBACK_WAIT;
	ssize_t		 n;
	int		 fd, ok = 0;

	while (!ok) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (time(NULL) >= end || poll(&pfd, 1, (int)(end - time(NULL)) *
		    1000) == 0)
			mf_die(EX_UNAVAILABLE, "no answer from the browser: run "
			    "authorize again");
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		/* One read: a browser sends its request line at once. */
		n = read(fd, req, OAUTH2_REQ_MAX);
		req[n > 0 ? n : 0] = '\0';
		if (oauth2_query(req, "error", got, sizeof(got)) == 0)
			mf_die(EX_UNAVAILABLE, "the authorization was refused");
		ok = oauth2_query(req, "state", got, sizeof(got)) == 0 &&
		    strcmp(got, state) == 0 &&
		    oauth2_query(req, "code", code, sizeof(code)) == 0;
		page = ok ? "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
		    "mailferry: authorized, you may close this window.\r\n" :
		    "HTTP/1.0 404 Not Found\r\n\r\n";
		if (util_write_all(fd, page, strlen(page)) == -1)
			log_debug("the browser hung up: %s", strerror(errno));
		close(fd);
	}
	return (xstrdup(code));
}

/*
 * Parameter key of the request line "GET /?a=b&c=d HTTP/1.1",
 * percent-decoded into out: 0, or -1 when absent, empty or too long.
 */
static int
oauth2_query(const char *req, const char *key, char *out, size_t len)
{
	const char	*p, *end;
	size_t		 klen = strlen(key), n = 0;
	unsigned int	 hex;

	if (strncmp(req, "GET /?", 6) != 0 ||
	    (end = strchr(req + 6, ' ')) == NULL)
		return (-1);
	for (p = req + 6; p < end; p++) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			break;
		if ((p = memchr(p, '&', (size_t)(end - p))) == NULL)
			return (-1);
	}
	for (p += klen + 1; p < end && *p != '&'; p++) {
		if (n + 1 >= len)
			return (-1);
		if (*p == '%' && end - p > 2 && sscanf(p + 1, "%2x", &hex) == 1 &&
		    hex > 0x1f && hex < 0x7f) {
			out[n++] = (char)hex;
			p += 2;
		} else if (*p > 0x20 && *p < 0x7f && *p != '%')
			out[n++] = *p;
		else
			return (-1);
	}
	out[n] = '\0';
	return (n > 0 ? 0 : -1);
}
