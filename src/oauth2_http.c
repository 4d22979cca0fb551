/*
 * oauth2_http.c: one HTTPS POST of an application/x-www-form-urlencoded
 * body to a token or device endpoint, with libcurl.
 *
 * The request carries a client secret or a refresh token, and the reply
 * an access token, so: https only (no other protocol, no redirect, no
 * proxy), the peer verified (CURLOPT_SSL_VERIFYPEER and VERIFYHOST, the
 * system store or [oauth2] ca_file), TLS 1.2 or later, a connect and a
 * total deadline, and a reply of at most OAUTH2_REPLY_MAX bytes.  The
 * -v trace shows the URL and the HTTP status, never the form or reply.
 * A transport failure is temporary (-1); any HTTP status is returned
 * for the caller to judge together with the body.
 *
 * libcurl is loaded with dlopen() the first time it is needed, not
 * linked: its dependencies (GnuTLS, Kerberos, LDAP, SSH... 30 shared
 * libraries) cost every mailferry-send start 8.4 million instructions,
 * OAuth2 configured or not (see README, Performance).  The soname is
 * fixed and looked up in the system's library path only: in a set-id
 * process the dynamic loader ignores LD_LIBRARY_PATH.
 */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mailferry.h"
#include "oauth2.h"

#define OAUTH2_CONNECT_TIMEOUT	30L	/* seconds */
#define OAUTH2_TOTAL_TIMEOUT	60L
#define OAUTH2_LIBCURL		"libcurl.so.4"

/* The libcurl functions we call, from dlsym(). */
struct oauth2_curl {
	CURLcode	 (*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	char		*(*easy_escape)(CURL *, const char *, int);
	void		 (*free)(void *);
};

static const struct {
	const char	*name;
	size_t		 off;
} oauth2_curl_syms[] = {
	{ "curl_global_init",	offsetof(struct oauth2_curl, global_init) },
	{ "curl_easy_init",	offsetof(struct oauth2_curl, easy_init) },
	{ "curl_easy_setopt",	offsetof(struct oauth2_curl, easy_setopt) },
	{ "curl_easy_perform",	offsetof(struct oauth2_curl, easy_perform) },
	{ "curl_easy_getinfo",	offsetof(struct oauth2_curl, easy_getinfo) },
	{ "curl_easy_cleanup",	offsetof(struct oauth2_curl, easy_cleanup) },
	{ "curl_easy_strerror",	offsetof(struct oauth2_curl, easy_strerror) },
	{ "curl_easy_escape",	offsetof(struct oauth2_curl, easy_escape) },
	{ "curl_free",		offsetof(struct oauth2_curl, free) },
};

struct oauth2_buf {
	char	*p;
	size_t	 len;
	int	 over;	/* the reply exceeded OAUTH2_REPLY_MAX */
};

static const struct oauth2_curl *oauth2_curl(void);
static size_t	 oauth2_http_write(char *, size_t, size_t, void *);
static CURL	*oauth2_http_new(const struct oauth2_curl *, const char *,
		    const char *, const char *, struct oauth2_buf *, char *);

/*
 * libcurl, loaded and initialised once.  Without it OAuth2 cannot work
 * at all (an installation problem, not a temporary one): say so and
 * exit.  Nothing is lost: the queue entries stay due.
 */
static const struct oauth2_curl *
oauth2_curl(void)
{
	static struct oauth2_curl	 cu;
	static int			 ready;
	void				*lib, *fn;
	size_t				 i;

	if (ready)
		return (&cu);
	if ((lib = dlopen(OAUTH2_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL)
		mf_die(EX_UNAVAILABLE, "OAuth2 needs libcurl: %s (apt-get "
		    "install libcurl4)", dlerror());
	for (i = 0; i < sizeof(oauth2_curl_syms) / sizeof(oauth2_curl_syms[0]); i++) {
		if ((fn = dlsym(lib, oauth2_curl_syms[i].name)) == NULL)
			mf_die(EX_UNAVAILABLE, "OAuth2: %s lacks %s",
			    OAUTH2_LIBCURL, oauth2_curl_syms[i].name);
		/* POSIX: a data pointer from dlsym holds a function. */
		memcpy((char *)&cu + oauth2_curl_syms[i].off, &fn, sizeof(fn));
	}
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		mf_die(EX_OSERR, "curl_global_init failed");
	ready = 1;
	return (&cu);
}

/*
 * POST form to url.  0 with the reply in *body (NUL-terminated, *len
 * bytes, the caller frees it with freezero) and the HTTP status in
 * *status; -1 with a cause on a network, TLS or size failure.
 */
int
oauth2_post(const char *url, const char *ca_file, const char *form,
    char **body, size_t *len, long *status, char **cause)
{
	const struct oauth2_curl *cu = oauth2_curl();
	struct oauth2_buf	 b;
	char			 err[CURL_ERROR_SIZE];
	CURL			*h;
	CURLcode		 rc;

	*body = NULL;
	*len = 0;
	*status = 0;
	memset(&b, 0, sizeof(b));
	err[0] = '\0';
	if ((h = oauth2_http_new(cu, url, ca_file, form, &b, err)) == NULL) {
		xasprintf(cause, "%s: cannot set up the request", url);
		return (-1);
	}
	log_debug("oauth2: POST %s", url);
	rc = cu->easy_perform(h);
	if (rc == CURLE_OK)
		cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	cu->easy_cleanup(h);
	if (rc != CURLE_OK || b.over) {
		xasprintf(cause, "%s: %s", url, b.over ? "reply too long" :
		    err[0] != '\0' ? err : cu->easy_strerror(rc));
		if (b.p != NULL)
			freezero(b.p, b.len);
		return (-1);
	}
	log_debug("oauth2: HTTP %ld, %zu bytes", *status, b.len);
	b.p = xreallocarray(b.p, b.len + 1, 1);
	b.p[b.len] = '\0';
	*body = b.p;
	*len = b.len;
	return (0);
}

/* A form value, percent-encoded (the caller frees it with freezero). */
char *
oauth2_form_escape(const char *s)
{
	const struct oauth2_curl *cu = oauth2_curl();
	char	*e, *r;

	if ((e = cu->easy_escape(NULL, s, 0)) == NULL)
		mf_die(EX_OSERR, "curl_easy_escape: out of memory");
	r = xstrdup(e);
	explicit_bzero(e, strlen(e));
	cu->free(e);
	return (r);
}

/* The easy handle with every option above; NULL if one is refused. */
static CURL *
oauth2_http_new(const struct oauth2_curl *cu, const char *url,
    const char *ca_file, const char *form, struct oauth2_buf *b, char *err)
{
	CURL	*h;
	int	 bad = 0;

	if ((h = cu->easy_init()) == NULL)
		return (NULL);
	bad |= cu->easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	if (ca_file != NULL)
		bad |= cu->easy_setopt(h, CURLOPT_CAINFO, ca_file) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    OAUTH2_CONNECT_TIMEOUT) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_TIMEOUT, OAUTH2_TOTAL_TIMEOUT) !=
	    CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_USERAGENT, "mailferry") != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, oauth2_http_write) !=
	    CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK;
	bad |= cu->easy_setopt(h, CURLOPT_ERRORBUFFER, err) != CURLE_OK;
	if (bad) {
		cu->easy_cleanup(h);
		return (NULL);
	}
	return (h);
}

/* Collect the reply; stop the transfer past OAUTH2_REPLY_MAX. */
static size_t
oauth2_http_write(char *data, size_t size, size_t n, void *arg)
{
	struct oauth2_buf	*b = arg;
	size_t			 len = size * n;
	char			*p;

	if (len == 0)
		return (0);
	if (len > OAUTH2_REPLY_MAX - b->len) {
		b->over = 1;
		return (0);
	}
	/* Never leave a copy of a token in a freed buffer. */
	p = xmalloc(b->len + len);
	if (b->p != NULL) {
		memcpy(p, b->p, b->len);
		freezero(b->p, b->len);
	}
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
	return (len);
}
