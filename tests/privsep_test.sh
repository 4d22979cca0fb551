# privsep_test: the privilege split of a real installation (instlib.sh:
# setgid helpers, group mailferry, compiled-in paths in a temporary
# prefix), driven as the user nobody against the test smarthost.
# Root only: it installs, and it reads /proc of the helpers.
#
# What an ordinary user must be able to do: submit (background and
# -odi), list the queue.  What they must not: read the secret or any
# spool entry, point a helper at a configuration or spool of their
# own, see the password anywhere (output, -v trace, spool, /proc).

. "$(atf_get_srcdir)/testlib.sh"
. "$MF_SRCDIR/tests/instlib.sh"

msg()
{
	printf 'To: bob@example.net\nSubject: privsep test\n\nline one\nlast\n'
}

# ps_setup [smarthost options]: install, start the smarthost, write the
# installed configuration (root:root 0644, no secret) and the secret.
ps_setup()
{
	mf_inst_setup
	P=$MF_INST
	SENDMAIL="$P/sbin/sendmail"
	SEND="$MF_INST_LIBEXEC/mailferry-send"
	QUEUE="$MF_INST_LIBEXEC/mailferry-queue"
	mf_smarthost_start -T -R "$@"
	install -m 0644 "$MF_CERTS/ca.pem" "$P/etc/ca.pem"
	ps_conf >"$P/etc/mailferry.conf"
	chmod 0644 "$P/etc/mailferry.conf"
	# Keeps the owner and mode the install gave it.
	printf '%s\n' "$MF_PASSWORD" >"$P/etc/mailferry.secret"
	ulimit -c unlimited 2>/dev/null || true
}

# The configuration for the smarthost on MF_PORT.
ps_conf()
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
[queue]
retry = 1s
max_retry = 2s
[aliases]
root = admin@example.org
EOF
}

ps_cleanup()
{
	mf_smarthost_stop
	# Helpers this case started that are still running.
	if [ -s inst-prefix ]; then
		p=$(cat inst-prefix)
		for pid in $(helper_pids "$p/"); do
			kill "$pid" 2>/dev/null
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

# wait_helper PATH: print the pid of a running PATH (within 5 s).
wait_helper()
{
	i=0
	while [ $i -lt 100 ]; do
		pid=$(helper_pids "$1" | head -n 1)
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		i=$((i + 1))
		sleep 0.05
	done
	return 1
}

# spool_ids: entries in the installed spool (as root).
spool_ids()
{
	ls "$MF_INST_SPOOL/msg"
}

# wait_spool_empty: the background delivery removes the entry.
wait_spool_empty()
{
	i=0
	while [ -n "$(spool_ids)" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && atf_fail "still queued: $(spool_ids | tr "\n" " ")"
		sleep 0.1
	done
}

# The AUTH payloads a leak could show instead of the clear password.
no_secret_in()
{
	plain=$(printf '\0%s\0%s' "$MF_USER" "$MF_PASSWORD" | base64 -w0)
	login=$(printf '%s' "$MF_PASSWORD" | base64 -w0)
	for f in "$@"; do
		mf_assert_no_canary "$f"
		if grep -r -q -a -F -e "$plain" -e "$login" "$f" 2>/dev/null; then
			atf_fail "an AUTH payload leaked into $f"
		fi
	done
}

# assert_delivered_by_nobody: session 1 relayed the message with AUTH.
assert_delivered_by_nobody()
{
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<nobody@example.org>\nrcpt 250 TO:<bob@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	atf_check -o inline:"$MF_USER\n" cat rec/session.1/auth
	atf_check -o match:'^Subject: privsep test' cat rec/session.1/msg.1.data
}

atf_test_case submit_background cleanup
submit_background_head()
{
	atf_set descr "nobody submits with sendmail -t -i: delivered with AUTH in the background"
	atf_set require.user root
	atf_set timeout 300
}
submit_background_body()
{
	ps_setup
	msg | $AS_NOBODY "$SENDMAIL" -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	assert_delivered_by_nobody
	wait_spool_empty
	no_secret_in stdout stderr smarthost.log "$MF_INST_SPOOL"
}
submit_background_cleanup() { ps_cleanup; }

atf_test_case submit_foreground cleanup
submit_foreground_head()
{
	atf_set descr "nobody submits with -odi (and -v): delivered, no secret in the trace"
	atf_set require.user root
	atf_set timeout 300
}
submit_foreground_body()
{
	ps_setup
	msg | $AS_NOBODY "$SENDMAIL" -odi -v -t -i >stdout 2>stderr ||
	    atf_fail "exit $?: $(tr "\n" " " <stderr)"
	atf_check -o empty cat stdout
	assert_delivered_by_nobody
	[ -z "$(spool_ids)" ] || atf_fail "entry left in the queue"
	# The -v trace shows the dialogue, AUTH redacted.
	atf_check -o match:'AUTH' cat stderr
	no_secret_in stdout stderr smarthost.log "$MF_INST_SPOOL"
}
submit_foreground_cleanup() { ps_cleanup; }

atf_test_case no_access cleanup
no_access_head()
{
	atf_set descr "nobody cannot read the secret, list or read spool entries; mailq works"
	atf_set require.user root
	atf_set timeout 300
}
no_access_body()
{
	ps_setup
	atf_check -s not-exit:0 -o empty -e ignore \
	    $AS_NOBODY cat "$P/etc/mailferry.secret"
	msg | $AS_NOBODY "$SENDMAIL" -odq -t -i ||
	    atf_fail "queueing failed"
	id=$(spool_ids)
	[ -n "$id" ] || atf_fail "nothing queued"
	atf_check -s not-exit:0 -o empty -e ignore $AS_NOBODY ls "$MF_INST_SPOOL"
	atf_check -s not-exit:0 -o empty -e ignore \
	    $AS_NOBODY ls "$MF_INST_SPOOL/msg"
	atf_check -s not-exit:0 -o empty -e ignore \
	    $AS_NOBODY cat "$MF_INST_SPOOL/msg/$id"
	atf_check -s not-exit:0 -o empty -e ignore \
	    $AS_NOBODY touch "$MF_INST_SPOOL/msg/new"
	# The entry itself is not readable by others either.
	[ "$(stat -c %A "$MF_INST_SPOOL/msg/$id" | cut -c8-10)" = '---' ] ||
	    atf_fail "entry mode $(stat -c %A "$MF_INST_SPOOL/msg/$id")"
	# mailq and sendmail -bp go through the setgid helper.
	atf_check -s exit:0 -o match:"$id" -e empty $AS_NOBODY "$P/bin/mailq"
	atf_check -s exit:0 -o match:"$id" -e empty $AS_NOBODY "$SENDMAIL" -bp
	# Another user may not delete nobody's entry.
	atf_check -s not-exit:0 -o ignore -e ignore \
	    runuser -u daemon -- "$SENDMAIL" --delete "$id"
	[ "$(spool_ids)" = "$id" ] ||
	    atf_fail "deleted by another user: $(spool_ids | tr "\n" " ")"
	atf_check -s exit:0 -o ignore -e ignore \
	    $AS_NOBODY "$SENDMAIL" --delete "$id"
	[ -z "$(spool_ids)" ] || atf_fail "not deleted by its owner"
	no_secret_in "$MF_INST_SPOOL"
}
no_access_cleanup() { ps_cleanup; }

# evil_conf: a configuration owned by nobody in a directory of theirs
# (a relay of their choosing, with the real secret); sets E.
evil_conf()
{
	E=$(mktemp -d /tmp/mf-evil.XXXXXX)
	echo "$E" >>evil-dirs
	chmod 755 "$E"
	chown nobody "$E"
	ps_conf >"$E/evil.conf"
	chown nobody "$E/evil.conf"
}

# expect_77 argv...: as nobody, exit 77 naming evil.conf, no output.
expect_77()
{
	msg | $AS_NOBODY "$@" >stdout 2>stderr
	r=$?
	[ $r -eq 77 ] || atf_fail "$*: exit $r, wanted 77: $(tr "\n" " " <stderr)"
	grep -q 'evil\.conf' stderr || atf_fail "$*: stderr: $(tr "\n" " " <stderr)"
	atf_check -o empty cat stdout
}

evil_cleanup()
{
	if [ -s evil-dirs ]; then
		for d in $(cat evil-dirs); do
			case $d in /tmp/mf-evil.*) rm -rf "$d";; esac
		done
	fi
	ps_cleanup
}

atf_test_case foreign_config_helpers cleanup
foreign_config_helpers_head()
{
	atf_set descr "the setgid helpers refuse -C files nobody could write and -d elsewhere (77)"
	atf_set require.user root
	atf_set timeout 300
}
foreign_config_helpers_body()
{
	ps_setup
	evil_conf
	expect_77 "$SEND" -C "$E/evil.conf" -q
	expect_77 "$SEND" -C "$E/evil.conf" -d
	expect_77 "$SEND" -C "$E/evil.conf" -c
	expect_77 "$SEND" -C "$E/evil.conf" -p
	# Through the front end, the helper is what refuses.
	expect_77 "$SENDMAIL" -C "$E/evil.conf" -bp
	expect_77 "$SENDMAIL" -C "$E/evil.conf" -q
	expect_77 "$SENDMAIL" -C "$E/evil.conf" --dump-config
	expect_77 "$SENDMAIL" -C "$E/evil.conf" --check
	# Root-owned but writable by others: refused too.
	R=$(mktemp -d /tmp/mf-evil.XXXXXX)
	echo "$R" >>evil-dirs
	chmod 755 "$R"
	ps_conf >"$R/open.conf"
	chmod 666 "$R/open.conf"
	atf_check -s exit:77 -o empty -e match:'writable' \
	    $AS_NOBODY "$SEND" -C "$R/open.conf" -d
	# A spool of the user's choosing.
	atf_check -s exit:64 -o empty -e match:'usage' \
	    $AS_NOBODY "$QUEUE" -d "$E" </dev/null
	[ "$(ls "$E")" = evil.conf ] || atf_fail "wrote into $E: $(ls "$E")"
	[ ! -e rec/sessions ] || atf_fail "the smarthost was contacted"
	# Control: a root-owned, read-only file is honoured.
	chmod 644 "$R/open.conf"
	atf_check -s exit:0 -o match:"^smarthost.port = $MF_PORT\$" -e empty \
	    $AS_NOBODY "$SENDMAIL" -C "$R/open.conf" --dump-config
	[ -z "$(spool_ids)" ] || atf_fail "something was queued"
}
foreign_config_helpers_cleanup() { evil_cleanup; }

atf_test_case foreign_config_front cleanup
foreign_config_front_head()
{
	atf_set descr "the front end refuses a -C file owned by the caller (77)"
	atf_set require.user root
	atf_set timeout 300
}
foreign_config_front_body()
{
	ps_setup
	evil_conf
	expect_77 "$SENDMAIL" -C "$E/evil.conf" -bv bob@example.net
	expect_77 "$SENDMAIL" -C "$E/evil.conf" -t -i
	[ -z "$(spool_ids)" ] || atf_fail "queued anyway: $(spool_ids | tr "\n" " ")"
}
foreign_config_front_cleanup() { evil_cleanup; }

atf_test_case proc_send cleanup
proc_send_head()
{
	atf_set descr "mailferry-send mid-session: setgid only, no core, no secret in /proc"
	atf_set require.user root
	atf_set timeout 300
}
proc_send_body()
{
	echo 'on DATA stall 3 pass' >script
	ps_setup -s script
	# The caller's environment must not reach the logs either.
	msg | MF_PROBE=canary-env $AS_NOBODY "$SENDMAIL" -odi -t -i \
	    >stdout 2>stderr &
	bg=$!
	pid=$(wait_helper "$SEND")
	[ -n "$pid" ] || atf_fail "mailferry-send never ran"
	# Connected: it read the password before it connected, and the
	# smarthost holds the session at DATA for 3 s.
	i=0
	until ls -l "/proc/$pid/fd/" 2>/dev/null | grep -q 'socket:'; do
		i=$((i + 1))
		[ $i -gt 100 ] && atf_fail "mailferry-send never connected"
		sleep 0.02
	done
	sleep 0.5
	cp "/proc/$pid/status" status
	cp "/proc/$pid/limits" limits
	tr '\0' '\n' <"/proc/$pid/cmdline" >cmdline
	tr '\0' '\n' <"/proc/$pid/environ" >environ
	ls -l "/proc/$pid/fd/" >fds 2>&1
	kill -0 "$pid" 2>/dev/null || atf_fail "mailferry-send ended too early"
	wait $bg || atf_fail "sendmail -odi: exit $?: $(tr "\n" " " <stderr)"
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	assert_delivered_by_nobody

	# Real ids nobody, effective group mailferry, nothing else.
	gid=$(getent group mailferry | cut -d: -f3)
	atf_check -o match:"^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]" cat status
	atf_check -o match:"^Gid:[[:space:]]+65534[[:space:]]+$gid[[:space:]]+$gid[[:space:]]" cat status
	atf_check -o match:'^Max core file size[[:space:]]+0[[:space:]]+0[[:space:]]' cat limits
	# The secret was read and closed.
	if grep -q 'mailferry\.secret' fds; then
		atf_fail "the secret is still open: $(tr "\n" " " <fds)"
	fi
	no_secret_in cmdline environ status stdout stderr smarthost.log \
	    "$MF_INST_SPOOL"
}
proc_send_cleanup() { ps_cleanup; }

atf_test_case proc_queue cleanup
proc_queue_head()
{
	atf_set descr "mailferry-queue: setgid only, no core dump, no inherited fds, nothing left by a cut stream"
	atf_set require.user root
	atf_set timeout 300
}
proc_queue_body()
{
	ps_setup
	# Control: runuser passes an extra descriptor on.
	atf_check -o match:' 7 -> ' $AS_NOBODY ls -l /proc/self/fd/ 7<"$P/etc/ca.pem"
	# The helper waits for its frame; the stream then ends early.
	sleep 2 | $AS_NOBODY "$QUEUE" >qout 2>qerr 7<"$P/etc/ca.pem" &
	bg=$!
	pid=$(wait_helper "$QUEUE")
	[ -n "$pid" ] || atf_fail "mailferry-queue never ran"
	cp "/proc/$pid/status" status
	cp "/proc/$pid/limits" limits
	ls -l "/proc/$pid/fd/" >fds 2>&1
	wait $bg
	r=$?
	[ $r -ne 0 ] || atf_fail "an empty stream was accepted"
	atf_check -o empty cat qout
	gid=$(getent group mailferry | cut -d: -f3)
	atf_check -o match:"^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]" cat status
	atf_check -o match:"^Gid:[[:space:]]+65534[[:space:]]+$gid[[:space:]]" cat status
	atf_check -o match:'^Max core file size[[:space:]]+0[[:space:]]+0[[:space:]]' cat limits
	# stdin, stdout, stderr and at most what it opened itself.
	if grep -q ' 7 -> ' fds; then
		atf_fail "an inherited descriptor stayed open: $(tr "\n" " " <fds)"
	fi
	# A cut stream leaves nothing behind.
	[ -z "$(find "$MF_INST_SPOOL/msg" "$MF_INST_SPOOL/tmp" -mindepth 1)" ] ||
	    atf_fail "left in the spool: $(find "$MF_INST_SPOOL" | tr "\n" " ")"
}
proc_queue_cleanup() { ps_cleanup; }

atf_test_case closed_fds cleanup
closed_fds_head()
{
	atf_set descr "helpers started with stdin/stderr closed get /dev/null there and work"
	atf_set require.user root
	atf_set timeout 300
}
closed_fds_body()
{
	echo 'on DATA stall 2 pass' >script
	ps_setup -s script
	# Wrappers that start the real setgid helpers with 0 and 2 closed.
	W=$P/wrap
	mkdir -m 755 "$W"
	printf '#!/bin/sh\nexec %s "$@" <&- 2>&-\n' "$SEND" >"$W/mailferry-send"
	printf '#!/bin/sh\nexec %s "$@" 2>&-\n' "$QUEUE" >"$W/mailferry-queue"
	chmod 755 "$W/mailferry-send" "$W/mailferry-queue"
	msg | $AS_NOBODY env MAILFERRY_LIBEXECDIR="$W" "$SENDMAIL" -odi -t -i \
	    >stdout 2>stderr &
	bg=$!
	pid=$(wait_helper "$SEND")
	[ -n "$pid" ] || atf_fail "mailferry-send never ran"
	fd0=$(readlink "/proc/$pid/fd/0")
	fd2=$(readlink "/proc/$pid/fd/2")
	wait $bg || atf_fail "sendmail -odi: exit $?: $(tr "\n" " " <stderr)"
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	# glibc itself opens /dev/full or /dev/null there for set-id
	# programs; privsep_sanitise() does it where libc does not.
	case $fd0 in /dev/null|/dev/full) ;; *) atf_fail "fd 0 is '$fd0'";; esac
	case $fd2 in /dev/null|/dev/full) ;; *) atf_fail "fd 2 is '$fd2'";; esac
	assert_delivered_by_nobody
	[ -z "$(spool_ids)" ] || atf_fail "entry left in the queue"
	# The listing with stdin and stderr closed.
	msg | $AS_NOBODY "$SENDMAIL" -odq -t -i || atf_fail "queueing failed"
	atf_check -s exit:0 -o match:"$(spool_ids)" \
	    $AS_NOBODY sh -c 'exec "$0" -p <&- 2>&-' "$SEND"
}
closed_fds_cleanup() { ps_cleanup; }

atf_test_case password_in_config cleanup
password_in_config_head()
{
	atf_set descr "a world-readable config with a password key: 77, clear message, no echo"
	atf_set require.user root
	atf_set timeout 300
}
password_in_config_body()
{
	ps_setup
	ps_conf | sed "s|^password_file = .*|password = $MF_PASSWORD|" \
	    >"$P/etc/mailferry.conf"
	atf_check -o match:'^password = ' cat "$P/etc/mailferry.conf"
	chmod 644 "$P/etc/mailferry.conf"
	msg | $AS_NOBODY "$SENDMAIL" -t -i >stdout 2>stderr
	r=$?
	[ $r -eq 77 ] || atf_fail "exit $r, wanted 77: $(tr "\n" " " <stderr)"
	atf_check -o match:'contains a password and is readable' cat stderr
	atf_check -o empty cat stdout
	atf_check -s exit:77 -o empty -e match:'contains a password' \
	    $AS_NOBODY "$P/bin/mailq"
	atf_check -s exit:77 -o empty -e match:'contains a password' \
	    $AS_NOBODY "$SEND" -q
	[ -z "$(spool_ids)" ] || atf_fail "queued anyway"
	[ ! -e rec/sessions ] || atf_fail "the smarthost was contacted"
	no_secret_in stdout stderr
}
password_in_config_cleanup() { ps_cleanup; }

atf_test_case password_file_readable cleanup
password_file_readable_head()
{
	atf_set descr "a world-readable password_file is refused (77), the message stays queued"
	atf_set require.user root
	atf_set timeout 300
}
password_file_readable_body()
{
	ps_setup
	chmod 644 "$P/etc/mailferry.secret"
	atf_check -s exit:77 -o empty -e match:'password_file.*readable' \
	    $AS_NOBODY "$SENDMAIL" --check
	# A submission is accepted (durably queued) but not relayed.
	msg | $AS_NOBODY "$SENDMAIL" -odi -t -i >stdout 2>stderr
	r=$?
	[ $r -eq 0 ] || atf_fail "exit $r, wanted 0: $(tr "\n" " " <stderr)"
	atf_check -o match:'^mailferry: queued: .*password_file.*readable' cat stderr
	[ -n "$(spool_ids)" ] || atf_fail "not queued"
	[ ! -e rec/sessions ] || atf_fail "the smarthost was contacted"
	no_secret_in stdout stderr "$MF_INST_SPOOL"
}
password_file_readable_cleanup() { ps_cleanup; }

atf_test_case oauth2_setid cleanup
oauth2_setid_head()
{
	atf_set descr "[oauth2] through the setgid helper run by nobody: token cache 0660 in the root:mailferry dir, unreadable to nobody; no rotation saved over root's file"
	atf_set require.user root
	atf_set timeout 300
}
oauth2_setid_body()
{
	mf_tokenserver_start -r
	ps_setup -w "@$PWD/ts/valid"
	rt="$MF_INST_SPOOL/oauth2/refresh_token"
	install -o root -g mailferry -m 0640 /dev/null "$rt"
	echo rt0-canary-RT >"$rt"
	{
		ps_conf | sed -e '/^password_file/d' \
		    -e 's/^\[smarthost\]$/[smarthost]\nauth = xoauth2/'
		printf '[oauth2]\nprovider = generic\nclient_id = mf-client\n'
		echo "token_endpoint = https://127.0.0.1:$MF_TS_PORT/token"
		echo "refresh_token_file = $rt"
		echo "ca_file = $P/etc/ca.pem"
	} >"$P/etc/mailferry.conf"
	msg | $AS_NOBODY "$SENDMAIL" -odi -t -i >stdout 2>stderr ||
	    atf_fail "sendmail -odi: $(cat stderr)"
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	assert_delivered_by_nobody
	atf_check -o inline:'1\n' grep -c '^/token refresh_token' ts/requests
	# The cache: nobody's file, group mailferry, in the private dir.
	atf_check -o inline:'660 nobody mailferry\n' \
	    stat -c '%a %U %G' "$MF_INST_SPOOL/oauth2/token"
	atf_check -s not-exit:0 -o empty -e ignore \
	    $AS_NOBODY cat "$MF_INST_SPOOL/oauth2/token"
	# nobody cannot give a file to root: root's file stays as it was
	# and the rotated token is kept beside the cache...
	atf_check -o inline:'rt0-canary-RT\n' cat "$rt"
	atf_check -o inline:'640 root mailferry\n' stat -c '%a %U %G' "$rt"
	ls "$rt".* 2>/dev/null && atf_fail "a temporary file is left"
	atf_check -o inline:'rt1-canary-RT\n' cat "$MF_INST_SPOOL/oauth2/token.refresh"
	atf_check -o inline:'660\n' stat -c '%a' "$MF_INST_SPOOL/oauth2/token.refresh"
	# ... where the next refresh finds it (the endpoint now accepts
	# only rt1), and a run by root saves its successor over the file.
	rm "$MF_INST_SPOOL/oauth2/token"
	msg | $AS_NOBODY "$SENDMAIL" -odi -t -i >stdout 2>stderr ||
	    atf_fail "second sendmail -odi: $(cat stderr)"
	atf_check -o inline:'rt2-canary-RT\n' cat "$MF_INST_SPOOL/oauth2/token.refresh"
	rm "$MF_INST_SPOOL/oauth2/token"
	msg | "$SENDMAIL" -odi -t -i >stdout 2>stderr ||
	    atf_fail "sendmail -odi as root: $(cat stderr)"
	atf_check -o inline:'rt3-canary-RT\n' cat "$rt"
	atf_check -o inline:'640 root mailferry\n' stat -c '%a %U %G' "$rt"
	[ -e "$MF_INST_SPOOL/oauth2/token.refresh" ] &&
	    atf_fail "the kept token outlived the saved one"
	atf_check -o inline:'3\n' grep -c '^/token refresh_token' ts/requests
	no_secret_in stdout stderr smarthost.log
	return 0
}
oauth2_setid_cleanup()
{
	mf_tokenserver_stop
	ps_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case submit_background
	atf_add_test_case submit_foreground
	atf_add_test_case no_access
	atf_add_test_case foreign_config_helpers
	atf_add_test_case foreign_config_front
	atf_add_test_case proc_send
	atf_add_test_case proc_queue
	atf_add_test_case closed_fds
	atf_add_test_case password_in_config
	atf_add_test_case password_file_readable
	atf_add_test_case oauth2_setid
}
