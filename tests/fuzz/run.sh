#!/bin/sh
# run.sh BUILDDIR SRCDIR [SECONDS]: build every libFuzzer target in
# tests/fuzz/ with clang (ASan + UBSan) and run each for SECONDS
# (default 10).  Prints one line per target with its executions; exits
# non-zero if a target crashes (the reproducer is left in
# BUILDDIR/tests/fuzz/).  `make fuzz` runs it.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
secs=${3:-10}
out="$build/tests/fuzz"
obj="$out/obj"
mkdir -p "$obj"

cc=${FUZZ_CC:-clang}
flags="-g -O1 -std=c11 -fsanitize=address,undefined -fno-sanitize-recover=all"
incs="-I$build -I$src/src -I$src/compat $(pkg-config --cflags libbsd-overlay openssl inih libcurl json-c)"
defs="-DMF_CONF_PATH=\"/nonexistent/mailferry.conf\" -DMF_LIBEXECDIR=\"/nonexistent\" -DMF_QUEUE_DIR=\"/nonexistent\" -DMF_SECRET_PATH=\"/nonexistent\""
libs="$(pkg-config --libs libbsd-overlay openssl inih json-c)"

objs=
for f in "$src"/src/*.c "$src"/compat/*.c; do
	case $(basename "$f") in
	*main.c) continue ;;
	esac
	o="$obj/$(basename "$f" .c).o"
	# compat files are only needed where libc/libbsd lack the function;
	# with libbsd-overlay they would clash, so keep them out.
	case "$f" in "$src"/compat/*) continue ;; esac
	$cc $flags -fsanitize=fuzzer-no-link $incs $defs -c "$f" -o "$o"
	objs="$objs $o"
done

status=0
for t in "$src"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	$cc $flags -fsanitize=fuzzer $incs $defs "$t" $objs $libs -o "$out/$name"
	corpus="$out/corpus-$name"
	mkdir -p "$corpus"
	if (cd "$out" && ASAN_OPTIONS=detect_leaks=0 "./$name" -max_total_time="$secs" \
	    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$name.log" 2>&1); then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" |
		    grep -o '[0-9]*$' || echo '?')
		echo "fuzz $name: ${secs}s, $runs runs, no crash"
	else
		echo "fuzz $name: CRASH, see $out/$name.log"
		tail -n 30 "$out/$name.log"
		status=1
	fi
done
exit $status
