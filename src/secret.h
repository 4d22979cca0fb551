/*
 * secret.h: the smarthost password, from password_file or
 * password_command.  Linked only into mailferry-send.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

struct conf;

/* Return values besides 0 are those of conf_load(): CONF_ERR_*. */
int	 secret_read(const struct conf *, char **, char **);
int	 secret_read_key(const char *, char **, size_t *, char **);
int	 secret_needed(const struct conf *);
int	 secret_read_file(const char *, const char *, char **, char **);

#endif /* SECRET_H */
