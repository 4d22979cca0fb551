# attack_test: a local attacker against a real set-id installation.
#
# "The privileged side is the only judge": mailferry-queue and
# mailferry-send are setgid mailferry, and a local user runs them
# directly, with any argv, stdin, environment, rlimits and signals.
# Every case here is such an attack, made by the user nobody against a
# temporary installation (instlib.sh, like privsep_test) and the test
# smarthost.  Each case asserts the specific refusal: exit code, the
# one-line message, what the smarthost did not receive, what is or is
# not in the spool.  Root only: it installs, chowns and reads /proc.

. "$(atf_get_srcdir)/testlib.sh"
. "$MF_SRCDIR/tests/instlib.sh"

CANARY='Q2FuYXJ5U2VjcmV0MTIz'

msg()
{
	printf 'To: bob@example.net\nSubject: attack test\n\nline one\nlast\n'
}

# at_setup [smarthost options]: install, start the smarthost, write the
# installed configuration (root:root 0644, no secret) and the secret.
at_setup()
{
	mf_inst_setup
	P=$MF_INST
	SENDMAIL="$P/sbin/sendmail"
	SEND="$MF_INST_LIBEXEC/mailferry-send"
	QUEUE="$MF_INST_LIBEXEC/mailferry-queue"
	NOBODY_UID=$(id -u nobody)
	mf_smarthost_start -T -R "$@"
	install -m 0644 "$MF_CERTS/ca.pem" "$P/etc/ca.pem"
	at_conf >"$P/etc/mailferry.conf"
	chmod 0644 "$P/etc/mailferry.conf"
	# Keeps the owner and mode the install gave it.
	printf '%s\n' "$MF_PASSWORD" >"$P/etc/mailferry.secret"
	: >failures
}

# at_conf [sender lines] [queue lines]: the configuration for the
# smarthost on MF_PORT; $1 and $2 are extra lines (may be empty) for
# the [sender] and [queue] sections.
at_conf()
{
	cat <<EOF
[smarthost]
host = localhost
port = $MF_PORT
tls = starttls
user = $MF_USER
password_file = $P/etc/mailferry.secret
ca_file = $P/etc/ca.pem
timeout = 10s
connect_timeout = 5s
[sender]
domain = example.org
${1:-}
[queue]
retry = 1s
max_retry = 2s
${2:-}
[aliases]
root = admin@example.org
EOF
}

at_cleanup()
{
	mf_smarthost_stop
	if [ -s stopped.pid ]; then
		kill -CONT "$(cat stopped.pid)" 2>/dev/null
	fi
	if [ -s inst-prefix ]; then
		p=$(cat inst-prefix)
		for pid in $(helper_pids "$p/"); do
			kill -CONT "$pid" 2>/dev/null
			kill "$pid" 2>/dev/null
		done
	fi
	if [ -s evil-dirs ]; then
		for d in $(cat evil-dirs); do
			case $d in /tmp/mf-evil.*) rm -rf "$d";; esac
		done
	fi
	mf_inst_cleanup
}

# helper_pids PREFIX: pids of the processes whose program is under it.
helper_pids()
{
	find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$1*" 2>/dev/null |
	    sed -n 's|^/proc/\([0-9]*\)/exe$|\1|p'
}

# evil_dir: a new directory /tmp/mf-evil.* (root's, 0755); prints it.
evil_dir()
{
	d=$(mktemp -d /tmp/mf-evil.XXXXXX) || atf_fail "mktemp failed"
	echo "$d" >>evil-dirs
	chmod 755 "$d"
	echo "$d"
}

# A case records every failed assertion and fails once at the end, so
# that the report names all the holes, not only the first one.
bad()
{
	printf '%s\n' "$*" >>failures
}
verdict()
{
	[ -s failures ] || return 0
	atf_fail "$(awk '{ printf "%s[%d] %s", (NR > 1 ? " " : ""), NR, $0 }' failures)"
}

# show FILE: its first 200 bytes on one line.
show()
{
	tr '\n' ' ' <"$1" | cut -c1-200
}

# one_line FILE: exactly one line.
one_line()
{
	[ "$(wc -l <"$1")" -eq 1 ] && [ "$(awk 'END { print NR }' "$1")" -eq 1 ]
}

# try WANT INPUT argv...: argv as nobody, stdin from INPUT, output in
# out and err; a failure unless it exits WANT.  Sets TR.
try()
{
	want=$1
	in=$2
	shift 2
	timeout 60 $AS_NOBODY "$@" <"$in" >out 2>err
	TR=$?
	[ "$TR" = "$want" ] ||
	    bad "$*: exit $TR, wanted $want (stderr: $(show err))"
}

# spool_ids: entries in the installed spool (as root).
spool_ids()
{
	ls "$MF_INST_SPOOL/msg"
}

# spool_leftovers: what msg/ and tmp/ hold.
spool_leftovers()
{
	find "$MF_INST_SPOOL/msg" "$MF_INST_SPOOL/tmp" -mindepth 1 | tr '\n' ' '
}

# sessions: how many sessions the smarthost finished.
sessions()
{
	cat rec/sessions 2>/dev/null || echo 0
}

# null_mails: how many MAIL FROM:<> the smarthost was sent (accepted
# or not: msg.K.env exists only for accepted ones, so the transcripts).
null_mails()
{
	cat rec/session.*/transcript 2>/dev/null | grep -c 'C: MAIL FROM:<>'
}
mail_from_null()
{
	[ "$(null_mails)" -gt 0 ]
}

# frame HEADERFILE MSGFILE: the frame mailferry-queue reads (spool.c).
frame()
{
	cat "$1"
	echo
	fn=$(wc -c <"$2")
	if [ "$fn" -gt 0 ]; then
		echo "$fn"
		cat "$2"
	fi
	echo 0
}

# canon_msg FROM: a canonical message (CRLF, 7bit, short lines).
canon_msg()
{
	printf 'From: %s\r\nTo: bob@example.net\r\nSubject: forged\r\n' "$1"
	printf 'Date: Thu, 3 Dec 2026 16:36:24 +0000\r\n'
	printf 'Message-ID: <1796315784.5504e6d0dc24fcd1@example.org>\r\n'
	printf '\r\nhello\r\n'
}

# frame_hdr SENDER [BOUNCE [RCPT [SMTPUTF8]]]: a frame header.
frame_hdr()
{
	if [ -n "$1" ]; then
		echo "sender $1"
	else
		echo "sender"
	fi
	echo "rcpt ${3:-bob@example.net}"
	echo 'body 7bit'
	echo "smtputf8 ${4:-0}"
	echo "bounce ${2:-0}"
}

# ---------------------------------------------------------------------

atf_test_case secret_via_C cleanup
secret_via_C_head()
{
	atf_set descr "-C naming the secret (or /etc/shadow) quotes none of it: 77, one line"
	atf_set require.user root
	atf_set timeout 300
}
# secret_probe: run every -C variant against $1, as nobody.
secret_probe()
{
	f=$1
	try 77 /dev/null "$SEND" -C "$f" -d
	cat out err >>all-output
	one_line err || bad "$SEND -C $f -d: stderr not one line: $(show err)"
	try 77 /dev/null "$SEND" -C "$f" -c
	cat out err >>all-output
	one_line err || bad "$SEND -C $f -c: stderr not one line: $(show err)"
	try 77 /dev/null "$SENDMAIL" -C "$f" --dump-config
	cat out err >>all-output
	one_line err || bad "sendmail -C $f --dump-config: stderr not one line: $(show err)"
	try 77 /dev/null "$QUEUE" -C "$f"
	cat out err >>all-output
	one_line err || bad "$QUEUE -C $f: stderr not one line: $(show err)"
}
secret_via_C_body()
{
	at_setup
	: >all-output
	printf '%s=\n' "$CANARY" >"$P/etc/mailferry.secret"
	secret_probe "$P/etc/mailferry.secret"
	printf '[canarysection]\n' >"$P/etc/mailferry.secret"
	secret_probe "$P/etc/mailferry.secret"
	secret_probe /etc/shadow
	if grep -a -q -e "$CANARY" -e canarysection all-output; then
		bad "the secret was quoted: $(grep -a -e "$CANARY" -e canarysection all-output | sort -u | tr '\n' ' ')"
	fi
	# Nothing of /etc/shadow either (root's entry starts "root:").
	if grep -a -q '^root:\|[^a-z]root:[$!*]' all-output; then
		bad "/etc/shadow was quoted: $(show all-output)"
	fi
	[ "$(sessions)" = 0 ] || bad "the smarthost was contacted"
	verdict
}
secret_via_C_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case foreign_entry cleanup
foreign_entry_head()
{
	atf_set descr "nobody cannot deliver root's entry (-I -F, -I, -q -I, sendmail -q)"
	atf_set require.user root
	atf_set timeout 300
}
foreign_entry_body()
{
	at_setup
	msg | "$SENDMAIL" -odq -t -i || atf_fail "root cannot queue"
	id=$(spool_ids)
	[ -n "$id" ] || atf_fail "nothing queued"
	grep -q '^uid 0$' "$MF_INST_SPOOL/msg/$id" || atf_fail "not root's entry"
	try 77 /dev/null "$SEND" -I "$id" -F
	grep -q 'not yours' err || bad "-I $id -F: stderr '$(show err)' lacks 'not yours'"
	try 77 /dev/null "$SEND" -I "$id"
	grep -q 'not yours' err || bad "-I $id: stderr '$(show err)' lacks 'not yours'"
	try 0 /dev/null "$SEND" -q -I "$id"
	try 0 /dev/null "$SENDMAIL" -q
	sleep 1
	[ "$(spool_ids)" = "$id" ] ||
	    bad "root's entry left msg/ by nobody's runs: '$(spool_ids | tr '\n' ' ')'"
	[ "$(sessions)" = 0 ] ||
	    bad "the smarthost saw $(sessions) session(s) started by nobody"
	verdict
	# Root's own run delivers it.
	atf_check -s exit:0 -o ignore -e ignore "$SENDMAIL" -q
	mf_wait_sessions 1
	atf_check -o match:'^mail 250 FROM:<root@example.org>' \
	    cat rec/session.1/msg.1.env
	[ -z "$(spool_ids)" ] || atf_fail "root's run left it queued"
}
foreign_entry_cleanup() { at_cleanup; }

atf_test_case bounce_owner cleanup
bounce_owner_head()
{
	atf_set descr "a DSN made by root's run belongs to the original submitter"
	atf_set require.user root
	atf_set timeout 300
}
bounce_owner_body()
{
	cat >script <<'EOF'
on RCPT arg refused@ reply 550 5.1.1 no such user
on MAIL arg FROM:<> reply 451 4.3.0 bounces later
EOF
	at_setup -s script
	printf 'To: refused@example.net\nSubject: to bounce\n\nx\n' |
	    $AS_NOBODY "$SENDMAIL" -odq -t -i || atf_fail "nobody cannot queue"
	orig=$(spool_ids)
	grep -q "^uid $NOBODY_UID\$" "$MF_INST_SPOOL/msg/$orig" ||
	    atf_fail "not nobody's entry"
	"$SENDMAIL" -q >qout 2>qerr || atf_fail "root's -q: $(show qerr)"
	mf_wait_sessions 1
	grep -q '^rcpt 550 TO:<refused@example.net>' rec/session.1/msg.1.env ||
	    atf_fail "not refused: $(show rec/session.1/msg.1.env)"
	mail_from_null || atf_fail "the bounce was not tried"
	ids=$(spool_ids)
	[ "$(echo "$ids" | wc -w)" = 1 ] ||
	    atf_fail "wanted only the DSN queued: '$ids'"
	dsn=$MF_INST_SPOOL/msg/$ids
	grep -q '^bounce 1$' "$dsn" || atf_fail "the entry left is no DSN: $(head -n 9 "$dsn" | tr '\n' ' ')"
	u=$(sed -n 's/^uid //p' "$dsn" | head -n 1)
	[ "$u" = "$NOBODY_UID" ] ||
	    atf_fail "the DSN has 'uid $u', wanted $NOBODY_UID (the original owner)"
}
bounce_owner_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case forged_frame cleanup
forged_frame_head()
{
	atf_set descr "mailferry-queue enforces sender, From:, size, Bcc, CRLF, NUL, line length and bounce itself"
	atf_set require.user root
	atf_set timeout 300
}
# refused WANT WHAT HDR MSG: the frame is refused with WANT, nothing kept.
refused()
{
	want=$1
	what=$2
	frame "$3" "$4" >frame.in
	try "$want" frame.in "$QUEUE"
	[ -s out ] && bad "($what) printed an id: $(show out)"
	l=$(spool_leftovers)
	if [ -n "$l" ]; then
		bad "($what) left in the spool: $l"
		find "$MF_INST_SPOOL/msg" "$MF_INST_SPOOL/tmp" -mindepth 1 -delete
	fi
}
forged_frame_body()
{
	at_setup
	at_conf 'from = app@example.org
rewrite_from = always' 'max_size = 10k' >"$P/etc/mailferry.conf"
	"$SENDMAIL" --dump-config >dump 2>&1 ||
	    atf_fail "configuration refused: $(show dump)"
	frame_hdr app@example.org >h.good
	canon_msg app@example.org >m.good

	# (a) another sender
	frame_hdr evil@example.com >h.a
	refused 77 a h.a m.good
	[ "$TR" = 77 ] && ! grep -q 'sender' err &&
	    bad "(a) stderr does not mention sender: $(show err)"
	# (b) a forged From:
	canon_msg boss@example.com >m.b
	refused 65 b h.good m.b
	# (c) over [queue] max_size plus the 64 KiB of headers the front end
	# may add (SPOOL_SIZE_SLACK): about 130 KiB
	{
		canon_msg app@example.org | sed '$d'
		i=0
		while [ $i -lt 2000 ]; do
			printf '%s\r\n' "line $i 0123456789012345678901234567890123456789012345678901"
			i=$((i + 1))
		done
	} >m.c
	[ "$(wc -c <m.c)" -gt 90000 ] || atf_fail "m.c too small"
	refused 65 c h.good m.c
	# (d) a Bcc: header
	canon_msg app@example.org | sed '1a\
Bcc: hidden@example.net\r' >m.d
	grep -q '^Bcc: hidden' m.d || atf_fail "no Bcc in m.d"
	refused 65 d h.good m.d
	# (e) bare LF line ends
	canon_msg app@example.org | tr -d '\r' >m.e
	refused 65 e h.good m.e
	# (f) a NUL byte in the body
	{ canon_msg app@example.org; printf 'a\000b\r\n'; } >m.f
	refused 65 f h.good m.f
	# (g) a 999-octet line
	{
		canon_msg app@example.org
		head -c 999 /dev/zero | tr '\0' x
		printf '\r\n'
	} >m.g
	refused 65 g h.good m.g
	# (h) a "bounce" with the null sender
	frame_hdr '' 1 >h.h
	canon_msg app@example.org >m.h
	refused 77 h h.h m.h
	# (i) the options are gone: size and spool come from the configuration
	try 64 /dev/null "$QUEUE" -s 1073741824
	x=$(mktemp -u /tmp/mf-notmade.XXXXXX)
	try 64 /dev/null "$QUEUE" -d "$x"
	[ ! -e "$x" ] || bad "(i) $x was created"
	[ -z "$(spool_leftovers)" ] || bad "(i) left: $(spool_leftovers)"

	# Control: the canonical frame is accepted.
	frame h.good m.good >frame.in
	try 0 frame.in "$QUEUE"
	grep -q '^[0-9A-V]\{16\}$' out || bad "control: no id printed: $(show out) $(show err)"
	[ -n "$(spool_ids)" ] || bad "control: nothing queued"
	verdict
}
forged_frame_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case bounce_lost cleanup
bounce_lost_head()
{
	atf_set descr "a run that cannot write the bounce keeps the original: the DSN goes out later"
	atf_set require.user root
	atf_set timeout 300
}
bounce_lost_body()
{
	echo 'on RCPT arg refused@ reply 550 5.1.1 no such user' >script
	at_setup -s script
	printf 'To: refused@example.net\nSubject: to bounce\n\nx\n' |
	    $AS_NOBODY "$SENDMAIL" -odq -t -i || atf_fail "nobody cannot queue"
	orig=$(spool_ids)
	[ -n "$orig" ] || atf_fail "nothing queued"
	# Through a pipe: under ulimit -f 0 nothing can be written to a file.
	{ $AS_NOBODY sh -c "ulimit -f 0; \"$SENDMAIL\" -q; echo rc=\$?" 2>&1; } |
	    cat >qerr
	rc=$(sed -n 's/^rc=//p' qerr)
	sed -i '/^rc=/d' qerr
	echo "ulimit run: exit $rc: $(show qerr)"
	# The helper may refuse to start under a limit it cannot raise
	# (75, one line naming it, nothing touched): then a normal run
	# meets the refusal, with a spool it can write.
	refused=
	if [ "$rc" = 75 ] && grep -q 'file size.*limit' qerr; then
		refused=1
		[ "$(spool_ids)" = "$orig" ] ||
		    bad "the refused run changed the spool: $(spool_ids)"
		[ ! -e rec/session.1 ] || bad "the refused run connected"
	else
		mf_wait_sessions 1
		grep -q '^rcpt 550 TO:<refused@example.net>' rec/session.1/msg.1.env ||
		    atf_fail "not refused: $(show rec/session.1/msg.1.env)"
		left=$(spool_ids | tr '\n' ' ')
		dsn=
		for i in $(spool_ids); do
			grep -q '^bounce 1$' "$MF_INST_SPOOL/msg/$i" && dsn=$i
		done
		if [ ! -e "$MF_INST_SPOOL/msg/$orig" ] && [ -z "$dsn" ]; then
			bad "the bounce was lost: neither the original $orig nor a DSN is queued (msg/: '$left', corrupt/: '$(ls "$MF_INST_SPOOL/corrupt" | tr '\n' ' ')')"
		fi
	fi
	# Later normal runs send the DSN (retry is 1 s).
	i=0
	while ! mail_from_null && [ $i -lt 5 ]; do
		sleep 1
		"$SENDMAIL" -q >/dev/null 2>&1
		i=$((i + 1))
	done
	mail_from_null || bad "no MAIL FROM:<> ever reached the smarthost"

	# The same with a full file system, where one can be mounted: a
	# small tmpfs over the spool, filled once the entry is in.
	if mount -t tmpfs -o size=256k,mode=0770 tmpfs "$MF_INST_SPOOL" \
	    2>/dev/null; then
		echo "$MF_INST_SPOOL" >tmpfs-mounted
		at_tmpfs_case
		umount "$MF_INST_SPOOL" && rm -f tmpfs-mounted
	else
		echo "mount -t tmpfs failed: full-disk variant skipped"
	fi
	verdict
}
# at_tmpfs_case: the full-disk variant on the tmpfs spool.
at_tmpfs_case()
{
	chown root:mailferry "$MF_INST_SPOOL"
	chmod 0770 "$MF_INST_SPOOL"
	for sd in msg tmp state corrupt sessions; do
		install -d -o root -g mailferry -m 0770 "$MF_INST_SPOOL/$sd"
	done
	n0=$(null_mails)
	printf 'To: refused@example.net\nSubject: to bounce 2\n\nx\n' |
	    $AS_NOBODY "$SENDMAIL" -odq -t -i >qout 2>qerr ||
	    { bad "full disk: nobody cannot queue: $(show qerr)"; return; }
	orig2=$(spool_ids)
	[ -n "$orig2" ] || { bad "full disk: nothing queued"; return; }
	s0=$(sessions)
	dd if=/dev/zero of="$MF_INST_SPOOL/fill" bs=4k 2>/dev/null
	$AS_NOBODY "$SENDMAIL" -q >qout 2>qerr
	echo "full-disk run: exit $?: $(show qerr)"
	mf_wait_sessions $((s0 + 1))
	rm -f "$MF_INST_SPOOL/fill"
	d2=
	for f in $(spool_ids); do
		grep -q '^bounce 1$' "$MF_INST_SPOOL/msg/$f" && d2=$f
	done
	if [ ! -e "$MF_INST_SPOOL/msg/$orig2" ] && [ -z "$d2" ]; then
		bad "full disk: the bounce was lost: neither $orig2 nor a DSN is queued (msg/: '$(spool_ids | tr '\n' ' ')')"
	fi
	k=0
	while [ "$(null_mails)" -le "$n0" ] && [ $k -lt 5 ]; do
		sleep 1
		"$SENDMAIL" -q >/dev/null 2>&1
		k=$((k + 1))
	done
	[ "$(null_mails)" -gt "$n0" ] ||
	    bad "full disk: no MAIL FROM:<> reached the smarthost afterwards"
}
bounce_lost_cleanup()
{
	if [ -s tmpfs-mounted ]; then
		umount "$(cat tmpfs-mounted)" 2>/dev/null
	fi
	at_cleanup
}

# ---------------------------------------------------------------------

atf_test_case freeze cleanup
freeze_head()
{
	atf_set descr "a stopped run of nobody's does not lock root's entries"
	atf_set require.user root
	atf_set timeout 300
}
freeze_body()
{
	# Session 1 (nobody's run) stalls at MAIL and ends on its own
	# after the 3 s read timeout, so that root's session can follow.
	echo 'on MAIL session 1 stall 2 pass' >script
	at_setup -s script -t 3
	msg | "$SENDMAIL" -odq -t -i || atf_fail "root cannot queue"
	sleep 0.01
	msg | "$SENDMAIL" -odq -t -i || atf_fail "root cannot queue (2)"
	root_ids=$(spool_ids)
	root1=$(echo "$root_ids" | sed -n 1p)
	root2=$(echo "$root_ids" | sed -n 2p)
	[ -n "$root2" ] || atf_fail "root's entries: '$root_ids'"
	msg | $AS_NOBODY "$SENDMAIL" -odq -t -i || atf_fail "nobody cannot queue"
	$AS_NOBODY "$SENDMAIL" -q >bgout 2>bgerr &
	echo $! >bg.pid
	i=0
	pid=
	while [ -z "$pid" ] && [ $i -lt 100 ]; do
		pid=$(helper_pids "$SEND" | head -n 1)
		i=$((i + 1))
		[ -n "$pid" ] || sleep 0.05
	done
	[ -n "$pid" ] || atf_fail "nobody's mailferry-send never ran"
	i=0
	until ls -l "/proc/$pid/fd/" 2>/dev/null | grep -q 'socket:'; do
		i=$((i + 1))
		[ $i -gt 200 ] && atf_fail "nobody's run never connected"
		sleep 0.02
	done
	sleep 0.3
	kill -STOP "$pid" || atf_fail "cannot stop $pid"
	echo "$pid" >stopped.pid
	# Root's entry goes out while nobody's run is frozen.
	timeout 60 "$SENDMAIL" -qI"$root1" >rout 2>rerr
	r=$?
	[ $r -eq 0 ] || bad "root's -qI$root1: exit $r, wanted 0: $(show rout) $(show rerr)"
	grep -q "^$root1: sent\$" rout ||
	    bad "root's -qI$root1 printed '$(show rout)', wanted '$root1: sent'"
	timeout 60 "$SENDMAIL" --delete "$root2" >dout 2>derr
	r=$?
	grep -q 'being delivered' dout derr &&
	    bad "root's --delete $root2 refused as being delivered: $(show derr)"
	[ $r -eq 0 ] || bad "root's --delete $root2: exit $r: $(show derr)"
	kill -CONT "$pid" 2>/dev/null
	kill "$pid" 2>/dev/null
	rm -f stopped.pid
	verdict
}
freeze_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case injection cleanup
injection_head()
{
	atf_set descr "C1 controls (U+0085, U+009B) and DEL in addresses: refused on argv, -f, -bs and in a frame"
	atf_set require.user root
	atf_set timeout 300
}
injection_body()
{
	at_setup
	n=0
	for a in "$(printf 'bob\302\205x@example.net')" \
	    "$(printf 'bob\302\233x@example.net')" \
	    "$(printf 'bob\177x@example.net')"; do
		n=$((n + 1))
		msg | sed 1d >m.in
		try 65 m.in "$SENDMAIL" -odi -i "$a"
		one_line err || bad "address $n on argv: stderr not one line: $(show err)"
		try 65 m.in "$SENDMAIL" -odi -i -f "$a" bob@example.net
		one_line err || bad "address $n as -f: stderr not one line: $(show err)"
		printf 'EHLO client.test\r\nMAIL FROM:<nobody@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n' "$a" >bs.in
		# Whatever the exit status: what counts is RCPT's reply.
		timeout 60 $AS_NOBODY "$SENDMAIL" -bs -odi <bs.in >out 2>err
		# The reply after MAIL's 250 2.1.0 is RCPT's.
		rr=$(tr -d '\r' <out | sed -n '/^250 2\.1\.0/{n;p;}')
		case $rr in
		5*) ;;
		*) bad "address $n in -bs RCPT: reply '$rr', wanted 5xx" ;;
		esac
		# smtputf8 1: a non-ASCII address needs it (spool.c).
		frame_hdr nobody@example.org 0 "$a" 1 >h.in
		canon_msg nobody@example.org >m2.in
		frame h.in m2.in >frame.in
		try 65 frame.in "$QUEUE"
	done
	sleep 1
	[ "$(sessions)" = 0 ] || bad "the smarthost saw $(sessions) session(s): $(cat rec/session.*/msg.*.env | tr '\n' ' ')"
	[ -z "$(spool_leftovers)" ] || bad "left in the spool: $(spool_leftovers)"
	verdict
}
injection_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case unsafe_install cleanup
unsafe_install_head()
{
	atf_set descr "a spool writable by others, a secret of the wrong owner or group: 77"
	atf_set require.user root
	atf_set timeout 300
}
unsafe_install_body()
{
	at_setup
	msg >m.in
	# (a) the spool writable by anyone
	chmod 0777 "$MF_INST_SPOOL"
	try 77 m.in "$SENDMAIL" -t -i
	one_line err || bad "(a) stderr not one line: $(show err)"
	grep -q -F "$MF_INST_SPOOL" err || bad "(a) stderr does not name the spool: $(show err)"
	[ -z "$(spool_leftovers)" ] || bad "(a) committed: $(spool_leftovers)"
	find "$MF_INST_SPOOL/msg" "$MF_INST_SPOOL/tmp" -mindepth 1 -delete
	"$SENDMAIL" -q >out 2>err
	r=$?
	[ $r -eq 77 ] || bad "(a) root's -q: exit $r, wanted 77: $(show err)"
	chmod 0770 "$MF_INST_SPOOL"
	# (b) msg/ writable by anyone
	chmod 0777 "$MF_INST_SPOOL/msg"
	try 77 m.in "$SENDMAIL" -t -i
	one_line err || bad "(b) stderr not one line: $(show err)"
	grep -q -F "$MF_INST_SPOOL" err || bad "(b) stderr does not name the spool: $(show err)"
	[ -z "$(spool_leftovers)" ] || bad "(b) committed: $(spool_leftovers)"
	find "$MF_INST_SPOOL/msg" "$MF_INST_SPOOL/tmp" -mindepth 1 -delete
	"$SENDMAIL" -q >out 2>err
	r=$?
	[ $r -eq 77 ] || bad "(b) root's -q: exit $r, wanted 77: $(show err)"
	chmod 0770 "$MF_INST_SPOOL/msg"
	sleep 1
	n0=$(sessions)
	# (c) the secret owned by nobody (who could then rewrite it)
	chown nobody "$P/etc/mailferry.secret"
	"$SENDMAIL" --check >out 2>err
	r=$?
	[ $r -eq 77 ] || bad "(c) --check: exit $r, wanted 77: $(show err)"
	grep -q 'password_file' err && grep -q -i 'owner\|chown' err ||
	    bad "(c) --check: stderr '$(show err)' names no password_file owner/chown"
	msg | $AS_NOBODY "$SENDMAIL" -odq -t -i || bad "(c) cannot queue"
	id=$(spool_ids)
	"$SENDMAIL" -q >/dev/null 2>&1
	sleep 1
	[ -n "$id" ] && [ "$(spool_ids)" = "$id" ] ||
	    bad "(c) the queued message was sent: msg/ '$(spool_ids | tr '\n' ' ')'"
	if grep -q -s '^C: AUTH\|^TLS C: AUTH' rec/session.*/transcript &&
	    [ "$(sessions)" -gt "$n0" ]; then
		bad "(c) the smarthost saw AUTH with nobody's secret"
	fi
	chown root "$P/etc/mailferry.secret"
	# (d) group-readable by a group that is not mailferry
	chgrp nogroup "$P/etc/mailferry.secret"
	chmod 0660 "$P/etc/mailferry.secret"
	"$SENDMAIL" --check >out 2>err
	r=$?
	[ $r -eq 77 ] || bad "(d) --check with mode 0660 group nogroup: exit $r, wanted 77: $(show err)"
	verdict
}
unsafe_install_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------

atf_test_case configured_spool cleanup
configured_spool_head()
{
	atf_set descr "[queue] dir in the installed configuration is honoured for nobody's submissions"
	atf_set require.user root
	atf_set timeout 300
}
configured_spool_body()
{
	at_setup
	S2=$P/var/spool2
	install -d -o root -g mailferry -m 0770 "$S2"
	at_conf '' "dir = $S2" >"$P/etc/mailferry.conf"
	"$SENDMAIL" -q >out 2>err || bad "root's first -q: $(show err)"
	msg | $AS_NOBODY "$SENDMAIL" -t -i >out 2>err
	r=$?
	[ $r -eq 0 ] || bad "nobody's submission: exit $r, wanted 0: $(show err)"
	if [ $r -eq 0 ]; then
		mf_wait_sessions 1
		grep -q '^Subject: attack test' rec/session.1/msg.1.data ||
		    bad "session 1 does not hold the message"
	fi
	[ -z "$(spool_ids)" ] ||
	    bad "the default spool was used: $(spool_ids | tr '\n' ' ')"
	verdict
}
configured_spool_cleanup() { at_cleanup; }

# ---------------------------------------------------------------------
# Attacks of our own.

atf_test_case env_preload cleanup
env_preload_head()
{
	atf_set descr "LD_PRELOAD, LD_LIBRARY_PATH, MALLOC_*, TMPDIR do not reach the set-id helpers"
	atf_set require.user root
	atf_set timeout 300
}
env_preload_body()
{
	command -v cc >/dev/null 2>&1 || atf_skip "needs cc"
	at_setup
	E=$(evil_dir)
	cat >"$E/evil.c" <<EOF
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void
evil(void)
{
	char b[64];
	int fd = open("$E/owned", O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd != -1) {
		snprintf(b, sizeof(b), "egid %d\n", (int)getegid());
		write(fd, b, 0 + __builtin_strlen(b));
		close(fd);
	}
}
EOF
	cc -shared -fPIC -o "$E/libevil.so" "$E/evil.c" ||
	    atf_fail "cannot build the preload library"
	cp "$E/libevil.so" "$E/libc.so.6"
	chmod 777 "$E"
	# Control: it works on an ordinary program.
	$AS_NOBODY env LD_PRELOAD="$E/libevil.so" true
	[ -s "$E/owned" ] || atf_fail "control: the preload did not run"
	rm -f "$E/owned"
	msg | $AS_NOBODY "$SENDMAIL" -odq -t -i || atf_fail "cannot queue"
	for h in "$SEND -p" "$SEND -d" "$QUEUE"; do
		frame_hdr nobody@example.org >h.in
		canon_msg nobody@example.org >m.in
		frame h.in m.in >frame.in
		$AS_NOBODY env LD_PRELOAD="$E/libevil.so" \
		    LD_LIBRARY_PATH="$E" MALLOC_CHECK_=3 MALLOC_PERTURB_=165 \
		    GLIBC_TUNABLES=glibc.malloc.check=3 TMPDIR="$E" \
		    $h <frame.in >out 2>err
		r=$?
		[ -e "$E/owned" ] && bad "$h ran the preload: $(cat "$E/owned")"
		rm -f "$E/owned"
		[ $r -eq 0 ] || bad "$h: exit $r: $(show err)"
	done
	# Nothing created in TMPDIR by the helpers.
	l=$(ls "$E" | grep -v -e '^evil\.c$' -e '^libevil\.so$' -e '^libc\.so\.6$')
	[ -z "$l" ] || bad "created in TMPDIR: $l"
	verdict
}
env_preload_cleanup() { at_cleanup; }

atf_test_case conf_paths cleanup
conf_paths_head()
{
	atf_set descr "-C naming a symlink to the secret, a directory, a FIFO: 77 without blocking or quoting"
	atf_set require.user root
	atf_set timeout 300
}
conf_paths_body()
{
	at_setup
	printf '%s=\n' "$CANARY" >"$P/etc/mailferry.secret"
	: >all-output
	# A symlink nobody planted in a directory of their own...
	E=$(evil_dir)
	chown nobody "$E"
	$AS_NOBODY ln -s "$P/etc/mailferry.secret" "$E/link.conf"
	try 77 /dev/null "$SEND" -C "$E/link.conf" -d
	cat out err >>all-output
	# ... and one root left in a root directory.
	R=$(evil_dir)
	ln -s "$P/etc/mailferry.secret" "$R/link.conf"
	try 77 /dev/null "$SEND" -C "$R/link.conf" -d
	cat out err >>all-output
	grep -q 'symbolic link' err || bad "root's symlink: stderr '$(show err)'"
	# A directory, and a FIFO (which would block a reader).
	try 77 /dev/null "$SEND" -C "$P/etc" -d
	cat out err >>all-output
	mkfifo -m 0644 "$R/fifo.conf"
	try 77 /dev/null "$SEND" -C "$R/fifo.conf" -d
	cat out err >>all-output
	grep -q 'not a regular file' err || bad "FIFO: stderr '$(show err)'"
	$AS_NOBODY mkfifo -m 0644 "$E/fifo.conf"
	try 77 /dev/null "$SEND" -C "$E/fifo.conf" -d
	cat out err >>all-output
	# Non-canonical paths that would lead to the secret.
	try 77 /dev/null "$SEND" -C "$P/etc/../etc/mailferry.secret" -d
	cat out err >>all-output
	try 77 /dev/null "$SEND" -C "/proc/self/cwd/../../$P/etc/mailferry.secret" -d
	cat out err >>all-output
	if grep -a -q "$CANARY" all-output; then
		bad "the secret was quoted: $(grep -a "$CANARY" all-output | sort -u | tr '\n' ' ')"
	fi
	verdict
}
conf_paths_cleanup() { at_cleanup; }

atf_test_case frame_limits cleanup
frame_limits_head()
{
	atf_set descr "frames with 1001 rcpt lines, a huge header line or chunk, a chunk past the end: refused, nothing kept"
	atf_set require.user root
	atf_set timeout 300
}
frame_limits_body()
{
	at_setup
	canon_msg nobody@example.org >m.in
	# 1001 recipients
	{
		echo 'sender nobody@example.org'
		i=0
		while [ $i -lt 1001 ]; do
			echo "rcpt r$i@example.net"
			i=$((i + 1))
		done
		printf 'body 7bit\nsmtputf8 0\nbounce 0\n'
	} >h.in
	frame h.in m.in >frame.in
	try 65 frame.in "$QUEUE"
	[ -z "$(spool_leftovers)" ] || bad "1001 rcpt: left $(spool_leftovers)"
	# A header line over SPOOL_LINE_MAX
	{
		frame_hdr nobody@example.org
		printf 'envid %s\n' "$(head -c 600 /dev/zero | tr '\0' e)"
	} >h.in
	frame h.in m.in >frame.in
	try 65 frame.in "$QUEUE"
	# A chunk length over FRAME_CHUNK_MAX (frame.h), a negative one, leading zero
	frame_hdr nobody@example.org >h.in
	for len in 1048577 -5 07 99999999999999999999999; do
		{ cat h.in; echo; echo "$len"; cat m.in; echo 0; } >frame.in
		try 65 frame.in "$QUEUE"
	done
	# A chunk that claims more than is sent: not committed.
	{ cat h.in; echo; echo 100000; cat m.in; } >frame.in
	try 75 frame.in "$QUEUE"
	# A duplicated key, an entry-only key (uid 0) in the frame.
	{ frame_hdr nobody@example.org; echo 'uid 0'; } >h.in
	frame h.in m.in >frame.in
	try 65 frame.in "$QUEUE"
	{ frame_hdr nobody@example.org; echo 'sender nobody@example.org'; } >h.in
	frame h.in m.in >frame.in
	try 65 frame.in "$QUEUE"
	[ -z "$(spool_leftovers)" ] || bad "left in the spool: $(spool_leftovers)"
	# stdin closed: /dev/null there, an empty frame, nothing kept.
	$AS_NOBODY sh -c 'exec "$0" <&-' "$QUEUE" >out 2>err
	r=$?
	[ $r -ne 0 ] || bad "stdin closed: exit 0: $(show out)"
	[ -z "$(spool_leftovers)" ] || bad "stdin closed: left $(spool_leftovers)"
	# stdout closed: the entry may be kept, but as nobody's.
	frame_hdr nobody@example.org >h.in
	frame h.in m.in >frame.in
	$AS_NOBODY sh -c 'exec "$0" >&- 2>&-' "$QUEUE" <frame.in
	for i in $(spool_ids); do
		grep -q "^uid $NOBODY_UID\$" "$MF_INST_SPOOL/msg/$i" ||
		    bad "closed stdout: entry $i not nobody's: $(sed -n '/^uid/p' "$MF_INST_SPOOL/msg/$i")"
	done
	verdict
}
frame_limits_cleanup() { at_cleanup; }

atf_test_case argv_abuse cleanup
argv_abuse_head()
{
	atf_set descr "huge argv, bad -I ids and mixed modes: usage errors, no action"
	atf_set require.user root
	atf_set timeout 300
}
argv_abuse_body()
{
	at_setup
	msg | "$SENDMAIL" -odq -t -i || atf_fail "root cannot queue"
	id=$(spool_ids)
	big=$(head -c 100000 /dev/zero | tr '\0' A)
	try 64 /dev/null "$SEND" -q "$big"
	try 64 /dev/null "$SEND" -I "$big"
	try 64 /dev/null "$SEND" -I "../msg/$id"
	try 64 /dev/null "$SEND" -I "$(echo "$id" | tr 'A-Z' 'a-z')"
	try 64 /dev/null "$SEND" -F
	try 64 /dev/null "$QUEUE" extra
	# Deleting root's entry by any spelling.
	try 77 /dev/null "$SEND" -D "$id"
	try 66 /dev/null "$SEND" -D "../msg/$id"
	grep -q 'not a queue id' err || bad "-D ../msg/$id: stderr '$(show err)'"
	[ "$(spool_ids)" = "$id" ] || bad "root's entry is gone: '$(spool_ids)'"
	[ "$(sessions)" = 0 ] || bad "the smarthost was contacted"
	verdict
}
argv_abuse_cleanup() { at_cleanup; }

atf_test_case hardlink_secret cleanup
hardlink_secret_head()
{
	atf_set descr "-C naming a hard link of the secret in a sticky directory: 77, nothing quoted"
	atf_set require.user root
	atf_set timeout 300
}
hardlink_secret_body()
{
	# With fs.protected_hardlinks=0 nobody can link a file they cannot
	# read into /tmp: the link is root's, mode 0640, in a sticky
	# directory, so privsep_path_trusted() accepts it.  Root makes the
	# link here, so that the case does not depend on the sysctl.
	at_setup
	printf '%s=\n' "$CANARY" >"$P/etc/mailferry.secret"
	H=$(evil_dir)
	chmod 1777 "$H"
	ln "$P/etc/mailferry.secret" "$H/innocent.conf" ||
	    atf_skip "cannot hard-link across $P and /tmp"
	: >all-output
	try 77 /dev/null "$SEND" -C "$H/innocent.conf" -d
	cat out err >>all-output
	one_line err || bad "-d: stderr not one line: $(show err)"
	try 77 /dev/null "$SEND" -C "$H/innocent.conf" -p
	cat out err >>all-output
	try 77 /dev/null "$SENDMAIL" -C "$H/innocent.conf" --dump-config
	cat out err >>all-output
	if grep -a -q "$CANARY" all-output; then
		bad "the secret was quoted: $(grep -a "$CANARY" all-output | sort -u | tr '\n' ' ')"
	fi
	verdict
}
hardlink_secret_cleanup() { at_cleanup; }

atf_test_case rlimits cleanup
rlimits_head()
{
	atf_set descr "tiny RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_FSIZE on the helpers: nothing corrupt, lost or left in tmp/"
	atf_set require.user root
	atf_set timeout 300
}
rlimits_body()
{
	at_setup
	frame_hdr nobody@example.org >h.in
	canon_msg nobody@example.org >m.in
	frame h.in m.in >frame.in
	queued=0
	for lim in 'ulimit -f 0' 'ulimit -f 1' 'ulimit -n 3' 'ulimit -n 4' \
	    'ulimit -v 5000' 'ulimit -v 9000'; do
		$AS_NOBODY sh -c "$lim; exec \"\$0\"" "$QUEUE" <frame.in \
		    >out 2>err
		r=$?
		if [ $r -eq 0 ]; then
			queued=$((queued + 1))
			grep -q '^[0-9A-V]\{16\}$' out ||
			    bad "[$lim] queue: exit 0 without an id"
		fi
		[ -z "$(ls "$MF_INST_SPOOL/tmp")" ] &&
		    [ -z "$(ls "$MF_INST_SPOOL/corrupt")" ] ||
		    bad "[$lim] queue: left $(find "$MF_INST_SPOOL/tmp" "$MF_INST_SPOOL/corrupt" -mindepth 1 | tr '\n' ' ')"
	done
	[ "$(spool_ids | wc -l)" -eq $queued ] ||
	    bad "queue: $queued accepted, $(spool_ids | wc -l) in msg/"
	# Runs of nobody's under the same limits, each with a new entry.
	for lim in 'ulimit -n 4' 'ulimit -n 5' 'ulimit -v 8500' \
	    'ulimit -v 9000' 'ulimit -f 0'; do
		msg | $AS_NOBODY "$SENDMAIL" -odq -t -i || bad "cannot queue"
		queued=$((queued + 1))
		$AS_NOBODY sh -c "$lim; exec \"\$0\" -q" "$SEND" >out 2>err
		[ -z "$(ls "$MF_INST_SPOOL/corrupt")" ] ||
		    bad "[$lim] run: quarantined $(ls "$MF_INST_SPOOL/corrupt" | tr '\n' ' ')"
	done
	# Normal runs deliver all the rest: nothing was lost.
	k=0
	while [ -n "$(spool_ids)" ] && [ $k -lt 10 ]; do
		"$SENDMAIL" -q >/dev/null 2>&1
		k=$((k + 1))
		[ -n "$(spool_ids)" ] && sleep 1
	done
	[ -z "$(spool_ids)" ] || bad "still queued: $(spool_ids | tr '\n' ' ')"
	sleep 1
	got=$(cat rec/session.*/msg.*.env 2>/dev/null | grep -c '^dot 250')
	[ "$got" -ge "$queued" ] ||
	    bad "$queued queued, the smarthost accepted $got"
	verdict
}
rlimits_cleanup() { at_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case secret_via_C
	atf_add_test_case foreign_entry
	atf_add_test_case bounce_owner
	atf_add_test_case forged_frame
	atf_add_test_case bounce_lost
	atf_add_test_case freeze
	atf_add_test_case injection
	atf_add_test_case unsafe_install
	atf_add_test_case configured_spool
	atf_add_test_case env_preload
	atf_add_test_case conf_paths
	atf_add_test_case frame_limits
	atf_add_test_case argv_abuse
	atf_add_test_case hardlink_secret
	atf_add_test_case rlimits
}
