# limit_e2e_test: [smarthost] max_sessions and max_rate.  Mail over a limit
# waits in the queue (no attempt counted) and is never refused or lost;
# the runs that hold the session slots deliver what the others left.

. "$(atf_get_srcdir)/testlib.sh"

sm() { "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$@"; }

# Queue a tagged message (delivery = queue: no run).
queue()
{
	printf 'Subject: %s\nX-Tag: %s\n\nbody\n' "$1" "$1" |
	    sm -odq -f alice@example.net bob@example.net ||
	    atf_fail "cannot queue $1"
}

q_count() { ls spool/msg 2>/dev/null | wc -l; }

# assert_once N: N tags delivered, each exactly once.
assert_once()
{
	cat rec/session.*/msg.*.data 2>/dev/null | tr -d '\r' |
	    sed -n 's/^X-Tag: //p' | sort >tags
	n=$(wc -l <tags)
	u=$(sort -u tags | wc -l)
	[ "$n" -eq "$1" ] || atf_fail "$n deliveries, wanted $1"
	[ "$u" -eq "$1" ] || atf_fail "duplicates: $(uniq -d tags | head)"
}

# Wait until no program of ours runs with this test's configuration.
wait_idle()
{
	i=0
	while pgrep -f -- "-C $PWD/mailferry.conf" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && atf_fail "deliveries still running"
		sleep 0.1
	done
}

sessions() { cat rec/sessions 2>/dev/null || echo 0; }

atf_test_case max_sessions_only cleanup
max_sessions_only_head()
{
	atf_set descr "max_sessions = 2: 3 concurrent one-entry runs (sendmail -qI) open 2 sessions; the third entry waits, untried, and a later run sends it"
	atf_set timeout 60
}
max_sessions_only_body()
{
	# A slow greeting: every session lasts a second, the runs overlap.
	echo 'on CONNECT stall 1 pass' >script
	mf_smarthost_start -s script
	mf_conf
	sed -i '/^connect_timeout = /a max_sessions = 2' mailferry.conf
	for t in a b c; do queue $t; done
	pids=
	for id in $(mf_queue_ids); do
		"$MF_SEND" -v -C "$PWD/mailferry.conf" -I "$id" >>run.out 2>>run.log &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	sleep 0.3
	cat run.out run.log >&2
	[ "$(sessions)" -le 2 ] || atf_fail "$(sessions) sessions, max_sessions = 2"
	[ "$(q_count)" -eq 1 ] || atf_fail "$(q_count) entries left, wanted 1"
	grep -q ': waiting: waiting for a session slot (max_sessions 2)' run.out ||
	    atf_fail "the waiting run did not say so: $(cat run.out)"
	sm -bp | grep -q 'next: now  attempts: 0' || atf_fail "an attempt was counted: $(sm -bp)"
	"$MF_SEND" -C "$PWD/mailferry.conf" -q || atf_fail "queue run failed"
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue"
	assert_once 3
}
max_sessions_only_cleanup() { mf_smarthost_stop; }

atf_test_case max_sessions_submit cleanup
max_sessions_submit_head()
{
	atf_set descr "max_sessions = 1: 4 concurrent submissions (background runs) open 1 session; every message is delivered exactly once, none refused"
	atf_set timeout 90
}
max_sessions_submit_body()
{
	echo 'on CONNECT stall 1 pass' >script
	mf_smarthost_start -s script
	MF_DELIVERY=background mf_conf
	sed -i '/^connect_timeout = /a max_sessions = 1' mailferry.conf
	pids=
	for t in a b c d; do
		printf 'Subject: %s\nX-Tag: %s\n\nbody\n' $t $t |
		    sm -f alice@example.net bob@example.net >>submit.out 2>&1 &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	[ ! -s submit.out ] || atf_fail "a submission said: $(cat submit.out)"
	wait_idle
	sleep 0.3
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue: $(mf_queue_ids)"
	[ "$(sessions)" -eq 1 ] || atf_fail "$(sessions) sessions, max_sessions = 1"
	assert_once 4
}
max_sessions_submit_cleanup() { mf_smarthost_stop; }

atf_test_case burst_one_session cleanup
burst_one_session_head()
{
	atf_set descr "submissions while a run is active (background delivery) leave their entries to it: one session, each message exactly once"
	atf_set timeout 90
}
burst_one_session_body()
{
	# The first message's end of data stalls: its run surely is active
	# while the others are submitted.
	echo 'on DOT session 1 nth 1 stall 2 pass' >script
	mf_smarthost_start -s script
	MF_DELIVERY=background mf_conf
	submit() {
		printf 'Subject: %s\nX-Tag: %s\n\nbody\n' "$1" "$1" |
		    sm -f alice@example.net bob@example.net ||
		    atf_fail "cannot submit $1"
	}
	submit first
	i=0
	until [ -e rec/session.1/msg.1.data ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && atf_fail "the first message never came"
		sleep 0.02
	done
	for t in b c d e; do submit $t; done
	wait_idle
	mf_wait_sessions 1
	[ "$(q_count)" -eq 0 ] || atf_fail "left in the queue: $(mf_queue_ids)"
	[ "$(sessions)" -eq 1 ] || atf_fail "$(sessions) sessions, wanted 1"
	assert_once 5
	# Round trips: the ones that rode along were pipelined (RSET, then
	# MAIL RCPT DATA in one flight, the data in the next).
	for k in 2 3 4 5; do
		[ "$(cat rec/session.1/msg.$k.flights)" -le 2 ] ||
		    atf_fail "message $k took $(cat rec/session.1/msg.$k.flights) flights"
	done
}
burst_one_session_cleanup() { mf_smarthost_stop; }

atf_test_case max_rate cleanup
max_rate_head()
{
	atf_set descr "max_rate = 6/minute: of 10 queued messages one run sends 6, the other 4 stay queued and due, no attempt counted"
	atf_set timeout 60
}
max_rate_body()
{
	mf_smarthost_start
	mf_conf
	sed -i '/^connect_timeout = /a max_rate = 6/minute' mailferry.conf
	for i in 0 1 2 3 4 5 6 7 8 9; do queue m$i; done
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -q 2>send.log || atf_fail "run failed"
	mf_wait_sessions 1
	assert_once 6
	[ "$(q_count)" -eq 4 ] || atf_fail "$(q_count) left, wanted 4"
	grep -q 'max_rate: 4 of 10 messages wait' send.log || atf_fail "log: $(cat send.log)"
	[ "$(sm -bp | grep -c 'next: now  attempts: 0')" -eq 4 ] ||
	    atf_fail "attempts counted: $(sm -bp)"
	# Within the minute nothing more goes, and nothing is refused.
	"$MF_SEND" -C "$PWD/mailferry.conf" -q || atf_fail "second run failed"
	[ "$(q_count)" -eq 4 ] || atf_fail "$(q_count) left after the second run"
	[ "$(sessions)" -eq 1 ] || atf_fail "a session for nothing"
	# A foreground submission over the limit stays queued: exit 0.
	printf 'Subject: fg\n\nbody\n' >fg
	atf_check -s exit:0 -o empty -e match:'^mailferry: queued: waiting: max_rate' \
	    -x "\"$MF_SENDMAIL\" -C \"$PWD/mailferry.conf\" -odi bob@example.net <fg"
	[ "$(q_count)" -eq 5 ] || atf_fail "the foreground message is not queued"
	# Once the tokens are older than the period, the rest goes.
	for f in spool/sessions/sent.*; do
		t=${f#spool/sessions/sent.}
		mv "$f" "spool/sessions/sent.$((${t%%.*} - 61)).${t#*.}"
	done
	"$MF_SEND" -C "$PWD/mailferry.conf" -q || atf_fail "third run failed"
	[ "$(q_count)" -eq 0 ] || atf_fail "$(q_count) left after the period"
	mf_wait_sessions 2
}
max_rate_cleanup() { mf_smarthost_stop; }

atf_test_case spool_rules
spool_rules_head() { atf_set descr "sessions/ is a spool subdirectory: made by the run, refused when others may write it"; }
spool_rules_body()
{
	mf_conf
	queue x
	[ -d spool/sessions ] || "$MF_SEND" -C "$PWD/mailferry.conf" -p >/dev/null
	[ -d spool/sessions ] || atf_fail "sessions/ not made"
	chmod 0777 spool/sessions
	atf_check -s exit:77 -o empty -e match:'sessions' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -q
	[ "$(q_count)" -eq 1 ] || atf_fail "the entry is gone"
}

atf_init_test_cases()
{
	atf_add_test_case max_sessions_only
	atf_add_test_case max_sessions_submit
	atf_add_test_case burst_one_session
	atf_add_test_case max_rate
	atf_add_test_case spool_rules
}
