# frontend_test: the front end's own modes and refusals: exit codes,
# one-line errors, newaliases, -bv, --check, --dump-config, argv[0].

. "$(atf_get_srcdir)/testlib.sh"

sm() { "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$@"; }

atf_test_case usage_errors
usage_errors_head() { atf_set descr "daemon/test modes and unknown letters: exit 64 with the usage line"; }
usage_errors_body()
{
	mf_conf
	for a in -bd -bD -bt -bh -bH -bP -Z -k; do
		atf_check -s exit:64 -o empty -e match:'^usage: sendmail' \
		    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" $a
	done
	atf_check -s exit:64 -o empty -e match:'unknown option --frobnicate' \
	    "$MF_SENDMAIL" --frobnicate
}

atf_test_case version_help
version_help_head() { atf_set descr "--version and --help print to stdout, exit 0"; }
version_help_body()
{
	atf_check -s exit:0 -o match:'^mailferry [0-9]' -e empty "$MF_SENDMAIL" --version
	atf_check -s exit:0 -o match:'^usage: sendmail' -e empty "$MF_SENDMAIL" --help
}

atf_test_case config_errors
config_errors_head() { atf_set descr "config errors: 78 naming file and line, never the value"; }
config_errors_body()
{
	mf_conf
	printf '[smarthost]\nport = not-a-port-SECRETVALUE\n' >bad.conf
	atf_check -s exit:78 -o empty -e match:'bad.conf:2:' -e not-match:SECRETVALUE \
	    "$MF_SENDMAIL" -C "$PWD/bad.conf" -t
	printf '[smarthost]\nhost = x\nbogus_key = 1\n' >bad2.conf
	atf_check -s exit:78 -o empty -e match:'bad2.conf:3:' \
	    "$MF_SENDMAIL" -C "$PWD/bad2.conf" -t
	atf_check -s exit:78 -o empty -e not-empty \
	    "$MF_SENDMAIL" -C "$PWD/missing.conf" -t
	# A password in the file, readable by others: 77.
	printf '[smarthost]\nhost = x\npassword = SECRETVALUE\n' >pw.conf
	chmod 644 pw.conf
	atf_check -s exit:77 -o empty -e match:'password' -e not-match:SECRETVALUE \
	    "$MF_SENDMAIL" -C "$PWD/pw.conf" -t
	# A line over inih's limit is refused, not silently split.
	{ echo '[sender]'; printf 'domain = %0250d.example\n' 0; } >long.conf
	atf_check -s exit:78 -o empty -e match:'long.conf:2:' \
	    "$MF_SENDMAIL" -C "$PWD/long.conf" -t
}

atf_test_case newaliases
newaliases_head() { atf_set descr "newaliases / -bi check the aliases and exit 0"; }
newaliases_body()
{
	mf_conf 'postmaster = root' '* = catchall@example.org'
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bi
	ln -s "$MF_SENDMAIL" newaliases
	atf_check -s exit:0 -o empty -e empty ./newaliases -C "$PWD/mailferry.conf"
	mf_conf 'broken = <unterminated@'
	atf_check -s exit:78 -o empty -e match:'mailferry.conf:[0-9]+:.*aliases.broken' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bi
}

atf_test_case verify_aliases
verify_aliases_head() { atf_set descr "-bv shows where local recipients go, sends nothing"; }
verify_aliases_body()
{
	mf_conf 'postmaster = root' 'team = a@example.net, b@example.net'
	atf_check -s exit:0 -e empty \
	    -o match:'^root\.\.\. deliverable: relay localhost to <admin@example.org>' \
	    -o match:'^postmaster\.\.\. deliverable: relay localhost to <admin@example.org>' \
	    -o match:'^team\.\.\. deliverable: relay localhost to <b@example.net>' \
	    -o match:'^joe\.\.\. deliverable: relay localhost to <joe@example.org>' \
	    -o match:'^x@example.net\.\.\. deliverable: relay localhost to <x@example.net>' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bv root postmaster team joe x@example.net
}

atf_test_case mailq_name cleanup
mailq_name_head() { atf_set descr "invoked as mailq it lists the queue; --delete removes an entry"; }
mailq_name_body()
{
	mf_conf
	printf 'Subject: q\n\nx\n' | "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -odq bob@example.net
	id=$(mf_queue_ids)
	ln -s "$MF_SENDMAIL" mailq
	atf_check -s exit:0 -e empty -o match:"^$id " -o match:'to: <bob@example.net> pending' \
	    -o match:'^-- 1 Kbytes in 1 request\.' ./mailq -C "$PWD/mailferry.conf"
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --delete "$id"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry not deleted"
	atf_check -s not-exit:0 -o empty -e match:'no such entry|not a queue id' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --delete "$id"
}
mailq_name_cleanup() { :; }

atf_test_case check_relay cleanup
check_relay_head() { atf_set descr "--check shows TLS, certificate, AUTH and sends no mail"; }
check_relay_body()
{
	mf_smarthost_start -z 12345
	mf_conf
	atf_check -s exit:0 -e empty -o match:'TLSv1\.[23]' -o match:'12345' \
	    -o not-match:"$MF_PASSWORD" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --check
	mf_wait_sessions 1
	if grep -q 'C: MAIL' rec/session.1/transcript; then
		atf_fail "--check sent a message"
	fi
}
check_relay_cleanup() { mf_smarthost_stop; }

atf_test_case dump_config
dump_config_head() { atf_set descr "--dump-config shows every option, never the password"; }
dump_config_body()
{
	mf_conf
	atf_check -s exit:0 -e empty -o match:'^smarthost.host = localhost' \
	    -o match:'^queue.max_age = ' -o not-match:"$MF_PASSWORD" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --dump-config
}

atf_test_case no_recipient
no_recipient_head() { atf_set descr "no recipient: a clear error, not 75, nothing queued"; }
no_recipient_body()
{
	mf_conf
	printf 'Subject: none\n\nx\n' >m
	atf_check -s exit:67 -o empty -e match:'no recipient' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t <m
	printf 'To: undisclosed-recipients:;\n\nx\n' >m
	atf_check -s exit:67 -o empty -e match:'no recipient' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t <m
	[ -z "$(mf_queue_ids)" ] || atf_fail "something was queued"
}

atf_test_case bad_input
bad_input_head() { atf_set descr "NUL byte and oversize: 65, nothing queued, stdin drained"; }
bad_input_body()
{
	mf_conf
	printf 'Subject: nul\n\na\000b\n' >m
	atf_check -s exit:65 -o empty -e not-empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <m
	sed -i 's/^\[queue\]$/[queue]\nmax_size = 2K/' mailferry.conf
	{ printf 'Subject: big\n\n'; head -c 100000 /dev/zero | tr '\0' 'x' | fold -w 70; } >big
	atf_check -s exit:65 -o empty -e match:'size|big|large' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <big
	[ -z "$(mf_queue_ids)" ] || atf_fail "something was queued"
	# Over max_size but within mailferry-queue's slack (64 KiB of
	# headers): the front end's own limit refuses it.
	{ printf 'Subject: big\n\n'; head -c 10000 /dev/zero | tr '\0' 'x' | fold -w 70; } >big
	atf_check -s exit:65 -o empty -e match:'larger than max_size' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <big
	[ -z "$(mf_queue_ids)" ] || atf_fail "something was queued"
	atf_check -s exit:65 -o empty -e not-empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" 'bad<addr>@example.net' </dev/null
}

atf_test_case header_qualify
header_qualify_head() { atf_set descr "bare names in address headers get the domain; groups and full addresses are kept"; }
header_qualify_body()
{
	mf_conf
	printf 'To: root, "Doe, J" <j@example.net>\nCc: undisclosed-recipients:;\nFrom: Logwatch\nReply-To: ops (Operations)\nSubject: q\n\nbody\n' |
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -odq -t
	f=spool/msg/$(mf_queue_ids)
	atf_check -o match:'^To: root@example.org, "Doe, J" <j@example.net>' \
	    -o match:'^Cc: undisclosed-recipients:;' \
	    -o match:'^From: Logwatch@example.org' \
	    -o match:'^Reply-To: ops@example.org \(Operations\)' \
	    -o match:'^rcpt admin@example.org' -o match:'^rcpt j@example.net' \
	    tr -d '\r' <"$f"
}

# one_line FILE ERE: FILE is exactly one line and matches ERE.
one_line()
{
	if [ "$(wc -l <"$1")" -ne 1 ] || ! grep -E -q "$2" "$1"; then
		atf_fail "$1 is not one line matching $2: $(cat "$1")"
	fi
}

atf_test_case not_accepted cleanup
not_accepted_head() { atf_set descr "a refused submission prints exactly one line 'mailferry: not accepted: <cause>'; -odi failures one line too"; }
not_accepted_body()
{
	MF_DELIVERY=queue mf_conf
	printf 'Subject: x\n\nbody\n' >in
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <in
	rm -f spool/msg/* spool/state/*

	chmod 0777 spool
	atf_check -s exit:77 -o empty -e save:err \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <in
	one_line err "^mailferry: not accepted: .*/spool: mode 0777 lets other users in"
	chmod 0700 spool

	if [ "$(id -u)" -eq 0 ]; then
		mount --bind spool/tmp spool/tmp 2>mount.err &&
		    touch mounted && mount -o remount,ro,bind spool/tmp ||
		    atf_skip "cannot mount spool/tmp read-only: $(cat mount.err)"
		cause='Read-only file system'
	else
		chmod 0500 spool/tmp
		cause='Permission denied'
	fi
	atf_check -s exit:75 -o empty -e save:err \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <in
	one_line err "^mailferry: not accepted: .*/spool/tmp.*: $cause\$"
	[ -z "$(ls spool/msg)" ] || atf_fail "queued anyway"
	[ -e mounted ] && umount spool/tmp && rm mounted
	chmod 0700 spool/tmp

	# The spool writer cannot be run: our name once, not twice.
	atf_check -s exit:71 -o empty -e save:err \
	    env MAILFERRY_LIBEXECDIR="$PWD/nonexistent" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" bob@example.net <in
	one_line err '^mailferry: not accepted: cannot run .*/nonexistent/mailferry-queue: '

	# The spool writer runs but mailferry-send cannot: in the
	# background the message is queued all the same (exit 0, one line
	# saying so); a queue run the caller waits for says why (71).
	mkdir half
	ln -s "$MF_BUILDDIR/src/mailferry-queue" half/mailferry-queue
	n=$(ls spool/msg | wc -l)
	atf_check -s exit:0 -o empty -e save:err \
	    env MAILFERRY_LIBEXECDIR="$PWD/half" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -odb bob@example.net <in
	one_line err '^mailferry: queued; cannot run .*/half/mailferry-send: No such file or directory$'
	[ "$(ls spool/msg | wc -l)" -eq $((n + 1)) ] || atf_fail "not queued"
	atf_check -s exit:71 -o empty -e save:err \
	    env MAILFERRY_LIBEXECDIR="$PWD/half" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	one_line err '^mailferry: cannot run .*/half/mailferry-send: No such file or directory$'

	# -odi, the relay down: one line saying it stays queued.
	atf_check -s exit:0 -o empty -e save:err \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -odi bob@example.net <in
	one_line err '^mailferry: queued: '
}
not_accepted_cleanup()
{
	[ -e mounted ] && umount spool/tmp
	return 0
}

atf_test_case die_escapes
die_escapes_head()
{
	atf_set descr "every program leaves with one escaped line: a control character in an argument cannot reach the terminal"
}
die_escapes_body()
{
	bad=$(printf '/nonexistent/x\033[31my')
	atf_check -s exit:78 -o empty \
	    -e inline:"mailferry: /nonexistent/x\\x1b[31my: cannot open the configuration file: No such file or directory\n" \
	    "$MF_SENDMAIL" -C "$bad" -q
	atf_check -s exit:77 -o empty \
	    -e inline:"mailferry: -C /nonexistent/x\\x1b[31my: refused: /nonexistent/x\\x1b[31my: No such file or directory\n" \
	    "$MF_SEND" -C "$bad" -d
}

atf_init_test_cases()
{
	atf_add_test_case die_escapes
	atf_add_test_case header_qualify
	atf_add_test_case usage_errors
	atf_add_test_case version_help
	atf_add_test_case config_errors
	atf_add_test_case newaliases
	atf_add_test_case verify_aliases
	atf_add_test_case mailq_name
	atf_add_test_case check_relay
	atf_add_test_case dump_config
	atf_add_test_case no_recipient
	atf_add_test_case bad_input
	atf_add_test_case not_accepted
}
