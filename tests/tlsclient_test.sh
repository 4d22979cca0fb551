# tlsclient_test: TLS client certificates (tls_cert_file, tls_key_file)
# against a smarthost that requires one (-V), SASL EXTERNAL, the key
# file's ownership rules, and what --check says about them.

. "$(atf_get_srcdir)/testlib.sh"

# A marker of PEM key material: it must never appear in any output.
KEY_MARK='PRIVATE KEY'

msg()
{
	printf 'To: bob@example.net\nSubject: client cert\n\nhello\n'
}

# client_conf NAME [lines...]: the test configuration presenting the
# client certificate NAME (client, otherclient...) with a private copy
# of its key, mode 0600.
client_conf()
{
	name=$1
	shift
	cp "$MF_CERTS/$name.key" client.key
	chmod 600 client.key
	mf_conf '[smarthost]' "tls_cert_file = $MF_CERTS/$name.pem" \
	    "tls_key_file = $PWD/client.key" "$@"
}

# Drop the user and password lines (auth = external or none).
no_password()
{
	sed -i -e '/^user = /d' -e '/^password_file = /d' mailferry.conf
}

# The run kept the message queued and said why on stderr.
assert_queued_because()
{
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] ||
	    atf_fail "not queued: $(mf_queue_ids)"
	grep -q "^mailferry: queued: .*$1" stderr ||
	    atf_fail "no queued line matching '$1': $(cat stderr)"
}

atf_test_case accepted cleanup
accepted_head() { atf_set descr "a client certificate from the CA is accepted and recorded"; }
accepted_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem" -T -R
	client_conf client
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o inline:"/CN=mailferry client\n" cat rec/session.1/client_cert
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	atf_check -o inline:"$MF_USER\n" cat rec/session.1/auth
	[ -z "$(mf_queue_ids)" ] || atf_fail "still queued"
}
accepted_cleanup() { mf_smarthost_stop; }

atf_test_case no_cert cleanup
no_cert_head() { atf_set descr "no client certificate: the server refuses, the message stays queued"; }
no_cert_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem"
	mf_conf
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty cat stdout
	assert_queued_because 'TLS'
	mf_wait_sessions 1
	atf_check -o match:'TLS handshake failed' cat rec/session.1/transcript
	atf_check -s exit:1 grep -q 'MAIL' rec/session.1/transcript
	[ ! -e rec/session.1/client_cert ] || atf_fail "a certificate was recorded"
}
no_cert_cleanup() { mf_smarthost_stop; }

atf_test_case wrong_ca cleanup
wrong_ca_head() { atf_set descr "a client certificate from another CA is refused: queued"; }
wrong_ca_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem"
	client_conf otherclient
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty cat stdout
	assert_queued_because 'TLS'
	mf_wait_sessions 1
	atf_check -o match:'TLS handshake failed' cat rec/session.1/transcript
	[ ! -e rec/session.1/client_cert ] || atf_fail "a certificate was recorded"
	[ ! -e rec/session.1/msg.1.env ] || atf_fail "a message was sent"
}
wrong_ca_cleanup() { mf_smarthost_stop; }

atf_test_case key_mode
key_mode_head() { atf_set descr "a key file others may write is refused like password_file (77)"; }
key_mode_body()
{
	MF_PORT=1
	client_conf client
	chmod 666 client.key
	atf_check -s exit:77 -o ignore \
	    -e match:'tls_key_file .*client.key: writable or executable by others' \
	    -e not-match:"$KEY_MARK" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	# Nothing was queued or sent: the run stops before any entry.
	chmod 600 client.key
	ln -s /nonexistent/key dangling
	sed -i "s|^tls_key_file = .*|tls_key_file = $PWD/dangling|" mailferry.conf
	atf_check -s exit:78 -o ignore -e match:'tls_key_file .*dangling' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}

atf_test_case key_mismatch
key_mismatch_head() { atf_set descr "a key that does not match the certificate, or an unreadable certificate: 78"; }
key_mismatch_body()
{
	MF_PORT=1
	mf_certs
	client_conf client
	cp "$MF_CERTS/good.key" client.key
	atf_check -s exit:78 -o ignore \
	    -e match:'tls_key_file does not match the certificate' \
	    -e not-match:"$KEY_MARK" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	client_conf client
	sed -i "s|^tls_cert_file = .*|tls_cert_file = $PWD/nosuch.pem|" \
	    mailferry.conf
	atf_check -s exit:78 -o ignore \
	    -e match:'tls_cert_file .*nosuch.pem: cannot load' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	client_conf client
	echo 'not a key' >client.key
	atf_check -s exit:78 -o ignore -e match:'tls_key_file: not a PEM' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}

atf_test_case pairing
pairing_head() { atf_set descr "tls_cert_file without tls_key_file, auth = external without a certificate: 78"; }
pairing_body()
{
	mf_conf '[smarthost]' "tls_cert_file = /etc/c.pem"
	atf_check -s exit:78 -o ignore -e match:'go together' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	mf_conf '[smarthost]' "auth = external"
	atf_check -s exit:78 -o ignore -e match:'auth = external needs' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}

atf_test_case external cleanup
external_head() { atf_set descr "auth = external: AUTH EXTERNAL = with no user, the user as authzid otherwise"; }
external_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem" -T -R
	client_conf client 'auth = external'
	no_password
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o match:'^TLS C: AUTH EXTERNAL =$' cat rec/session.1/transcript
	atf_check -o inline:"/CN=mailferry client\n" cat rec/session.1/auth
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
	# With a user: it is the authorisation identity, no password read.
	client_conf client 'auth = external'
	sed -i '/^password_file = /d' mailferry.conf
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 2
	b64=$(printf '%s' "$MF_USER" | openssl base64 -A)
	atf_check -o match:"^TLS C: AUTH EXTERNAL $b64\$" \
	    cat rec/session.2/transcript
	atf_check -o inline:"$MF_USER\n" cat rec/session.2/auth
}
external_cleanup() { mf_smarthost_stop; }

atf_test_case external_refused cleanup
external_refused_head() { atf_set descr "AUTH EXTERNAL refused (535): queued, not sent"; }
external_refused_body()
{
	printf 'on AUTH reply 535 5.7.8 no\n' >script
	mf_smarthost_start -V "$MF_CERTS/ca.pem" -s "$PWD/script"
	client_conf client 'auth = external'
	no_password
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	assert_queued_because 'AUTH EXTERNAL failed'
	mf_wait_sessions 1
	[ ! -e rec/session.1/msg.1.env ] || atf_fail "a message was sent"
}
external_refused_cleanup() { mf_smarthost_stop; }

atf_test_case auth_none cleanup
auth_none_head() { atf_set descr "auth = none with a client certificate: no AUTH, delivered"; }
auth_none_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem"
	client_conf client 'auth = none'
	no_password
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -s exit:1 grep -E -q '^(TLS )?C: AUTH' rec/session.1/transcript
	atf_check -o match:'^dot 250' cat rec/session.1/msg.1.env
}
auth_none_cleanup() { mf_smarthost_stop; }

atf_test_case check cleanup
check_head() { atf_set descr "--check names the relay, the client certificate and the mechanism, never the key"; }
check_body()
{
	mf_smarthost_start -V "$MF_CERTS/ca.pem"
	client_conf client 'auth = external'
	no_password
	fp=$(openssl x509 -in "$MF_CERTS/client.pem" -noout -fingerprint \
	    -sha256 | sed 's/.*=//' | tr 'A-F' 'a-f')
	# mailferry-send -v -c: --check with the -v trace on stderr.
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -c >out 2>err ||
	    atf_fail "--check failed: $(cat err)"
	atf_check -o match:'AUTH EXTERNAL' cat err
	atf_check -o match:"^relay: localhost\\[127\\.0\\.0\\.1\\]:$MF_PORT\$" \
	    -o match:"^client certificate: CN=mailferry client sha256:$fp\$" \
	    -o match:'^auth: EXTERNAL accepted$' cat out
	for f in out err; do
		if grep -q -e "$KEY_MARK" -e "$(sed -n 2p client.key)" "$f"; then
			atf_fail "key material in $f"
		fi
	done
	# Without a certificate, --check says so.
	mf_smarthost_stop
	mf_smarthost_start
	mf_conf
	atf_check -s exit:0 -o match:'^client certificate: none$' \
	    -o match:'^auth: PLAIN accepted$' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}
check_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case accepted
	atf_add_test_case no_cert
	atf_add_test_case wrong_ca
	atf_add_test_case key_mode
	atf_add_test_case key_mismatch
	atf_add_test_case pairing
	atf_add_test_case external
	atf_add_test_case external_refused
	atf_add_test_case auth_none
	atf_add_test_case check
}
