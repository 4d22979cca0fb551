# MF_TRY_CFLAGS(FLAG): append FLAG to CFLAGS if the compiler accepts it.
AC_DEFUN([MF_TRY_CFLAGS], [
	mf_save="$CFLAGS"
	CFLAGS="$CFLAGS $1 -Werror"
	AC_MSG_CHECKING([whether $CC accepts $1])
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
	    [AC_MSG_RESULT([yes]); CFLAGS="$mf_save $1"],
	    [AC_MSG_RESULT([no]); CFLAGS="$mf_save"])
])

# MF_TRY_CPPFLAGS(FLAG): append FLAG to CPPFLAGS if the compiler accepts it.
AC_DEFUN([MF_TRY_CPPFLAGS], [
	mf_save="$CPPFLAGS"
	CPPFLAGS="$CPPFLAGS $1"
	AC_MSG_CHECKING([whether $CC accepts $1])
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <stdio.h>]], [])],
	    [AC_MSG_RESULT([yes])],
	    [AC_MSG_RESULT([no]); CPPFLAGS="$mf_save"])
])

# MF_TRY_LDFLAGS(FLAG): append FLAG to LDFLAGS if the linker accepts it.
AC_DEFUN([MF_TRY_LDFLAGS], [
	mf_save="$LDFLAGS"
	LDFLAGS="$LDFLAGS $1"
	AC_MSG_CHECKING([whether the linker accepts $1])
	AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
	    [AC_MSG_RESULT([yes])],
	    [AC_MSG_RESULT([no]); LDFLAGS="$mf_save"])
])
