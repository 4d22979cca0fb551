#! /usr/bin/env atf-sh
#
# Tests of the test smarthost itself: every feature and every fault kind
# must be seen to work from the client side, or the tests built on it
# could not fail.
#
# Clients: a bash helper over /dev/tcp (written by chat_setup) for plain
# SMTP with exact control of writes, and openssl s_client for TLS.

SMARTHOST="$(atf_get_srcdir)/smarthost"
GENCERTS="$(atf_get_srcdir)/gen-certs.sh"

# Start the server with the given extra options; wait for its port file.
start_server()
{
	"$SMARTHOST" -P port -d rec -a 30 -t 10 "$@" 2>server.err &
	echo $! > server.pid
	i=0
	while [ ! -s port ]; do
		i=$((i + 1))
		[ $i -le 100 ] || atf_fail "smarthost did not start: \
$(cat server.err)"
		sleep 0.05
	done
	PORT=$(cat port)
	chat_setup
}

stop_server()
{
	if [ -f server.pid ]; then
		kill "$(cat server.pid)" 2>/dev/null
		rm -f server.pid
	fi
}

# Wait until the server has finished at least $1 sessions.
wait_sessions()
{
	i=0
	while [ "$(cat rec/sessions 2>/dev/null || echo 0)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || atf_fail "session $1 did not end"
		sleep 0.05
	done
}

certs()
{
	atf_check "$GENCERTS" certs
}

# The dialogue on stdin: ">TEXT" sends TEXT plus CRLF in one write
# (printf %b escapes, so "\r\n" joins pipelined commands); "=TEXT" sends
# TEXT without CRLF; "<N" reads until N final reply lines arrived; "EOF"
# reads until the server closes.  Replies go to stdout, CR stripped.
chat_setup()
{
	cat > chat.bash <<'EOF'
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
while IFS= read -r cmd; do
	case $cmd in
	'>'*)	env printf '%b\r\n' "${cmd#>}" >&3 || exit 2 ;;
	'='*)	env printf '%b' "${cmd#=}" >&3 || exit 2 ;;
	'<'*)
		n=${cmd#<}
		while [ "$n" -gt 0 ]; do
			IFS= read -r -t 10 line <&3 || exit 3
			line=${line%$'\r'}
			printf '%s\n' "$line"
			case $line in
			[0-9][0-9][0-9]|[0-9][0-9][0-9]' '*) n=$((n - 1)) ;;
			esac
		done ;;
	EOF)
		while IFS= read -r -t 10 line <&3; do
			printf '%s\n' "${line%$'\r'}"
		done
		exit 0 ;;
	esac
done
EOF
}

chat()
{
	bash ./chat.bash "$PORT"
}

# TLS client: openssl s_client, STARTTLS unless $1 is "implicit".
tls_chat()
{
	if [ "${1:-}" = implicit ]; then
		set --
	else
		set -- -starttls smtp
	fi
	timeout 10 openssl s_client "$@" -connect "127.0.0.1:$PORT" \
	    -quiet -crlf -CAfile certs/ca.pem -verify_return_error \
	    -verify_hostname localhost -servername localhost 2>tls.err
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

atf_test_case plain_session cleanup
plain_session_head()
{
	atf_set "descr" "Envelope and dot-unstuffed data are recorded exactly"
}
plain_session_body()
{
	start_server -z 1000
	cat > dialogue <<'EOF'
<1
>EHLO client.test
<1
>MAIL FROM:<a@example.com> SIZE=42 BODY=8BITMIME
<1
>RCPT TO:<b@example.com>
<1
>RCPT TO:<c@example.com> NOTIFY=NEVER
<1
>DATA
<1
=Subject: t\r\n\r\n..leading dot\r\nbare\nlf\r\n...\r\n
>.
<1
>QUIT
<1
EOF
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^250-SIZE 1000$' -o match:'^250 2.0.0 Ok' cat out
	wait_sessions 1
	printf 'Subject: t\r\n\r\n.leading dot\r\nbare\nlf\r\n..\r\n' > expected
	atf_check cmp expected rec/session.1/msg.1.data
	cat > expected <<'EOF'
mail 250 FROM:<a@example.com> SIZE=42 BODY=8BITMIME
rcpt 250 TO:<b@example.com>
rcpt 250 TO:<c@example.com> NOTIFY=NEVER
data 354
dot 250
EOF
	atf_check -o file:expected cat rec/session.1/msg.1.env
	atf_check -o match:'^C: MAIL FROM:<a@example.com>' \
	    -o match:'^S: 221 2.0.0 Bye$' cat rec/session.1/transcript
	atf_check -o inline:'1\n' cat rec/sessions
	atf_check test ! -e rec/session.1/auth
}
plain_session_cleanup()
{
	stop_server
}

atf_test_case data_without_rcpt cleanup
data_without_rcpt_head()
{
	atf_set "descr" "DATA with no accepted RCPT: 554, or 354 under 'set data-without-rcpt'"
}
data_without_rcpt_body()
{
	cat > dialogue <<'EOF'
<1
>EHLO client.test
<1
>MAIL FROM:<a@example.com>
<1
>RCPT TO:<bad@example.com>
<1
>DATA
<1
>QUIT
<1
EOF
	echo 'on RCPT reply 550 5.1.1 no such user' > script
	start_server -s script
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^554 5.5.1 Error: no valid recipients$' cat out
	stop_server

	rm -rf rec port
	printf '%s\n' 'set data-without-rcpt' \
	    'on RCPT reply 550 5.1.1 no such user' > script
	start_server -s script
	sed 's/^>QUIT$/>.\n<1\n>QUIT/' dialogue > dialogue2
	atf_check -o save:out bash chat.bash "$PORT" < dialogue2
	atf_check -o match:'^354 ' -o match:'^250 2.0.0 Ok: queued' cat out
	wait_sessions 1
	printf 'mail 250 FROM:<a@example.com>\nrcpt 550 TO:<bad@example.com>\ndata 354\ndot 250\n' > expected
	atf_check -o file:expected cat rec/session.1/msg.1.env
	atf_check -o empty cat rec/session.1/msg.1.data
}
data_without_rcpt_cleanup()
{
	stop_server
}

atf_test_case flights cleanup
flights_head()
{
	atf_set "descr" "Round trips are counted exactly, pipelined or not"
}
flights_body()
{
	start_server
	# Pipelined: EHLO; MAIL+RCPT+DATA in one write; data; QUIT.
	cat > dialogue <<'EOF'
<1
>EHLO client.test
<1
>MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA
<3
>hello\r\n.
<1
>QUIT
<1
EOF
	atf_check -o ignore bash chat.bash "$PORT" < dialogue
	# One command per round trip.
	cat > dialogue <<'EOF'
<1
>EHLO client.test
<1
>MAIL FROM:<a@x>
<1
>RCPT TO:<b@x>
<1
>DATA
<1
>hello\r\n.
<1
>QUIT
<1
EOF
	atf_check -o ignore bash chat.bash "$PORT" < dialogue
	# Two transactions, the second pipelined behind the first's data.
	cat > dialogue <<'EOF'
<1
>EHLO client.test
<1
>MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA
<3
>one\r\n.\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA
<4
>two\r\n.\r\nQUIT
<2
EOF
	atf_check -o ignore bash chat.bash "$PORT" < dialogue
	wait_sessions 3
	atf_check -o inline:'4\n' cat rec/session.1/flights
	atf_check -o inline:'2\n' cat rec/session.1/msg.1.flights
	atf_check -o inline:'6\n' cat rec/session.2/flights
	atf_check -o inline:'4\n' cat rec/session.2/msg.1.flights
	atf_check -o inline:'4\n' cat rec/session.3/flights
	atf_check -o inline:'2\n' cat rec/session.3/msg.1.flights
	atf_check -o inline:'2\n' cat rec/session.3/msg.2.flights
	printf 'two\r\n' > expected
	atf_check cmp expected rec/session.3/msg.2.data
}
flights_cleanup()
{
	stop_server
}

atf_test_case starttls cleanup
starttls_head()
{
	atf_set "descr" "STARTTLS works and the transcript marks TLS commands"
}
starttls_body()
{
	certs
	start_server -c certs/good.pem -k certs/good.key
	printf 'EHLO c\nMAIL FROM:<a@x>\nRCPT TO:<b@x>\nDATA\nhi\n.\nQUIT\n' |
	    tls_chat > out
	atf_check -o match:'^250 2.0.0 Ok' -o match:'^221 ' cat out
	atf_check -o not-match:STARTTLS cat out
	wait_sessions 1
	atf_check -o match:'^C: STARTTLS$' -o match:'^\*: TLS established' \
	    -o match:'^TLS C: MAIL FROM:<a@x>$' -o match:'sni=localhost' \
	    cat rec/session.1/transcript
	printf 'hi\r\n' > expected
	atf_check cmp expected rec/session.1/msg.1.data
	# Not advertised when disabled, and then refused.
	stop_server
	rm -rf port rec
	start_server -c certs/good.pem -k certs/good.key -X starttls
	printf '<1\n>EHLO c\n<1\n>STARTTLS\n<1\n' | chat > out
	atf_check -o not-match:STARTTLS -o match:'^502 5.5.1' cat out
}
starttls_cleanup()
{
	stop_server
}

atf_test_case implicit_tls cleanup
implicit_tls_head()
{
	atf_set "descr" "Implicit TLS: TLS from the first byte"
}
implicit_tls_body()
{
	certs
	start_server -i -c certs/good.pem -k certs/good.key
	printf 'EHLO c\nQUIT\n' | tls_chat implicit > out
	atf_check -o match:'^220 ' -o match:'^221 ' -o not-match:STARTTLS \
	    cat out
	wait_sessions 1
	atf_check -o match:'^TLS C: EHLO c$' cat rec/session.1/transcript
	# A plain client gets no greeting, and its session ends.
	printf '>EHLO c\nEOF\n' | chat > out
	atf_check -o not-match:220 cat out
	wait_sessions 2
	atf_check -o match:'TLS handshake failed' cat rec/session.2/transcript
}
implicit_tls_cleanup()
{
	stop_server
}

atf_test_case auth cleanup
auth_head()
{
	atf_set "descr" "AUTH PLAIN and LOGIN, good and bad credentials"
}
auth_body()
{
	certs
	start_server -c certs/good.pem -k certs/good.key -u joe -w s3cret -R
	good=$(printf '\000joe\000s3cret' | base64)
	bad=$(printf '\000joe\000wrong' | base64)
	printf 'EHLO c\nMAIL FROM:<a@x>\nAUTH PLAIN %s\n%s\nQUIT\n' \
	    "$good" 'MAIL FROM:<a@x>' | tls_chat > out
	atf_check -o match:'^530 5.7.0 Authentication required' \
	    -o match:'^235 2.7.0' -o match:'^250 2.1.0' cat out
	printf 'EHLO c\nAUTH LOGIN\n%s\n%s\nQUIT\n' "$(printf joe | base64)" \
	    "$(printf s3cret | base64)" | tls_chat > out
	atf_check -o match:'^334 VXNlcm5hbWU6' -o match:'^334 UGFzc3dvcmQ6' \
	    -o match:'^235 2.7.0' cat out
	printf 'EHLO c\nAUTH PLAIN\n%s\nQUIT\n' "$bad" | tls_chat > out
	atf_check -o match:'^334 ' -o match:'^535 5.7.8' cat out
	printf 'EHLO c\nAUTH LOGIN %s\n%s\nQUIT\n' "$(printf joe | base64)" \
	    "$(printf nope | base64)" | tls_chat > out
	atf_check -o match:'^535 5.7.8' cat out
	wait_sessions 4
	atf_check -o inline:'joe\n' cat rec/session.1/auth
	atf_check -o inline:'joe\n' cat rec/session.2/auth
	atf_check test ! -e rec/session.3/auth
	atf_check test ! -e rec/session.4/auth
	# Payloads are recorded as received, marked as sent under TLS.
	atf_check -o match:"^TLS C: AUTH PLAIN $good\$" \
	    cat rec/session.1/transcript
}
auth_cleanup()
{
	stop_server
}

atf_test_case auth_mechs cleanup
auth_mechs_head()
{
	atf_set "descr" "-m: the AUTH mechanisms advertised and accepted; -PLUS only in TLS 1.3"
}
auth_mechs_body()
{
	certs
	start_server -c certs/good.pem -k certs/good.key -u joe -w s3cret \
	    -m 'SCRAM-SHA-256-PLUS SCRAM-SHA-256 CRAM-MD5'
	printf '<1\n>EHLO c\n<1\n>QUIT\n<1\n' > dialogue
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^250-AUTH SCRAM-SHA-256 CRAM-MD5$' cat out
	printf 'EHLO c\nAUTH PLAIN %s\nAUTH SCRAM-SHA-256 %s\n*\nQUIT\n' \
	    "$(printf '\000joe\000s3cret' | base64)" \
	    "$(printf 'n,,n=joe,r=abc' | base64)" | tls_chat | tr -d '\r' > out
	atf_check -o match:'^250-AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 CRAM-MD5$' \
	    -o match:'^504 5.5.4' -o match:'^334 ' -o match:'^501 5.7.0' cat out
	# The server-first message extends the client nonce.
	sed -n 's/^334 //p' out | tr -d '\r' | base64 -d > first
	atf_check -o match:'^r=abc[^,]+,s=[A-Za-z0-9+/=]+,i=4096$' cat first
	wait_sessions 2
	atf_check -o match:"SCRAM gs2 header 'n,,'" cat rec/session.2/transcript
}
auth_mechs_cleanup()
{
	stop_server
}

atf_test_case require_tls cleanup
require_tls_head()
{
	atf_set "descr" "Require TLS before AUTH and MAIL"
}
require_tls_body()
{
	certs
	start_server -c certs/good.pem -k certs/good.key -u joe -w pw -T
	cat > dialogue <<'EOF'
<1
>EHLO c
<1
>AUTH PLAIN AGpvZQBwdw==
<1
>MAIL FROM:<a@x>
<1
>QUIT
<1
EOF
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER$' cat out
	atf_check -o match:'^530 5.7.0 Must issue a STARTTLS command first$' \
	    -o not-match:'^235' cat out
	wait_sessions 1
	atf_check -o match:'^C: AUTH PLAIN AGpvZQBwdw==$' \
	    cat rec/session.1/transcript
}
require_tls_cleanup()
{
	stop_server
}

atf_test_case fault_replies cleanup
fault_replies_head()
{
	atf_set "descr" "Scripted replies at MAIL, RCPT and DOT; nth; session"
}
fault_replies_body()
{
	cat > script <<'EOF'
# comment
on MAIL arg bad@ reply 451 4.3.0 try later
on RCPT arg nouser@ reply 550 5.1.1 no such user
on DOT nth 2 reply 554 5.7.1 rejected
on EHLO session 2 reply 250 only this
EOF
	start_server -s script
	cat > dialogue <<'EOF'
<1
>EHLO c
<1
>MAIL FROM:<bad@x>
<1
>MAIL FROM:<a@x>\r\nRCPT TO:<nouser@x>\r\nRCPT TO:<ok@x>\r\nDATA
<4
>one\r\n.
<1
>MAIL FROM:<a@x>\r\nRCPT TO:<ok@x>\r\nDATA
<3
>two\r\n.
<1
>QUIT
<1
EOF
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^451 4.3.0 try later$' \
	    -o match:'^550 5.1.1 no such user$' \
	    -o match:'^250 2.0.0 Ok: queued as S1.M1$' \
	    -o match:'^554 5.7.1 rejected$' cat out
	printf '<1\n>EHLO c\n<1\n>QUIT\n<1\n' | chat > out
	atf_check -o match:'^250 only this$' cat out
	wait_sessions 2
	cat > expected <<'EOF'
mail 250 FROM:<a@x>
rcpt 550 TO:<nouser@x>
rcpt 250 TO:<ok@x>
data 354
dot 250
EOF
	atf_check -o file:expected cat rec/session.1/msg.1.env
	atf_check -o match:'^dot 554$' cat rec/session.1/msg.2.env
	printf 'two\r\n' > expected
	atf_check cmp expected rec/session.1/msg.2.data
}
fault_replies_cleanup()
{
	stop_server
}

atf_test_case fault_every cleanup
fault_every_head()
{
	atf_set "descr" "every K: a third of transactions get 451"
}
fault_every_body()
{
	echo 'on MAIL every 3 reply 451 4.3.0 every third' > script
	start_server -s script
	{
		printf '<1\n>EHLO c\n<1\n'
		for i in 1 2 3 4 5 6; do
			printf '>MAIL FROM:<a@x>\n<1\n>RSET\n<1\n'
		done
		printf '>QUIT\n<1\n'
	} > dialogue
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o inline:'2\n' grep -c '^451 4.3.0 every third' out
	atf_check -o inline:'4\n' grep -c '^250 2.1.0' out
}
fault_every_cleanup()
{
	stop_server
}

atf_test_case fault_disconnect cleanup
fault_disconnect_head()
{
	atf_set "descr" "421 and close, close without reply, drop after data"
}
fault_disconnect_body()
{
	cat > script <<'EOF'
on MAIL session 1 close reply 421 4.3.2 shutting down
on RCPT session 2 disconnect
on DOT session 3 disconnect
EOF
	start_server -s script
	printf '<1\n>EHLO c\n<1\n>MAIL FROM:<a@x>\nEOF\n' | chat > out
	atf_check -o match:'^421 4.3.2 shutting down$' cat out
	printf '<1\n>EHLO c\n<1\n>MAIL FROM:<a@x>\n<1\n>RCPT TO:<b@x>\nEOF\n' |
	    chat > out
	atf_check -o match:'^250 2.1.0' -o not-match:'^250 2.1.5' cat out
	cat > dialogue <<'EOF'
<1
>EHLO c
<1
>MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA
<3
>body\r\n.
EOF
	echo EOF >> dialogue
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o not-match:'^250 2.0.0' cat out
	wait_sessions 3
	atf_check -o match:'^\*: close after reply$' \
	    cat rec/session.1/transcript
	atf_check -o match:'^rcpt - TO:<b@x>$' cat rec/session.2/msg.1.env
	atf_check -o match:'^dot -$' cat rec/session.3/msg.1.env
	printf 'body\r\n' > expected
	atf_check cmp expected rec/session.3/msg.1.data
}
fault_disconnect_cleanup()
{
	stop_server
}

atf_test_case fault_injection cleanup
fault_injection_head()
{
	atf_set "descr" "Bytes injected after the STARTTLS 220 arrive in clear"
}
fault_injection_body()
{
	certs
	echo 'on STARTTLS append 250 AUTH PLAIN\r\n' > script
	start_server -s script -c certs/good.pem -k certs/good.key
	printf '<1\n>EHLO c\n<1\n>STARTTLS\n<2\n' | chat > out
	atf_check -o match:'^220 2.0.0 Ready to start TLS$' \
	    -o match:'^250 AUTH PLAIN$' cat out
}
fault_injection_cleanup()
{
	stop_server
}

atf_test_case fault_starttls_refused cleanup
fault_starttls_refused_head()
{
	atf_set "descr" "STARTTLS refused with 454; greeting 554"
}
fault_starttls_refused_body()
{
	certs
	cat > script <<'EOF'
on STARTTLS reply 454 4.7.0 TLS not available
on CONNECT session 2 reply 554 5.3.2 go away
EOF
	start_server -s script -c certs/good.pem -k certs/good.key
	printf '<1\n>EHLO c\n<1\n>STARTTLS\n<1\n>NOOP\n<1\n' | chat > out
	atf_check -o match:'^250-STARTTLS$' \
	    -o match:'^454 4.7.0 TLS not available$' \
	    -o match:'^250 2.0.0 Ok$' cat out
	printf '<1\n>EHLO c\n<1\n>QUIT\n<1\n' | chat > out
	atf_check -o match:'^554 5.3.2 go away$' -o match:'^503 5.5.1' \
	    -o match:'^221 ' cat out
}
fault_starttls_refused_cleanup()
{
	stop_server
}

atf_test_case fault_timing cleanup
fault_timing_head()
{
	atf_set "descr" "stall delays a reply; slow sends it a byte at a time"
}
fault_timing_body()
{
	cat > script <<'EOF'
on MAIL stall 1 pass
on RCPT slow 40 pass
EOF
	start_server -s script
	printf '<1\n>EHLO c\n<1\n' > d1
	printf '>MAIL FROM:<a@x>\n<1\n' > d2
	t0=$(now_ms)
	cat d1 d2 | chat > out
	t1=$(now_ms)
	atf_check -o match:'^250 2.1.0 Ok$' cat out
	[ $((t1 - t0)) -ge 1000 ] || atf_fail "stall: only $((t1 - t0)) ms"
	printf '>MAIL FROM:<a@x>\n<1\n>RCPT TO:<b@x>\n<1\n' > d2
	t0=$(now_ms)
	cat d1 d2 | chat > out
	t1=$(now_ms)
	atf_check -o match:'^250 2.1.5 Ok$' cat out
	# "250 2.1.5 Ok\r\n" is 14 bytes: at least 13 gaps of 40 ms, on
	# top of the 1 s stall at MAIL.
	[ $((t1 - t0)) -ge 1500 ] || atf_fail "slow: only $((t1 - t0)) ms"
	wait_sessions 2
	atf_check -o match:'^\*: sending 14 bytes one per write, 40 ms apart$' \
	    cat rec/session.2/transcript
}
fault_timing_cleanup()
{
	stop_server
}

atf_test_case fault_malformed cleanup
fault_malformed_head()
{
	atf_set "descr" "Oversized, flooded and malformed replies"
}
fault_malformed_body()
{
	cat > script <<'EOF'
on MAIL pad 100000 reply 250 big
on RCPT nth 1 flood 1000 pass
on RCPT nth 2 raw 250-first\r\n251 mismatched\r\n
on RCPT nth 3 reply 2x0 bad code
EOF
	start_server -s script
	cat > dialogue <<'EOF'
<1
>EHLO c
<1
>MAIL FROM:<a@x>
<1
>RCPT TO:<a@x>
<1
>RCPT TO:<b@x>
<1
>RCPT TO:<c@x>
>QUIT
EOF
	echo EOF >> dialogue
	atf_check -o save:out bash chat.bash "$PORT" < dialogue
	atf_check -o match:'^250 bigxxxxxxxxxx' cat out
	len=$(grep '^250 big' out | wc -c)
	[ "$len" -ge 100008 ] || atf_fail "oversized line is $len bytes"
	atf_check -o inline:'1000\n' grep -c '^250-flood line' out
	atf_check -o match:'^250-first$' -o match:'^251 mismatched$' \
	    -o match:'^2x0 bad code$' cat out
	wait_sessions 1
	atf_check -o match:'\.\.\.\[100007 bytes\]$' \
	    cat rec/session.1/transcript
}
fault_malformed_cleanup()
{
	stop_server
}

atf_test_case lifecycle cleanup
lifecycle_head()
{
	atf_set "descr" "-n, idle exit, SIGTERM, bad script"
}
lifecycle_body()
{
	# -n 1: exits after one session (not by the idle timer, which
	# would say so on stderr).
	start_server -n 1
	printf '<1\n>QUIT\n<1\n' | chat > out
	wait "$(cat server.pid)" || atf_fail "-n 1: exit status $?"
	atf_check -o empty cat server.err
	rm -f port server.pid
	atf_check -e match:'idle for 1 s' "$SMARTHOST" -P port -a 1
	rm -f port
	# SIGTERM: prompt, clean exit, even in the middle of a session.
	start_server
	printf '<1\n>EHLO c\n<1\n' | chat > out
	t0=$(now_ms)
	kill -TERM "$(cat server.pid)"
	wait "$(cat server.pid)" || atf_fail "SIGTERM: exit status $?"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 2000 ] || atf_fail "SIGTERM took $((t1 - t0)) ms"
	rm -f server.pid
	echo 'on MAIL frobnicate' > bad
	atf_check -s exit:64 -e match:'bad:1:' "$SMARTHOST" -P port2 -s bad
}
lifecycle_cleanup()
{
	stop_server
}

atf_test_case gen_certs
gen_certs_head()
{
	atf_set "descr" "gen-certs.sh makes the test PKI, idempotently"
}
gen_certs_body()
{
	certs
	v="openssl verify -CAfile certs/ca.pem -verify_hostname localhost"
	atf_check -o match:OK $v certs/good.pem
	atf_check -s not-exit:0 -o ignore -e match:'hostname mismatch' \
	    $v certs/wrongname.pem
	atf_check -s not-exit:0 -o ignore -e match:'self-signed' \
	    $v certs/selfsigned.pem
	atf_check -s not-exit:0 -o ignore -e match:'expired' \
	    $v certs/expired.pem
	atf_check -o match:'IP Address:127.0.0.1' \
	    openssl x509 -in certs/good.pem -noout -ext subjectAltName
	c="openssl verify -CAfile certs/ca.pem -purpose sslclient"
	atf_check -o match:OK $c certs/client.pem
	atf_check -s not-exit:0 -o ignore -e ignore $c certs/otherclient.pem
	atf_check -o match:OK openssl verify -CAfile certs/otherca.pem \
	    -purpose sslclient certs/otherclient.pem
	cp certs/good.pem before
	certs
	atf_check cmp before certs/good.pem
}

atf_init_test_cases()
{
	atf_add_test_case plain_session
	atf_add_test_case data_without_rcpt
	atf_add_test_case flights
	atf_add_test_case starttls
	atf_add_test_case implicit_tls
	atf_add_test_case auth
	atf_add_test_case auth_mechs
	atf_add_test_case require_tls
	atf_add_test_case fault_replies
	atf_add_test_case fault_every
	atf_add_test_case fault_disconnect
	atf_add_test_case fault_injection
	atf_add_test_case fault_starttls_refused
	atf_add_test_case fault_timing
	atf_add_test_case fault_malformed
	atf_add_test_case lifecycle
	atf_add_test_case gen_certs
}
