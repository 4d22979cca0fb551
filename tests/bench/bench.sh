#!/bin/sh
# bench.sh BUILDDIR SRCDIR: print mailferry's figures (`make bench`),
# against the bundled test smarthost on loopback (STARTTLS + AUTH unless
# said otherwise).  The goals are issue 12's; each line says what it is.
#
#  wait     the caller's wait for a 1 KB message by delivery mode
#           (background, -odq, -odi), and the arrival time in background
#           mode (median and p90 of BENCH_RUNS runs, default 20), beside
#           the harness's own floor (/bin/true: fork, exec, exit);
#  cpu      instructions (callgrind) of the front end alone per byte of
#           a 100 KB and a 10 MB plain-text body, and of every process
#           for one 1 KB message (-odi, so all of them are traced),
#           beside the floor of the system's OpenSSL (tls_floor.c);
#  big      the caller's wait and peak RSS for a 10 MB message;
#  flights  round trips until the message arrived, over STARTTLS and
#           implicit TLS: the smarthost's flights until the end-of-data
#           reply + 1 for TCP + 1 per TLS handshake (TLS 1.3);
#  burst    100 messages back to back in background mode, serially and
#           from 8 parallel callers: throughput, sessions used, and that
#           each arrived exactly once;
#  queue    a queue of 10,000 entries (BENCH_BIG=1: 100,000) written
#           straight into the spool: listing, -qI of one entry, a
#           submission meanwhile, a run of all of them; time, RSS and
#           CPU.
#
# BENCH_SKIP: space-separated sections to leave out (e.g. "cpu queue").
# Wall-clock figures depend on the machine's load: take the medians,
# and the instruction and flight counts, for before/after comparisons.
# Figures, not verdicts: nothing here fails on a slow machine.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/mf-bench.XXXXXX)
trap 'st=$?; kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"; exit $st' EXIT
cd "$work"

sh "$src/tests/gen-certs.sh" "$build/tests/certs" >/dev/null
certs="$build/tests/certs"
MAILFERRY_LIBEXECDIR="$build/src"; export MAILFERRY_LIBEXECDIR
sm="$build/src/mailferry"
send="$build/src/mailferry-send"
timing="perl $src/tests/bench/timing.pl"
runs=${BENCH_RUNS:-20}
skip=" ${BENCH_SKIP:-} "
conf="$work/mailferry.conf"

want() { case "$skip" in *" $1 "*) return 1 ;; esac; return 0; }
. "$src/tests/bench/lib.sh"

message 1024 >m1k
message 102400 >m100k
message 10485760 >m10m

# Writeback of the messages just written would slow the first fsyncs.
sync
if want wait; then
	# What any program costs the caller here: fork, exec, exit.
	set -- $($timing wait "$runs" m1k /bin/true)
	echo "wait: harness floor, /bin/true: median $1 ms, p90 $2 ms"
	start_smarthost starttls
	set -- $($timing wait "$runs" m1k "$sm" -C "$conf" -odq -t -i)
	echo "wait: 1 KB caller wait -odq: median $1 ms, p90 $2 ms"
	set -- $($timing arrival "$runs" m1k rec "$sm" -C "$conf" -t -i)
	echo "wait: 1 KB caller wait background: median $1 ms, p90 $2 ms"
	echo "wait: 1 KB arrival background: median $3 ms, p90 $4 ms"
	n=$(arrived)
	set -- $($timing wait "$runs" m1k "$sm" -C "$conf" -odi -t -i)
	echo "wait: 1 KB caller wait -odi: median $1 ms, p90 $2 ms"
	settle $((n + runs))
	stop_smarthost
fi

if want cpu && command -v valgrind >/dev/null; then
	start_smarthost starttls
	for m in m100k m10m; do
		valgrind -q --tool=callgrind --callgrind-out-file=cg.fe \
		    "$sm" -C "$conf" -odq -t -i <$m >/dev/null 2>&1
		ir=$(callgrind_ir cg.fe)
		b=$(wc -c <$m)
		echo "cpu: front end, $b-byte body: $ir instructions, $(echo "$ir $b" |
		    awk '{ printf "%.2f", $1 / $2 }') per byte"
	done
	rm -f spool/msg/* spool/state/* cg.*
	valgrind -q --tool=callgrind --trace-children=yes \
	    --callgrind-out-file="$work/cg.%p" \
	    "$sm" -C "$conf" -odi -t -i <m1k >/dev/null 2>&1
	total=0
	for f in cg.*; do
		cmd=$(awk '/^cmd:/ { print $2; exit }' "$f")
		ir=$(callgrind_ir "$f")
		total=$((total + ir))
		echo "cpu: 1 KB message, $(basename "$cmd"): $ir instructions"
	done
	echo "cpu: 1 KB message, all processes: $total instructions"
	rm -f cg.*
	stop_smarthost
	# The floor under mailferry-send: the same OpenSSL, nothing else.
	floor="$build/tests/bench/tls_floor"
	start_smarthost implicit -i
	valgrind -q --tool=callgrind --callgrind-out-file=cg.ctx \
	    "$floor" ctx >/dev/null 2>&1
	valgrind -q --tool=callgrind --callgrind-out-file=cg.hs \
	    "$floor" handshake "$(cat port)" "$certs/ca.pem" >/dev/null 2>&1
	echo "cpu: floor, a bare OpenSSL client: start + SSL_CTX_new" \
	    "$(callgrind_ir cg.ctx) instructions; + CA file, verified" \
	    "handshake, one read: $(callgrind_ir cg.hs)"
	rm -f cg.*
	stop_smarthost
fi

if want big; then
	start_smarthost starttls
	set -- $($timing wait 5 m10m "$sm" -C "$conf" -odq -t -i)
	echo "big: 10 MB caller wait -odq: median $1 ms, p90 $2 ms"
	set -- $($timing arrival 5 m10m rec "$sm" -C "$conf" -t -i)
	echo "big: 10 MB caller wait background: median $1 ms, p90 $2 ms; arrival median $3 ms"
	for m in m1k m10m; do
		/usr/bin/time -v "$sm" -C "$conf" -odq -t -i <$m \
		    2>front.time >/dev/null
		/usr/bin/time -v "$send" -C "$conf" -q 2>send.time
		echo "big: peak RSS, $(wc -c <$m)-byte message: front end" \
		    "$(rss front.time) KB, mailferry-send $(rss send.time) KB"
	done
	stop_smarthost
fi

if want flights; then
	for tls in starttls implicit; do
		if [ $tls = implicit ]; then
			start_smarthost implicit -i
		else
			start_smarthost starttls
		fi
		"$sm" -C "$conf" -odi -t -i <m1k
		hs=1
		[ $tls = starttls ] && hs=2
		a=$(cat rec/session.1/msg.1.arrival)
		echo "flights: $tls: $(cat rec/session.1/flights) per session," \
		    "$(cat rec/session.1/msg.1.flights) per message; round trips" \
		    "until arrival $((a + 1 + 1)) (TCP 1 + TLS 1 + $a flights)"
	done
	stop_smarthost
fi

# burst LABEL CALLERS: 100 messages from CALLERS parallel loops.
burst()
{
	start_smarthost starttls
	t0=$($timing now)
	c=0
	callers=
	while [ $c -lt "$2" ]; do
		(
			i=$c
			while [ $i -lt 100 ]; do
				message 1024 "burst $i" |
				    "$sm" -C "$conf" -t -i
				i=$((i + $2))
			done
		) &
		callers="$callers $!"
		c=$((c + 1))
	done
	wait $callers
	t1=$($timing now)
	settle 100
	t2=$($timing mtime rec/session.*/msg.*.flights)
	dup=$(grep -h '^Subject: burst' rec/session.*/msg.*.data | sort |
	    uniq -d | wc -l)
	got=$(grep -h '^Subject: burst' rec/session.*/msg.*.data | sort -u |
	    wc -l)
	echo "burst: 100 messages, $1: callers done in $(ms "$t0" "$t1") ms," \
	    "all arrived in $(ms "$t0" "$t2") ms ($(echo "$t0 $t2" |
	    awk '{ printf "%.1f", 100 / ($2 - $1) }') msg/s), $(sessions)" \
	    "sessions, $got distinct arrived, $dup duplicated"
	stop_smarthost
}
if want burst; then
	burst serial 1
	burst "8 parallel" 8
fi

# fill N: N entries of 1 KB straight into spool/msg (spool.c's format).
fill()
{
	perl -e '
		my ($n, $dir, $body) = @ARGV;
		open(my $b, "<", $body) or die; local $/; my $m = <$b>;
		$m =~ s/\n/\r\n/g;
		my @a = ("0".."9", "A".."V");
		my $t = int(time * 1e6) - 1e9;
		for my $i (1 .. $n) {
			my ($v, $id) = ($t + $i, "");
			for (1 .. 11) { $id = $a[$v % 32] . $id; $v = int($v / 32); }
			$id .= join("", map { $a[rand 32] } 1 .. 5);
			open(my $f, ">", "$dir/$id") or die "$id: $!";
			print $f "mailferry-spool 1\nid $id\ncreated ", time,
			    "\nuid $<\nsender bench\@example.org\n",
			    "rcpt bench\@example.net\nbody 7bit\nsmtputf8 0\n",
			    "bounce 0\n\n", $m;
			close($f);
		}' "$1" spool/msg m1k
}
if want queue; then
	n=10000
	[ "${BENCH_BIG:-0}" = 1 ] && n=100000
	start_smarthost starttls
	"$sm" -C "$conf" -odq -t -i <m1k	# makes the spool's directories
	fill $((n - 1))
	t0=$($timing now)
	/usr/bin/time -v "$send" -C "$conf" -p >list.out 2>list.time
	t1=$($timing now)
	echo "queue: $n entries: listing $(ms "$t0" "$t1") ms," \
	    "$(wc -l <list.out) lines, peak RSS $(rss list.time) KB," \
	    "CPU $(cpu list.time)"
	id=$(ls spool/msg | sed -n "$((n / 2))p")
	t0=$($timing now)
	/usr/bin/time -v "$send" -C "$conf" -I "$id" >/dev/null 2>one.time || true
	t1=$($timing now)
	echo "queue: $n entries: -qI one entry $(ms "$t0" "$t1") ms," \
	    "peak RSS $(rss one.time) KB"
	set -- $($timing wait 5 m1k "$sm" -C "$conf" -odq -t -i)
	echo "queue: $n entries: submission -odq caller wait median $1 ms"
	t0=$($timing now)
	/usr/bin/time -v "$send" -C "$conf" -q 2>run.time
	t1=$($timing now)
	settle 0 || true
	echo "queue: $n entries: run $(ms "$t0" "$t1") ms," \
	    "$(arrived) arrived, $(sessions) sessions, peak RSS" \
	    "$(rss run.time) KB, $(ls spool/msg | wc -l) left;" \
	    "mailferry-send CPU $(cpu run.time)"
	stop_smarthost
fi
