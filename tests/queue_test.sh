# queue_test: the retry queue end to end, with the real programs and the
# test smarthost: retries and backoff per recipient, bounces (RFC 3464)
# and expiry, queue runs (once, periodic, after a submission, one entry),
# many messages over one session, concurrency, crashes and a full disk.

. "$(atf_get_srcdir)/testlib.sh"

MF_QUEUE="$MF_BUILDDIR/src/mailferry-queue"

# A message tagged with a unique X-Tag header (and Subject).
mkmsg()
{
	printf 'Subject: %s\nX-Tag: %s\n\nbody of %s\n' "$1" "$1" "$1"
}

# q_set KEY VALUE: set a [queue] key of mailferry.conf.
q_set()
{
	if grep -q "^$1 = " mailferry.conf; then
		sed -i "s|^$1 = .*|$1 = $2|" mailferry.conf
	else
		sed -i "/^max_retry = /a $1 = $2" mailferry.conf
	fi
}

# Entries in the queue.
q_count()
{
	ls spool/msg 2>/dev/null | wc -l
}

# One queue run through the front end, as cron does it.
runq()
{
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
}

# One queue run with the log on stderr, appended to send.log.
runq_log()
{
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -q 2>>send.log
}

# Submit a tagged message: submit TAG [sendmail options and recipients].
submit()
{
	tag=$1
	shift
	mkmsg "$tag" | "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$@"
}

# Wait until no program of ours runs with this test's configuration
# (background deliveries are detached: they cannot be waited for).
wait_idle()
{
	i=0
	while pgrep -f -- "-C $PWD/mailferry.conf" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && atf_fail "background deliveries still running"
		sleep 0.1
	done
}

# The X-Tag values the smarthost received, one per delivery, sorted.
delivered_tags()
{
	cat rec/session.*/msg.*.data 2>/dev/null | tr -d '\r' |
	    sed -n 's/^X-Tag: //p' | sort
}

# assert_once N: N tags delivered, each exactly once.
assert_once()
{
	delivered_tags >tags
	n=$(wc -l <tags)
	u=$(sort -u tags | wc -l)
	[ "$n" -eq "$1" ] || atf_fail "$n deliveries, wanted $1"
	[ "$u" -eq "$1" ] || atf_fail "duplicates: $(uniq -d tags | head)"
}

# ok CMD...: run a command or shell function, fail if it fails
# (atf_check cannot run shell functions).
ok()
{
	"$@" >ok.out 2>ok.err || atf_fail "$*: exit $?: $(cat ok.err)"
}

# quiet CMD...: like ok, and nothing may be printed.
quiet()
{
	ok "$@"
	[ ! -s ok.out ] && [ ! -s ok.err ] ||
	    atf_fail "$*: output: $(cat ok.out ok.err)"
}

# Fractional seconds, for the measurements.
now()
{
	date +%s.%N
}

atf_test_case down_then_up cleanup
down_then_up_head()
{
	atf_set descr "smarthost down: 10 submissions queued, then ONE -q delivers all over ONE session"
	atf_set timeout 60
}
down_then_up_body()
{
	mf_certs
	MF_PORT=1 MF_DELIVERY=background mf_conf
	for i in 1 2 3 4 5 6 7 8 9 10; do
		atf_check -s exit:0 -o empty -e empty \
		    -x "printf 'Subject: m$i\nX-Tag: m$i\n\nhi\n' | \"$MF_SENDMAIL\" -C \"$PWD/mailferry.conf\" -f alice@example.net bob@example.net"
	done
	wait_idle
	[ "$(q_count)" -eq 10 ] || atf_fail "$(q_count) entries queued, wanted 10"
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp >mailq.out
	[ "$(grep -c '^  next: ' mailq.out)" -eq 10 ] || atf_fail "mailq: $(cat mailq.out)"
	grep -q 'last: connect to .*refused' mailq.out || atf_fail "no last error: $(cat mailq.out)"
	grep -q -- '-- .* in 10 requests' mailq.out || atf_fail "mailq summary: $(cat mailq.out)"

	mf_smarthost_start
	MF_DELIVERY=background mf_conf
	sleep 2.1	# retry = 1s, max_retry = 2s: every entry is due
	quiet runq
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue: $(mf_queue_ids)"
	mf_wait_sessions 1
	sleep 0.3
	atf_check -o inline:"1\n" cat rec/sessions
	assert_once 10
	echo "down_then_up: 10 messages, 1 session, $(cat rec/session.1/flights) flights" >&2
}
down_then_up_cleanup() { mf_smarthost_stop; }

atf_test_case explicit_q_all cleanup
explicit_q_all_head()
{
	atf_set descr "backed-off entries: the periodic forms (--run-due, -q1s, the run after a submission) leave them, an explicit -q delivers all"
	atf_set timeout 90
}
explicit_q_all_body()
{
	mf_certs
	MF_PORT=1 MF_DELIVERY=background mf_conf
	q_set retry 1h
	q_set max_retry 1h
	for i in 1 2 3 4 5; do
		quiet submit old$i -f alice@example.net bob@example.net
	done
	wait_idle
	[ "$(q_count)" -eq 5 ] || atf_fail "$(q_count) entries queued, wanted 5"
	# Each had its attempt, even those left to a run that was failing.
	"$MF_SEND" -C "$PWD/mailferry.conf" -p >mailq.out
	n=$(grep -c '^  next: .*  attempts: 1  ' mailq.out)
	[ "$n" -eq 5 ] || { cat mailq.out >&2; atf_fail "$n of 5 entries tried"; }

	mf_smarthost_start
	MF_DELIVERY=background mf_conf
	q_set retry 1h
	q_set max_retry 1h
	# The timer's and cron's form: nothing is due, nothing is sent.
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --run-due
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -q
	# A long-running runner: its runs honour backoff too.
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q1s >runner.out 2>&1 &
	echo $! >runner.pid
	sleep 1.5
	kill -TERM "$(cat runner.pid)"
	wait "$(cat runner.pid)"
	rm -f runner.pid
	# The run after a submission takes the new entry only.
	quiet submit new -f alice@example.net bob@example.net
	mf_wait_sessions 1
	wait_idle
	atf_check -o inline:"1\n" cat rec/sessions
	assert_once 1
	atf_check -o match:'^X-Tag: new' cat rec/session.1/msg.1.data
	[ "$(q_count)" -eq 5 ] || atf_fail "$(q_count) entries left, wanted 5"

	# The admin's explicit -q: every entry now, over one session.
	quiet runq
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue: $(mf_queue_ids)"
	mf_wait_sessions 2
	atf_check -o inline:"2\n" cat rec/sessions
	assert_once 6
}
explicit_q_all_cleanup()
{
	[ -s runner.pid ] && kill -KILL "$(cat runner.pid)" 2>/dev/null
	mf_smarthost_stop
}

atf_test_case down_arrivals cleanup
down_arrivals_head()
{
	atf_set descr "smarthost unreachable: a submission left to the run that is failing to connect gets its attempt too (deferred, attempts 1), never waits untried"
	atf_set timeout 60
}
down_arrivals_body()
{
	mf_certs
	# The greeting comes after 2 s, and is a 421: no session.
	echo "on CONNECT stall 2 reply 421 4.3.2 busy" >script
	mf_smarthost_start -s script
	MF_DELIVERY=background mf_conf
	q_set retry 1h
	q_set max_retry 1h
	quiet submit first -f alice@example.net bob@example.net
	# Its run holds the queue (connected, awaiting the greeting)...
	i=0
	until [ -e rec/session.1/transcript ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && atf_fail "the first run never connected"
		sleep 0.1
	done
	# ... so the second submission's run leaves its entry to it.
	quiet submit second -f alice@example.net bob@example.net
	wait_idle
	[ "$(q_count)" -eq 2 ] || atf_fail "$(q_count) entries, wanted 2"
	"$MF_SEND" -C "$PWD/mailferry.conf" -p >mailq.out
	n=$(grep -c '^  next: .*  attempts: 1  last: .*: 421 4.3.2 busy' mailq.out)
	[ "$n" -eq 2 ] || { cat mailq.out >&2; atf_fail "$n of 2 entries deferred"; }
	atf_check -o inline:"1\n" cat rec/sessions
}
down_arrivals_cleanup() { mf_smarthost_stop; }

atf_test_case partial_4xx cleanup
partial_4xx_head()
{
	atf_set descr "a 4xx for one of three recipients: only that one is retried; log and mailq say why and when"
	atf_set timeout 60
}
partial_4xx_body()
{
	echo 'on RCPT session 1 arg carol@ reply 450 4.2.0 mailbox busy' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	atf_check -s exit:0 -o empty -e empty -x "printf 'Subject: three\n\nhi\n' | \"$MF_SENDMAIL\" -C \"$PWD/mailferry.conf\" -f alice@example.net ann@example.net bob@example.net carol@example.net"
	ok runq_log
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<alice@example.net>\nrcpt 250 TO:<ann@example.net>\nrcpt 250 TO:<bob@example.net>\nrcpt 450 TO:<carol@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	# The log: one line per outcome, the deferred one with the next attempt.
	grep -E 'id=[0-9A-V]{16} from=<alice@example.net> to=<ann@example.net>,<bob@example.net> relay=localhost\[127.0.0.1\]:[0-9]+ tls=TLSv1.[23] delay=[0-9.]+ status=sent \(250 ' send.log ||
	    atf_fail "no sent line: $(cat send.log)"
	grep -E 'to=<carol@example.net> relay=.* status=deferred next=[0-9-]+T[0-9:]+[-+][0-9]{4} attempts=1 \(450 4.2.0 mailbox busy\)' send.log ||
	    atf_fail "no deferred line: $(cat send.log)"
	# mailq: the next attempt and the last error.
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp >mailq.out
	grep -E '^  next: (now|[0-9-]+ [0-9:]+)  attempts: 1  last: 450 4.2.0 mailbox busy' mailq.out ||
	    atf_fail "mailq: $(cat mailq.out)"
	grep -q '^  to: <ann@example.net> sent' mailq.out || atf_fail "mailq: $(cat mailq.out)"
	grep -q '^  to: <carol@example.net> pending  (450 4.2.0 mailbox busy)' mailq.out ||
	    atf_fail "mailq: $(cat mailq.out)"
	sleep 1.1
	ok runq_log
	mf_wait_sessions 2
	atf_check -o inline:"mail 250 FROM:<alice@example.net>\nrcpt 250 TO:<carol@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.2/msg.1.env
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
}
partial_4xx_cleanup() { mf_smarthost_stop; }

# Check a DSN recorded as msg.$2 of session $1: to $3, about $4 with
# action $5 and status $6, the original headers ($7) attached.
check_dsn()
{
	d=rec/session.$1/msg.$2
	atf_check -o inline:"mail 250 FROM:<>\nrcpt 250 TO:<$3>\ndata 354\ndot 250\n" cat $d.env
	tr -d '\r' <$d.data >dsn.txt
	for re in \
	    '^From: Mail Delivery System <MAILER-DAEMON@example.org>$' \
	    "^To: <$3>\$" \
	    '^Auto-Submitted: auto-replied$' \
	    '^MIME-Version: 1.0$' \
	    '^Content-Type: multipart/report; report-type=delivery-status;$' \
	    '^Content-Type: message/delivery-status$' \
	    '^Content-Type: text/rfc822-headers$' \
	    '^Reporting-MTA: dns; example.org$' \
	    "^Final-Recipient: rfc822; $4\$" \
	    "^Action: $5\$" \
	    "^Status: $6\$" \
	    '^Diagnostic-Code: smtp; ' \
	    "^Subject: $7\$"; do
		grep -q -E -- "$re" dsn.txt || atf_fail "DSN lacks $re: $(cat dsn.txt)"
	done
	# Parts: text/plain, delivery-status, headers, then the end.
	b=$(sed -n 's/^[[:space:]]*boundary="\(.*\)"$/\1/p' dsn.txt)
	[ -n "$b" ] || atf_fail "no boundary"
	[ "$(grep -c -F -x -- "--$b" dsn.txt)" -eq 3 ] || atf_fail "not 3 parts"
	[ "$(grep -c -F -x -- "--$b--" dsn.txt)" -eq 1 ] || atf_fail "no closing boundary"
}

atf_test_case bounce_5xx cleanup
bounce_5xx_head()
{
	atf_set descr "5xx at end-of-data for a queued entry: RFC 3464 DSN to the sender with MAIL FROM:<>"
	atf_set timeout 60
}
bounce_5xx_body()
{
	echo 'on DOT times 1 reply 554 5.7.1 content rejected' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	ok submit 'Bounce me' -f alice@example.net bob@example.net
	ok runq_log
	mf_wait_sessions 1
	atf_check -o match:'^dot 554' cat rec/session.1/msg.1.env
	# The bounce goes in the same session, right behind.
	check_dsn 1 2 alice@example.net bob@example.net failed 5.7.1 'Bounce me'
	grep -q '^Diagnostic-Code: smtp; 554 5.7.1 content rejected' dsn.txt || atf_fail "diagnostic"
	grep -q 'status=bounced (554 5.7.1 content rejected)' send.log || atf_fail "log: $(cat send.log)"
	grep -q 'bounce queued as' send.log || atf_fail "log: $(cat send.log)"
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
}
bounce_5xx_cleanup() { mf_smarthost_stop; }

atf_test_case bounce_kept_retried cleanup
bounce_kept_retried_head()
{
	atf_set descr "a bounce that could not be queued last time (recipient 'bouncing') is queued by the next ordinary run, even when the entry is not due"
	atf_set timeout 60
}
bounce_kept_retried_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	q_set retry 1h
	q_set max_retry 1h
	ok submit 'Kept' -f alice@example.net bob@example.net carol@example.net
	id=$(ls spool/msg)
	# As a run leaves it when the disk was full for the bounce: bob
	# refused, his bounce not queued; carol deferred for an hour.
	now=$(date +%s)
	cat >spool/state/$id <<EOF2
mailferry-state 1
id $id
attempts 1
last_attempt $((now - 60))
next_attempt $((now + 3000))
warned 0
last_error 451 4.3.0 try later
rcpt 0 bouncing 550 5.1.1 no such user
rcpt 1 pending 451 4.3.0 try later
EOF2
	quiet "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --run-due
	mf_wait_sessions 1
	check_dsn 1 1 alice@example.net bob@example.net failed 5.1.1 'Kept'
	[ ! -e rec/session.1/msg.2.env ] || atf_fail "carol's copy went early"
	grep -q '^rcpt 0 failed' spool/state/$id || atf_fail "state: $(cat spool/state/$id)"
	grep -q '^rcpt 1 pending' spool/state/$id || atf_fail "state: $(cat spool/state/$id)"
	# Nothing pending any more: the entry goes with its bounce.
	sed -i 's/^rcpt 1 pending.*/rcpt 1 bouncing 554 5.7.1 content refused/' spool/state/$id
	quiet "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --run-due
	mf_wait_sessions 2
	check_dsn 2 1 alice@example.net carol@example.net failed 5.7.1 'Kept'
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue: $(ls spool/msg)"
}
bounce_kept_retried_cleanup() { mf_smarthost_stop; }

atf_test_case bounce_local_sender cleanup
bounce_local_sender_head()
{
	atf_set descr "a bounce for a local sender (root) goes to its alias"
	atf_set timeout 60
}
bounce_local_sender_body()
{
	echo 'on RCPT arg bob@ reply 550 5.1.1 no such user' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	ok submit 'cron output' -f root bob@example.net
	ok runq_log
	mf_wait_sessions 1
	check_dsn 1 2 admin@example.org bob@example.net failed 5.1.1 'cron output'
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
}
bounce_local_sender_cleanup() { mf_smarthost_stop; }

atf_test_case bounce_of_bounce cleanup
bounce_of_bounce_head()
{
	atf_set descr "a bounce that fails is dropped and logged, never bounced"
	atf_set timeout 60
}
bounce_of_bounce_body()
{
	echo 'on DOT reply 554 5.7.1 rejected' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	ok submit 'Bounce twice' -f alice@example.net bob@example.net
	ok runq_log
	ok runq_log
	mf_wait_sessions 1
	sleep 0.3
	atf_check -o inline:"mail 250 FROM:<>\nrcpt 250 TO:<alice@example.net>\ndata 354\ndot 554\n" \
	    cat rec/session.1/msg.2.env
	[ ! -e rec/session.1/msg.3.env ] || atf_fail "a third transaction"
	[ "$(cat rec/sessions)" -eq 1 ] || atf_fail "a second session"
	grep -q 'no bounce: a notification is never bounced, dropped' send.log ||
	    atf_fail "log: $(cat send.log)"
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
}
bounce_of_bounce_cleanup() { mf_smarthost_stop; }

atf_test_case expire cleanup
expire_head()
{
	atf_set descr "max_age over: expired, DSN to the sender, never retried"
	atf_set timeout 60
}
expire_body()
{
	echo 'on MAIL arg alice@ reply 451 4.3.0 try later' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	# Ages count whole seconds: with 1s, a slow first run (ASan) that
	# crosses a second boundary after the submission already expires it.
	q_set max_age 3s
	ok submit 'Expire me' -f alice@example.net bob@example.net
	ok runq_log
	mf_wait_sessions 1
	[ "$(q_count)" -eq 1 ] || atf_fail "not queued after the 451"
	sleep 3.2
	ok runq_log
	mf_wait_sessions 2
	grep -q 'to=<bob@example.net> relay=none tls=none .*status=expired (451 4.3.0 try later)' send.log ||
	    atf_fail "log: $(cat send.log)"
	# Session 2 holds only the notification: the message is not retried.
	check_dsn 2 1 alice@example.net bob@example.net failed 5.4.7 'Expire me'
	[ ! -e rec/session.2/msg.2.env ] || atf_fail "retried after expiry"
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
}
expire_cleanup() { mf_smarthost_stop; }

atf_test_case delay_warning cleanup
delay_warning_head()
{
	atf_set descr "delay_warning: one 'delayed' DSN, the message stays queued"
	atf_set timeout 60
}
delay_warning_body()
{
	echo 'on MAIL arg alice@ reply 451 4.3.0 try later' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	# Ages count whole seconds: with 1s, a first run that crosses a
	# second boundary after the submission would already warn.
	q_set delay_warning 2s
	ok submit 'Slow one' -f alice@example.net bob@example.net
	ok runq_log
	sleep 2.1
	ok runq_log
	mf_wait_sessions 2
	check_dsn 2 1 alice@example.net bob@example.net delayed 4.3.0 'Slow one'
	[ "$(q_count)" -eq 1 ] || atf_fail "the message left the queue"
	sleep 2.1
	ok runq_log
	mf_wait_sessions 3
	[ "$(grep -c 'delay warning queued' send.log)" -eq 1 ] || atf_fail "warned twice"
}
delay_warning_cleanup() { mf_smarthost_stop; }

atf_test_case after_submission cleanup
after_submission_head()
{
	atf_set descr "a submission's background run takes the other due entries in the same session"
	atf_set timeout 60
}
after_submission_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	for t in old1 old2 old3; do
		ok submit $t -f alice@example.net bob@example.net
	done
	MF_DELIVERY=background mf_conf
	quiet submit new -f alice@example.net bob@example.net
	mf_wait_sessions 1
	wait_idle
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
	atf_check -o inline:"1\n" cat rec/sessions
	atf_check -o match:'^X-Tag: new' cat rec/session.1/msg.1.data
	assert_once 4
}
after_submission_cleanup() { mf_smarthost_stop; }

atf_test_case one_entry cleanup
one_entry_head()
{
	atf_set descr "sendmail -qI<ID> retries one entry now; mailferry --delete ID removes one"
	atf_set timeout 60
}
one_entry_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	ok submit one -f alice@example.net bob@example.net
	ok submit two -f alice@example.net bob@example.net
	id1=$(mf_queue_ids | head -1)
	id2=$(mf_queue_ids | tail -1)
	atf_check -s exit:0 -o inline:"$id1: sent\n" -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -qI"$id1"
	mf_wait_sessions 1
	atf_check -o inline:"$id2\n" ls spool/msg
	assert_once 1
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --delete "$id2"
	[ "$(q_count)" -eq 0 ] || atf_fail "not deleted"
	atf_check -s exit:66 -o empty -e match:'no such entry' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --delete "$id2"
	atf_check -s exit:66 -o inline:"$id2: not found\n" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -qI"$id2"
}
one_entry_cleanup() { mf_smarthost_stop; }

atf_test_case periodic cleanup
periodic_head()
{
	atf_set descr "sendmail -q1s runs periodically in the foreground, exits 0 on SIGTERM"
	atf_set timeout 60
}
periodic_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q1s >runner.out 2>&1 &
	echo $! >runner.pid
	ok submit p1 -f alice@example.net bob@example.net
	mf_wait_sessions 1
	ok submit p2 -f alice@example.net bob@example.net
	mf_wait_sessions 2
	kill -TERM "$(cat runner.pid)"
	i=0
	while kill -0 "$(cat runner.pid)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && atf_fail "the runner ignored SIGTERM"
		sleep 0.1
	done
	wait "$(cat runner.pid)"
	rc=$?
	rm -f runner.pid
	[ $rc -eq 0 ] || atf_fail "runner exit $rc: $(cat runner.out)"
	assert_once 2
}
periodic_cleanup()
{
	[ -s runner.pid ] && kill -KILL "$(cat runner.pid)" 2>/dev/null
	mf_smarthost_stop
}

atf_test_case flights_100 cleanup
flights_100_head()
{
	atf_set descr "100 queued messages: one session, about one round trip per message"
	atf_set timeout 120
}
flights_100_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	i=0
	while [ $i -lt 100 ]; do
		i=$((i + 1))
		submit "f$i" -f alice@example.net bob@example.net ||
		    atf_fail "submission $i failed"
	done
	[ "$(q_count)" -eq 100 ] || atf_fail "$(q_count) queued"
	t0=$(now)
	ok runq
	t1=$(now)
	mf_wait_sessions 1
	sleep 0.3
	atf_check -o inline:"1\n" cat rec/sessions
	assert_once 100
	f=$(cat rec/session.1/flights)
	echo "flights_100: $f flights for 100 messages ($(echo "$f / 100" | bc -l | cut -c1-5) per message), run took $(echo "$t1 - $t0" | bc) s" >&2
	# EHLO, STARTTLS, EHLO, AUTH, the first envelope, QUIT + 1 per message.
	[ "$f" -le 120 ] || atf_fail "$f flights for 100 messages"
	# A message's flights run from its MAIL reply to its end-of-data
	# reply: the MAIL reply rides on the previous message's, so 2.
	for k in 2 50 100; do
		[ "$(cat rec/session.1/msg.$k.flights)" -le 2 ] ||
		    atf_fail "message $k took $(cat rec/session.1/msg.$k.flights) flights"
	done
}
flights_100_cleanup() { mf_smarthost_stop; }

atf_test_case concurrency cleanup
concurrency_head()
{
	atf_set descr "200 submissions by 20 submitters, 3 parallel queue runs, 451 to a third: each delivered exactly once"
	atf_set timeout 300
}
concurrency_body()
{
	echo 'on MAIL every 3 reply 451 4.3.0 try again' >script
	mf_smarthost_start -s script
	MF_DELIVERY=background mf_conf
	t0=$(now)
	pids=
	for p in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		(
			for i in 1 2 3 4 5 6 7 8 9 10; do
				submit "c$p-$i" -f alice@example.net \
				    bob@example.net || echo "c$p-$i" >>failed
			done
		) &
		pids="$pids $!"
	done
	runners=
	for r in 1 2 3; do
		( while [ ! -e stop ]; do runq; sleep 0.2; done ) &
		runners="$runners $!"
	done
	wait $pids
	[ ! -s failed ] || atf_fail "submissions failed: $(cat failed)"
	t1=$(now)
	i=0
	while [ "$(q_count)" -gt 0 ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && atf_fail "$(q_count) still queued"
		sleep 0.1
	done
	t2=$(now)
	touch stop
	wait $runners
	wait_idle
	assert_once 200
	n=$(cat rec/sessions)
	echo "concurrency: 200 messages submitted in $(echo "$t1 - $t0" | bc) s, queue empty after $(echo "$t2 - $t0" | bc) s, $n sessions, $(cat rec/session.*/flights | paste -sd+ | bc) flights" >&2
}
concurrency_cleanup()
{
	touch stop
	mf_smarthost_stop
}

# The frame mailferry-queue reads (see spool.c) for the body in file $1.
mkframe()
{
	printf 'sender alice@example.net\nrcpt bob@example.net\nbody 7bit\nsmtputf8 0\nbounce 0\n\n'
	printf '%d\n' "$(wc -c <"$1")"
	cat "$1"
	printf '0\n'
}

atf_test_case forged_frame
forged_frame_head()
{
	atf_set descr "mailferry-queue run by hand refuses a message the front end could not have made: exit 65, the rule named, nothing queued"
}
forged_frame_body()
{
	MF_DELIVERY=queue mf_conf
	# A message (printf format), then the cause mailferry-queue gives.
	while IFS='|' read -r body want; do
		printf "$body" >body
		mkframe body >frame
		atf_check -s exit:65 -o empty -e match:"^mailferry-queue: $want" \
		    "$MF_QUEUE" -C "$PWD/mailferry.conf" <frame
		[ -z "$(ls -A spool/msg)$(ls -A spool/tmp)" ] ||
		    atf_fail "queued: $body"
	done <<'END'
Subject: x\n\nbare LF\n|line 1: bare LF
Subject: x\r\n\r\nbare\rCR\r\n|line 3: bare CR
Bcc: hidden@example.net\r\n\r\nhi\r\n|line 1: Bcc header present
Subject: x\r\nresent-bcc: a@b\r\n\r\n|line 2: Resent-Bcc header present
Subject: x\r\n\r\nN\000UL\r\n|line 3: NUL byte
Subject: x\r\n\r\n\303\251\r\n|line 3: 8-bit byte in a 7bit message
Subject: x\r\n\r\nno final CRLF|line 3: no CRLF at the end
END
	awk 'BEGIN { printf "Subject: x\r\n\r\n"; for (i = 0; i < 999; i++) printf "a"; printf "\r\n" }' >body
	mkframe body >frame
	atf_check -s exit:65 -o empty -e match:"line 3: longer than 998 octets" \
	    "$MF_QUEUE" -C "$PWD/mailferry.conf" <frame
	# Canonical bytes are queued (a Bcc line in the body is text).
	printf 'Subject: x\r\n\r\nBcc: in the body\r\n' >body
	mkframe body >frame
	atf_check -s exit:0 -o match:'^[0-9A-Z]{16}$' -e empty \
	    "$MF_QUEUE" -C "$PWD/mailferry.conf" <frame
	[ "$(q_count)" -eq 1 ] || atf_fail "the canonical message was not queued"
}

atf_test_case crash_writer cleanup
crash_writer_head()
{
	atf_set descr "kill -9 of mailferry-queue at any point: no entry or a complete one, never an id for nothing"
	atf_set timeout 120
}
crash_writer_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	# One chunk (at most 1 MiB, see spool.c), CRLF as on the wire.
	{ printf 'Subject: crash\r\nX-Tag: crash\r\n\r\n'
	  yes 'a line of the message body to make it big enough' |
	      head -n 18000 | sed 's/$/\r/'
	  printf 'END-OF-MESSAGE\r\n'; } >body
	mkframe body >frame
	n=0
	# Mid-stream: the writer has half the frame and waits for the rest.
	for k in 1 2 3; do
		n=$((n + 1))
		{ head -c 400000 frame; sleep 2; tail -c +400001 frame; } |
		    "$MF_QUEUE" -C "$PWD/mailferry.conf" >id.$n 2>/dev/null &
		pid=$!
		sleep 0.3
		kill -KILL $pid 2>/dev/null
		wait $pid
		echo $? >rc.$n
		[ ! -s id.$n ] || atf_fail "an id printed for a killed writer"
		[ "$(q_count)" -eq 0 ] || atf_fail "an entry from half a frame"
	done
	# The whole frame at once: kill after increasing delays (while
	# writing, before the rename, after it, after the id was printed).
	for d in 0 0.001 0.002 0.003 0.004 0.005 0.006 0.008 0.01 0.012 \
	    0.015 0.02 0.03 0.05 0.1 0.3; do
		n=$((n + 1))
		"$MF_QUEUE" -C "$PWD/mailferry.conf" <frame >id.$n 2>/dev/null &
		pid=$!
		sleep $d
		kill -KILL $pid 2>/dev/null
		wait $pid
		echo $? >rc.$n
	done
	told=0
	for k in $(seq 1 $n); do
		if [ -s id.$k ]; then
			told=$((told + 1))
			[ "$(cat rc.$k)" -eq 0 ] || [ "$(cat rc.$k)" -eq 137 ] ||
			    atf_fail "id printed, exit $(cat rc.$k)"
			[ -f "spool/msg/$(cat id.$k)" ] ||
			    atf_fail "id $(cat id.$k) printed but no entry"
		fi
	done
	q=$(q_count)
	echo "crash_writer: $n kills, $told ids printed, $q entries committed" >&2
	[ "$q" -gt 0 ] || atf_fail "no writer finished"
	# Every committed entry is complete: listed, delivered whole.
	"$MF_SEND" -C "$PWD/mailferry.conf" -p >mailq.out
	[ "$(grep -c '^  next: ' mailq.out)" -eq "$q" ] || atf_fail "unreadable entries: $(cat mailq.out)"
	ok runq
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
	[ -z "$(ls spool/corrupt 2>/dev/null)" ] || atf_fail "corrupt entries"
	if [ "$q" -gt 0 ]; then
		mf_wait_sessions 1
		for f in rec/session.1/msg.*.data; do
			cmp -s "$f" body || atf_fail "$f is not the whole message"
		done
		[ "$(ls rec/session.1/msg.*.data | wc -l)" -eq "$q" ] || atf_fail "count"
	fi
	# Leftovers in tmp/ are removed once a day old; never delivered.
	ls spool/tmp >tmp.list
	for f in $(cat tmp.list); do touch -d '2 days ago' "spool/tmp/$f"; done
	ok runq
	[ -z "$(ls spool/tmp)" ] || atf_fail "stale tmp files kept: $(ls spool/tmp)"
}
crash_writer_cleanup() { mf_smarthost_stop; }

atf_test_case crash_frontend cleanup
crash_frontend_head()
{
	atf_set descr "the writer killed while the front end streams to it: exit 75 and nothing queued (or, killed between its commit and its reply, a whole entry), or exit 0 and a whole entry"
	atf_set timeout 90
}
# The one queued entry holds the whole 20 MB message.
whole_entry()
{
	"$MF_SEND" -C "$PWD/mailferry.conf" -p |
	    awk -v id="$(mf_queue_ids)" '$1 == id && $2 > 20000000 { ok = 1 }
	    END { exit !ok }'
}

crash_frontend_body()
{
	MF_DELIVERY=queue mf_conf
	{ printf 'Subject: half\n\n'; yes 'a line of a big message' | head -c 20000000; } >big
	killed=0
	for d in 0 0.01 0.03 0.06; do
		rm -rf spool/msg/* spool/tmp/*
		"$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <big 2>fe.err &
		fe=$!
		i=0
		while ! pid=$(pgrep -f -- "mailferry-queue -C $PWD/mailferry.conf"); do
			i=$((i + 1))
			[ $i -gt 1000 ] && break
			sleep 0.01
		done
		sleep $d
		[ -n "$pid" ] && kill -KILL $pid 2>/dev/null
		wait $fe
		rc=$?
		case $rc in
		0)	[ "$(q_count)" -eq 1 ] || atf_fail "exit 0, no entry"
			whole_entry || atf_fail "incomplete entry" ;;
		75)	killed=$((killed + 1))
			# Killed between the commit and its reply: the entry
			# is whole (the caller may submit it again: a
			# duplicate, never a loss).  Otherwise nothing.
			[ "$(q_count)" -eq 0 ] || whole_entry ||
			    atf_fail "exit 75 and an incomplete entry" ;;
		*)	atf_fail "front end exit $rc: $(cat fe.err)" ;;
		esac
	done
	echo "crash_frontend: $killed of 4 writers killed mid-stream" >&2
	[ $killed -gt 0 ] || atf_fail "no writer was caught mid-stream"
}
crash_frontend_cleanup() { :; }

# Kill mailferry-send while the smarthost stalls at event $1 (session 1),
# then run the queue again; prints nothing, fails on a broken invariant.
crash_sender()
{
	echo "on $1 session 1 stall 4 pass" >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf
	ok submit "k$1" -f alice@example.net bob@example.net
	"$MF_SEND" -C "$PWD/mailferry.conf" -q &
	pid=$!
	sleep 1.5
	kill -KILL $pid
	wait $pid
	# The entry is whole and untouched: no attempt was recorded.
	[ "$(q_count)" -eq 1 ] || atf_fail "the entry is gone"
	"$MF_SEND" -C "$PWD/mailferry.conf" -p >mailq.out
	grep -q '^  next: now  attempts: 0' mailq.out || atf_fail "mailq: $(cat mailq.out)"
	mf_wait_sessions 1
	ok runq
	mf_wait_sessions 2
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
	atf_check -o match:"^X-Tag: k$1" cat rec/session.2/msg.1.data
}

atf_test_case crash_mid_data cleanup
crash_mid_data_head()
{
	atf_set descr "kill -9 of mailferry-send inside the transaction (DATA): delivered once on the next run"
	atf_set timeout 60
}
crash_mid_data_body()
{
	crash_sender DATA
	[ ! -e rec/session.1/msg.1.data ] || [ ! -s rec/session.1/msg.1.data ] ||
	    atf_fail "data reached the server in session 1"
	assert_once 1
}
crash_mid_data_cleanup() { mf_smarthost_stop; }

atf_test_case crash_after_dot cleanup
crash_after_dot_head()
{
	atf_set descr "kill -9 after end-of-data, before the reply: kept, sent again (a duplicate, RFC 1047)"
	atf_set timeout 60
}
crash_after_dot_body()
{
	crash_sender DOT
	# The server had the whole message: the retry makes a second copy.
	atf_check -o match:'^X-Tag: kDOT' cat rec/session.1/msg.1.data
	[ "$(delivered_tags | wc -l)" -eq 2 ] || atf_fail "not exactly two copies"
}
crash_after_dot_cleanup() { mf_smarthost_stop; }

atf_test_case full_disk cleanup
full_disk_head()
{
	atf_set descr "a full spool: exit 75, no partial entry (needs root for a 1 MB tmpfs)"
	atf_set timeout 60
}
full_disk_body()
{
	[ "$(id -u)" -eq 0 ] || atf_skip "needs root to mount a small tmpfs spool"
	MF_DELIVERY=queue mf_conf
	mount -t tmpfs -o size=1m,mode=0700 tmpfs spool 2>mount.err ||
	    atf_skip "cannot mount a tmpfs: $(cat mount.err)"
	touch mounted
	{ printf 'Subject: big\n\n'; yes 'a line of a message too big for the spool' | head -c 2000000; } >big
	atf_check -s exit:75 -o empty -e match:'not accepted|No space|space' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <big
	[ "$(q_count)" -eq 0 ] || atf_fail "a partial entry in msg/"
	[ -z "$(ls spool/tmp 2>/dev/null)" ] || atf_fail "left in tmp/: $(ls -l spool/tmp)"
	# Room again for a small one.
	ok submit small -f alice@example.net bob@example.net
	[ "$(q_count)" -eq 1 ] || atf_fail "the small message was not queued"
}
full_disk_cleanup()
{
	[ -e mounted ] && umount spool 2>/dev/null
	return 0
}

atf_test_case mailq_escapes
mailq_escapes_head()
{
	atf_set descr "mailq prints spooled addresses through log_escape: no raw 8-bit or control bytes"
}
mailq_escapes_body()
{
	MF_DELIVERY=queue mf_conf
	printf 'Subject: x\n\nhi\n' >in
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" \
	    -C "$PWD/mailferry.conf" -f "$(printf 'j\303\266rg@example.net')" \
	    '"a\\b c"@example.net' <in
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp >mailq.out
	atf_check -o match:'  <j\\xc3\\xb6rg@example\.net>$' cat mailq.out
	atf_check -o match:'^  to: <"a\\\\\\\\b c"@example\.net> pending$' \
	    cat mailq.out
	if perl -ne 'exit 1 if /[\x00-\x09\x0b-\x1f\x7f-\xff]/' mailq.out; then :
	else atf_fail "raw bytes in the listing: $(od -c mailq.out)"; fi
}

atf_test_case log_escapes cleanup
log_escapes_head()
{
	atf_set descr "the delivery log line escapes the addresses it took from the spool"
}
log_escapes_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf
	printf 'Subject: x\n\nhi\n' >in
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" \
	    -C "$PWD/mailferry.conf" -f "$(printf 'j\303\266rg@example.net')" \
	    '"a\\b c"@example.net' <in
	ok runq_log
	mf_wait_sessions 1
	atf_check -o match:'^rcpt 250 TO:<"a\\\\b c"@example\.net>' \
	    cat rec/session.1/msg.1.env
	grep -F 'from=<j\xc3\xb6rg@example.net> to=<"a\\\\b c"@example.net> relay=' \
	    send.log >/dev/null || atf_fail "no escaped log line: $(cat send.log)"
	if perl -ne 'exit 1 if /[\x00-\x09\x0b-\x1f\x7f-\xff]/' send.log; then :
	else atf_fail "raw bytes in the log"; fi
}
log_escapes_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case mailq_escapes
	atf_add_test_case log_escapes
	atf_add_test_case down_then_up
	atf_add_test_case explicit_q_all
	atf_add_test_case down_arrivals
	atf_add_test_case partial_4xx
	atf_add_test_case bounce_5xx
	atf_add_test_case bounce_kept_retried
	atf_add_test_case bounce_local_sender
	atf_add_test_case bounce_of_bounce
	atf_add_test_case expire
	atf_add_test_case delay_warning
	atf_add_test_case after_submission
	atf_add_test_case one_entry
	atf_add_test_case periodic
	atf_add_test_case flights_100
	atf_add_test_case concurrency
	atf_add_test_case forged_frame
	atf_add_test_case crash_writer
	atf_add_test_case crash_frontend
	atf_add_test_case crash_mid_data
	atf_add_test_case crash_after_dot
	atf_add_test_case full_disk
}
