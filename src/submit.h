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
	int	 broken;	/* it went away while we wrote */
};

/* How mailferry-send is started after a submission. */
enum submit_run {
	SUBMIT_RUN_NONE,	/* -odq: spool only */
	SUBMIT_RUN_BACKGROUND,	/* detached, fds on /dev/null */
	SUBMIT_RUN_FOREGROUND	/* waited for, its stderr is ours */
};

const char *submit_helper_path(const char *);
int	 submit_open(struct submit *, const char *, char **);
int	 submit_write(struct submit *, const void *, size_t);
int	 submit_close(struct submit *, char *, size_t, char **);
void	 submit_abort(struct submit *);
int	 submit_run(enum submit_run, const char *, const char *, int);
int	 submit_exec_send(const char *, int, char *const []);

#endif /* SUBMIT_H */
