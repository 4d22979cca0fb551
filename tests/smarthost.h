/*
 * smarthost -- scriptable SMTP server for the mailferry tests.
 *
 * Shared declarations of smarthost.c (listener, options, main),
 * smarthost_session.c (SMTP dialogue), smarthost_io.c (connection,
 * TLS, buffered replies, recording) and smarthost_script.c (fault
 * script).  See tests/smarthost.md for the CLI, the script language and
 * the recording format.
 */

#ifndef SMARTHOST_H
#define SMARTHOST_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/ssl.h>

#define SH_LINE_MAX	65536		/* input buffer; longest command */
#define SH_OUT_MAX	(16 * 1024 * 1024)	/* reply buffer cap */
#define SH_TEXT_MAX	4096		/* scripted reply text, unescaped */
#define SH_ARG_MAX	256		/* selector substring */
#define SH_LOG_LINE_MAX	1000		/* reply line logged before "..." */
#define SH_SLOW_MS	20		/* default byte-at-a-time delay */

/* Extensions, as bit flags. */
#define EXT_STARTTLS	0x0001
#define EXT_AUTH	0x0002
#define EXT_PIPELINING	0x0004
#define EXT_SIZE	0x0008
#define EXT_8BITMIME	0x0010
#define EXT_DSN		0x0020
#define EXT_SMTPUTF8	0x0040
#define EXT_ENHANCED	0x0080

/* Events a script rule can fire on. */
enum sh_event {
	EV_CONNECT,
	EV_EHLO,
	EV_HELO,
	EV_STARTTLS,
	EV_AUTH,
	EV_MAIL,
	EV_RCPT,
	EV_DATA,
	EV_DOT,
	EV_RSET,
	EV_NOOP,
	EV_VRFY,
	EV_QUIT,
	EV_OTHER,
	EV_COUNT
};

enum sh_action {
	ACT_PASS,		/* normal processing */
	ACT_REPLY,		/* replace the reply (CRLF appended) */
	ACT_RAW,		/* replace the reply (bytes as given) */
	ACT_APPEND,		/* normal reply, then these bytes */
	ACT_DISCONNECT		/* close without a reply */
};

struct sh_rule {
	int		 line;		/* in the script, for messages */
	enum sh_event	 event;
	int		 session;	/* 0: any */
	int		 nth;		/* 0: any */
	int		 every;		/* 0: any */
	int		 times;		/* 0: unlimited */
	int		 fired;
	char		 arg[SH_ARG_MAX];	/* "": any */
	long		 stall_ms;
	long		 slow_ms;	/* 0: normal writes */
	size_t		 pad;
	long		 flood;		/* -1: none, 0: endless */
	int		 close;
	enum sh_action	 action;
	char		*text;		/* unescaped */
	size_t		 textlen;
	struct sh_rule	*next;
};

/* Misbehaviours of the SCRAM server ("set scram-fault NAME"). */
enum sh_scram_fault {
	SF_NONE,
	SF_BAD_SIGNATURE,	/* server-final v= is wrong */
	SF_BAD_NONCE,		/* server nonce does not extend the client's */
	SF_LOW_ITER,		/* i=1000 */
	SF_HUGE_ITER,		/* i=100000000 */
	SF_ERROR,		/* server-final is e=other-error */
	SF_NO_FINAL,		/* 235 right after client-final */
	SF_MEXT			/* server-first starts with m= */
};

/* One SCRAM exchange, server side (smarthost_sasl.c). */
struct sh_scram {
	int		 plus;		/* SCRAM-SHA-256-PLUS */
	unsigned char	 cb[32];	/* tls-exporter */
	char		 gs2[64];
	char		 user[256];
	char		 first_bare[1024];
	char		 server_first[1200];
	char		 nonce[1100];
	unsigned char	 salt[16];
	int		 iter;
	char		 final[128];	/* server-final, once proven */
};

struct sh_config {
	const char	*portfile;
	const char	*recdir;
	const char	*script;
	const char	*certfile;
	const char	*keyfile;
	const char	*user;
	const char	*pass;
	const char	*client_ca;	/* -V: require a client certificate */
	char		 hostname[256];
	char		 greeting[SH_TEXT_MAX];	/* "" : default */
	int		 implicit_tls;
	int		 require_tls;
	int		 require_auth;
	int		 data_without_rcpt;	/* 354 with no recipient */
	char		 mechs[256];	/* -m: AUTH mechanisms; "": default */
	int		 tls_max;	/* 0: none, else TLS1_x_VERSION */
	enum sh_scram_fault scram_fault;
	unsigned int	 ext;		/* EXT_* advertised */
	unsigned long	 size;		/* SIZE value; 0: no limit */
	long		 max_sessions;	/* 0: unlimited */
	long		 idle_secs;	/* 0: never */
	long		 read_secs;	/* per-read timeout in a session */
	struct sh_rule	*rules;
	SSL_CTX		*ctx;
	long		 txn_total;	/* MAIL commands, all sessions */
	long		 sessions_done;
};

/* A connection: plain or TLS, with a bounded input buffer. */
struct sh_conn {
	int		 fd;
	SSL		*ssl;
	char		 in[SH_LINE_MAX];
	size_t		 inlen;
	char		*out;
	size_t		 outlen;
	size_t		 outsize;
	long		 slow_ms;	/* for the pending batch */
	int		 awaiting;	/* input read since last reply write */
	long		 flights;
	int		 dead;		/* write failed or peer gone */
	FILE		*transcript;
};

extern volatile sig_atomic_t sh_quit;
extern struct sh_config sh_conf;

/* smarthost.c */
void	 sh_fatal(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void	 sh_warn(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
int	 sh_write_file(const char *, const char *, size_t);
void	 sh_sleep_ms(long);

/* smarthost_io.c */
void	 conn_init(struct sh_conn *, int, FILE *);
void	 conn_free(struct sh_conn *);
int	 conn_tls_accept(struct sh_conn *, char **);
int	 conn_fill(struct sh_conn *, int);
int	 conn_readable(struct sh_conn *);
void	 conn_queue(struct sh_conn *, const char *, size_t);
int	 conn_flush(struct sh_conn *);
int	 conn_write_now(struct sh_conn *, const char *, size_t);
void	 conn_log(struct sh_conn *, const char *, const char *, size_t);
void	 conn_event(struct sh_conn *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));

/* smarthost_script.c */
int	 script_load(const char *, struct sh_config *);
int	 script_set(struct sh_config *, const char *, const char *, char **);
struct sh_rule *script_match(struct sh_config *, enum sh_event, int, int,
	    long, const char *);
enum sh_event script_event(const char *);
const char *script_event_name(enum sh_event);
size_t	 script_unescape(const char *, char *, size_t);

/* smarthost_sasl.c */
int	 sasl_set(struct sh_config *, const char *, const char *,
	    const char **);
int	 sasl_offered(const char *, SSL *);
void	 sasl_list(char *, size_t, SSL *);
int	 sasl_scram_first(struct sh_scram *, SSL *, const char *, char *,
	    size_t, const char **);
int	 sasl_scram_final(struct sh_scram *, const char *, const char *,
	    const char **);
void	 sasl_cram_challenge(char *, size_t);
int	 sasl_cram_check(const char *, char *, const char **);

/* smarthost_session.c */
void	 session_run(int, int);

#endif /* SMARTHOST_H */
