# bs_e2e_test: `sendmail -bs`, the SMTP dialogue on stdin/stdout that
# Symfony Mailer, Laravel, Nextcloud, Drupal and Alpine speak: replies,
# several transactions, pipelining, refusals that do not end the session,
# exit status, and what reaches the smarthost.
#
# The client is a bash coprocess driven by a script (bs_setup): it sends
# a command and reads its reply before the next one, or sends a whole
# pipelined group in one write.

. "$(atf_get_srcdir)/testlib.sh"

# Write chat.bash.  Script lines on stdin: ">TEXT" sends TEXT plus CRLF
# in one write (printf %b: "\r\n" joins pipelined commands, "\0" is a
# NUL); "=TEXT" sends TEXT as it is; "<N" reads until N final reply lines
# came (CR stripped, echoed on stdout); "CLOSE" closes our stdin; "EOF"
# reads everything up to EOF.  mailferry's stderr goes to bs.err, its
# exit status to bs.rc.
bs_setup()
{
	cat >chat.bash <<'EOF'
coproc MF { "$@" 2>bs.err; echo $? >bs.rc; }
# Our own copies: bash closes the coprocess fds once it has exited.
exec {out}<&"${MF[0]}" {in}>&"${MF[1]}"
eval "exec ${MF[0]}<&- ${MF[1]}>&-"
while IFS= read -r cmd; do
	case $cmd in
	'>'*)	printf '%b\r\n' "${cmd#>}" >&"$in" || exit 2 ;;
	'='*)	printf '%b' "${cmd#=}" >&"$in" || exit 2 ;;
	'<'*)
		n=${cmd#<}
		while [ "$n" -gt 0 ]; do
			IFS= read -r -t 10 line <&"$out" || exit 3
			line=${line%$'\r'}
			printf '%s\n' "$line"
			case $line in
			[0-9][0-9][0-9]|[0-9][0-9][0-9]' '*) n=$((n - 1)) ;;
			esac
		done ;;
	CLOSE)	eval "exec $in>&-" ;;
	'!'*)	MF_BS_PID=$MF_PID bash -c "${cmd#!}" || exit 4 ;;
	EOF)
		while IFS= read -r -t 10 line <&"$out"; do
			printf '%s\n' "${line%$'\r'}"
		done ;;
	esac
done
eval "exec $in>&-"
wait
EOF
}

# bs_chat [sendmail args]: run the dialogue on stdin, replies to out.
bs_chat()
{
	bash ./chat.bash "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bs "$@" \
	    >out || atf_fail "chat failed ($?): $(cat out)"
	[ -s bs.rc ] || atf_fail "mailferry did not finish"
}

# The exit status must be $1 and nothing may appear on stderr.
bs_check_exit()
{
	atf_check -o inline:"$1\n" cat bs.rc
	atf_check -s exit:0 -o empty cat bs.err
}

# The codes of the final reply lines, in order, into codes.
bs_codes()
{
	grep -E -o '^[0-9]{3}( |$)' out | tr -d ' ' | tr '\n' ' ' >codes
}

# Exactly $1 spool entries.
bs_check_queued()
{
	n=$(mf_queue_ids | wc -l)
	[ "$n" -eq "$1" ] || atf_fail "$n spool entries, wanted $1"
}

# Deliver the queue in one session and wait for the smarthost.
bs_flush_queue()
{
	mf_sendmail -q >q.out 2>&1 || atf_fail "sendmail -q: $(cat q.out)"
	mf_wait_sessions 1
}

# The two transactions of the stepwise and pipelined cases.
two_check()
{
	atf_check -o match:'^220 example\.org ESMTP' \
	    -o match:'^250-PIPELINING$' -o match:'^250-8BITMIME$' \
	    -o match:'^250-SIZE [0-9]+$' -o not-match:'STARTTLS|AUTH' \
	    -o match:'^221 ' cat out
	[ "$(grep -E -c '^250 2\.0\.0 Ok: queued as [0-9A-Z]+$' out)" -eq 2 ] ||
	    atf_fail "two queued replies expected: $(cat out)"
	[ "$(grep -c '^354 ' out)" -eq 2 ] || atf_fail "two 354 expected"
	if grep -E '^[45]' out; then
		atf_fail "an error reply"
	fi
	bs_check_exit 0
	bs_check_queued 2
	# The ids in the replies are the spool's.
	grep -E -o 'queued as [0-9A-Z]+' out | sed 's/queued as //' | sort >ids
	mf_queue_ids | sort >spool.ids
	atf_check cmp ids spool.ids

	mf_smarthost_start
	mf_conf
	bs_flush_queue
	sed 's/ BODY=8BITMIME$//' rec/session.1/msg.1.env >env1
	atf_check -o inline:"mail 250 FROM:<alice@example.org>\nrcpt 250 TO:<bob@example.net>\nrcpt 250 TO:<admin@example.org>\ndata 354\ndot 250\n" \
	    cat env1
	sed 's/ NOTIFY=FAILURE$//' rec/session.1/msg.2.env >env2
	atf_check -o inline:"mail 250 FROM:<>\nrcpt 250 TO:<carol@example.net>\ndata 354\ndot 250\n" \
	    cat env2
	# Unstuffed by us, stuffed on the wire, unstuffed by the smarthost.
	atf_check -o match:'^Subject: one' -o match:'^\.dot line' \
	    -o match:'^From: alice@example\.org' -o match:'^last' \
	    cat rec/session.1/msg.1.data
	atf_check -o not-match:'^\.\.' cat rec/session.1/msg.1.data
	tr -d '\r' <rec/session.1/msg.2.data >msg2
	atf_check -o match:'^Subject: two' -o match:'^\.$' cat msg2
	[ "$(grep -c $'[^\r]$' rec/session.1/msg.2.data)" -eq 0 ] ||
	    atf_fail "a line does not end in CRLF"
}

atf_test_case eight_bit_body cleanup
eight_bit_body_head()
{
	atf_set descr "8-bit text without BODY= is relayed with BODY=8BITMIME"
}
eight_bit_body_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
>EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA
<4
=Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n.\r\n
<1
>MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA
<3
=Subject: plain\r\n\r\nascii\r\n.\r\n
<1
>QUIT
<1
END
	bs_check_exit 0
	bs_check_queued 2
	mf_smarthost_start
	mf_conf
	bs_flush_queue
	cat rec/session.1/msg.*.env >envs
	atf_check -o match:'^mail 250 FROM:<alice@example.org> BODY=8BITMIME$' \
	    cat envs
	atf_check -o match:'^mail 250 FROM:<alice@example.org>$' cat envs
	grep -l 'BODY=8BITMIME' rec/session.1/msg.*.env | sed 's/env$/data/' >f8
	atf_check -o match:'na.*ve' cat "$(cat f8)"
}
eight_bit_body_cleanup() { mf_smarthost_stop; }

atf_test_case stepwise cleanup
stepwise_head()
{
	atf_set descr "two transactions, one command per round trip"
}
stepwise_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>EHLO client.example
<1
>MAIL FROM:<alice@example.org> SIZE=100 BODY=8BITMIME
<1
>RCPT TO:<bob@example.net>
<1
>RCPT TO:<root>
<1
>DATA
<1
=Subject: one\r\n\r\n..dot line\r\nlast\r\n
>.
<1
>MAIL FROM:<>
<1
>RCPT TO:<carol@example.net> NOTIFY=FAILURE
<1
>DATA
<1
=Subject: two\n\nbare LF lines\n..\n
>.
<1
>QUIT
<1
END
	two_check
	# The DSN parameters were kept.
	atf_check -o match:'^mail 250 FROM:<alice@example.org> BODY=8BITMIME$' \
	    cat rec/session.1/msg.1.env
	atf_check -o match:'^rcpt 250 TO:<carol@example.net> NOTIFY=FAILURE$' \
	    cat rec/session.1/msg.2.env
}
stepwise_cleanup() { mf_smarthost_stop; }

atf_test_case pipelined cleanup
pipelined_head()
{
	atf_set descr "two transactions and QUIT in one write (PIPELINING)"
}
pipelined_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
>EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<root>\r\nDATA\r\nSubject: one\r\n\r\n..dot line\r\nlast\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\nSubject: two\r\n\r\n..\r\n.\r\nQUIT
EOF
END
	atf_check -o match:'^221 ' cat out
	two_check
	# The replies come in command order.
	bs_codes
	atf_check -o inline:"220 250 250 250 250 354 250 250 250 354 250 221 " \
	    cat codes
}
pipelined_cleanup() { mf_smarthost_stop; }

atf_test_case helo_form
helo_form_head()
{
	atf_set descr "after HELO: no enhanced codes, 'queued as ID' for Symfony"
}
helo_form_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>HELO [127.0.0.1]
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<bob@example.net>
<1
>DATA
<1
>Subject: hi\r\n\r\nhello\r\n.
<1
>QUIT
<1
END
	atf_check -o match:'^250 example\.org$' -o match:'^250 Ok$' \
	    -o match:'^250 Ok: queued as [0-9A-Z]+$' -o match:'^221 ' \
	    -o not-match:'^250 2\.' cat out
	bs_check_exit 0
	bs_check_queued 1
}

atf_test_case refused_then_accepted
refused_then_accepted_head()
{
	atf_set descr "a NUL and an oversized message are refused, the session goes on"
}
refused_then_accepted_body()
{
	MF_DELIVERY=queue mf_conf '[queue]' 'max_size = 2K'
	bs_setup
	big=$(head -c 3000 /dev/zero | tr '\0' x)
	cat >script <<END
<1
>EHLO x
<1
>MAIL FROM:<alice@example.org> SIZE=5000
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<bob@example.net>
<1
>DATA
<1
>Subject: nul\r\n\r\na\0b\r\n.
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<bob@example.net>
<1
>DATA
<1
>Subject: big\r\n\r\n$big\r\n.
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<bob@example.net>
<1
>DATA
<1
>Subject: fine\r\n\r\nok\r\n.
<1
>QUIT
<1
END
	bs_chat <script
	atf_check -o match:'^552 5\.3\.4 Message size exceeds' \
	    -o match:'^554 5\.6\.0 .*NUL' -o match:'^552 5\.3\.4 Error' \
	    -o match:'^250 2\.0\.0 Ok: queued as' -o match:'^221 ' cat out
	bs_check_exit 0
	bs_check_queued 1
	atf_check -o match:'^Subject: fine' cat spool/msg/*
}

atf_test_case refused_only
refused_only_head()
{
	atf_set descr "nothing accepted and a message refused: non-zero exit"
}
refused_only_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
>EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nx\0y\r\n.\r\nQUIT
EOF
END
	atf_check -o match:'^554 ' -o match:'^221 ' cat out
	atf_check -o inline:"65\n" cat bs.rc
	bs_check_queued 0
}

atf_test_case rset_and_sequence
rset_and_sequence_head()
{
	atf_set descr "RSET mid-transaction, sequence errors, bad and long lines"
}
rset_and_sequence_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	long=$(head -c 6000 /dev/zero | tr '\0' y)
	cat >script <<END
<1
>MAIL FROM:<a@example.org>
<1
>EHLO x
<1
>RCPT TO:<b@example.net>
<1
>DATA
<1
>MAIL FROM:<a@example.org>
<1
>RCPT TO:<dropped@example.net>
<1
>RSET
<1
>DATA
<1
>NOOP
<1
>$long
<1
>FROB
<1
>STARTTLS
<1
>VRFY root
<1
>mail from: <a@example.org>
<1
>MAIL FROM:<a@example.org>
<1
>RCPT TO:<>
<1
>RCPT TO:<kept@example.net>
<1
>DATA
<1
>x\n.
<1
>QUIT
<1
END
	bs_chat <script
	bs_codes
	atf_check -o inline:"220 503 250 503 503 250 250 250 503 250 500 500 502 252 250 503 501 250 354 250 221 " \
	    cat codes
	bs_check_exit 0
	bs_check_queued 1
	atf_check -o match:'^rcpt kept@example\.net$' \
	    -o not-match:'dropped' cat spool/msg/*
}

atf_test_case quit_only
quit_only_head()
{
	atf_set descr "QUIT alone, and EOF without QUIT, exit 0"
}
quit_only_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>QUIT
EOF
END
	printf '220 example.org ESMTP mailferry\n221 example.org Bye\n' >want
	atf_check cmp want out
	bs_check_exit 0
	rm -f bs.rc bs.err
	bs_chat <<'END'
<1
>EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>
<3
CLOSE
EOF
END
	bs_check_exit 0
	bs_check_queued 0
}

atf_test_case background cleanup
background_head()
{
	atf_set descr "the message is relayed in the background after 250"
}
background_body()
{
	mf_smarthost_start
	MF_DELIVERY=background mf_conf
	bs_setup
	bs_chat <<'END'
>EHLO x\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA
<5
>Subject: bg\r\n\r\nbody\r\n.\r\nQUIT
EOF
END
	atf_check -o match:'^250 2\.0\.0 Ok: queued as' -o match:'^221 ' cat out
	bs_check_exit 0
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<alice@example.org>\nrcpt 250 TO:<bob@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	atf_check -o match:'^Subject: bg' cat rec/session.1/msg.1.data
	mf_assert_no_canary out bs.err
}
background_cleanup() { mf_smarthost_stop; }

atf_test_case background_reaped cleanup
background_reaped_head()
{
	atf_set descr "a long -bs session leaves no zombie senders behind"
}
background_reaped_body()
{
	mf_smarthost_start
	MF_DELIVERY=background mf_conf
	bs_setup
	# sessions N: wait until the smarthost saw N sessions end, and
	# every child of mailferry -bs (its senders: the spool writer is
	# waited for) has exited: a zombie, or reaped.
	cat >sessions <<'EOF'
i=0
while [ "$(cat rec/sessions 2>/dev/null || echo 0)" -lt "$1" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || exit 1
	sleep 0.1
done
while :; do
	live=0
	for c in $(pgrep -P "$MF_BS_PID"); do
		for g in $(pgrep -P "$c"); do
			[ "$(awk '{ print $3 }' "/proc/$g/stat" 2>/dev/null)" = Z ] ||
			    live=$((live + 1))
		done
	done
	[ $live -eq 0 ] && break
	i=$((i + 1))
	[ $i -lt 600 ] || exit 1
	sleep 0.1
done
EOF
	# zombies: how many exited children mailferry -bs has not reaped
	# (MF_BS_PID is the coprocess, mailferry its child).
	cat >zombies <<'EOF'
for c in $(pgrep -P "$MF_BS_PID"); do
	for g in $(pgrep -P "$c"); do
		awk '{ print $3 }' "/proc/$g/stat"
	done
done | grep -c Z >zombies.out
EOF
	m='MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA'
	bs_chat <<END
<1
>EHLO x
<1
>$m
<3
>Subject: one\r\n\r\nbody\r\n.
<1
!sh sessions 1
>$m
<3
>Subject: two\r\n\r\nbody\r\n.
<1
!sh sessions 2
>$m
<3
>Subject: three\r\n\r\nbody\r\n.
<1
!sh sessions 3
!sh zombies || true
>QUIT
EOF
END
	bs_check_exit 0
	[ "$(grep -c '^250 2\.0\.0 Ok: queued as' out)" -eq 3 ] ||
	    atf_fail "three queued replies expected: $(cat out)"
	# Two senders exited before the third message came: reaped then.
	# The third one's may still be a zombie, its parent busy reading.
	[ -s zombies.out ] || atf_fail "no zombie count"
	[ "$(cat zombies.out)" -le 1 ] ||
	    atf_fail "$(cat zombies.out) zombie senders left"
}
background_reaped_cleanup() { mf_smarthost_stop; }

atf_test_case quoted_space cleanup
quoted_space_head()
{
	atf_set descr "MAIL FROM/RCPT TO with a quoted local part holding a space"
}
quoted_space_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>EHLO x
<1
>MAIL FROM:<"john doe"@example.com>
<1
>RCPT TO:<"jane roe"@example.net>
<1
>DATA
<1
>Subject: q\r\n\r\nok\r\n.
<1
>QUIT
<1
END
	bs_codes
	atf_check -o inline:"220 250 250 250 354 250 221 " cat codes
	bs_check_exit 0
	bs_check_queued 1
	mf_smarthost_start
	mf_conf
	bs_flush_queue
	atf_check -o inline:"mail 250 FROM:<\"john doe\"@example.com>\nrcpt 250 TO:<\"jane roe\"@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
}
quoted_space_cleanup() { mf_smarthost_stop; }

atf_test_case option_like cleanup
option_like_head()
{
	atf_set descr "an address beginning with '-' or malformed: 5xx at MAIL/RCPT, never 4xx; the rest is delivered"
}
option_like_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>EHLO x
<1
>MAIL FROM:<-evil@example.org>
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<-oi@example.net>
<1
>RCPT TO:<"john doe@example.net>
<1
>RCPT TO:<bob@example.net>
<1
>DATA
<1
>Subject: o\r\n\r\nok\r\n.
<1
>QUIT
<1
END
	bs_codes
	atf_check -o match:'^220 250 553 250 553 5[0-9][0-9] 250 354 250 221 $' \
	    cat codes
	atf_check -o match:"^553 5\.1\.7 Bad sender address syntax: .*address begins with '-'" \
	    -o match:"^553 5\.1\.3 Bad recipient address syntax: address begins with '-'" \
	    -o not-match:'^4[0-9][0-9]' cat out
	bs_check_exit 0
	bs_check_queued 1
	mf_smarthost_start
	mf_conf
	bs_flush_queue
	atf_check -o inline:"mail 250 FROM:<alice@example.org>\nrcpt 250 TO:<bob@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
}
option_like_cleanup() { mf_smarthost_stop; }

atf_test_case control_rcpt
control_rcpt_head()
{
	atf_set descr "RCPT TO with U+0085 or DEL is refused with a 5xx reply"
}
control_rcpt_body()
{
	MF_DELIVERY=queue mf_conf
	bs_setup
	bs_chat <<'END'
<1
>EHLO x
<1
>MAIL FROM:<alice@example.org>
<1
>RCPT TO:<bob\0302\0205@example.net>
<1
>RCPT TO:<"bob\0302\0233"@example.net>
<1
>RCPT TO:<bob\0177@example.net>
<1
>QUIT
<1
END
	bs_codes
	# C1 reaches the envelope check (553); DEL is refused with the
	# whole command line (500).
	atf_check -o match:'^220 250 250 553 553 50[01] 221 $' \
	    cat codes
	atf_check -o match:'^553 5\.1\.3 Bad recipient address syntax: control character in address$' \
	    cat out
	# Nothing from the address comes back raw.
	if perl -ne 'exit 1 if /[\x00-\x09\x0b-\x1f\x7f-\xff]/' out; then :
	else atf_fail "raw control bytes in a reply"; fi
	bs_check_queued 0
}

atf_init_test_cases()
{
	atf_add_test_case stepwise
	atf_add_test_case pipelined
	atf_add_test_case eight_bit_body
	atf_add_test_case helo_form
	atf_add_test_case refused_then_accepted
	atf_add_test_case refused_only
	atf_add_test_case rset_and_sequence
	atf_add_test_case quit_only
	atf_add_test_case background
	atf_add_test_case background_reaped
	atf_add_test_case quoted_space
	atf_add_test_case control_rcpt
	atf_add_test_case option_like
}
