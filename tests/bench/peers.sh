#!/bin/sh
# peers.sh BUILDDIR SRCDIR: mailferry against the peers it replaces
# (`make bench-peers`, issue 12): msmtp, dma, nullmailer and ssmtp, each
# sending the same 1 KB message to the same bundled smarthost on loopback
# (STARTTLS; AUTH PLAIN where the peer can, else the LOGIN it has).
#
# The peers cannot be installed here (they conflict with Postfix, which
# the tests need), so their Debian packages are fetched with
# `apt-get download` into BENCH_PEERS_DIR (default BUILDDIR/tests/
# bench-peers) and unpacked with `dpkg -x`.  msmtp and ssmtp take their
# configuration file on the command line.  dma and nullmailer read fixed
# paths (/etc/dma, /etc/nullmailer, /var/spool/nullmailer, /usr/lib/
# nullmailer): as root the script runs in a private mount namespace
# (unshare -m) where overlays put those in place; nothing outside it
# changes.  Without root or unshare those two are left out.
#
# Per peer, in its normal mode (mailferry also with -odi):
#  wait      the caller's wait, median and p90 of BENCH_RUNS runs (20);
#  arrival   from the call to the end-of-data reply, median and p90;
#  rtt       round trips until arrival: TCP 1 + TLS handshake (1 for
#            TLS 1.3) + the smarthost's flights (msg.1.arrival);
#  instr     instructions of every process for one message (callgrind);
#  100 msgs  100 messages back to back: messages per second until the
#            last arrived, and the sessions used.
# BENCH_PEERS: space-separated peers to measure (default: all found).
# Figures, not verdicts: nothing here fails on a slow machine, and no
# test depends on this script.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

# One private mount namespace for the whole run: the overlays vanish
# with it, whatever way the script ends.
if [ "${MF_PEERS_NS:-}" = "" ] && [ "$(id -u)" = 0 ] &&
    unshare -m true 2>/dev/null; then
	MF_PEERS_NS=1 exec unshare -m sh "$0" "$@"
fi

cache=${BENCH_PEERS_DIR:-$build/tests/bench-peers}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
work=$(mktemp -d /tmp/mf-peers.XXXXXX)
mounted=
cleanup()
{
	kill $(cat "$work/pid" "$work/daemon.pid" 2>/dev/null) 2>/dev/null ||
	    true
	for m in $mounted; do umount "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 130' INT TERM
# (the peers' daemons and delivery processes run as user mail: they
# must reach their spool and callgrind's files under $work)
chmod 711 "$work"
mkdir -m 1777 "$work/cg"
cd "$work"

. "$src/tests/bench/lib.sh"
sh "$src/tests/gen-certs.sh" "$build/tests/certs" >/dev/null
certs="$build/tests/certs"
MAILFERRY_LIBEXECDIR="$build/src"; export MAILFERRY_LIBEXECDIR
sm="$build/src/mailferry"
timing="perl $src/tests/bench/timing.pl"
runs=${BENCH_RUNS:-20}
conf="$work/mailferry.conf"

# fetch NAME PKG...: the packages unpacked into $cache/NAME, once.
# (apt-get download keeps no state of its own beyond the .deb files)
fetch()
{
	d=$cache/$1
	shift
	[ -f "$d/.unpacked" ] && return 0
	rm -rf "$d"
	mkdir -p "$d/debs"
	(cd "$d/debs" && apt-get download "$@") >"$d/apt.log" 2>&1 ||
	    return 1
	for deb in "$d"/debs/*.deb; do
		dpkg -x "$deb" "$d/root"
	done
	touch "$d/.unpacked"
}

if ! command -v apt-get >/dev/null ||
    ! fetch msmtp msmtp libgsasl18 libsecret-1-0 libidn12 libntlm0 \
    libgssglue1; then
	echo "bench-peers: apt-get download is impossible here (no package" \
	    "registry?): no peer figures"
	exit 0
fi
have=msmtp
fetch ssmtp ssmtp && have="$have ssmtp" ||
    echo "bench-peers: ssmtp: apt-get download failed, left out" >&2
if [ -n "${MF_PEERS_NS:-}" ]; then
	fetch dma dma && have="$have dma" ||
	    echo "bench-peers: dma: apt-get download failed, left out" >&2
	fetch nullmailer nullmailer && have="$have nullmailer" ||
	    echo "bench-peers: nullmailer: apt-get download failed," \
	    "left out" >&2
else
	echo "bench-peers: dma, nullmailer left out: their fixed paths" \
	    "need root and unshare -m" >&2
fi
msmtp_libs=$(dirname "$(find "$cache/msmtp/root" -name 'libgsasl.so.*' |
    head -n 1)")

# overlay DIR [LOWER]: DIR writable in this namespace (changes go to
# $work), with LOWER, if given, laid over it read-only.
overlay()
{
	u=$work/ov$(echo "$1" | tr / _)
	mkdir -p "$u/up" "$u/wk"
	mount -t overlay overlay \
	    -o "lowerdir=${2:+$2:}$1,upperdir=$u/up,workdir=$u/wk" "$1"
	mounted="$1 $mounted"
}
case " $have " in *" dma "* | *" nullmailer "*)
	if ! { overlay /etc && overlay /var/spool &&
	    overlay /usr "$cache/nullmailer/root/usr"; } 2>ov.err; then
		echo "bench-peers: dma, nullmailer left out: overlay mount" \
		    "failed: $(cat ov.err)" >&2
		have=$(echo "$have" | sed 's/ dma//; s/ nullmailer//')
	fi
	;;
esac

# Each peer: conf_PEER writes its configuration for the smarthost now
# running (its port changes with every start), and the command line
# that submits stdin is in cmd_PEER.
conf_mailferry() { :; }
cmd_mailferry="$sm -C $conf -t -i"
cmd_mailferry_odi="$sm -C $conf -odi -t -i"
conf_mailferry_odi() { :; }

conf_msmtp()
{
	cat >msmtprc <<CONF
account bench
host localhost
port $(cat port)
tls on
tls_starttls on
tls_trust_file $certs/ca.pem
auth plain
user bench@example.org
password bench-secret
from bench@example.org
account default : bench
CONF
	chmod 600 msmtprc	# msmtp refuses a readable file with a password
}
cmd_msmtp="$cache/msmtp/root/usr/bin/msmtp -C $work/msmtprc -t"

# ssmtp offers AUTH LOGIN and CRAM-MD5 only.
conf_ssmtp()
{
	cat >ssmtp.conf <<CONF
mailhub=localhost:$(cat port)
UseSTARTTLS=YES
TLS_CA_File=$certs/ca.pem
AuthUser=bench@example.org
AuthPass=bench-secret
hostname=example.org
FromLineOverride=YES
CONF
}
cmd_ssmtp="$cache/ssmtp/root/usr/sbin/ssmtp -C$work/ssmtp.conf -t -i"

# dma: /etc/dma is compiled in, the spool is configurable; AUTH LOGIN
# or CRAM-MD5 only, and it does not check the server's certificate.
conf_dma()
{
	mkdir -p /etc/dma dma-spool
	chgrp mail dma-spool
	chmod 2775 dma-spool
	cat >/etc/dma/dma.conf <<CONF
SMARTHOST localhost
PORT $(cat port)
AUTHPATH /etc/dma/auth.conf
SECURETRANSFER
STARTTLS
SPOOLDIR $work/dma-spool
MAILNAME example.org
CONF
	echo 'bench@example.org|localhost:bench-secret' >/etc/dma/auth.conf
	chgrp mail /etc/dma/auth.conf
	chmod 640 /etc/dma/auth.conf
}
cmd_dma="$cache/dma/root/usr/sbin/dma -t -i"

# nullmailer: sendmail queues through nullmailer-queue and pulls the
# trigger; the daemon nullmailer-send delivers (as user mail, as
# Debian runs it).  remotes is reread on every queue run.
conf_nullmailer()
{
	mkdir -p /etc/nullmailer
	echo localhost >/etc/nullmailer/me
	echo example.org >/etc/nullmailer/defaultdomain
	echo "localhost smtp port=$(cat port) starttls" \
	    "user=bench@example.org pass=bench-secret" \
	    "x509cafile=$certs/ca.pem" >/etc/nullmailer/remotes
	q=/var/spool/nullmailer
	if [ ! -p $q/trigger ]; then
		mkdir -p $q/queue $q/tmp $q/failed
		mkfifo $q/trigger
		chown -R mail $q
		chmod 622 $q/trigger
	fi
	[ -s daemon.pid ] || start_daemon
}
cmd_nullmailer="/usr/sbin/sendmail -t -i"
# start_daemon [WRAPPER...]: nullmailer-send in the background.
start_daemon()
{
	setpriv --reuid=mail --regid=mail --clear-groups \
	    "$@" /usr/sbin/nullmailer-send >>daemon.log 2>&1 &
	echo $! >daemon.pid
}
# (it may be another subshell's child: wait by polling, bounded: 10 s)
stop_daemon()
{
	[ -s daemon.pid ] || return 0
	d=$(cat daemon.pid)
	kill "$d" 2>/dev/null || true
	i=0
	while kill -0 "$d" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	rm -f daemon.pid
}

# start PEER: a fresh smarthost (STARTTLS, AUTH) and the peer set up.
start()
{
	start_smarthost starttls
	conf_$1
}
cmd() { eval echo "\$cmd_$1"; }
# with_env PEER CMD...: CMD with what the peer's binary needs to run.
with_env()
{
	if [ "$1" = msmtp ]; then
		shift
		LD_LIBRARY_PATH=$msmtp_libs "$@"
	else
		shift
		"$@"
	fi
}
# sessions_over N: wait (bounded: 60 s) until N sessions are over.
sessions_over()
{
	i=0
	while [ "$(sessions)" -lt "$1" ] && [ $i -lt 1200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(sessions)" -ge "$1" ]
}

# waits PEER: "wait-median wait-p90 arrival-median arrival-p90"
waits()
{
	start "$1"
	with_env "$1" $timing arrival "$runs" m1k rec $(cmd "$1")
	stop_smarthost
}

# rtt PEER: "round trips until arrival, AUTH mechanism, TLS version".
rtt()
{
	start "$1"
	with_env "$1" $(cmd "$1") <m1k >/dev/null 2>&1
	sessions_over 1 || { echo "- - -"; stop_smarthost; return; }
	t=rec/session.1/transcript
	v=$(sed -n 's/.*TLS established.*\(TLSv1\.[0-9]\).*/\1/p' $t |
	    head -n 1)
	hs=2
	[ "$v" = TLSv1.3 ] && hs=1
	mech=$(sed -n 's/^TLS C: AUTH \([A-Z0-9-]*\).*/\1/p' $t | head -n 1)
	echo "$(($(cat rec/session.1/msg.1.arrival) + 1 + hs)) ${mech:--}" \
	    "${v:--}"
	stop_smarthost
}

# unprivileged CMD ARG...: CMD with its binary copied without its
# set-group-id bit (dma and ssmtp are setgid mail), which valgrind
# refuses to run; as root they need no privilege here.
unprivileged()
{
	b=$work/bin/$(basename "$1")
	mkdir -p "$work/bin"
	cp "$1" "$b"
	chmod 755 "$b"
	shift
	echo "$b $*"
}

# instr PEER: instructions of every process for one message (callgrind
# follows forks and execs); "-" without valgrind.  mailferry's
# background mode detaches its sender, so -odi stands for both modes;
# dma runs with -D (its delivery in the foreground, the same work);
# nullmailer's daemon runs under callgrind too, from its start (a few
# hundred thousand instructions) until the message arrived.
instr()
{
	command -v valgrind >/dev/null || { echo -; return; }
	rm -f cg/cg.*
	vg="valgrind -q --tool=callgrind --trace-children=yes
	    --callgrind-out-file=$work/cg/cg.%p"
	start "$1"
	pre=
	case $1 in
	mailferry) c=$cmd_mailferry_odi ;;
	dma)	# (as user mail: run by root, it drops to a user that
		# could not write its spool nor callgrind's file)
		pre="setpriv --reuid=mail --regid=mail --clear-groups"
		c="$(unprivileged $cmd_dma) -D"
		;;
	ssmtp) c=$(unprivileged $cmd_ssmtp) ;;
	nullmailer)
		stop_daemon
		start_daemon $vg
		sleep 2	# its start-up under valgrind, before the trigger
		c=$cmd_nullmailer
		;;
	*) c=$(cmd "$1") ;;
	esac
	with_env "$1" $pre $vg $c <m1k >/dev/null 2>&1 || true
	sessions_over 1 || true
	[ "$1" = nullmailer ] && stop_daemon
	stop_smarthost
	total=0
	for f in cg/cg.*; do
		[ -f "$f" ] || { echo -; return; }
		ir=$(callgrind_ir "$f")
		total=$((total + ${ir:-0}))
	done
	echo "$total" | awk '{ printf "%.1f M", $1 / 1e6 }'
	echo
}

# burst PEER: 100 messages back to back from one caller: "msg/s
# sessions distinct-arrived".
burst()
{
	start "$1"
	c=$(cmd "$1")
	t0=$($timing now)
	i=0
	while [ $i -lt 100 ]; do
		message 1024 "burst $i" | with_env "$1" $c >/dev/null 2>&1
		i=$((i + 1))
	done
	settle 100 || true
	t2=$($timing mtime rec/session.*/msg.*.flights)
	got=$(grep -h '^Subject: burst' rec/session.*/msg.*.data | sort -u |
	    wc -l)
	echo "$t0 $t2" | awk '{ printf "%.1f", 100 / ($2 - $1) }'
	echo " $(sessions) $got"
	stop_smarthost
}

# row LABEL PEER: one line of the table.  sync first: writeback left
# by the downloads or the previous row's burst would slow this row's
# fsyncs (ext4 commits its journal for everyone).
row()
{
	sync
	read -r wm wp am ap <<EOF
$(waits "$2")
EOF
	read -r r mech tls <<EOF
$(rtt "$2")
EOF
	ir=$(instr "$2") || ir=-
	read -r rate ses got <<EOF
$(burst "$2")
EOF
	echo "| $1 | $wm / $wp ms | $am / $ap ms | $r | $mech | $ir |" \
	    "$rate msg/s, $ses sessions ($got of 100 arrived) |"
}

message 1024 >m1k
echo "1 KB message, STARTTLS, $runs runs (median / p90); $(nproc) CPUs"
echo
echo "| sender (mode) | caller's wait | arrival | round trips until" \
    "arrival | AUTH | instructions, 1 message | 100 messages back to" \
    "back |"
echo "|---|---|---|---|---|---|---|"
row "mailferry (background, default)" mailferry
row "mailferry -odi" mailferry_odi
for p in $have; do
	case " ${BENCH_PEERS:-$p} " in *" $p "*) ;; *) continue ;; esac
	v=$(find "$cache/$p/debs" -name "${p}_*.deb" | sed 's/.*_\(.*\)_.*/\1/; s/%3a/:/')
	row "$p $v" "$p"
	[ $p = nullmailer ] && stop_daemon
done
