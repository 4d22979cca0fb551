# lib.sh: the pieces of the benchmarks' harness that bench.sh and
# peers.sh share (sourced, not run), so that both measure the same way
# against the same smarthost.  The caller sets build (the build
# directory), work (a temp directory it removes, and the current
# directory), certs (from gen-certs.sh) and conf (mailferry's
# configuration file, written by start_smarthost).

# start_smarthost TLS [smarthost options]: TLS is starttls or implicit.
start_smarthost()
{
	tls=$1
	shift
	[ -f pid ] && stop_smarthost
	rm -rf rec port spool
	"$build/tests/smarthost" -P "$work/port" -d "$work/rec" -a 600 \
	    -c "$certs/good.pem" -k "$certs/good.key" \
	    -u bench@example.org -w bench-secret "$@" 2>/dev/null &
	echo $! >pid
	while [ ! -s port ]; do
		kill -0 "$(cat pid)" 2>/dev/null ||
		    { echo "bench: the smarthost did not start" >&2; exit 1; }
		sleep 0.05
	done
	mkdir -p spool
	chmod 700 spool
	echo bench-secret >secret
	chmod 600 secret
	cat >"$conf" <<CONF
[smarthost]
host = localhost
port = $(cat port)
tls = $tls
user = bench@example.org
password_file = $work/secret
ca_file = $certs/ca.pem
[sender]
domain = example.org
[queue]
dir = $work/spool
delivery = background
max_size = 100M
CONF
}
# (waits for the smarthost alone: peers.sh has a peer's daemon running)
stop_smarthost()
{
	kill "$(cat pid)" 2>/dev/null || true
	wait "$(cat pid)" 2>/dev/null || true
	rm -f pid
}
sessions() { cat rec/sessions 2>/dev/null || echo 0; }
# (find, not a glob: 100,000 names do not fit in an argument list)
arrived() { find rec -name 'msg.*.flights' 2>/dev/null | wc -l; }
# settle N: wait until N messages arrived, the spool is empty and every
# session that started is recorded as over (bounded: 120 s).
settle()
{
	i=0
	while [ "$(arrived)" -lt "$1" ] ||
	    [ -n "$(ls spool/msg 2>/dev/null)" ] ||
	    [ "$(sessions)" -lt "$(find rec -name 'session.*' -type d 2>/dev/null |
	    wc -l)" ]; do
		sleep 0.05
		i=$((i + 1))
		[ $i -lt 2400 ] || { echo "bench: did not settle" >&2; return 1; }
	done
}
rss() { awk '/Maximum resident/ { print $NF }' "$1"; }
# cpu FILE: "user U s, system S s" from a time -v report.
cpu()
{
	awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
	    END { printf "user %s s, system %s s", u, s }' "$1"
}
ms() { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) * 1000 }'; }

# message BYTES [SUBJECT]: a plain-text message of about BYTES bytes.
message()
{
	printf 'To: bench@example.net\nSubject: %s\n\n' "${2:-bench}"
	head -c $(($1 * 76 / 77)) /dev/zero | tr '\0' 'a' | fold -w 76
	echo
}
# callgrind_ir FILE: the instructions a callgrind output file counted.
callgrind_ir() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
