#!/bin/sh
# run.sh: mutation audit of the security and protocol guards.
#
# For each mutant of tests/mutants/mutants.list (format described at the
# top of that file): copy the source file aside, apply the replacement
# (the pattern must match exactly once, else the run stops: the list is
# out of date), rebuild the programs and the C test programs the mutant
# names, run the named kyua tests, record "killed" (some test failed)
# or "SURVIVED" (all passed), and restore the file.  A mutant whose
# name starts with "~" in the list is an accepted survivor (equivalent).  The file is
# restored on every exit, including ^C; the restored file gets a new
# time so that make (and the install cache of tests/instlib.sh, which
# copies the tree with its times) rebuilds it.
#
# usage: run.sh [-l list] [-k] [-n] [name...]
#   -l list  another mutant list (default: the one beside this script)
#   -k       keep going when a pattern does not match (report it)
#   -n       only check that every pattern matches once (no build)
#   name...  run only these mutants
#
# Run from the top of a configured build tree (make mutants does).
# Exit status: 0 if every mutant was killed (or is an accepted
# survivor), 1 if one survived, 2 on
# an error (pattern not found, build failure of a mutant, kyua error).
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${MF_SRCDIR:-$(cd "$here/../.." && pwd)}
builddir=${MF_BUILDDIR:-$(pwd)}
list=$here/mutants.list
keep=0
check_only=0
kyua=${KYUA:-kyua}
make=${MAKE:-make}

while getopts kl:n opt; do
	case $opt in
	k) keep=1 ;;
	n) check_only=1 ;;
	l) list=$OPTARG ;;
	*) echo "usage: run.sh [-l list] [-k] [-n] [name...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

[ -f "$builddir/Makefile" ] || {
	echo "run.sh: $builddir is not a configured build tree" >&2
	exit 2
}

work=$(mktemp -d /tmp/mf-mutants.XXXXXX) || exit 2
saved=
saved_file=

# Put the original back (a fresh time: make must rebuild it).
restore()
{
	if [ -n "$saved_file" ]; then
		cat "$saved" >"$saved_file"
		saved_file=
	fi
}
finish()
{
	restore
	rm -rf "$work"
}
trap finish EXIT
trap 'finish; trap - INT; kill -INT $$' INT
trap 'finish; exit 143' TERM HUP

# apply FILE PATTERN REPLACEMENT: exactly one match or fail.
apply()
{
	perl -e '
		my ($file, $pat, $rep) = @ARGV;
		for ($pat, $rep) {
			$_ = "" if $_ eq "\@EMPTY\@";
			s/\@TAB\@/\t/g;
			s/\@NL\@/\n/g;
		}
		my $re = ($pat =~ s/^re://) ? qr/$pat/ : qr/\Q$pat\E/;
		open(my $in, "<", $file) or die "$file: $!\n";
		local $/;
		my $text = <$in>;
		close($in);
		my $n = () = $text =~ /$re/g;
		die "pattern found $n times in $file, wanted once\n"
		    if $n != 1;
		$text =~ s/$re/$rep/;
		open(my $out, ">", $file) or die "$file: $!\n";
		print $out $text;
		close($out) or die "$file: $!\n";
	' "$@"
}

# The make targets for a test list: the C test programs and, for the
# atf-sh ones, the generated script and the smarthost.
targets()
{
	for t in $1; do
		p=${t%%:*}
		# (runq_test starts the smarthost too.)
		if [ -f "$srcdir/tests/$p.c" ]; then
			echo "tests/$p tests/smarthost"
		elif [ -f "$srcdir/tests/$p.sh" ]; then
			echo "tests/$p tests/smarthost tests/testlib.sh"
		fi
	done | tr ' ' '\n' | sort -u | tr '\n' ' '
}

total=0
killed=0
survived=0
equivalent=0
errors=0
survivors=
tab=$(printf '\t')

# Read the list on fd 3: the tests must not eat it.
while IFS="$tab" read -r name file pattern repl tests <&3; do
	case $name in ''|'#'*) continue ;; esac
	# "~name": an accepted survivor (an equivalent mutant, the reason in
	# the comment above it); still run, reported apart.
	accepted=0
	case $name in '~'*) accepted=1; name=${name#'~'} ;; esac
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do [ "$n" = "$name" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	total=$((total + 1))
	if [ -z "$tests" ]; then
		echo "$name: no tests listed" >&2
		exit 2
	fi
	f=$srcdir/$file
	if [ $check_only = 1 ]; then
		# On a copy: the tree is never touched.
		cp "$f" "$work/check" || exit 2
		if apply "$work/check" "$pattern" "$repl" \
		    2>"$work/apply.err"; then
			echo "ok      $name"
		else
			echo "ERROR   $name: $(cat "$work/apply.err")"
			errors=$((errors + 1))
		fi
		continue
	fi
	saved=$work/orig
	cp "$f" "$saved" || exit 2
	saved_file=$f
	if ! apply "$f" "$pattern" "$repl" 2>"$work/apply.err"; then
		restore
		echo "ERROR   $name: $(cat "$work/apply.err")"
		errors=$((errors + 1))
		[ $keep = 1 ] && continue
		exit 2
	fi
	# Two runs: "all" recurses into a sub-make, which would race with
	# the test programs' own build of the same objects.
	# shellcheck disable=SC2046
	if ! (cd "$builddir" && $make -j2 all &&
	    $make -j2 $(targets "$tests")) >"$work/build.log" 2>&1; then
		restore
		echo "ERROR   $name: the mutant does not build:"
		{ grep -E 'error' "$work/build.log" || tail -n 5 \
		    "$work/build.log"; } | head -n 5 | sed 's/^/    /'
		errors=$((errors + 1))
		continue
	fi
	db=$work/results.db
	rm -f "$db"
	# shellcheck disable=SC2086
	(cd "$builddir/tests" && "$kyua" test \
	    --kyuafile="$srcdir/tests/Kyuafile" --build-root=. \
	    --results-file="$db" $tests) >"$work/kyua.log" 2>&1
	rc=$?
	restore
	case $rc in
	0)
		if [ $accepted = 1 ]; then
			echo "survived $name (accepted: equivalent, see the list)"
			equivalent=$((equivalent + 1))
		else
			echo "SURVIVED $name ($file; $tests)"
			survived=$((survived + 1))
			survivors="$survivors $name"
		fi
		;;
	1)
		by=$("$kyua" report --results-file="$db" \
		    --results-filter=failed,broken 2>/dev/null |
		    grep -E -- '->  (failed|broken)' | awk '{print $1}' |
		    tr '\n' ' ')
		echo "killed   $name by $by"
		killed=$((killed + 1))
		;;
	*)
		echo "ERROR   $name: kyua exited $rc:"
		tail -n 5 "$work/kyua.log" | sed 's/^/    /'
		errors=$((errors + 1))
		;;
	esac
done 3<"$list"

[ $check_only = 1 ] && { echo "$total patterns, $errors errors"; [ $errors -eq 0 ]; exit; }

# Leave the build matching the restored sources.
(cd "$builddir" && $make -j2 all) >"$work/build.log" 2>&1 ||
    echo "run.sh: the final rebuild failed" >&2

msg="$killed killed, $survived survived of $total"
[ $equivalent -gt 0 ] &&
    msg="$msg ($equivalent equivalent survivors accepted)"
[ $errors -gt 0 ] && msg="$msg ($errors errors)"
echo "$msg"
[ -n "$survivors" ] && echo "survivors:$survivors"
[ $errors -eq 0 ] || exit 2
[ $survived -eq 0 ]
