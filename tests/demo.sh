#!/bin/sh
# demo.sh BUILDDIR SRCDIR: the Quick start's main job.  Relay one message
# through mailferry to the bundled test smarthost (127.0.0.1, STARTTLS
# required before AUTH, AUTH required, its own test CA) and show what
# arrived.  Nothing leaves this machine.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
demo="$build/demo"

rm -rf "$demo"
mkdir -p -m 0700 "$demo/spool"
sh "$src/tests/gen-certs.sh" "$build/tests/certs" >/dev/null
certs="$build/tests/certs"
password="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

"$build/tests/smarthost" -P "$demo/port" -d "$demo/received" -a 30 -n 1 \
    -T -R -c "$certs/good.pem" -k "$certs/good.key" \
    -u demo@example.org -w "$password" 2>"$demo/smarthost.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
i=0
while [ ! -s "$demo/port" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$demo/smarthost.log"; exit 1; }
	sleep 0.1
done

umask 077
printf '%s\n' "$password" >"$demo/secret"
cat >"$demo/mailferry.conf" <<CONF
; The demo configuration: a real one lives in /etc/mailferry.conf.
[smarthost]
host = localhost
port = $(cat "$demo/port")
tls = starttls
user = demo@example.org
password_file = $demo/secret
ca_file = $certs/ca.pem
[sender]
domain = example.org
[queue]
dir = $demo/spool
delivery = foreground
[aliases]
root = admin@example.org
CONF
chmod 644 "$demo/mailferry.conf"

echo "==> printf 'Subject: Hello from mailferry ...' | sendmail -t -i  (as $(id -un))"
MAILFERRY_LIBEXECDIR="$build/src"; export MAILFERRY_LIBEXECDIR
status=0
printf 'To: root\nSubject: Hello from mailferry\n\nThis message went through the queue,\nSTARTTLS and AUTH to the test smarthost.\n' |
    "$build/src/mailferry" -C "$demo/mailferry.conf" -v -t -i 2>"$demo/trace" ||
    status=$?
echo "==> exit status $status (0: delivered or safely queued)"
echo "==> the SMTP dialogue (mailferry -v; AUTH is redacted):"
sed 's/^/    /' "$demo/trace"
i=0
while [ ! -s "$demo/received/sessions" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "nothing arrived"; exit 1; }
	sleep 0.1
done
echo "==> the smarthost received (envelope):"
sed 's/^/    /' "$demo/received/session.1/msg.1.env"
echo "==> the smarthost received (message):"
tr -d '\r' <"$demo/received/session.1/msg.1.data" | sed 's/^/    /'
echo "==> done: files in $demo"
exit "$status"
