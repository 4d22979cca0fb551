# relay_test: a message from sendmail to the smarthost, end to end, with
# the real programs: verified TLS, AUTH, per-recipient results, exit
# status, and what stays in the queue when the relay cannot be trusted.

. "$(atf_get_srcdir)/testlib.sh"

# A small message that -t reads its recipient from.
msg()
{
	printf 'To: bob@example.net\nSubject: relay test\n\nline one\n.dot line\nlast\n'
}

# Assert the smarthost got no command after the first EHLO in clear,
# and no message at all.
assert_nothing_sent()
{
	atf_check -s exit:0 -o ignore test -s rec/session.1/transcript
	if grep -E '^(TLS )?C: (AUTH|MAIL|RCPT|DATA)' rec/session.*/transcript; then
		atf_fail "a command was sent over an untrusted connection"
	fi
	if ls rec/session.*/msg.* >/dev/null 2>&1; then
		atf_fail "a message reached the smarthost"
	fi
}

# Assert the client sent nothing after its STARTTLS (but a QUIT in
# clear) and did not finish a TLS handshake: it hung up at the reply.
assert_nothing_after_starttls()
{
	atf_check -o match:'^C: STARTTLS' cat rec/session.1/transcript
	if sed '1,/^C: STARTTLS/d' rec/session.1/transcript |
	    grep -E '^(TLS )?C: |TLS established' | grep -v '^C: QUIT$'; then
		atf_fail "the client went on after the STARTTLS reply"
	fi
}

# The entry must still be queued, exit 0, and stderr says queued.
assert_queued()
{
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued: $(mf_queue_ids)"
	grep -q '^mailferry: queued: ' stderr || atf_fail "no queued line: $(cat stderr)"
}

atf_test_case starttls cleanup
starttls_head() { atf_set descr "STARTTLS + AUTH delivery: envelope and DATA bytes"; }
starttls_body()
{
	mf_smarthost_start -T -R
	mf_conf
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<alice@example.org>\nrcpt 250 TO:<bob@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	atf_check -o match:"^TLS C: AUTH PLAIN" cat rec/session.1/transcript
	atf_check -o inline:"$MF_USER\n" cat rec/session.1/auth
	# The body arrives dot-stuffed on the wire, unstuffed by the server.
	atf_check -o match:'^\.dot line' cat rec/session.1/msg.1.data
	atf_check -o match:'^Subject: relay test' cat rec/session.1/msg.1.data
	# CRLF only, never a bare LF.
	if tr -d '\r' <rec/session.1/msg.1.data | cmp -s - rec/session.1/msg.1.data; then
		atf_fail "no CRLF in the data"
	fi
	[ "$(grep -c $'[^\r]$' rec/session.1/msg.1.data)" -eq 0 ] ||
	    atf_fail "a line does not end in CRLF"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
starttls_cleanup() { mf_smarthost_stop; }

atf_test_case implicit_tls cleanup
implicit_tls_head() { atf_set descr "implicit TLS (port 465 style) delivery"; }
implicit_tls_body()
{
	mf_smarthost_start -i -R
	MF_TLS=implicit mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	atf_check -o match:'TLS established' cat rec/session.1/transcript
	if grep -q '^C: ' rec/session.1/transcript; then
		atf_fail "a command was sent in clear"
	fi
}
implicit_tls_cleanup() { mf_smarthost_stop; }

# One case per untrusted certificate.
bad_cert()
{
	MF_CERT=$1 mf_smarthost_start
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty cat stdout
	assert_queued
	atf_check -o match:"$2" cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
	# The client aborts the handshake itself (SSL_VERIFY_PEER): the
	# server never sees it complete.
	if grep -q 'TLS established' rec/session.1/transcript; then
		atf_fail "the handshake completed with an untrusted certificate"
	fi
}

atf_test_case cert_wrong_name cleanup
cert_wrong_name_head() { atf_set descr "a certificate for another name: nothing sent, queued"; }
cert_wrong_name_body() { bad_cert wrongname 'certificate|verify|hostname|Hostname'; }
cert_wrong_name_cleanup() { mf_smarthost_stop; }

atf_test_case cert_self_signed cleanup
cert_self_signed_head() { atf_set descr "a self-signed certificate: nothing sent, queued"; }
cert_self_signed_body() { bad_cert selfsigned 'certificate|verify'; }
cert_self_signed_cleanup() { mf_smarthost_stop; }

atf_test_case cert_expired cleanup
cert_expired_head() { atf_set descr "an expired certificate: nothing sent, queued"; }
cert_expired_body() { bad_cert expired 'expired|certificate|verify'; }
cert_expired_cleanup() { mf_smarthost_stop; }

atf_test_case starttls_missing cleanup
starttls_missing_head() { atf_set descr "STARTTLS not advertised: never plaintext, queued"; }
starttls_missing_body()
{
	mf_smarthost_start -X starttls
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	atf_check -o match:'does not offer STARTTLS; not sending in plain text' \
	    cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
	# Not even asked for: the client gives up after the EHLO reply.
	if grep -q '^C: STARTTLS' rec/session.1/transcript; then
		atf_fail "STARTTLS sent although not advertised"
	fi
}
starttls_missing_cleanup() { mf_smarthost_stop; }

atf_test_case starttls_refused cleanup
starttls_refused_head() { atf_set descr "STARTTLS refused (454): queued"; }
starttls_refused_body()
{
	echo 'on STARTTLS reply 454 4.7.0 TLS not available' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	atf_check -o match:'STARTTLS refused.*454' cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
	assert_nothing_after_starttls
}
starttls_refused_cleanup() { mf_smarthost_stop; }

atf_test_case starttls_injection cleanup
starttls_injection_head() { atf_set descr "bytes after the STARTTLS 220: abort, queued"; }
starttls_injection_body()
{
	echo 'on STARTTLS append 250-AUTH PLAIN\r\n250 OK\r\n' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	# The specific refusal, not a later failure (no AUTH, say).
	atf_check -o match:'STARTTLS response injection: 24 unexpected bytes after the 220' \
	    cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
	# The client hung up at once: no handshake, no EHLO, no AUTH.
	assert_nothing_after_starttls
}
starttls_injection_cleanup() { mf_smarthost_stop; }

# mf_pin KIND: the sha256 pin of the good certificate, "cert" (the DER
# certificate) or "spki" (its DER SubjectPublicKeyInfo, RFC 7469).
mf_pin()
{
	mf_certs
	case $1 in
	cert)	"$MF_OPENSSL" x509 -in "$MF_CERTS/good.pem" -outform DER ;;
	spki)	"$MF_OPENSSL" x509 -in "$MF_CERTS/good.pem" -pubkey -noout |
		    "$MF_OPENSSL" pkey -pubin -outform DER ;;
	other)	"$MF_OPENSSL" x509 -in "$MF_CERTS/wrongname.pem" -outform DER ;;
	esac | sha256sum | awk '{print "sha256:" $1}'
}

# Deliver through a smarthost whose certificate matches the pin.
pin_ok()
{
	mf_smarthost_start
	pin=$(mf_pin "$1")
	[ ${#pin} -eq 71 ] || atf_fail "cannot compute the pin: $pin"
	mf_conf '[smarthost]' "fingerprint = $pin"
	msg | mf_sendmail -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}

atf_test_case pin_cert cleanup
pin_cert_head() { atf_set descr "fingerprint pin of the certificate: delivered"; }
pin_cert_body() { pin_ok cert; }
pin_cert_cleanup() { mf_smarthost_stop; }

atf_test_case pin_spki cleanup
pin_spki_head() { atf_set descr "fingerprint pin of the public key (SPKI): delivered"; }
pin_spki_body() { pin_ok spki; }
pin_spki_cleanup() { mf_smarthost_stop; }

atf_test_case pin_mismatch cleanup
pin_mismatch_head() { atf_set descr "a verified certificate that does not match the pin: nothing sent, queued"; }
pin_mismatch_body()
{
	mf_smarthost_start
	mf_conf '[smarthost]' "fingerprint = $(mf_pin other)"
	msg | mf_sendmail -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty cat stdout
	assert_queued
	atf_check -o match:'does not match the pinned fingerprint' cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
}
pin_mismatch_cleanup() { mf_smarthost_stop; }

atf_test_case tls_min_version cleanup
tls_min_version_head() { atf_set descr "tls_min_version = 1.3 against a TLS 1.2 server: the handshake fails, queued"; }
tls_min_version_body()
{
	mf_certs
	# openssl s_server as an implicit-TLS server that stops at TLS 1.2.
	# (-rev: it never reads its standard input.)
	"$MF_OPENSSL" s_server -accept 127.0.0.1:0 -tls1_2 -rev \
	    -cert "$MF_CERTS/good.pem" -key "$MF_CERTS/good.key" \
	    -naccept 1 </dev/null >sserver.log 2>&1 &
	echo $! >sserver.pid
	i=0
	while ! grep -q '^ACCEPT ' sserver.log; do
		i=$((i + 1))
		[ $i -gt 100 ] && atf_fail "s_server did not start: $(cat sserver.log)"
		sleep 0.1
	done
	MF_PORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' sserver.log)
	MF_TLS=implicit mf_conf '[smarthost]' 'tls_min_version = 1.3'
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	atf_check -o match:'TLS handshake failed.*protocol version' cat stderr
	# The server saw a ClientHello without TLS 1.2 in it.
	i=0
	while ! grep -q 'unsupported protocol' sserver.log; do
		i=$((i + 1))
		[ $i -gt 50 ] && atf_fail "the client offered TLS 1.2: $(cat sserver.log)"
		sleep 0.1
	done
}
tls_min_version_cleanup()
{
	[ -s sserver.pid ] && kill "$(cat sserver.pid)" 2>/dev/null
	return 0
}

atf_test_case auth_535 cleanup
auth_535_head() { atf_set descr "AUTH refused (535) is temporary: queued"; }
auth_535_body()
{
	mf_smarthost_start
	mf_conf
	echo 'wrong-password' >secret
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	atf_check -o match:'535' cat stderr
	mf_wait_sessions 1
	if grep -q 'C: MAIL' rec/session.1/transcript; then
		atf_fail "MAIL sent after a failed AUTH"
	fi
}
auth_535_cleanup() { mf_smarthost_stop; }

atf_test_case oauth cleanup
oauth_head() { atf_set descr "auth = xoauth2 and oauthbearer send the token as a bearer token"; }
oauth_body()
{
	mf_smarthost_start
	n=0
	for mech in XOAUTH2 OAUTHBEARER; do
		n=$((n + 1))
		mf_conf '[smarthost]' "auth = $(echo $mech | tr A-Z a-z)"
		msg | mf_sendmail -v -t -i >stdout 2>stderr
		atf_check -s exit:0 -o empty cat stdout
		mf_wait_sessions $n
		atf_check -o match:"^TLS C: AUTH $mech [A-Za-z0-9+/=]+\$" \
		    cat rec/session.$n/transcript
		atf_check -o inline:"$MF_USER\n" cat rec/session.$n/auth
		atf_check -o match:'^Subject: relay test' cat rec/session.$n/msg.1.data
		# The -v trace names the mechanism and hides the payload.
		atf_check -o match:"> AUTH $mech <redacted>" cat stderr
		atf_check -o not-match:"AUTH $mech [A-Za-z0-9+/]{8}" cat stderr
		atf_check -o not-match:"$MF_PASSWORD" cat stderr
	done
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
oauth_cleanup() { mf_smarthost_stop; }

atf_test_case oauth_refused cleanup
oauth_refused_head() { atf_set descr "a refused token: the 334 error is answered, the entry stays queued"; }
oauth_refused_body()
{
	mf_smarthost_start
	n=0
	for mech in XOAUTH2:\'\' OAUTHBEARER:\'AQ==\'; do
		n=$((n + 1))
		mf_conf '[smarthost]' "auth = $(echo ${mech%%:*} | tr A-Z a-z)"
		echo 'expired-token' >secret
		msg | mf_sendmail -t -i >stdout 2>stderr
		assert_queued
		atf_check -o match:'535' cat stderr
		mf_wait_sessions $n
		atf_check -o match:"bearer error answered with ${mech#*:}\$" \
		    cat rec/session.$n/transcript
		if grep -q 'C: MAIL' rec/session.$n/transcript; then
			atf_fail "MAIL sent after a failed AUTH"
		fi
		mf_sendmail --delete "$(mf_queue_ids)"
	done
}
oauth_refused_cleanup() { mf_smarthost_stop; }

atf_test_case mail_5xx cleanup
mail_5xx_head() { atf_set descr "5xx at MAIL: exit 69 in the foreground, entry removed"; }
mail_5xx_body()
{
	echo 'on MAIL reply 553 5.7.1 sender rejected' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	st=$?
	[ $st -eq 69 ] || atf_fail "exit $st, wanted 69: $(cat stderr)"
	atf_check -o match:'553 5.7.1 sender rejected' cat stderr
	# One line, no summary after it.
	[ "$(wc -l <stderr)" -eq 1 ] || atf_fail "not one line: $(cat stderr)"
	[ -z "$(mf_queue_ids)" ] || atf_fail "the refused entry is still queued"
}
mail_5xx_cleanup() { mf_smarthost_stop; }

atf_test_case size_limit cleanup
size_limit_head() { atf_set descr "a message over the advertised SIZE: refused before MAIL, exit 69"; }
size_limit_body()
{
	mf_smarthost_start -z 50
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	st=$?
	[ $st -eq 69 ] || atf_fail "exit $st, wanted 69: $(cat stderr)"
	atf_check -o match:"552 5.3.4 message size [0-9]+ exceeds the smarthost's limit of 50" \
	    cat stderr
	mf_wait_sessions 1
	# The client's own check: no transaction at all.
	if grep -E '^(TLS )?C: (MAIL|RCPT|DATA)' rec/session.1/transcript; then
		atf_fail "a transaction for a message over the SIZE limit"
	fi
	[ -z "$(mf_queue_ids)" ] || atf_fail "the refused entry is still queued"
}
size_limit_cleanup() { mf_smarthost_stop; }

atf_test_case ehlo_refused cleanup
ehlo_refused_head() { atf_set descr "EHLO refused in clear: no HELO fallback, never plaintext, queued"; }
ehlo_refused_body()
{
	echo 'on EHLO reply 502 5.5.2 EHLO not implemented' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	assert_queued
	atf_check -o match:'EHLO refused, so no STARTTLS; not sending in plain text' \
	    cat stderr
	mf_wait_sessions 1
	assert_nothing_sent
	if grep -q '^C: HELO' rec/session.1/transcript; then
		atf_fail "HELO sent in clear"
	fi
}
ehlo_refused_cleanup() { mf_smarthost_stop; }

atf_test_case soft_limits cleanup
soft_limits_head() { atf_set descr "a soft file size limit of 0: the helpers raise it to the hard limit and deliver"; }
soft_limits_body()
{
	mf_smarthost_start
	mf_conf
	# Only pipes are written under the limit (it applies to files).
	{ (ulimit -S -f 0; msg | mf_sendmail -t -i; echo "rc=$?") 2>&1; } |
	    cat >out
	atf_check -o inline:'rc=0\n' cat out
	mf_wait_sessions 1
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
soft_limits_cleanup() { mf_smarthost_stop; }

atf_test_case hard_limits cleanup
hard_limits_head() { atf_set descr "a hard file size limit: mailferry-queue refuses to run (75, one line), nothing queued"; }
hard_limits_body()
{
	mf_smarthost_start
	mf_conf
	{ (ulimit -f 100; msg | mf_sendmail -t -i; echo "rc=$?") 2>&1; } |
	    cat >out
	grep -q '^rc=75$' out || atf_fail "wanted exit 75: $(cat out)"
	atf_check -o match:'refusing to run: the file size \(ulimit -f\) limit is too low' \
	    cat out
	[ -z "$(mf_queue_ids)" ] || atf_fail "queued under the limit"
	[ "$(cat rec/sessions 2>/dev/null || echo 0)" = 0 ] ||
	    atf_fail "the smarthost was contacted"
}
hard_limits_cleanup() { mf_smarthost_stop; }

atf_test_case data_5xx cleanup
data_5xx_head() { atf_set descr "5xx after DATA: exit 69 in the foreground, entry removed"; }
data_5xx_body()
{
	echo 'on DOT reply 554 5.6.0 content rejected' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	st=$?
	[ $st -eq 69 ] || atf_fail "exit $st, wanted 69: $(cat stderr)"
	atf_check -o match:'554 5.6.0 content rejected' cat stderr
	# One line, no summary after it.
	[ "$(wc -l <stderr)" -eq 1 ] || atf_fail "not one line: $(cat stderr)"
	[ -z "$(mf_queue_ids)" ] || atf_fail "the refused entry is still queued"
}
data_5xx_cleanup() { mf_smarthost_stop; }

atf_test_case rcpt_one_refused cleanup
rcpt_one_refused_head() { atf_set descr "one RCPT 5xx among three: the others delivered, that one reported"; }
rcpt_one_refused_body()
{
	echo 'on RCPT arg bad@ reply 550 5.1.1 no such user' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -i a@example.net bad@example.net c@example.net \
	    >stdout 2>stderr
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $(cat stderr)"
	atf_check -o match:'bad@example.net.*550 5.1.1' cat stderr
	mf_wait_sessions 1
	atf_check -o match:'^rcpt 250 TO:<a@example.net>' \
	    -o match:'^rcpt 550 TO:<bad@example.net>' \
	    -o match:'^rcpt 250 TO:<c@example.net>' -o match:'^dot 250' \
	    cat rec/session.1/msg.1.env
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
rcpt_one_refused_cleanup() { mf_smarthost_stop; }

atf_test_case all_rcpts_refused cleanup
all_rcpts_refused_head() { atf_set descr "every RCPT refused: exit 67, entry removed"; }
all_rcpts_refused_body()
{
	echo 'on RCPT reply 550 5.1.1 no such user' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -i a@example.net >stdout 2>stderr
	st=$?
	[ $st -eq 67 ] || atf_fail "exit $st, wanted 67: $(cat stderr)"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
all_rcpts_refused_cleanup() { mf_smarthost_stop; }

atf_test_case all_rcpts_refused_354 cleanup
all_rcpts_refused_354_head() { atf_set descr "every pipelined RCPT refused, DATA still 354 (RFC 2920 3.1): a lone dot, no data; refused in the foreground, bounced from the queue"; }
all_rcpts_refused_354_body()
{
	printf '%s\n' 'set data-without-rcpt' \
	    'on RCPT arg example.net reply 550 5.1.1 no such user' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -i a@example.net b@example.net >stdout 2>stderr
	st=$?
	[ $st -eq 67 ] || atf_fail "exit $st, wanted 67: $(cat stderr)"
	atf_check -o match:'550 5.1.1 no such user' cat stderr
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<$(id -un)@example.org>\nrcpt 550 TO:<a@example.net>\nrcpt 550 TO:<b@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	# The server got the dot and not one byte of the message.
	atf_check -o empty cat rec/session.1/msg.1.data
	atf_check -o match:'received 0 bytes of message data' \
	    cat rec/session.1/transcript
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"

	# From the queue: the sender gets a bounce, as for any 5xx RCPT.
	MF_DELIVERY=queue mf_conf
	msg | mf_sendmail -i -f alice@example.org a@example.net ||
	    atf_fail "not queued"
	mf_sendmail -q || atf_fail "sendmail -q failed"
	mf_wait_sessions 2
	atf_check -o match:'^data 354$' cat rec/session.2/msg.1.env
	atf_check -o empty cat rec/session.2/msg.1.data
	atf_check -o match:'^rcpt 250 TO:<alice@example.org>' \
	    cat rec/session.2/msg.2.env
	atf_check -o match:'550 5.1.1 no such user' cat rec/session.2/msg.2.data
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
all_rcpts_refused_354_cleanup() { mf_smarthost_stop; }

atf_test_case background cleanup
background_head() { atf_set descr "background delivery: exit 0 at once, no output, delivered detached"; }
background_body()
{
	mf_smarthost_start
	MF_DELIVERY=background mf_conf
	# The caller's pipes must reach EOF at once, as Symfony and node
	# wait for that: a detached sender must not hold them.
	out=$( msg | mf_sendmail -t -i 2>&1 )
	st=$?
	[ $st -eq 0 ] || atf_fail "exit $st: $out"
	[ -z "$out" ] || atf_fail "output: $out"
	mf_wait_sessions 1
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
}
background_cleanup() { mf_smarthost_stop; }

atf_test_case queue_only cleanup
queue_only_head() { atf_set descr "-odq queues only; sendmail -q delivers; mailq lists"; }
queue_only_body()
{
	mf_smarthost_start
	mf_conf
	msg | mf_sendmail -odq -t -i
	atf_check -s exit:0 -o empty test -n "$(mf_queue_ids)"
	id=$(mf_queue_ids)
	atf_check -s exit:0 -o match:"^$id " -o match:'to: <bob@example.net> pending' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp
	[ ! -e rec/sessions ] || atf_fail "something was sent"
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	mf_wait_sessions 1
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
	atf_check -s exit:0 -o inline:"Mail queue is empty\n" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp
}
queue_only_cleanup() { mf_smarthost_stop; }

atf_test_case relay_down
relay_down_head() { atf_set descr "relay unreachable: exit 0, queued, the reason on stderr"; }
relay_down_body()
{
	MF_PORT=1 mf_conf
	msg | mf_sendmail -t -i >stdout 2>stderr
	atf_check -s exit:0 -o empty cat stdout
	assert_queued
}

atf_test_case no_password_leak cleanup
no_password_leak_head() { atf_set descr "the password appears in no output, trace, spool or process"; }
no_password_leak_body()
{
	mf_smarthost_start
	mf_conf
	msg | mf_sendmail -v -t -i >out.v 2>&1
	atf_check -o match:'AUTH PLAIN <redacted>' cat out.v
	# SCRAM and CRAM-MD5: payloads and challenges redacted as well.
	mf_smarthost_stop
	mf_smarthost_start -m 'SCRAM-SHA-256-PLUS SCRAM-SHA-256 CRAM-MD5'
	mf_conf
	msg | mf_sendmail -v -t -i >out3.v 2>&1
	atf_check -o match:'AUTH SCRAM-SHA-256-PLUS <redacted>' cat out3.v
	mf_conf '[smarthost]' 'auth = cram-md5'
	msg | mf_sendmail -v -t -i >out4.v 2>&1
	atf_check -o match:'> AUTH CRAM-MD5$' -o match:'< 334 <redacted>' \
	    cat out4.v
	echo 'on MAIL reply 451 4.3.0 later' >script
	mf_smarthost_stop
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -v -t -i >out2.v 2>&1
	mf_sendmail -bp >mailq.out 2>&1
	"$MF_SEND" -C "$PWD/mailferry.conf" -d >dump.out 2>&1
	atf_check -o not-match:"$MF_PASSWORD" cat dump.out
	mf_assert_no_canary out.v out2.v out3.v out4.v mailq.out dump.out spool
}
no_password_leak_cleanup() { mf_smarthost_stop; }

atf_test_case kill9_midtransaction cleanup
kill9_midtransaction_head() { atf_set descr "kill -9 of the sender mid-DATA: queued, delivered on the next run"; }
kill9_midtransaction_body()
{
	# The smarthost holds its reply to DATA; the sender is killed
	# while it waits for it.
	echo 'on DATA session 1 stall 3 pass' >script
	mf_smarthost_start -s script
	mf_conf
	msg | mf_sendmail -odq -t -i
	id=$(mf_queue_ids)
	"$MF_SEND" -C "$PWD/mailferry.conf" -q &
	pid=$!
	sleep 1.5
	kill -0 $pid 2>/dev/null || atf_fail "the sender finished before the kill"
	kill -9 $pid
	wait $pid 2>/dev/null
	[ "$(mf_queue_ids)" = "$id" ] || atf_fail "entry lost: $(mf_queue_ids)"
	atf_check -s exit:0 -o ignore "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -qI"$id"
	mf_wait_sessions 2
	atf_check -o match:'^dot 250' cat rec/session.2/msg.1.env
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
kill9_midtransaction_cleanup() { mf_smarthost_stop; }

atf_test_case flights cleanup
flights_head() { atf_set descr "round trips for one message over STARTTLS + AUTH"; }
flights_body()
{
	mf_smarthost_start
	mf_conf
	msg | mf_sendmail -t -i
	mf_wait_sessions 1
	# EHLO, STARTTLS, EHLO, AUTH, MAIL+RCPT+DATA, data+dot, QUIT.
	atf_check -o inline:"7\n" cat rec/session.1/flights
	atf_check -o inline:"2\n" cat rec/session.1/msg.1.flights
	# Arrival within 6 flights (+ TCP + TLS handshake = 8 round trips).
	atf_check -o inline:"6\n" cat rec/session.1/msg.1.arrival
	echo "flights: session $(cat rec/session.1/flights), message $(cat rec/session.1/msg.1.flights)" >&2
}
flights_cleanup() { mf_smarthost_stop; }

atf_test_case system_store cleanup
system_store_head()
{
	atf_set descr "no ca_file: the system store's hashed directory verifies the chain (a private mount namespace puts the test CA there)"
	atf_set require.user root
}
system_store_body()
{
	command -v unshare >/dev/null || atf_skip "no unshare(1)"
	mkdir cadir
	cp "$MF_CERTS/ca.pem" cadir/
	ln -s ca.pem "cadir/$(openssl x509 -hash -noout -in cadir/ca.pem).0"
	dir=$(openssl version -d | sed 's/^OPENSSLDIR: "\(.*\)"$/\1/')/certs
	unshare -m true 2>/dev/null || atf_skip "no mount namespaces here"
	mf_smarthost_start
	mf_conf
	sed -i '/^ca_file = /d' mailferry.conf
	unshare -m sh -c "mount --bind '$PWD/cadir' '$dir' &&
	    '$MF_SEND' -C '$PWD/mailferry.conf' -c" >check.out 2>&1 ||
	    atf_fail "check failed: $(cat check.out)"
	grep -q '^verify: ok' check.out || atf_fail "$(cat check.out)"
	# And without the test CA in the store, the same server is refused.
	unshare -m sh -c "rm cadir/*.0; mount --bind '$PWD/cadir' '$dir' &&
	    '$MF_SEND' -C '$PWD/mailferry.conf' -c" >check2.out 2>&1 &&
	    atf_fail "verified without the CA: $(cat check2.out)"
	grep -q 'unable to get local issuer' check2.out ||
	    atf_fail "$(cat check2.out)"
}
system_store_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case starttls
	atf_add_test_case system_store
	atf_add_test_case implicit_tls
	atf_add_test_case cert_wrong_name
	atf_add_test_case cert_self_signed
	atf_add_test_case cert_expired
	atf_add_test_case starttls_missing
	atf_add_test_case starttls_refused
	atf_add_test_case starttls_injection
	atf_add_test_case pin_cert
	atf_add_test_case pin_spki
	atf_add_test_case pin_mismatch
	atf_add_test_case tls_min_version
	atf_add_test_case size_limit
	atf_add_test_case ehlo_refused
	atf_add_test_case soft_limits
	atf_add_test_case hard_limits
	atf_add_test_case auth_535
	atf_add_test_case oauth
	atf_add_test_case oauth_refused
	atf_add_test_case mail_5xx
	atf_add_test_case data_5xx
	atf_add_test_case rcpt_one_refused
	atf_add_test_case all_rcpts_refused
	atf_add_test_case all_rcpts_refused_354
	atf_add_test_case background
	atf_add_test_case queue_only
	atf_add_test_case relay_down
	atf_add_test_case no_password_leak
	atf_add_test_case kill9_midtransaction
	atf_add_test_case flights
}
