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
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mailferry.h"
#include "oauth2.h"

#define OAUTH2_CONNECT_TIMEOUT	30L	/* seconds */
#define OAUTH2_TOTAL_TIMEOUT	60L

struct oauth2_buf {
	char	*p;
	size_t	 len;
	int	 over;	/* the reply exceeded OAUTH2_REPLY_MAX */
};

static size_t	 oauth2_http_write(char *, size_t, size_t, void *);
static CURL	*oauth2_http_new(const char *, const char *, const char *,
		    struct oauth2_buf *, char *);

static int	 oauth2_curl_ready;

/*
 * POST form to url.  0 with the reply in *body (NUL-terminated, *len
 * bytes, the caller frees it with freezero) and the HTTP status in
 * *status; -1 with a cause on a network, TLS or size failure.
 */
int
oauth2_post(const char *url, const char *ca_file, const char *form,
    char **body, size_t *len, long *status, char **cause)
{
	struct oauth2_buf	 b;
	char			 err[CURL_ERROR_SIZE];
	CURL			*h;
	CURLcode		 rc;

	*body = NULL;
	*len = 0;
	*status = 0;
	if (!oauth2_curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			mf_die(EX_OSERR, "curl_global_init failed");
		oauth2_curl_ready = 1;
	}
	memset(&b, 0, sizeof(b));
	err[0] = '\0';
	if ((h = oauth2_http_new(url, ca_file, form, &b, err)) == NULL) {
		xasprintf(cause, "%s: cannot set up the request", url);
		return (-1);
	}
	log_debug("oauth2: POST %s", url);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK || b.over) {
		xasprintf(cause, "%s: %s", url, b.over ? "reply too long" :
		    err[0] != '\0' ? err : curl_easy_strerror(rc));
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
	char	*e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		mf_die(EX_OSERR, "curl_easy_escape: out of memory");
	r = xstrdup(e);
	explicit_bzero(e, strlen(e));
	curl_free(e);
	return (r);
}

/* The easy handle with every option above; NULL if one is refused. */
static CURL *
oauth2_http_new(const char *url, const char *ca_file, const char *form,
    struct oauth2_buf *b, char *err)
{
	CURL	*h;
	int	 bad = 0;

	if ((h = curl_easy_init()) == NULL)
		return (NULL);
	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	if (ca_file != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, ca_file) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    OAUTH2_CONNECT_TIMEOUT) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, OAUTH2_TOTAL_TIMEOUT) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "mailferry") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, oauth2_http_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err) != CURLE_OK;
	if (bad) {
		curl_easy_cleanup(h);
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
