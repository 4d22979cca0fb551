# instlib.sh: a real installation for the tests that need one
# (install_test, privsep_test).  Sourced after testlib.sh:
#   . "$MF_SRCDIR/tests/instlib.sh"
#
# mf_inst_setup builds mailferry in a separate build directory and runs
# "make install" as root into a fresh prefix MF_INST (/tmp/mf-inst.XXXXXX,
# mode 0755: the installed paths are compiled in, and "nobody" must be
# able to reach them).  The install hooks then create the group
# mailferry (left in place afterwards), make the helpers setgid and
# create the spool.
#
# The build is cached in $MF_BUILDDIR/tests/inst-cache/ so that every
# test case gets a fresh install without a full rebuild:
#   src/      a copy of the source tree (when the source tree is itself
#             configured, autoconf refuses a VPATH build from it), taken
#             from "git ls-files" plus the generated autotools files,
#             with their times, so that make rebuilds what changed;
#   build/    the configured build directory; build/.prefix and
#             build/.srcdir name the prefix and source it was configured
#             for;
#   *.log     the output of the last configure, make and install.
# Each case recreates the prefix (mkdir, which fails if someone else
# made it meanwhile: then a new prefix is configured) and removes it in
# its cleanup.  The lock serialises builds and installs only: run these
# tests with kyua's default parallelism of 1.  "make clean" should
# remove tests/inst-cache.

MF_INST_CACHE="$MF_BUILDDIR/tests/inst-cache"

# Skip unless root (the hooks need it) and the tools are there.
mf_inst_require()
{
	[ "$(id -u)" = 0 ] || atf_skip "needs root: make install sets up \
a group, setgid helpers and a root-owned spool"
	for p in runuser flock make tar; do
		command -v "$p" >/dev/null 2>&1 ||
		    atf_skip "needs $p in PATH"
	done
}

# Copy the source tree into $MF_INST_CACHE/src (times preserved).
mf_inst_copy_src()
{
	git -c safe.directory="$MF_SRCDIR" -C "$MF_SRCDIR" rev-parse \
	    >/dev/null 2>&1 || atf_skip "the source tree is configured in \
place and is not a git checkout: no clean copy for a VPATH build"
	mkdir -p "$MF_INST_CACHE/src"
	(
		cd "$MF_SRCDIR" || exit 1
		{
			git -c safe.directory="$MF_SRCDIR" ls-files -co \
			    --exclude-standard
			echo configure
			echo Makefile.in
			echo aclocal.m4
			echo config.h.in
			find build-aux m4 -type f
		} | grep -v -e '^tests/inst-cache/' | sort -u |
		while IFS= read -r f; do
			[ -f "$f" ] && printf '%s\n' "$f"
		done | tar -cf - -T -
	) | tar -xpf - -C "$MF_INST_CACHE/src" ||
	    atf_fail "cannot copy the source tree"
}

# Configure the build directory for a new random prefix.
mf_inst_configure()
{
	b=$1
	s=$2
	rm -rf "$b"
	mkdir -p "$b"
	MF_INST=$(mktemp -d /tmp/mf-inst.XXXXXX) ||
	    atf_fail "mktemp failed"
	chmod 755 "$MF_INST"
	(cd "$b" && "$s/configure" --prefix="$MF_INST" \
	    --sysconfdir="$MF_INST/etc" --localstatedir="$MF_INST/var" -q) \
	    >"$MF_INST_CACHE/configure.log" 2>&1 ||
	    atf_fail "configure failed: $(tail -n 20 "$MF_INST_CACHE/configure.log" | tr '\n' ' ')"
	echo "$MF_INST" >"$b/.prefix"
	echo "$s" >"$b/.srcdir"
}

# Make the prefix directory anew; 1 if it cannot be ours.
mf_inst_mkprefix()
{
	p=$1
	if [ -e "$p" ] || [ -L "$p" ]; then
		# Ours from an interrupted run, or somebody else's.
		[ ! -L "$p" ] && [ -d "$p" ] &&
		    [ "$(stat -c %u "$p")" = 0 ] || return 1
		rm -rf "$p"
	fi
	mkdir -m 755 "$p" 2>/dev/null
}

# mf_inst_setup: build if needed and install into a fresh MF_INST.
mf_inst_setup()
{
	mf_inst_require
	# Not the outer make's jobserver or DESTDIR (make check runs kyua).
	unset MAKEFLAGS MFLAGS MAKELEVEL DESTDIR
	mkdir -p "$MF_INST_CACHE"
	exec 9>"$MF_INST_CACHE.lock"
	flock -w 600 9 || atf_fail "cannot lock $MF_INST_CACHE.lock"
	if [ -f "$MF_SRCDIR/config.status" ]; then
		mf_inst_copy_src
		s="$MF_INST_CACHE/src"
	else
		s="$MF_SRCDIR"
	fi
	b="$MF_INST_CACHE/build"
	MF_INST=
	if [ -f "$b/config.status" ] && [ -s "$b/.prefix" ] &&
	    [ "$(cat "$b/.srcdir" 2>/dev/null)" = "$s" ]; then
		MF_INST=$(cat "$b/.prefix")
		mf_inst_mkprefix "$MF_INST" || MF_INST=
	fi
	[ -n "$MF_INST" ] || mf_inst_configure "$b" "$s"
	echo "$MF_INST" >inst-prefix
	make -C "$b" -j2 -s >"$MF_INST_CACHE/make.log" 2>&1 ||
	    atf_fail "make failed: $(tail -n 30 "$MF_INST_CACHE/make.log" | tr '\n' ' ')"
	# MF_INST_MAKEARGS: e.g. MF_OWNER=65534, a single-user install.
	# shellcheck disable=SC2086
	make -C "$b" -j2 install ${MF_INST_MAKEARGS:-} >install.log 2>&1 ||
	    atf_fail "make install failed: $(tail -n 30 install.log | tr '\n' ' ')"
	exec 9>&-
	MF_INST_BUILD=$b
	MF_INST_SPOOL="$MF_INST/var/spool/mailferry"
	MF_INST_LIBEXEC="$MF_INST/libexec/mailferry"
	# The installed front end must find the installed helpers.
	unset MAILFERRY_LIBEXECDIR
}

# mf_inst_cleanup: remove this case's prefix (safe if setup failed).
mf_inst_cleanup()
{
	[ -s inst-prefix ] || return 0
	p=$(cat inst-prefix)
	case $p in
	/tmp/mf-inst.*)
		if [ -d "$p" ] && [ ! -L "$p" ] &&
		    [ "$(stat -c %u "$p")" = 0 ]; then
			rm -rf "$p"
		fi
		;;
	esac
	rm -f inst-prefix
	return 0
}

# $AS_NOBODY cmd args...: run a command as the user nobody, with the
# caller's descriptors and working directory (a word list, not a
# function, so that atf_check can run it).
AS_NOBODY='runuser -u nobody --'
