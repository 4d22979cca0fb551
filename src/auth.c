/*
 * SASL for SMTP AUTH.  This file builds payloads; smtp.c runs the
 * exchange (only inside TLS) and keeps every payload out of the logs.
 *
 * PLAIN (RFC 4616) is sent as an initial response:
 *	AUTH PLAIN base64(NUL user NUL password)
 * LOGIN (draft-murchison-sasl-login) answers the two 334 prompts with
 * base64(user) and base64(password), in that order, whatever the
 * prompts say.
 * XOAUTH2 (Google, Microsoft) and OAUTHBEARER (RFC 7628) send an OAuth
 * 2.0 bearer token, from password_command, as an initial response:
 *	AUTH XOAUTH2 base64("user=" user ^A "auth=Bearer " token ^A ^A)
 *	AUTH OAUTHBEARER base64("n,a=" user "," ^A "auth=Bearer " token ^A ^A)
 * They are used only when configured: auto never sends a password as
 * a token or a token as a password.
 * CRAM-MD5 (RFC 2195), only when configured, answers the one 334
 * challenge with base64(user SP hex(HMAC-MD5(password, challenge))).
 * SCRAM-SHA-256[-PLUS] is scram.c's.
 * EXTERNAL (RFC 4422 appendix A) takes the identity from the TLS
 * client certificate; the message is the authorisation identity, empty
 * to act as the certificate's own identity.  In SMTP (RFC 4954) an
 * empty initial response is "=":
 *	AUTH EXTERNAL =			(no user configured)
 *	AUTH EXTERNAL base64(user)	(act as user)
 * Only when configured (auth = external), never by auto.
 *
 * Every buffer that held a password or a payload is freezero'd by
 * whoever owns it, right after use.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mailferry.h"
#include "conf.h"
#include "reply.h"
#include "auth.h"

#define AUTH_PREFS_MAX	4

/*
 * What each auth setting (enum conf_auth) accepts, best first.  auto
 * prefers SCRAM-SHA-256-PLUS, then SCRAM-SHA-256 (neither sends the
 * password, and a server that does not know it cannot pass), then
 * PLAIN, then LOGIN (both send it in the clear inside TLS).  CRAM-MD5
 * (its server must store the password in the clear) and the OAuth
 * mechanisms (a token, not a password) are used only when configured.
 */
static const struct {
	int		 conf;
	unsigned int	 mechs[AUTH_PREFS_MAX];
} auth_prefs[] = {
	{ CONF_AUTH_AUTO, { EHLO_AUTH_SCRAM_SHA_256_PLUS,
	    EHLO_AUTH_SCRAM_SHA_256, EHLO_AUTH_PLAIN, EHLO_AUTH_LOGIN } },
	{ CONF_AUTH_SCRAM, { EHLO_AUTH_SCRAM_SHA_256_PLUS,
	    EHLO_AUTH_SCRAM_SHA_256 } },
	{ CONF_AUTH_SCRAM_PLUS, { EHLO_AUTH_SCRAM_SHA_256_PLUS } },
	{ CONF_AUTH_PLAIN, { EHLO_AUTH_PLAIN } },
	{ CONF_AUTH_LOGIN, { EHLO_AUTH_LOGIN } },
	{ CONF_AUTH_CRAM_MD5, { EHLO_AUTH_CRAM_MD5 } },
	{ CONF_AUTH_XOAUTH2, { EHLO_AUTH_XOAUTH2 } },
	{ CONF_AUTH_OAUTHBEARER, { EHLO_AUTH_OAUTHBEARER } },
	{ CONF_AUTH_EXTERNAL, { EHLO_AUTH_EXTERNAL } },
};

/*
 * Pick the mechanism for the configured auth among the offered ones
 * (EHLO_AUTH_*).  The caller removes SCRAM-SHA-256-PLUS from offered
 * when the connection cannot bind to it (not TLS 1.3).
 */
int
auth_choose(int conf_auth, unsigned int offered, unsigned int *mech,
    char **cause)
{
	char	 names[128];
	size_t	 i, j;

	for (i = 0; i < sizeof(auth_prefs) / sizeof(auth_prefs[0]); i++) {
		if (auth_prefs[i].conf != conf_auth)
			continue;
		names[0] = '\0';
		for (j = 0; j < AUTH_PREFS_MAX && auth_prefs[i].mechs[j] != 0;
		    j++) {
			if (offered & auth_prefs[i].mechs[j]) {
				*mech = auth_prefs[i].mechs[j];
				return (0);
			}
			if (j > 0)
				strlcat(names, ", ", sizeof(names));
			strlcat(names, auth_mech_name(auth_prefs[i].mechs[j]),
			    sizeof(names));
		}
		xasprintf(cause, "the smarthost does not offer AUTH %s%s",
		    j > 1 ? "any of " : "", names);
		return (-1);
	}
	xasprintf(cause, "unsupported auth setting %d", conf_auth);
	return (-1);
}

/* The SASL name of an EHLO_AUTH_* flag. */
const char *
auth_mech_name(unsigned int mech)
{
	switch (mech) {
	case EHLO_AUTH_PLAIN:
		return ("PLAIN");
	case EHLO_AUTH_LOGIN:
		return ("LOGIN");
	case EHLO_AUTH_CRAM_MD5:
		return ("CRAM-MD5");
	case EHLO_AUTH_SCRAM_SHA_256:
		return ("SCRAM-SHA-256");
	case EHLO_AUTH_SCRAM_SHA_256_PLUS:
		return ("SCRAM-SHA-256-PLUS");
	case EHLO_AUTH_XOAUTH2:
		return ("XOAUTH2");
	case EHLO_AUTH_OAUTHBEARER:
		return ("OAUTHBEARER");
	case EHLO_AUTH_EXTERNAL:
		return ("EXTERNAL");
	default:
		return ("?");
	}
}

/* Base64 of len bytes (len <= 3 * AUTH_CRED_MAX), NUL-terminated. */
char *
auth_b64(const void *in, size_t len, size_t *outlen)
{
	char	*out;
	int	 n;

	if (len > 3 * AUTH_CRED_MAX)
		fatalx("auth_b64: %zu bytes", len);
	out = xmalloc(4 * ((len + 2) / 3) + 1);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = (size_t)n;
	return (out);
}

/*
 * Decode base64 (a 334 challenge); surrounding blanks are ignored.
 * Return -1 on malformed input.  The result is NUL-terminated.
 */
int
auth_unb64(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char	*buf;
	size_t		 pad = 0;
	int		 n;

	while (len > 0 && (*in == ' ' || *in == '\t')) {
		in++;
		len--;
	}
	while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (len % 4 != 0 || len > 4 * AUTH_CRED_MAX)
		return (-1);
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	buf = xmalloc(3 * (len / 4) + 1);
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad || memchr(in, '=', len - pad) != NULL) {
		free(buf);
		return (-1);
	}
	*outlen = (size_t)n - pad;
	buf[*outlen] = '\0';
	*out = buf;
	return (0);
}

/*
 * The AUTH PLAIN initial response for user and password (empty
 * authorization identity).  The caller freezero's the result.
 */
char *
auth_plain(const char *user, const char *pass, size_t *outlen, char **cause)
{
	size_t	 ulen, plen, len;
	char	*raw, *b64;

	ulen = strlen(user);
	plen = strlen(pass);
	if (ulen == 0 || ulen > AUTH_CRED_MAX || plen > AUTH_CRED_MAX) {
		xasprintf(cause, "AUTH: user name or password empty or longer "
		    "than %d bytes", AUTH_CRED_MAX);
		return (NULL);
	}
	len = ulen + plen + 2;
	raw = xmalloc(len);
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[ulen + 1] = '\0';
	memcpy(raw + ulen + 2, pass, plen);
	b64 = auth_b64(raw, len, outlen);
	freezero(raw, len);
	return (b64);
}

/*
 * The XOAUTH2 or OAUTHBEARER (mech, an EHLO_AUTH_* flag) initial
 * response for user and a bearer token.  A user name with a control
 * byte or a comma, or a token that is not printable ASCII, could break
 * the ^A-separated fields: refused.  The caller freezero's the result.
 */
char *
auth_bearer(unsigned int mech, const char *user, const char *token,
    size_t *outlen, char **cause)
{
	const unsigned char	*u;
	char			*raw, *b64;
	int			 len;

	for (u = (const unsigned char *)user; *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f || *u == ',')
			break;
	if (*user == '\0' || *u != '\0' || strlen(user) > AUTH_CRED_MAX) {
		xasprintf(cause, "AUTH: the user name is empty, too long or "
		    "holds a control character or a comma");
		return (NULL);
	}
	for (u = (const unsigned char *)token; *u != '\0'; u++)
		if (*u < 0x21 || *u > 0x7e)
			break;
	if (*token == '\0' || *u != '\0' || strlen(token) > AUTH_CRED_MAX) {
		xasprintf(cause, "AUTH: the OAuth token is empty, too long "
		    "or not printable ASCII");
		return (NULL);
	}
	if (mech == EHLO_AUTH_XOAUTH2)
		len = xasprintf(&raw, "user=%s\001auth=Bearer %s\001\001",
		    user, token);
	else
		len = xasprintf(&raw, "n,a=%s,\001auth=Bearer %s\001\001",
		    user, token);
	b64 = auth_b64(raw, (size_t)len, outlen);
	freezero(raw, (size_t)len);
	return (b64);
}

/*
 * The CRAM-MD5 response (RFC 2195) to the decoded challenge chal (len
 * bytes).  The caller freezero's the result.
 */
char *
auth_cram_md5(const char *user, const char *pass, const unsigned char *chal,
    size_t len, size_t *outlen, char **cause)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0, i;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1], *raw, *b64;
	int		 rlen;

	if (*user == '\0' || strlen(user) > AUTH_CRED_MAX ||
	    strlen(pass) > AUTH_CRED_MAX || strpbrk(user, "\r\n") != NULL) {
		xasprintf(cause, "AUTH: user name or password empty or longer "
		    "than %d bytes", AUTH_CRED_MAX);
		return (NULL);
	}
	if (HMAC(EVP_md5(), pass, (int)strlen(pass), chal, len, mac,
	    &maclen) == NULL) {
		xasprintf(cause, "AUTH CRAM-MD5: no HMAC-MD5 in OpenSSL");
		return (NULL);
	}
	for (i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	rlen = xasprintf(&raw, "%s %s", user, hex);
	b64 = auth_b64(raw, (size_t)rlen, outlen);
	freezero(raw, (size_t)rlen);
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(hex, sizeof(hex));
	return (b64);
}
