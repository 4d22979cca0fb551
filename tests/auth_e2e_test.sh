# auth_e2e_test: SCRAM-SHA-256[-PLUS] and CRAM-MD5 end to end, the real
# programs against the test smarthost, which checks the client proof
# against its own -w password: what auto chooses, channel binding over
# TLS 1.3 (and not over 1.2), a wrong password, hostile servers, and
# secrets kept out of the -v trace.

. "$(atf_get_srcdir)/testlib.sh"

ALL='SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5'

msg()
{
	printf 'To: bob@example.net\nSubject: auth test\n\nbody\n'
}

# assert_delivered MECH GS2: one message arrived after AUTH MECH with
# that gs2 header (SCRAM only).
assert_delivered()
{
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o match:"^TLS C: AUTH $1( |\$)" cat rec/session.1/transcript
	[ -z "${2:-}" ] || atf_check -o match:"SCRAM gs2 header '$2'" \
	    cat rec/session.1/transcript
	atf_check -o inline:"$MF_USER\n" cat rec/session.1/auth
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}

# assert_refused PATTERN: queued, PATTERN on stderr, no MAIL sent.
assert_refused()
{
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
	grep -q -E -- "$1" stderr || atf_fail "wanted '$1', got: $(cat stderr)"
	if grep -E '^(TLS )?C: MAIL' rec/session.*/transcript; then
		atf_fail "MAIL was sent after a failed AUTH"
	fi
	ls rec/session.*/msg.* >/dev/null 2>&1 && atf_fail "a message arrived"
	return 0
}

atf_test_case auto_plus cleanup
auto_plus_head() { atf_set descr "auto picks SCRAM-SHA-256-PLUS over TLS 1.3, bound with tls-exporter"; }
auto_plus_body()
{
	mf_smarthost_start -m "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS"
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_delivered SCRAM-SHA-256-PLUS 'p=tls-exporter,,'
	atf_check -o match:'TLS established TLSv1.3' cat rec/session.1/transcript
}
auto_plus_cleanup() { mf_smarthost_stop; }

atf_test_case auto_tls12 cleanup
auto_tls12_head() { atf_set descr "over TLS 1.2 -PLUS is not used even when offered: SCRAM-SHA-256 with n,,"; }
auto_tls12_body()
{
	# The EHLO inside TLS offers -PLUS although the session is 1.2.
	{
		echo 'set tls-max 1.2'
		echo 'on EHLO nth 2 reply 250-smarthost.test\r\n250 AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN'
	} >script
	mf_smarthost_start -s script -m "$ALL"
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_delivered SCRAM-SHA-256 'n,,'
	atf_check -o match:'TLS established TLSv1.2' cat rec/session.1/transcript
}
auto_tls12_cleanup() { mf_smarthost_stop; }

atf_test_case unoffered_plus cleanup
unoffered_plus_head() { atf_set descr "TLS 1.3 without -PLUS offered: SCRAM-SHA-256 with y,, (RFC 5802 section 6)"; }
unoffered_plus_body()
{
	mf_smarthost_start -m "PLAIN SCRAM-SHA-256"
	mf_conf '[smarthost]' 'auth = scram-sha-256'
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_delivered SCRAM-SHA-256 'y,,'
}
unoffered_plus_cleanup() { mf_smarthost_stop; }

atf_test_case plus_needs_tls13 cleanup
plus_needs_tls13_head() { atf_set descr "auth = scram-sha-256-plus over TLS 1.2: refused before AUTH, queued"; }
plus_needs_tls13_body()
{
	echo 'set tls-max 1.2' >script
	mf_smarthost_start -s script -m "$ALL"
	mf_conf '[smarthost]' 'auth = scram-sha-256-plus'
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_refused 'scram-sha-256-plus needs TLS 1.3'
	if grep -q 'C: AUTH' rec/session.1/transcript; then
		atf_fail "AUTH was sent"
	fi
}
plus_needs_tls13_cleanup() { mf_smarthost_stop; }

atf_test_case wrong_password cleanup
wrong_password_head() { atf_set descr "a wrong password: the server checks the proof, 535 is reported, the message stays queued"; }
wrong_password_body()
{
	mf_smarthost_start -m "$ALL"
	mf_conf
	printf 'not-the-password\n' >secret
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_refused 'AUTH SCRAM-SHA-256-PLUS failed: 535 5\.7\.8'
	atf_check -o match:"authentication failed for 'mf-user@example.org'" \
	    cat rec/session.1/transcript
}
wrong_password_cleanup() { mf_smarthost_stop; }

atf_test_case hostile_server cleanup
hostile_server_head() { atf_set descr "a server that cannot prove it knows the password, or misbehaves in SCRAM: no mail, a clear cause"; }
hostile_server_body()
{
	mf_conf
	for c in \
	    'bad-signature|wrong server signature' \
	    'error|reports an error: other-error' \
	    'no-final|accepted us without proving' \
	    'bad-nonce|nonce does not extend ours' \
	    'low-iterations|iteration count' \
	    'huge-iterations|iteration count' \
	    'mext|unknown extension \(m=\)'; do
		fault=${c%%|*}
		mf_smarthost_stop
		rm -rf rec spool/msg/* spool/state/*
		echo "set scram-fault $fault" >script
		mf_smarthost_start -s script -m "$ALL"
		sed -i "s/^port = .*/port = $MF_PORT/" mailferry.conf
		start=$(date +%s)
		msg | mf_sendmail -t -i >stdout 2>stderr
		[ $(($(date +%s) - start)) -lt 10 ] || atf_fail "$fault: too slow"
		assert_refused "SCRAM.*${c#*|}"
	done
}
hostile_server_cleanup() { mf_smarthost_stop; }

atf_test_case cram_md5 cleanup
cram_md5_head() { atf_set descr "CRAM-MD5 only when configured: auto never picks it"; }
cram_md5_body()
{
	mf_smarthost_start -m "CRAM-MD5 LOGIN"
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_delivered LOGIN
	mf_smarthost_stop
	rm -rf rec
	mf_smarthost_start -m "CRAM-MD5"
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_refused 'does not offer AUTH any of SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN'
	grep -q 'C: AUTH' rec/session.1/transcript && atf_fail "AUTH sent"
	mf_conf '[smarthost]' 'auth = cram-md5'
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q >stdout 2>stderr
	mf_wait_sessions 2
	atf_check -o match:'^TLS C: AUTH CRAM-MD5$' cat rec/session.2/transcript
	atf_check -o inline:"$MF_USER\n" cat rec/session.2/auth
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
cram_md5_cleanup() { mf_smarthost_stop; }

# Every line the client sent after its AUTH command must be absent
# from the -v trace: proofs and digests open a dictionary attack.
assert_no_auth_payload()
{
	sed -n '/^TLS C: AUTH/,/^TLS C: MAIL/p' "$1" | sed -n 's/^TLS C: //p' |
	    grep -v -E '^(AUTH [A-Z0-9-]+|MAIL .*|)$' >payloads || true
	[ -s payloads ] || atf_fail "no SASL response in $1"
	while read -r p; do
		grep -q -F -- "$p" "$2" && atf_fail "payload $p in the trace"
	done <payloads
	return 0
}

atf_test_case trace_redacted cleanup
trace_redacted_head() { atf_set descr "-v traces redact SCRAM and CRAM-MD5 payloads and challenges; --check names the mechanism"; }
trace_redacted_body()
{
	mf_smarthost_start -m "$ALL"
	mf_conf
	msg | mf_sendmail -v -t -i >out.v 2>&1
	mf_wait_sessions 1
	atf_check -o match:'> AUTH SCRAM-SHA-256-PLUS <redacted>' cat out.v
	atf_check -o match:'< 334 <redacted>' cat out.v
	assert_no_auth_payload rec/session.1/transcript out.v
	mf_conf '[smarthost]' 'auth = cram-md5'
	msg | mf_sendmail -v -t -i >out2.v 2>&1
	mf_wait_sessions 2
	atf_check -o match:'> <redacted>' cat out2.v
	assert_no_auth_payload rec/session.2/transcript out2.v
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -c >check.out 2>&1 ||
	    atf_fail "check failed: $(cat check.out)"
	atf_check -o match:'^auth: CRAM-MD5 accepted' cat check.out
	mf_conf
	"$MF_SEND" -C "$PWD/mailferry.conf" -c >check2.out 2>&1
	atf_check -o match:'^auth: SCRAM-SHA-256-PLUS accepted' cat check2.out
	mf_assert_no_canary out.v out2.v check.out check2.out spool
}
trace_redacted_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case auto_plus
	atf_add_test_case auto_tls12
	atf_add_test_case unoffered_plus
	atf_add_test_case plus_needs_tls13
	atf_add_test_case wrong_password
	atf_add_test_case hostile_server
	atf_add_test_case cram_md5
	atf_add_test_case trace_redacted
}
