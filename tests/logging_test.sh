# logging_test: the [log] section end to end: one record per delivery
# attempt per message, as JSON lines in a file or text on stderr, and
# the rules for the log file (symbolic link, others may write it,
# cannot be opened).

. "$(atf_get_srcdir)/testlib.sh"

# Every test here writes its own [log] section.
MF_LOG_TARGET=

# submit TAG rcpts...: queue a tagged message, no delivery yet.
submit()
{
	printf 'Subject: %s\n\n%s\n' "$1" "$1" >msg
	shift
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -f alice@example.net "$@" \
	    <msg || atf_fail "submission failed"
}

runq()
{
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
}

# jcheck FILE EXPR...: every line of FILE is a JSON object; each python
# expression over r (the records: objects with an "event") and m (the
# other lines: messages such as "bounce queued") must hold.
jcheck()
{
	f=$1
	shift
	python3 - "$f" "$@" <<'PY' || atf_fail "records: $(cat "$f")"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = [x for x in a if "event" in x]
m = [x for x in a if "event" not in x]
assert all(set(x) >= {"time", "prog", "level", "msg"} for x in m)
for e in sys.argv[2:]:
    if not eval(e):
        sys.exit("failed: " + e)
PY
}

atf_test_case json_file cleanup
json_file_head()
{
	atf_set descr "target = file, format = json: one valid record per attempt, a deferral with next attempt and attempt count"
	atf_set timeout 60
}
json_file_body()
{
	echo 'on RCPT session 1 arg carol@ reply 450 4.2.0 mailbox busy' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf '[log]' 'target = file' \
	    "file = $PWD/mail.log" 'format = json'
	submit one ann@example.net carol@example.net
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	test -f mail.log || atf_fail "no log file"
	atf_check -o inline:"640\n" stat -c %a mail.log
	jcheck mail.log 'len(r) == 1' \
	    'r[0]["event"] == "deferred"' \
	    'r[0]["from"] == "alice@example.net"' \
	    'len(r[0]["id"]) == 16' \
	    'r[0]["relay"].startswith("localhost[127.0.0.1]:")' \
	    'r[0]["tls"].startswith("TLSv1.")' \
	    'r[0]["attempt"] == 1' \
	    'r[0]["next_attempt"].endswith("Z")' \
	    'isinstance(r[0]["delay"], float)' \
	    '[(x["to"], x["status"]) for x in r[0]["recipients"]] == [("ann@example.net", "sent"), ("carol@example.net", "deferred")]' \
	    'r[0]["recipients"][1]["reply"] == "450 4.2.0 mailbox busy"' \
	    'r[0]["recipients"][0]["reply"].startswith("250 ")'
	sleep 2
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	jcheck mail.log 'len(r) == 2' \
	    'r[1]["event"] == "sent"' 'r[1]["id"] == r[0]["id"]' \
	    'r[1]["attempt"] == 2' '"next_attempt" not in r[1]' \
	    '[(x["to"], x["status"]) for x in r[1]["recipients"]] == [("carol@example.net", "sent")]'
}
json_file_cleanup() { mf_smarthost_stop; }

atf_test_case json_utf8 cleanup
json_utf8_head()
{
	atf_set descr "a UTF-8 sender and a 5xx reply make a valid JSON record (bounced)"
	atf_set timeout 60
}
json_utf8_body()
{
	echo 'on RCPT arg bob@ reply 550 5.1.1 "no" such\\user' >script
	mf_smarthost_start -s script
	MF_DELIVERY=queue mf_conf '[log]' 'target = file' \
	    "file = $PWD/mail.log" 'format = json'
	printf 'Subject: u\n\nu\n' | "$MF_SENDMAIL" -C "$PWD/mailferry.conf" \
	    -f "$(printf 'j\303\266rg@example.net')" bob@example.net ||
	    atf_fail "submission failed"
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	php -r '
	    foreach (file($argv[1]) as $l)
		json_decode($l, false, 512, JSON_THROW_ON_ERROR);' mail.log ||
	    atf_fail "php cannot decode: $(cat mail.log)"
	jcheck mail.log 'r[0]["event"] == "bounced"' \
	    'r[1]["event"] == "sent" and r[1]["from"] == ""' \
	    '"bounce queued as" in m[0]["msg"]' \
	    'r[0]["from"] == "j\u00f6rg@example.net"' \
	    'r[0]["recipients"][0]["status"] == "failed"' \
	    'r[0]["recipients"][0]["reply"].startswith("550 5.1.1")'
}
json_utf8_cleanup() { mf_smarthost_stop; }

atf_test_case stderr_q cleanup
stderr_q_head()
{
	atf_set descr "target = stderr: sendmail -q shows the text record on stderr"
	atf_set timeout 60
}
stderr_q_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf '[log]' 'target = stderr'
	submit two ann@example.net
	runq 2>err || atf_fail "runq failed: $(cat err)"
	grep -E '^mailferry: id=[0-9A-V]{16} from=<alice@example.net> to=<ann@example.net> relay=localhost\[127.0.0.1\]:[0-9]+ tls=TLSv1.[23] delay=[0-9.]+ status=sent \(250 ' err ||
	    atf_fail "no record on stderr: $(cat err)"
	atf_check -o inline:"1\n" grep -c 'status=' err
}
stderr_q_cleanup() { mf_smarthost_stop; }

atf_test_case stderr_json_deferred
stderr_json_deferred_head()
{
	atf_set descr "target = stderr, format = json: an unreachable relay gives a deferral record with next attempt"
	atf_set timeout 60
}
stderr_json_deferred_body()
{
	MF_PORT=1 MF_DELIVERY=queue mf_conf '[log]' 'target = stderr' \
	    'format = json'
	submit three ann@example.net
	runq 2>err || atf_fail "runq failed: $(cat err)"
	jcheck err 'len(r) == 1' 'r[0]["event"] == "deferred"' \
	    'r[0]["attempt"] == 1' '"next_attempt" in r[0]' \
	    'r[0]["tls"] is None' 'r[0]["relay"] == "localhost:1"' \
	    'r[0]["recipients"][0]["status"] == "deferred"'
}

atf_test_case file_refused
file_refused_head()
{
	atf_set descr "a log file others may write, or a symbolic link, is refused with one line and exit 77; nothing is delivered"
	atf_set timeout 60
}
file_refused_body()
{
	MF_PORT=1 MF_DELIVERY=queue mf_conf '[log]' 'target = file' \
	    "file = $PWD/mail.log"
	submit four ann@example.net
	: >mail.log
	chmod 0666 mail.log
	atf_check -s exit:77 -o empty \
	    -e inline:"mailferry: log file $PWD/mail.log: refused: writable by others\n" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	rm mail.log
	echo x >target
	ln -s "$PWD/target" mail.log
	atf_check -s exit:77 -o empty \
	    -e inline:"mailferry: log file $PWD/mail.log: a symbolic link\n" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -q
	atf_check -o inline:"x\n" cat target
	# The entry was not touched: no attempt counted.
	atf_check -o match:'attempts: 0|next: now' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bp
}

atf_test_case file_fallback cleanup
file_fallback_head()
{
	atf_set descr "a log file that cannot be opened: the record goes to stderr, with a warning"
	atf_set timeout 60
}
file_fallback_body()
{
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf '[log]' 'target = file' \
	    "file = $PWD/nodir/mail.log"
	submit five ann@example.net
	runq 2>err || atf_fail "runq failed: $(cat err)"
	grep -q "log file $PWD/nodir/mail.log: No such file or directory: logging to stderr" err ||
	    atf_fail "no warning: $(cat err)"
	grep -q 'to=<ann@example.net> .*status=sent' err ||
	    atf_fail "no record: $(cat err)"
}
file_fallback_cleanup() { mf_smarthost_stop; }

atf_test_case auto_default cleanup
auto_default_head()
{
	atf_set descr "target = auto without /dev/log: sendmail -q shows the record on stderr; a foreground submission keeps its caller's stderr quiet"
	atf_set timeout 60
}
auto_default_body()
{
	[ -e /dev/log ] && atf_skip "/dev/log exists: auto means syslog here"
	mf_smarthost_start
	MF_DELIVERY=queue mf_conf '[log]' 'target = auto'
	submit six ann@example.net
	runq 2>err || atf_fail "runq failed: $(cat err)"
	grep -q '^mailferry: id=.* to=<ann@example.net> .*status=sent' err ||
	    atf_fail "no record on stderr: $(cat err)"
	sed -i 's/^delivery = .*/delivery = foreground/' mailferry.conf
	printf 'Subject: f\n\nf\n' >msg
	atf_check -s exit:0 -o empty -e empty "$MF_SENDMAIL" \
	    -C "$PWD/mailferry.conf" -f alice@example.net bob@example.net <msg
	# Chosen explicitly, stderr is used in the foreground too.
	printf 'target = stderr\n' >>mailferry.conf
	sed -i '/^target = auto$/d' mailferry.conf
	atf_check -s exit:0 -o empty -e match:'to=<bob@example.net> .*status=sent' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -f alice@example.net \
	    bob@example.net <msg
}
auto_default_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case auto_default
	atf_add_test_case json_file
	atf_add_test_case json_utf8
	atf_add_test_case stderr_q
	atf_add_test_case stderr_json_deferred
	atf_add_test_case file_refused
	atf_add_test_case file_fallback
}
