# postfix_test: interoperability with a real Postfix (Debian packages
# postfix, sasl2-bin, libsasl2-modules; CI installs them with .ci/deps).
# Each case runs its own Postfix instance in a temporary directory
# (tests/postfix-setup.sh): submission with STARTTLS required and Cyrus
# SASL (sasldb2), implicit TLS on a second port, delivery by virtual(8)
# to mbox files that the test reads.  Everything is on 127.0.0.1; the
# system's Postfix and /etc/postfix are never touched.  Root only.
#
# mailferry is the build tree's, with the test configuration (testlib).

. "$(atf_get_srcdir)/testlib.sh"

PF_SETUP="$MF_SRCDIR/tests/postfix-setup.sh"
# The SASL user Postfix knows; the password stays testlib's canary.
MF_USER='mfuser@example.org'
PATH=$PATH:/usr/sbin:/sbin

msg()
{
	printf 'To: bob@example.net\nCc: carol@example.net\nSubject: postfix interop\n\nline one\n.dot line\nlast line\n'
}

# Skip, saying why, where Postfix cannot run.
pf_require()
{
	[ "$(id -u)" = 0 ] || atf_skip "needs root to run a Postfix instance"
	for p in postfix postconf saslpasswd2 ss; do
		command -v "$p" >/dev/null 2>&1 || atf_skip "$p not found: \
install postfix, sasl2-bin and libsasl2-modules (see .ci/deps)"
	done
	[ -f "$(postconf -dh meta_directory)/postfix-files" ] ||
	    atf_skip "Postfix is incompletely installed (no postfix-files)"
	for f in /usr/lib/*/sasl2/libplain.so /usr/lib/sasl2/libplain.so \
	    /usr/lib64/sasl2/libplain.so ""; do
		[ -n "$f" ] || atf_skip "the Cyrus SASL PLAIN plugin is \
missing: install libsasl2-modules"
		[ -e "$f" ] && break
	done
}

# pf_start: a private Postfix; sets PF, PF_SUBMISSION, PF_SMTPS.  Its
# SASL mechanisms are $PF_MECHS (default PLAIN LOGIN).
pf_start()
{
	pf_require
	mf_certs
	PF=$(mktemp -u /tmp/mf-postfix.XXXXXX)
	echo "$PF" >pf-dir
	PF_MECHS=${PF_MECHS:-PLAIN LOGIN} \
	    sh "$PF_SETUP" start "$PF" "$MF_CERTS" "$MF_USER" "$MF_PASSWORD" \
	    >pf-setup.log 2>&1 ||
	    atf_fail "cannot start Postfix: $(tr '\n' ' ' <pf-setup.log)"
	read -r PF_SUBMISSION PF_SMTPS <"$PF/ports"
}

pf_stop()
{
	[ -s pf-dir ] || return 0
	PF=$(cat pf-dir)
	case $PF in
	/tmp/mf-postfix.*)
		sh "$PF_SETUP" stop "$PF"
		rm -rf "$PF"
		;;
	esac
	rm -f pf-dir
	return 0
}

# pf_wait_mbox USER N: wait until USER's mbox holds N messages.
pf_wait_mbox()
{
	i=0
	while [ "$(pf_count "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && atf_fail "$1 has $(pf_count "$1") messages, \
wanted $2; log: $(tail -n 5 "$PF/maillog" | tr '\n' ' ')"
		sleep 0.1
	done
}

# pf_count USER: messages in USER's mbox.
pf_count()
{
	n=$(grep -c '^From ' "$PF/mail/$1" 2>/dev/null)
	echo "${n:-0}"
}

# The message arrived whole, with its envelope, over TLS, with AUTH.
assert_mbox()
{
	f="$PF/mail/$1"
	atf_check -o match:'^Return-Path: <alice@example.org>$' \
	    -o match:"^Delivered-To: $1@example.net\$" \
	    -o match:"Authenticated sender: $MF_USER" \
	    -o match:'using TLSv1\.[23] with cipher' \
	    -o match:'with ESMTPSA id' \
	    -o match:'^Subject: postfix interop$' \
	    -o match:'^Message-ID: <' -o match:'^Date: ' \
	    -o match:'^line one$' -o match:'^\.dot line$' \
	    -o match:'^last line$' cat "$f"
}

assert_no_canary_anywhere()
{
	mf_assert_no_canary stdout stderr spool "$PF/maillog" "$PF/mail"
}

# pf_auth_case MECHS AUTH METHOD: Postfix offering the SASL mechanisms
# MECHS, mailferry with auth = AUTH ("": the default, auto): delivered,
# and Postfix logs that METHOD authenticated the user.
pf_auth_case()
{
	PF_MECHS=$1
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	[ -z "$2" ] ||
	    sed -i "s/^\[smarthost\]\$/[smarthost]\nauth = $2/" mailferry.conf
	msg | mf_sendmail -odi -t -i -f alice@example.org >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(tr '\n' ' ' <stderr)"
	atf_check -o empty -e empty cat stdout stderr
	pf_wait_mbox bob 1
	assert_mbox bob
	atf_check -o match:"sasl_method=$3, sasl_username=$MF_USER" \
	    cat "$PF/maillog"
	assert_no_canary_anywhere
}

atf_test_case starttls cleanup
starttls_head()
{
	atf_set descr "submission port, STARTTLS + AUTH PLAIN: envelope and body delivered"
	atf_set require.user root
	atf_set timeout 120
}
starttls_body()
{
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	msg | mf_sendmail -odi -t -i -f alice@example.org >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(tr '\n' ' ' <stderr)"
	atf_check -o empty -e empty cat stdout stderr
	pf_wait_mbox bob 1
	pf_wait_mbox carol 1
	assert_mbox bob
	assert_mbox carol
	atf_check -o match:"sasl_method=PLAIN, sasl_username=$MF_USER" \
	    -o match:'from=<alice@example.org>' \
	    -o match:'to=<bob@example.net>.*status=sent' \
	    -o match:'to=<carol@example.net>.*status=sent' cat "$PF/maillog"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
	assert_no_canary_anywhere
}
starttls_cleanup() { pf_stop; }

atf_test_case auth_login cleanup
auth_login_head()
{
	atf_set descr "auth = login against Cyrus SASL"
	atf_set require.user root
	atf_set timeout 120
}
auth_login_body()
{
	pf_auth_case 'PLAIN LOGIN' login LOGIN
}
auth_login_cleanup() { pf_stop; }

atf_test_case scram cleanup
scram_head()
{
	atf_set descr "auth = auto against Cyrus SASL offering SCRAM-SHA-256: SCRAM chosen and verified both ways"
	atf_set require.user root
	atf_set timeout 120
}
scram_body()
{
	pf_auth_case 'PLAIN LOGIN SCRAM-SHA-256 CRAM-MD5' '' SCRAM-SHA-256
	# A wrong password: Cyrus refuses the proof, 535, queued.
	printf '%s\n' "not-$MF_PASSWORD" >secret
	msg | mf_sendmail -odi -t -i -f alice@example.org >stdout 2>stderr
	atf_check -o match:'^mailferry: queued: .*AUTH SCRAM-SHA-256 failed.*535' \
	    cat stderr
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
	assert_no_canary_anywhere
}
scram_cleanup() { pf_stop; }

atf_test_case cram_md5 cleanup
cram_md5_head()
{
	atf_set descr "auth = cram-md5 against Cyrus SASL"
	atf_set require.user root
	atf_set timeout 120
}
cram_md5_body()
{
	pf_auth_case 'PLAIN CRAM-MD5' cram-md5 CRAM-MD5
}
cram_md5_cleanup() { pf_stop; }

atf_test_case implicit_tls cleanup
implicit_tls_head()
{
	atf_set descr "implicit TLS port (smtpd_tls_wrappermode): delivered"
	atf_set require.user root
	atf_set timeout 120
}
implicit_tls_body()
{
	pf_start
	MF_PORT=$PF_SMTPS MF_TLS=implicit mf_conf
	msg | mf_sendmail -odi -t -i -f alice@example.org >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(tr '\n' ' ' <stderr)"
	atf_check -o empty -e empty cat stdout stderr
	pf_wait_mbox bob 1
	assert_mbox bob
	atf_check -o match:"connect from localhost\\[127.0.0.1\\]" \
	    -o match:"sasl_method=PLAIN, sasl_username=$MF_USER" \
	    cat "$PF/maillog"
	# Postfix says "starttls=" in the disconnect line only for STARTTLS.
	if grep -q 'disconnect from.*starttls=' "$PF/maillog"; then
		atf_fail "STARTTLS used on the implicit TLS port"
	fi
	assert_no_canary_anywhere
}
implicit_tls_cleanup() { pf_stop; }

atf_test_case wrong_password cleanup
wrong_password_head()
{
	atf_set descr "a wrong password (535): queued, exit 0, the entry stays"
	atf_set require.user root
	atf_set timeout 120
}
wrong_password_body()
{
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	printf '%s\n' "not-$MF_PASSWORD" >secret
	msg | mf_sendmail -odi -t -i -f alice@example.org >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(tr '\n' ' ' <stderr)"
	atf_check -o empty cat stdout
	atf_check -o match:'^mailferry: queued: .*535' cat stderr
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued: $(mf_queue_ids)"
	atf_check -o match:'authentication failed' cat "$PF/maillog"
	[ ! -e "$PF/mail/bob" ] || atf_fail "delivered anyway"
	# With the right password, retrying it now (-qI) delivers it.
	printf '%s\n' "$MF_PASSWORD" >secret
	atf_check -s exit:0 -o ignore -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -qI"$(mf_queue_ids)"
	pf_wait_mbox bob 1
	assert_mbox bob
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
	mf_assert_no_canary stdout stderr spool "$PF/maillog"
}
wrong_password_cleanup() { pf_stop; }

atf_test_case unknown_recipient cleanup
unknown_recipient_head()
{
	atf_set descr "every recipient unknown to Postfix (550 5.1.1): exit 67, reported"
	atf_set require.user root
	atf_set timeout 120
}
unknown_recipient_body()
{
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	msg | mf_sendmail -odi -i -f alice@example.org nosuch@example.net \
	    >stdout 2>stderr
	st=$?
	[ $st -eq 67 ] || atf_fail "exit $st, wanted 67: $(tr '\n' ' ' <stderr)"
	atf_check -o match:'nosuch@example.net.*550 5\.1\.1' cat stderr
	atf_check -o match:'NOQUEUE: reject: RCPT from .*550 5\.1\.1 <nosuch@example.net>' \
	    cat "$PF/maillog"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
unknown_recipient_cleanup() { pf_stop; }

atf_test_case one_unknown_recipient cleanup
one_unknown_recipient_head()
{
	atf_set descr "one unknown recipient among known ones: others delivered, it is reported"
	atf_set require.user root
	atf_set timeout 120
}
one_unknown_recipient_body()
{
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	msg | mf_sendmail -odi -i -f alice@example.org bob@example.net \
	    nosuch@example.net carol@example.net >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(tr '\n' ' ' <stderr)"
	atf_check -o match:'nosuch@example.net.*550 5\.1\.1' cat stderr
	pf_wait_mbox bob 1
	pf_wait_mbox carol 1
	assert_mbox bob
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
one_unknown_recipient_cleanup() { pf_stop; }

atf_test_case queue_run cleanup
queue_run_head()
{
	atf_set descr "three queued messages, one sendmail -q: one Postfix session delivers all"
	atf_set require.user root
	atf_set timeout 120
}
queue_run_body()
{
	pf_start
	MF_PORT=$PF_SUBMISSION mf_conf
	for i in 1 2 3; do
		msg | mf_sendmail -odq -t -i -f alice@example.org ||
		    atf_fail "queueing $i failed"
	done
	[ "$(mf_queue_ids | wc -l)" -eq 3 ] || atf_fail "not 3 queued"
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	pf_wait_mbox bob 3
	pf_wait_mbox carol 3
	[ -z "$(mf_queue_ids)" ] || atf_fail "entries left in the queue"
	[ "$(grep -c 'smtpd.*: connect from' "$PF/maillog")" -eq 1 ] ||
	    atf_fail "not one session: $(grep 'connect from' "$PF/maillog" | tr '\n' ' ')"
	atf_check -o match:'mail=3 rcpt=6 data=3' cat "$PF/maillog"
}
queue_run_cleanup() { pf_stop; }

atf_init_test_cases()
{
	atf_add_test_case starttls
	atf_add_test_case auth_login
	atf_add_test_case scram
	atf_add_test_case cram_md5
	atf_add_test_case implicit_tls
	atf_add_test_case wrong_password
	atf_add_test_case unknown_recipient
	atf_add_test_case one_unknown_recipient
	atf_add_test_case queue_run
}
