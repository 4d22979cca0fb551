/*
 * privsep.h: start-up hygiene for the setgid helpers (mailferry-queue,
 * mailferry-send) and the trust check for files they are asked to read.
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

void	 privsep_sanitise(void);
int	 privsep_privileged(void);
int	 privsep_may_create(void);
void	 privsep_set_strict(void);
int	 privsep_path_trusted(const char *, char **);
int	 privsep_open_trusted(const char *, char **);
int	 privsep_open_as_caller(const char *, int, char **);
int	 privsep_dir_private(const char *, char **);

#endif /* PRIVSEP_H */
