# fallback_test: [smarthost] host as a list.  The next server is tried
# when one cannot be reached, fails TLS or answers 4xx at the greeting;
# a permanent refusal never moves mail on.  And source_address.

. "$(atf_get_srcdir)/testlib.sh"

msg()
{
	printf 'To: bob@example.net\nSubject: fallback\n\nhello\n'
}

# start_in DIR [options]: a smarthost recording under DIR (its port in
# DIR/port), as mf_smarthost_start does in the work directory.
start_in()
{
	mkdir -p "$1"
	d=$1
	shift
	(cd "$d" && mf_smarthost_start "$@") ||
	    atf_fail "cannot start the smarthost in $d"
}

stop_all()
{
	for d in s1 s2; do
		[ -s $d/smarthost.pid ] && kill "$(cat $d/smarthost.pid)" \
		    2>/dev/null
	done
	return 0
}

# hosts LIST: the configuration with host = LIST (entries host:port).
hosts()
{
	mf_conf "$@"
	sed -i -e "s|^host = .*|host = $HOSTS|" -e '/^port = /d' mailferry.conf
}

# via_two CERT [options]: s1 (certificate CERT, the options) and s2
# (good) in the host list, in that order; send the message.
via_two()
{
	MF_CERT=$1
	shift
	start_in s1 "$@"
	MF_CERT=good
	start_in s2
	HOSTS="localhost:$(cat s1/port), localhost:$(cat s2/port)"
	hosts
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
}

# wait_in DIR N: DIR's smarthost finished N sessions.
wait_in()
{
	(cd "$1" && mf_wait_sessions "$2")
}

# The second server delivered the message, once; the queue is empty.
assert_second_delivered()
{
	atf_check -s exit:0 -o empty cat stdout
	wait_in s2 1
	atf_check -o inline:"1\n" cat s2/rec/sessions
	atf_check -o match:'^dot 250' cat s2/rec/session.1/msg.1.env
	[ ! -e s2/rec/session.1/msg.2.env ] || atf_fail "sent twice"
	[ -z "$(mf_queue_ids)" ] || atf_fail "still queued: $(cat stderr)"
}

# The second server never saw a connection.
assert_second_untouched()
{
	sleep 0.3
	[ ! -e s2/rec/sessions ] && [ ! -e s2/rec/session.1 ] ||
	    atf_fail "the second smarthost was tried"
}

atf_test_case first_down cleanup
first_down_head() { atf_set descr "first host refuses connections: the second delivers, once"; }
first_down_body()
{
	start_in s2
	# Port 1 on localhost: nothing listens there.
	HOSTS="localhost:1, localhost:$(cat s2/port)"
	hosts
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	assert_second_delivered
}
first_down_cleanup() { stop_all; }

atf_test_case bad_cert cleanup
bad_cert_head() { atf_set descr "first host's certificate does not verify: the second delivers"; }
bad_cert_body()
{
	via_two selfsigned
	assert_second_delivered
	wait_in s1 1
	atf_check -s exit:1 grep -E -q 'C: (AUTH|MAIL)' s1/rec/session.1/transcript
}
bad_cert_cleanup() { stop_all; }

atf_test_case wrong_name cleanup
wrong_name_head() { atf_set descr "every host is verified against its own name"; }
wrong_name_body()
{
	# A CA-signed certificate for wrong.example on the first host.
	via_two wrongname
	assert_second_delivered
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -c >out 2>err ||
	    atf_fail "check failed: $(cat err)"
	atf_check -o match:'^failed: .*certificate verify failed' \
	    -o match:"^relay: localhost\\[127\\.0\\.0\\.1\\]:$(cat s2/port)\$" \
	    cat out
}
wrong_name_cleanup() { stop_all; }

atf_test_case greeting_421 cleanup
greeting_421_head() { atf_set descr "first host answers 421 at the greeting: the second delivers"; }
greeting_421_body()
{
	via_two good -g '421 4.3.2 busy'
	assert_second_delivered
}
greeting_421_cleanup() { stop_all; }

atf_test_case greeting_554 cleanup
greeting_554_head() { atf_set descr "first host answers 554 at the greeting: queued, the second is not tried"; }
greeting_554_body()
{
	via_two good -g '554 5.3.2 no service'
	atf_check -s exit:0 -o empty cat stdout
	grep -q '^mailferry: queued: .*554' stderr ||
	    atf_fail "not queued with the 554: $(cat stderr)"
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
	assert_second_untouched
}
greeting_554_cleanup() { stop_all; }

atf_test_case rcpt_550 cleanup
rcpt_550_head() { atf_set descr "a 550 at RCPT on the first host is the answer: the second is not tried"; }
rcpt_550_body()
{
	printf 'on RCPT reply 550 5.1.1 no such user\n' >script
	via_two good -s "$PWD/script"
	grep -q '550 5.1.1 no such user' stderr ||
	    atf_fail "no refusal reported: $(cat stderr)"
	assert_second_untouched
}
rcpt_550_cleanup() { stop_all; }

atf_test_case auth_535 cleanup
auth_535_head() { atf_set descr "a 535 AUTH failure on the first host does not move mail on"; }
auth_535_body()
{
	printf 'on AUTH reply 535 5.7.8 bad credentials\n' >script
	via_two good -s "$PWD/script"
	grep -q '^mailferry: queued: .*535' stderr ||
	    atf_fail "not queued with the 535: $(cat stderr)"
	assert_second_untouched
}
auth_535_cleanup() { stop_all; }

atf_test_case check cleanup
check_head() { atf_set descr "--check names the host that failed, why, and the one that answered"; }
check_body()
{
	start_in s2
	HOSTS="localhost:1, localhost:$(cat s2/port)"
	hosts
	atf_check -s exit:0 -o save:out \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	atf_check -o match:'^failed: connect to localhost\[.*\]:1: ' \
	    -o match:"^relay: localhost\\[127\\.0\\.0\\.1\\]:$(cat s2/port)\$" \
	    -o match:'^client certificate: none$' \
	    -o match:'^auth: PLAIN accepted$' cat out
	# Every host down: the check fails and says how many were tried.
	HOSTS="localhost:1, localhost:2"
	hosts
	atf_check -s exit:69 -o match:'^failed: .*:1: ' \
	    -o match:'^failed: .*:2: ' -e match:'2 smarthosts tried' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}
check_cleanup() { stop_all; }

atf_test_case all_down
all_down_head() { atf_set descr "every host down: queued, the cause and the log record name them all"; }
all_down_body()
{
	HOSTS="localhost:1, localhost:2"
	MF_LOG_TARGET=
	hosts '[log]' 'target = file' "file = $PWD/send.log"
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	grep -q '^mailferry: queued: .*(2 smarthosts tried)' stderr ||
	    atf_fail "no clear cause: $(cat stderr)"
	grep -q 'relay=localhost:1,localhost:2 tls=none .*status=deferred' \
	    send.log || atf_fail "no record naming both: $(cat send.log)"
	grep -q 'smarthost localhost:1 unusable: .*; trying localhost:2' \
	    send.log || atf_fail "the fallback was not logged"
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
}

atf_test_case source_address cleanup
source_address_head() { atf_set descr "source_address: the server sees it; a foreign one fails clearly"; }
source_address_body()
{
	mf_smarthost_start
	mf_conf '[smarthost]' 'source_address = 127.0.0.2'
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	atf_check -s exit:0 -o empty -e empty cat stdout stderr
	mf_wait_sessions 1
	atf_check -o inline:"127.0.0.2\n" cat rec/session.1/peer
	# An address this host does not have: queued, the cause names it.
	mf_conf '[smarthost]' 'source_address = 192.0.2.1'
	msg | mf_sendmail -t -i -f alice@example.org >stdout 2>stderr
	grep -q '^mailferry: queued: .*cannot bind to source_address' stderr ||
	    atf_fail "no clear cause: $(cat stderr)"
	# IPv6 source, IPv4 server: the address is skipped, said so.
	mf_conf '[smarthost]' 'source_address = ::1'
	sed -i 's|^host = .*|host = 127.0.0.1|' mailferry.conf
	atf_check -s exit:69 -o ignore -e match:'address family of source_address' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	# Not an IP address: a configuration error.
	mf_conf '[smarthost]' 'source_address = mail.example.org'
	atf_check -s exit:78 -o ignore -e match:'source_address' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
}
source_address_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case first_down
	atf_add_test_case bad_cert
	atf_add_test_case wrong_name
	atf_add_test_case greeting_421
	atf_add_test_case greeting_554
	atf_add_test_case rcpt_550
	atf_add_test_case auth_535
	atf_add_test_case check
	atf_add_test_case all_down
	atf_add_test_case source_address
}
