/*
 * submit.h: the front end's side of the privilege boundary: hand a
 * framed entry to mailferry-queue, then start mailferry-send.
 */
#ifndef SUBMIT_H
#define SUBMIT_H

#include <sys/types.h>

#include "spool.h"

struct submit {
	pid_t	 pid;		/* mailferry-queue */
	int	 frame_fd;	/* its stdin: the framed entry */
	int	 id_fd;		/* its stdout: the queue id */
	int	 err_fd;	/* its stderr: why it refused */
	int	 broken;	/* it went away while we wrote */
	char	*spawn_error;	/* it could not be started (pid -1) */
	int	 spawn_status;	/* then: EX_TEMPFAIL or EX_OSERR */
};

/* What mailferry-send is asked to do. */
enum submit_op {
	SUBMIT_OP_RUNQ,			/* -q -a: all now, waited for */
	SUBMIT_OP_RUN_DUE,		/* -q: the due entries, waited for */
	SUBMIT_OP_RUN_ONE,		/* -I id: sendmail -qI, waited for */
	SUBMIT_OP_PERIODIC,		/* -t secs: exec, become the runner */
	SUBMIT_OP_LIST,			/* -p: mailq */
	SUBMIT_OP_LIST_JSON,		/* -p -j: mailq --json */
	SUBMIT_OP_HEALTH,		/* -H [-W l] [-X l]: --health */
	SUBMIT_OP_DELETE,		/* -D id: --delete */
	SUBMIT_OP_CHECK,		/* -c: --check */
	SUBMIT_OP_DUMP,			/* -d: --dump-config */
	SUBMIT_OP_AFTER_BACKGROUND,	/* -q -I id, detached */
	SUBMIT_OP_AFTER_FOREGROUND	/* -F -I id, waited for */
};

struct submit_req {
	enum submit_op	 op;
	const char	*conf_path;	/* -C, or NULL for the default */
	const char	*id;		/* queue id (RUN_ONE, DELETE, AFTER_*) */
	long long	 interval;	/* seconds (PERIODIC) */
	int		 verbose;	/* -v, for the ops that log */
	const char	*warn;		/* HEALTH: -W limits, or NULL */
	const char	*crit;		/* HEALTH: -X limits, or NULL */
};

const char *submit_helper_path(const char *);
int	 submit_open(struct submit *, const char *, char **);
int	 submit_write(struct submit *, const void *, size_t);
int	 submit_close(struct submit *, char *, size_t, char **);
void	 submit_abort(struct submit *);
int	 submit_send(const struct submit_req *);

#endif /* SUBMIT_H */
