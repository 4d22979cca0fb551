#!/bin/sh
# bench.sh BUILDDIR SRCDIR: print mailferry's figures (`make bench`).
#  - peak RSS of the front end (+ mailferry-queue) and of mailferry-send
#    for a 1 KB and a 50 MB message: memory must not grow with the size;
#  - round trips ("flights") for one message over STARTTLS + AUTH, and
#    per message for a 100-message queue run over one session;
#  - wall time of those runs.
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

start_smarthost()
{
	rm -rf rec port
	"$build/tests/smarthost" -P "$work/port" -d "$work/rec" -a 60 \
	    -c "$certs/good.pem" -k "$certs/good.key" \
	    -u bench@example.org -w bench-secret "$@" 2>/dev/null &
	echo $! >pid
	while [ ! -s port ]; do sleep 0.05; done
	mkdir -p spool
	echo bench-secret >secret
	chmod 600 secret
	cat >mailferry.conf <<CONF
[smarthost]
host = localhost
port = $(cat port)
user = bench@example.org
password_file = $work/secret
ca_file = $certs/ca.pem
[sender]
domain = example.org
[queue]
dir = $work/spool
delivery = queue
max_size = 100M
CONF
}
stop_smarthost()
{
	kill "$(cat pid)" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -f pid
}
wait_sessions()
{
	while [ "$(cat rec/sessions 2>/dev/null || echo 0)" -lt "$1" ]; do
		sleep 0.05
	done
}
rss() { grep 'Maximum resident' "$1" | awk '{print $NF}'; }

message()
{
	printf 'To: bench@example.net\nSubject: bench\n\n'
	head -c "$1" /dev/urandom | base64 -w 76
}

start_smarthost
for size in 1024 52428800; do
	message $((size * 3 / 4)) >msg.txt
	/usr/bin/time -v "$sm" -C "$work/mailferry.conf" -t -i <msg.txt \
	    2>front.time >/dev/null
	t0=$(date +%s.%N)
	/usr/bin/time -v "$build/src/mailferry-send" -C "$work/mailferry.conf" \
	    -q 2>send.time
	t1=$(date +%s.%N)
	printf 'rss: %s-byte message: front end + mailferry-queue %s KB, mailferry-send %s KB, send %.2fs\n' \
	    "$(wc -c <msg.txt | tr -d ' ')" "$(rss front.time)" "$(rss send.time)" \
	    "$(echo "$t1 - $t0" | bc)"
done
stop_smarthost

start_smarthost
message 700 | "$sm" -C "$work/mailferry.conf" -t -i
"$build/src/mailferry-send" -C "$work/mailferry.conf" -q
wait_sessions 1
echo "flights: one message over STARTTLS + AUTH: $(cat rec/session.1/flights) per session, $(cat rec/session.1/msg.1.flights) per message"
stop_smarthost

start_smarthost
i=0
while [ $i -lt 100 ]; do
	message 700 | "$sm" -C "$work/mailferry.conf" -t -i
	i=$((i + 1))
done
t0=$(date +%s.%N)
"$build/src/mailferry-send" -C "$work/mailferry.conf" -q
t1=$(date +%s.%N)
wait_sessions 1
n=$(ls rec/session.1/msg.*.data | wc -l)
f=$(cat rec/session.1/flights)
printf 'flights: %d-message queue run: %d sessions, %d flights, %.2f per message, %.2fs\n' \
    "$n" "$(cat rec/sessions)" "$f" "$(echo "$f / $n" | bc -l)" "$(echo "$t1 - $t0" | bc)"
stop_smarthost
