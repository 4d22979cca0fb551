# oauth2_e2e_test: [oauth2] end to end.  mailferry-send obtains, caches,
# refreshes and rotates tokens against the test token endpoint
# (tests/tokenserver, HTTPS with the test CA), and the test smarthost
# accepts only the token the endpoint issued last (-w @ts/valid).
# mailferry-oauth2 authorize runs the device flow against the same
# endpoint.  Every token and secret of the endpoint contains "canary".

. "$(atf_get_srcdir)/testlib.sh"

OAUTH2="$MF_BUILDDIR/src/mailferry-oauth2"
# Substrings of every access token, refresh token, secret, device code.
CANARY='canary-'

msg()
{
	printf 'To: bob@example.net\nSubject: oauth2 test\n\nhello\n'
}

# send_ok: submit msg (foreground delivery); it must not fail.
send_ok()
{
	msg | mf_sendmail -t -i >out 2>&1 || atf_fail "$(cat out)"
}

# ts_start [options]: the token endpoint, TS_PORT its port.
ts_start()
{
	mf_tokenserver_start "$@"
	TS_PORT=$MF_TS_PORT
}

ts_stop()
{
	mf_tokenserver_stop
}

# oauth_start [tokenserver options]: both servers.
oauth_start()
{
	ts_start "$@"
	mf_smarthost_start -T -R -w "@$PWD/ts/valid"
}

oauth_stop()
{
	mf_smarthost_stop
	ts_stop
}

# oauth_conf [lines...]: AUTH XOAUTH2 with [oauth2] (refresh_token
# grant, generic provider on the test endpoint) instead of a password.
oauth_conf()
{
	printf 'rt0-canary-RT\n' >rt
	chmod 600 rt
	mf_conf '[oauth2]' 'provider = generic' \
	    "token_endpoint = https://127.0.0.1:${TS_PORT:-1}/token" \
	    'client_id = mf-client' "refresh_token_file = $PWD/rt" \
	    "ca_file = $MF_CERTS/ca.pem" "$@"
	sed -i -e '/^password_file/d' \
	    -e 's/^\[smarthost\]$/[smarthost]\nauth = xoauth2/' mailferry.conf
}

# token_requests: how many requests reached /token.
token_requests()
{
	grep -c '^/token ' ts/requests 2>/dev/null || true
}

# assert_requests N: /token was asked N times.
assert_requests()
{
	[ "$(token_requests)" -eq "$1" ] ||
	    atf_fail "$(token_requests) token requests, wanted $1"
}

# assert_delivered N: the smarthost got N messages (each in a session).
assert_delivered()
{
	n=$(cat rec/session.*/msg.*.env 2>/dev/null | grep -c '^dot 250')
	[ "$n" -eq "$1" ] || atf_fail "$n messages delivered, wanted $1"
}

# assert_no_secret FILE...: no token or secret in any of them.
assert_no_secret()
{
	for f in "$@"; do
		if grep -r -a -q -F "$CANARY" "$f" 2>/dev/null; then
			atf_fail "a token or secret leaked into $f: \
$(grep -r -a -F "$CANARY" "$f" | head -3)"
		fi
	done
}

atf_test_case first_token_cached cleanup
first_token_cached_head() { atf_set descr "the first token is obtained once and cached (0600 in a private dir)"; }
first_token_cached_body()
{
	oauth_start
	oauth_conf
	send_ok
	assert_requests 1
	send_ok
	assert_requests 1
	assert_delivered 2
	atf_check -o match:'XOAUTH2' cat rec/session.1/transcript
	atf_check -o inline:'-rw-------\n' sh -c "ls -l spool/oauth2/token | cut -c1-10"
	atf_check -o inline:'drwx------\n' sh -c "ls -ld spool/oauth2 | cut -c1-10"
	[ -z "$(mf_queue_ids)" ] || atf_fail "entries left in the queue"
}
first_token_cached_cleanup() { oauth_stop; }

atf_test_case concurrent_runs cleanup
concurrent_runs_head() { atf_set descr "concurrent runs wait on the cache lock: one token request, an intact cache"; }
concurrent_runs_body()
{
	oauth_start
	oauth_conf
	echo slow >ts/mode	# a request takes a second: the runs overlap
	for i in 1 2 3; do
		"$MF_SEND" -C "$PWD/mailferry.conf" -c >check.$i 2>&1 &
		echo $! >>pids
	done
	for p in $(cat pids); do
		wait "$p" || atf_fail "a run failed: $(cat check.*)"
	done
	assert_requests 1
	atf_check -o match:'^token at1-canary-AT$' cat spool/oauth2/token
	ls spool/oauth2/token.?????? 2>/dev/null && atf_fail "a temporary file is left"
	return 0
}
concurrent_runs_cleanup() { oauth_stop; }

atf_test_case oauthbearer cleanup
oauthbearer_head() { atf_set descr "auth = oauthbearer uses the obtained token too"; }
oauthbearer_body()
{
	oauth_start
	oauth_conf
	sed -i 's/^auth = xoauth2/auth = oauthbearer/' mailferry.conf
	send_ok
	atf_check -o match:'AUTH OAUTHBEARER' cat rec/session.1/transcript
	assert_delivered 1
}
oauthbearer_cleanup() { oauth_stop; }

atf_test_case expiry_refresh cleanup
expiry_refresh_head() { atf_set descr "an expired token is refreshed before the session"; }
expiry_refresh_body()
{
	oauth_start -e 2
	oauth_conf
	send_ok
	exp=$(sed -n 's/^expires //p' spool/oauth2/token)
	while [ "$(date +%s)" -lt "$exp" ]; do sleep 0.1; done
	t0=$(date +%s.%N)
	send_ok
	t1=$(date +%s.%N)
	assert_requests 2
	assert_delivered 2
	echo "expiry to delivered with a fresh token: $(echo "$t1 - $t0" | bc) s"
}
expiry_refresh_cleanup() { oauth_stop; }

atf_test_case refused_token_retry cleanup
refused_token_retry_head() { atf_set descr "a refused (revoked) token: one refresh, then delivered"; }
refused_token_retry_body()
{
	oauth_start
	oauth_conf
	send_ok
	echo revoked >ts/valid
	send_ok
	atf_check -o empty cat out
	assert_requests 2
	assert_delivered 2
	atf_check -o match:'bearer error answered' cat rec/session.2/transcript
	# Refused again after the refresh: no loop, the message waits.
	echo revoked >ts/valid
	echo stale >ts/mode	# the new token is refused too
	msg | mf_sendmail -t -i >out 2>&1
	assert_requests 3
	atf_check -o match:'^mailferry: queued: .*AUTH XOAUTH2 failed' cat out
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
}
refused_token_retry_cleanup() { oauth_stop; }

atf_test_case rotation cleanup
rotation_head() { atf_set descr "a rotated refresh token is written back atomically, owner and mode kept"; }
rotation_body()
{
	oauth_start -r -e 1
	oauth_conf
	chmod 0640 rt
	ino=$(stat -c %i rt)
	send_ok
	atf_check -o inline:'rt1-canary-RT\n' cat rt
	atf_check -o inline:"640 $(id -u)\n" stat -c '%a %u' rt
	atf_check -o inline:'0640\n' stat -c '%04a' rt
	[ "$(stat -c %i rt)" != "$ino" ] || atf_fail "rewritten in place"
	ls rt.* 2>/dev/null && atf_fail "a temporary file is left"
	sleep 1.1
	# The next refresh must present the rotated token.
	send_ok
	assert_requests 2
	atf_check -o inline:'rt2-canary-RT\n' cat rt
	assert_delivered 2
}
rotation_cleanup() { oauth_stop; }

atf_test_case invalid_grant cleanup
invalid_grant_head() { atf_set descr "invalid_grant: kept queued, one clear line, exit 78 for --check"; }
invalid_grant_body()
{
	oauth_start
	oauth_conf
	echo invalid_grant >ts/mode
	msg | mf_sendmail -t -i >out 2>&1
	atf_check -s exit:0 true
	atf_check -o match:'^mailferry: queued: token endpoint .*invalid_grant \(AADSTS700082.*re-run the authorization' cat out
	[ "$(wc -l <out)" -eq 1 ] || atf_fail "more than one line: $(cat out)"
	[ "$(mf_queue_ids | wc -l)" -eq 1 ] || atf_fail "not queued"
	atf_check -s exit:78 -o empty -e match:'invalid_grant' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -c
	assert_no_secret out
}
invalid_grant_cleanup() { oauth_stop; }

atf_test_case endpoint_down cleanup
endpoint_down_head() { atf_set descr "token endpoint down or failing: the message stays queued (75 for -F)"; }
endpoint_down_body()
{
	mf_smarthost_start -T -R
	TS_PORT=1 oauth_conf
	msg | mf_sendmail -t -i >out 2>&1
	atf_check -o match:'^mailferry: queued: token endpoint https://127.0.0.1:1/token' cat out
	id=$(mf_queue_ids)
	[ -n "$id" ] || atf_fail "not queued"
	atf_check -s exit:75 -o ignore -e match:'queued' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -I "$id" -F
	ts_start
	oauth_conf
	echo 500 >ts/mode
	atf_check -s exit:75 -o ignore -e match:'HTTP status 500' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -I "$id" -F
	echo garbage >ts/mode
	atf_check -s exit:75 -o ignore -e match:'not JSON' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -I "$id" -F
	[ "$(mf_queue_ids)" = "$id" ] || atf_fail "entry lost"
}
endpoint_down_cleanup() { oauth_stop; }

atf_test_case client_credentials cleanup
client_credentials_head() { atf_set descr "client_credentials grant (Microsoft 365 app-only): secret file, .default scope"; }
client_credentials_body()
{
	oauth_start
	printf 'cs-canary-SECRET\n' >cs
	chmod 600 cs
	oauth_conf 'grant = client_credentials' "client_secret_file = $PWD/cs"
	sed -i -e '/^refresh_token_file/d' -e 's/^provider = generic/provider = microsoft/' \
	    mailferry.conf
	send_ok
	assert_delivered 1
	atf_check -o inline:'/token client_credentials scope=https://outlook.office365.com/.default\n' \
	    cat ts/requests
	# A wrong secret: refused, the reason names what to check.
	printf 'wrong-canary-SECRET\n' >cs
	rm -f spool/oauth2/token
	msg | mf_sendmail -t -i >out 2>&1
	atf_check -o match:'invalid_grant.*check client_id, client_secret_file' cat out
	# An unsafe secret file is refused like password_file.
	chmod 666 cs
	rm -f spool/oauth2/token
	atf_check -s exit:77 -o ignore -e match:'client_secret_file .*chmod' \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -c
}
client_credentials_cleanup() { oauth_stop; }

atf_test_case check_expiry cleanup
check_expiry_head() { atf_set descr "mailferry-send -c shows the token's expiry, never the token"; }
check_expiry_body()
{
	oauth_start
	oauth_conf
	atf_check -s exit:0 -o save:check.out -e empty \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -c
	atf_check -o match:'^oauth2: access token valid until [0-9-]+T[0-9:]+Z \([0-9]+s\)$' \
	    cat check.out
	atf_check -o match:'^auth: XOAUTH2 accepted' cat check.out
	# A revoked cached token: the check gets a new one, as a run would.
	echo revoked >ts/valid
	atf_check -s exit:0 -o save:check2.out -e empty \
	    "$MF_SEND" -C "$PWD/mailferry.conf" -c
	atf_check -o match:'token was refused: asking for a new one' cat check2.out
	atf_check -o match:'^auth: XOAUTH2 accepted' cat check2.out
	assert_requests 2
	assert_no_secret check.out check2.out
}
check_expiry_cleanup() { oauth_stop; }

atf_test_case no_secret_leak cleanup
no_secret_leak_head() { atf_set descr "tokens, refresh tokens and secrets: not in output, -v trace, spool, logs or /proc"; }
no_secret_leak_body()
{
	oauth_start -r
	MF_LOG_TARGET= oauth_conf '[log]' 'target = file' "file = $PWD/mail.log"
	msg | mf_sendmail -v -t -i >out.v 2>&1 || atf_fail "$(cat out.v)"
	atf_check -o match:'AUTH XOAUTH2 <redacted>' cat out.v
	echo revoked >ts/valid
	msg | mf_sendmail -v -t -i >out2.v 2>&1
	# A run held mid-session: its command line and environment.
	echo 'on DATA session 1 stall 2 pass' >script
	mf_smarthost_stop
	mf_smarthost_start -T -R -w "@$PWD/ts/valid" -s script
	sed -i "s/^port = .*/port = $MF_PORT/" mailferry.conf
	msg | mf_sendmail -odq -t -i
	"$MF_SEND" -v -C "$PWD/mailferry.conf" -q >out3.v 2>&1 &
	pid=$!
	sleep 1
	tr '\0' '\n' </proc/$pid/cmdline >proc.txt 2>/dev/null
	tr '\0' '\n' </proc/$pid/environ >>proc.txt 2>/dev/null
	wait $pid
	mf_sendmail -bp >mailq.out 2>&1
	"$MF_SEND" -C "$PWD/mailferry.conf" -d >dump.out 2>&1
	mv spool/oauth2 oauth2-cache	# the cache holds the token by design
	assert_no_secret out.v out2.v out3.v proc.txt mailq.out dump.out \
	    spool mail.log
	mf_assert_no_canary out.v out2.v out3.v
}
no_secret_leak_cleanup() { oauth_stop; }

atf_test_case device_flow cleanup
device_flow_head() { atf_set descr "mailferry-oauth2 authorize: device flow, pending then a refresh token file"; }
device_flow_body()
{
	ts_start -p 2
	MF_PORT=1 oauth_conf "device_endpoint = https://127.0.0.1:$TS_PORT/device"
	rm -f rt
	atf_check -s exit:0 -o save:auth.out -e empty \
	    "$OAUTH2" -C "$PWD/mailferry.conf" authorize
	atf_check -o match:'https://127.0.0.1/device' cat auth.out
	atf_check -o match:'WDJB-MJHT' cat auth.out
	atf_check -o match:"refresh token written to $PWD/rt" cat auth.out
	atf_check -o inline:'rt1-canary-RT\n' cat rt
	want=600
	[ "$(id -u)" = 0 ] && getent group mailferry >/dev/null && want=640
	atf_check -o inline:"$want\n" stat -c '%a' rt
	atf_check -o inline:'/device\n' sh -c 'grep -c "^/device" ts/requests >/dev/null && sed -n 1p ts/requests | cut -d" " -f1'
	# Two authorization_pending replies, then the token.
	atf_check -o inline:'3\n' sh -c 'grep -c "^/token urn:ietf:params:oauth:grant-type:device_code" ts/requests'
	assert_no_secret auth.out
	# An existing refresh token file is not overwritten without -f.
	atf_check -s exit:73 -o empty -e match:'exists' \
	    "$OAUTH2" -C "$PWD/mailferry.conf" authorize
}
device_flow_cleanup() { ts_stop; }

atf_test_case loopback_flow cleanup
loopback_flow_head() { atf_set descr "mailferry-oauth2 -l authorize: loopback redirect with PKCE S256 and state"; }
loopback_flow_body()
{
	ts_start
	MF_PORT=1 oauth_conf "authorize_endpoint = https://127.0.0.1:$TS_PORT/authorize"
	rm -f rt
	"$OAUTH2" -C "$PWD/mailferry.conf" -l authorize >auth.out 2>auth.err &
	pid=$!
	i=0
	until grep -q 'authorize?' auth.out; do
		i=$((i + 1))
		[ $i -gt 100 ] && atf_fail "no address printed: $(cat auth.out auth.err)"
		sleep 0.1
	done
	url=$(grep -o 'https://127.0.0.1:[0-9]*/authorize?[^ ]*' auth.out)
	param() { echo "$url" | tr '&?' '\n\n' | sed -n "s/^$1=//p"; }
	[ "$(param code_challenge_method)" = S256 ] || atf_fail "no S256: $url"
	[ "$(param response_type)" = code ] || atf_fail "no code: $url"
	param code_challenge >ts/challenge
	redirect=$(param redirect_uri | sed 's/%3A/:/g; s|%2F|/|g')
	state=$(param state)
	case $redirect in http://127.0.0.1:[0-9]*/) ;; *) atf_fail "redirect $redirect" ;; esac
	# A forged redirect (wrong state) is ignored, then the real one.
	atf_check -s not-exit:0 -o ignore -e ignore \
	    curl -sf "${redirect}?code=ac-canary-AC&state=forged"
	atf_check -o match:'authorized' \
	    curl -s "${redirect}?code=ac-canary-AC&state=$state"
	wait $pid || atf_fail "authorize failed: $(cat auth.err)"
	atf_check -o inline:'rt1-canary-RT\n' cat rt
	atf_check -o match:'^/token authorization_code ' cat ts/requests
	assert_no_secret auth.out auth.err
}
loopback_flow_cleanup() { ts_stop; }

atf_test_case frontend_links_no_curl
frontend_links_no_curl_head() { atf_set descr "json-c only in mailferry-send and mailferry-oauth2; libcurl in none (loaded when a token is fetched: the other tests here use it)"; }
frontend_links_no_curl_body()
{
	for p in mailferry mailferry-queue mailferry-config; do
		if ldd "$MF_BUILDDIR/src/$p" | grep -E 'libcurl|libjson-c'; then
			atf_fail "$p links libcurl or json-c"
		fi
	done
	for p in mailferry-send mailferry-oauth2; do
		if ldd "$MF_BUILDDIR/src/$p" | grep libcurl; then
			atf_fail "$p links libcurl: every start pays for its libraries"
		fi
	done
	atf_check -o match:libjson-c ldd "$MF_BUILDDIR/src/mailferry-send"
}

atf_init_test_cases()
{
	atf_add_test_case first_token_cached
	atf_add_test_case concurrent_runs
	atf_add_test_case oauthbearer
	atf_add_test_case expiry_refresh
	atf_add_test_case refused_token_retry
	atf_add_test_case rotation
	atf_add_test_case invalid_grant
	atf_add_test_case endpoint_down
	atf_add_test_case client_credentials
	atf_add_test_case check_expiry
	atf_add_test_case no_secret_leak
	atf_add_test_case device_flow
	atf_add_test_case loopback_flow
	atf_add_test_case frontend_links_no_curl
}
