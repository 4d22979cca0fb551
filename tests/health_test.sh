# health_test: mailferry --health (Nagios plugin exit codes, one line
# with perfdata) and the JSON queue listing (mailq --json, sendmail -bp
# --json), read back with php's json_decode.

. "$(atf_get_srcdir)/testlib.sh"

sm() { "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$@"; }

# Queue one message: queue TAG [sender] (delivery = queue: no run).
queue()
{
	printf 'Subject: %s\n\nbody\n' "$1" |
	    sm -odq -f "${2:-alice@example.net}" bob@example.net ||
	    atf_fail "cannot queue $1"
}

# age_entry ID SECONDS: make an entry that old, as root edits its state.
age_entry()
{
	f=spool/state/$1
	if [ ! -e "$f" ]; then
		printf 'mailferry-state 1\nid %s\nattempts 0\nlast_attempt 0\nnext_attempt 0\nwarned 0\n' \
		    "$1" >"$f"
	fi
	if grep -q '^age ' "$f"; then
		sed -i "s/^age .*/age $2/" "$f"
	else
		sed -i "/^warned /a age $2" "$f"
	fi
}

# health EXIT LINE-REGEX [options]: run --health, check both.
health()
{
	want=$1
	re=$2
	shift 2
	atf_check -s exit:"$want" -o save:health.out -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --health "$@"
	[ "$(wc -l <health.out)" -eq 1 ] || atf_fail "not one line: $(cat health.out)"
	grep -E -q "$re" health.out || atf_fail "got: $(cat health.out), want $re"
}

need_php()
{
	command -v php >/dev/null 2>&1 || atf_skip "php (php-cli) is not installed"
}

atf_test_case health_ok
health_ok_head() { atf_set descr "--health: empty and young queues are OK (exit 0), perfdata with the limits"; }
health_ok_body()
{
	mf_conf
	health 0 '^MAILFERRY OK - 0 queued, oldest none, last error none \| queued=0;100;1000;0 oldest=0s;3600;14400;0$'
	queue one
	queue two
	health 0 '^MAILFERRY OK - 2 queued, oldest [0-9]+s, last error none \| queued=2;100;1000;0 oldest=[0-9]+s;3600;14400;0$'
}

atf_test_case health_age
health_age_head() { atf_set descr "--health: the oldest entry's age against warn_age/crit_age (exit 1, 2), [health] and -w/-c"; }
health_age_body()
{
	mf_conf
	queue old
	queue young
	id=$(mf_queue_ids | head -1)
	age_entry "$id" 7500
	health 1 '^MAILFERRY WARNING - 2 queued, oldest 2h5m, last error none \| queued=2;100;1000;0 oldest=7500s;3600;14400;0$'
	age_entry "$id" 18000
	health 2 '^MAILFERRY CRITICAL - 2 queued, oldest 5h, '
	# The command line overrides [health]; [health] overrides defaults.
	health 0 '^MAILFERRY OK - .*oldest=18000s;36000;72000;0$' -w 10h -c 20h
	health 1 '^MAILFERRY WARNING - .*oldest=18000s;3600;86400;0$' -c 1d
	mf_conf '[health]' 'warn_age = 6h' 'crit_age = 1d'
	health 0 '^MAILFERRY OK - .*oldest=18000s;21600;86400;0$'
	health 2 '^MAILFERRY CRITICAL - ' -w 1m, -c 2m,
}

atf_test_case health_queue
health_queue_head() { atf_set descr "--health: the queue length against warn_queue/crit_queue"; }
health_queue_body()
{
	mf_conf '[health]' 'warn_queue = 2' 'crit_queue = 3'
	queue a
	health 0 '^MAILFERRY OK - 1 queued, .* queued=1;2;3;0 '
	queue b
	health 1 '^MAILFERRY WARNING - 2 queued, .* queued=2;2;3;0 '
	queue c
	health 2 '^MAILFERRY CRITICAL - 3 queued, .* queued=3;2;3;0 '
	health 0 '^MAILFERRY OK - 3 queued, .* queued=3;10;20;0 ' -w ,10 -c ,20
}

atf_test_case health_last_error cleanup
health_last_error_head()
{
	atf_set descr "--health: a deferred entry (tried, with a last error) is a WARNING that quotes the error"
	atf_set timeout 60
}
health_last_error_body()
{
	echo 'on MAIL arg alice@ reply 451 4.3.0 try|later' >script
	mf_smarthost_start -s script
	mf_conf
	queue deferred
	"$MF_SEND" -C "$PWD/mailferry.conf" -q || atf_fail "queue run failed"
	mf_wait_sessions 1
	health 1 '^MAILFERRY WARNING - 1 queued, oldest [0-9]+s, last error 451 4\.3\.0 try/later \| queued=1;'
}
health_last_error_cleanup() { mf_smarthost_stop; }

atf_test_case health_unknown
health_unknown_head() { atf_set descr "--health: bad limits, an unsafe spool, a bad config: UNKNOWN (exit 3), one line on stdout"; }
health_unknown_body()
{
	mf_conf
	for bad in "-w" "-w x" "-w 1h -w 2h" "-x 1h" "-w 0s" "-c ,0" "-w ,abc" \
	    "-w 5h -c 1h" "-w ,20 -c ,10" "-c 1h,2,3"; do
		# shellcheck disable=SC2086
		atf_check -s exit:3 -o match:'^MAILFERRY UNKNOWN - ' -e ignore \
		    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --health $bad
	done
	mf_conf '[health]' 'warn_age = 5h' 'crit_age = 1h'
	atf_check -s exit:3 -o match:'^MAILFERRY UNKNOWN - .*warn_age must not exceed crit_age' \
	    -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --health
	mf_conf
	chmod 0777 spool
	atf_check -s exit:3 -o match:'^MAILFERRY UNKNOWN - .*spool' -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --health
	chmod 0700 spool
	# The helper's own argv is as strict.
	atf_check -s exit:64 -o empty -e match:usage \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -H -q
	atf_check -s exit:64 -o empty -e match:usage \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -p -W 1h
	atf_check -s exit:64 -o empty -e match:usage \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -q -j
}

atf_test_case json_listing cleanup
json_listing_head()
{
	atf_set descr "mailq --json and sendmail -bp --json: one JSON document, every field; the text listing unchanged"
	atf_set timeout 60
}
json_listing_body()
{
	need_php
	printf '%s\n' 'on RCPT arg carol@ reply 451 4.2.0 "busy" now' >script
	mf_smarthost_start -s script
	mf_conf
	printf 'Subject: json\n\nbody\n' |
	    sm -odq -f alice@example.net bob@example.net carol@example.net ||
	    atf_fail "cannot queue"
	"$MF_SEND" -C "$PWD/mailferry.conf" -q || atf_fail "queue run failed"
	mf_wait_sessions 1
	queue fresh "$(printf 'j\303\266rg@example.net')"
	ln -s "$MF_SENDMAIL" mailq
	atf_check -s exit:0 -o save:json.out -e empty ./mailq -C "$PWD/mailferry.conf" --json
	atf_check -s exit:0 -o save:json2.out -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp --json
	cat json.out >&2
	cat >check.php <<'PHP'
<?php
$j = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
function want($c, $what) { if (!$c) { fwrite(STDERR, "bad: $what\n"); exit(1); } }
want($j['version'] === 1 && is_int($j['time']), 'version, time');
want($j['count'] === 2 && count($j['entries']) === 2, 'count');
$a = $j['entries'][0]; $b = $j['entries'][1];
want($j['bytes'] === $a['size'] + $b['size'], 'bytes');
foreach ($j['entries'] as $e) {
	want(preg_match('/^[0-9A-Z]{16}$/', $e['id']) === 1, 'id');
	want(is_int($e['age']) && $e['age'] >= 0 && $e['age'] < 120, 'age');
	want($e['created_iso'] === gmdate('Y-m-d\TH:i:s\Z', $e['created']), 'created_iso');
	want($e['next_attempt_iso'] === gmdate('Y-m-d\TH:i:s\Z', $e['next_attempt']), 'next_iso');
	want($e['bounce'] === false && is_int($e['size']) && $e['size'] > 0, 'bounce, size');
}
want($a['sender'] === 'alice@example.net', 'sender');
want($a['attempts'] === 1 && is_int($a['last_attempt']), 'attempts');
want($a['next_attempt'] >= $a['last_attempt'], 'next_attempt');
want(is_bool($a['due']), 'due');
want(str_contains($a['last_error'], '451 4.2.0'), 'last_error');
want(count($a['recipients']) === 2, 'recipients');
want($a['recipients'][0] === ['address' => 'bob@example.net', 'state' => 'sent', 'reply' => $a['recipients'][0]['reply']], 'rcpt 0');
want($a['recipients'][1]['address'] === 'carol@example.net', 'rcpt 1');
want($a['recipients'][1]['state'] === 'pending', 'rcpt 1 state');
want($a['recipients'][1]['reply'] === '451 4.2.0 "busy" now', 'rcpt 1 reply: ' . $a['recipients'][1]['reply']);
want($b['sender'] === "j\u{f6}rg@example.net", 'utf-8 sender');
want($b['attempts'] === 0 && $b['last_attempt'] === null && $b['last_error'] === null, 'fresh');
want($b['due'] === true && $b['recipients'][0]['reply'] === null, 'fresh due');
echo "ok\n";
PHP
	atf_check -o inline:'ok\n' php -n check.php json.out
	atf_check -o inline:'ok\n' php -n check.php json2.out
	# The text listing is unchanged.
	atf_check -s exit:0 -o match:'^  to: <carol@example.org> pending|^  to: <carol@example.net> pending' \
	    -o match:'^-- [0-9]+ Kbytes in 2 requests\.$' -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp
}
json_listing_cleanup() { mf_smarthost_stop; }

atf_test_case json_empty
json_empty_head() { atf_set descr "mailq --json on an empty queue: an empty list; --json is only for the listing"; }
json_empty_body()
{
	need_php
	mf_conf
	ln -s "$MF_SENDMAIL" mailq
	atf_check -s exit:0 -o save:json.out -e empty ./mailq -C "$PWD/mailferry.conf" --json
	atf_check -o inline:'0 0 0\n' php -n -r \
	    '$j = json_decode(file_get_contents("json.out"), true, 512, JSON_THROW_ON_ERROR); echo count($j["entries"]), " ", $j["count"], " ", $j["bytes"], "\n";'
	atf_check -s exit:64 -o empty -e match:'unknown option --json' "$MF_SENDMAIL" -C "$PWD/mailferry.conf" --json
}

atf_init_test_cases()
{
	atf_add_test_case health_ok
	atf_add_test_case health_age
	atf_add_test_case health_queue
	atf_add_test_case health_last_error
	atf_add_test_case health_unknown
	atf_add_test_case json_listing
	atf_add_test_case json_empty
}
