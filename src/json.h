/*
 * json.h: JSON string encoding (RFC 8259) for the machine-readable
 * outputs (mailq --json).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdio.h>

char	*json_escape(const char *, size_t);
int	 json_put_string(FILE *, const char *);

#endif /* JSON_H */
