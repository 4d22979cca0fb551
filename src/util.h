/*
 * util.h: small helpers shared by the spool, the frame, the state
 * file and the address code.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>

int	 util_write_all(int, const void *, size_t);
int	 util_decimal(const char *, size_t, long long, long long *);
int	 util_has_8bit(const void *, size_t);
int	 util_dot_string(const char *, size_t, int (*)(unsigned char));

#endif /* UTIL_H */
