/*
 * tls_floor: the least any OpenSSL client pays, for `make bench` to
 * put beside mailferry-send's instruction count (callgrind).
 *
 *   tls_floor ctx                 start, SSL_CTX_new(), exit
 *   tls_floor handshake PORT CA   the same, then CA loaded, a verified
 *                                 TLS handshake with 127.0.0.1:PORT
 *                                 (implicit TLS, name "localhost"), the
 *                                 server's first line read, close
 *
 * No configuration is skipped and nothing else is done: what this
 * costs, every program that uses the system's OpenSSL for one verified
 * connection costs too.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
usage(void)
{
	fprintf(stderr, "usage: tls_floor ctx | handshake port ca_file\n");
	return (64);
}

/* Connect to 127.0.0.1:port; the socket, or -1. */
static int
dial(const char *port)
{
	struct sockaddr_in	 sin;
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(s);
		return (-1);
	}
	return (s);
}

int
main(int argc, char *argv[])
{
	SSL_CTX	*ctx;
	SSL	*ssl;
	char	 buf[512];
	int	 s;

	if (argc < 2)
		return (usage());
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return (1);
	if (strcmp(argv[1], "ctx") == 0)
		return (0);
	if (strcmp(argv[1], "handshake") != 0 || argc != 4)
		return (usage());
	if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1)
		return (1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((s = dial(argv[2])) == -1) {
		perror("tls_floor: connect");
		return (1);
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s) != 1 ||
	    SSL_set_tlsext_host_name(ssl, "localhost") != 1 ||
	    SSL_set1_host(ssl, "localhost") != 1 || SSL_connect(ssl) != 1 ||
	    SSL_read(ssl, buf, sizeof(buf)) <= 0) {
		ERR_print_errors_fp(stderr);
		return (1);
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(s);
	return (0);
}
