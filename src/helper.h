/*
 * helper.h: what the two set-id helpers (mailferry-queue, mailferry-send)
 * share at start-up: the trusted configuration and the spool checks.
 */
#ifndef HELPER_H
#define HELPER_H

struct conf;

int	 helper_load_conf(struct conf *, const char *, char **);
int	 helper_check_spool(const char *, char **);

#endif /* HELPER_H */
