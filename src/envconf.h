/*
 * envconf.h: a configuration file written from MAILFERRY_* environment
 * variables (mailferry-config, for container entrypoints).
 */
#ifndef ENVCONF_H
#define ENVCONF_H

/* Return values besides 0 are CONF_ERR_SYNTAX and CONF_ERR_TEMP. */
int	 envconf_build(char *const *, char **, char **);
int	 envconf_write(const char *, const char *, char **);

#endif /* ENVCONF_H */
