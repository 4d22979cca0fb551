#!/bin/sh
#
# postfix-setup.sh: a private Postfix instance for the interoperability
# tests (postfix_test), entirely inside one directory.  Root only.
#
#   postfix-setup.sh start DIR CERTDIR USER PASSWORD
#   postfix-setup.sh stop DIR
#
# start makes DIR (which must not exist) and runs "postfix -c DIR/etc
# start"; it never touches /etc/postfix or the system's instance (the
# default main.cf is only read: meta_directory, for postfix-files).
# It writes DIR/ports: "SUBMISSION SMTPS\n", two free loopback ports:
#
#   SUBMISSION  STARTTLS required (smtpd_tls_security_level=encrypt),
#               AUTH only under TLS, AUTH required for everything
#   SMTPS       implicit TLS (smtpd_tls_wrappermode), AUTH required
#
# SASL is Cyrus with a private sasldb2 (one user: USER PASSWORD,
# mechanisms PLAIN LOGIN, or the list in $PF_MECHS, e.g. "PLAIN LOGIN
# SCRAM-SHA-256 CRAM-MD5": libsasl2-modules has those plugins too).  The certificate is CERTDIR/good.pem (from
# gen-certs.sh: localhost, signed by CERTDIR/ca.pem).  Mail for
# bob@example.net and carol@example.net is delivered by virtual(8) to
# the mbox files DIR/mail/bob and DIR/mail/carol; any other recipient
# at example.net is unknown (550 5.1.1).  Nothing can leave: there is
# no smtp transport, default_transport and local_transport are error:
# and Postfix listens on 127.0.0.1 only.  Its log is DIR/maillog.
#
# stop runs "postfix -c DIR/etc abort", then kills by pid the processes
# whose environment holds MAIL_CONFIG=DIR/etc.  Safe to call twice.

set -u

die()
{
	echo "postfix-setup: $*" >&2
	exit 1
}

# free_port: a loopback TCP port nobody listens on now.
free_port()
{
	n=0
	while [ $n -lt 200 ]; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] &&
		    ! grep -q "^$p\$" "$D/ports.tmp" 2>/dev/null; then
			echo "$p"
			return 0
		fi
		n=$((n + 1))
	done
	die "no free port"
}

write_main_cf()
{
	cat <<EOF
# A private instance for mailferry's tests: see tests/postfix-setup.sh.
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
meta_directory = $(postconf -dh meta_directory)
command_directory = $(postconf -dh command_directory)
daemon_directory = $(postconf -dh daemon_directory)
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test
mydomain = test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relay_domains =
relayhost =
default_transport = error:5.7.1 nothing leaves this test instance
relay_transport = error:5.7.1 nothing leaves this test instance
local_transport = error:5.7.1 no local delivery in this test instance
alias_maps =
alias_database =
virtual_mailbox_domains = example.net
virtual_mailbox_base = $D/mail
virtual_mailbox_maps = texthash:$D/etc/vmailbox
virtual_uid_maps = static:$MBOX_UID
virtual_gid_maps = static:$MBOX_GID
virtual_minimum_uid = 1
smtpd_banner = \$myhostname ESMTP mailferry-test
smtpd_tls_cert_file = $D/tls/good.pem
smtpd_tls_key_file = $D/tls/good.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $D/etc/sasl
smtpd_sasl_authenticated_header = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_error_sleep_time = 0
maillog_file = $D/maillog
maillog_file_prefixes = $D
biff = no
notify_classes =
readme_directory = no
html_directory = no
manpage_directory = /usr/share/man
sample_directory = /etc/postfix
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
syslog_name = mailferry-test-postfix
EOF
}

write_master_cf()
{
	cat <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$SUBMISSION inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMTPS inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
}

# tty_run cmd...: Postfix commands report errors to syslog, and on
# stderr only when it is a terminal: give them one if script(1) exists.
tty_run()
{
	if command -v script >/dev/null 2>&1; then
		script -qec "$*" /dev/null
	else
		"$@"
	fi
}

start()
{
	[ $# -eq 4 ] || die "usage: start DIR CERTDIR USER PASSWORD"
	D=$1
	certs=$2
	user=$3
	pass=$4
	[ "$(id -u)" = 0 ] || die "needs root"
	[ ! -e "$D" ] || die "$D exists"
	MBOX_UID=$(id -u nobody)
	MBOX_GID=$(id -g nobody)
	# Postfix wants root-owned directories that it can traverse.
	mkdir -m 755 "$D" || die "cannot make $D"
	mkdir -m 755 "$D/etc" "$D/etc/sasl" "$D/queue" "$D/tls"
	mkdir -m 700 "$D/data"
	chown postfix "$D/data"
	mkdir -m 755 "$D/mail"
	chown "$MBOX_UID:$MBOX_GID" "$D/mail"
	cp "$certs/good.pem" "$D/tls/good.pem"
	cp "$certs/good.key" "$D/tls/good.key"
	chmod 644 "$D/tls/good.pem"
	chmod 600 "$D/tls/good.key"

	: >"$D/ports.tmp"
	SUBMISSION=$(free_port)
	echo "$SUBMISSION" >>"$D/ports.tmp"
	SMTPS=$(free_port)
	write_main_cf >"$D/etc/main.cf"
	write_master_cf >"$D/etc/master.cf"
	printf 'bob@example.net bob\ncarol@example.net carol\n' \
	    >"$D/etc/vmailbox"

	# Cyrus SASL: its own configuration and user database.  Debian's
	# smtpd looks in $config_directory/sasl whatever
	# cyrus_sasl_config_path says; upstream's honours the parameter.
	cat >"$D/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $D/sasldb2
mech_list: ${PF_MECHS:-PLAIN LOGIN}
EOF
	case $user in
	*@*)	name=${user%@*}; realm=${user##*@};;
	*)	name=$user; realm=mx.test;;
	esac
	printf '%s' "$pass" | saslpasswd2 -f "$D/sasldb2" -p -c \
	    -u "$realm" "$name" || die "saslpasswd2 failed"
	chown root:postfix "$D/sasldb2"
	chmod 640 "$D/sasldb2"

	tty_run postfix -c "$D/etc" start >"$D/start.log" 2>&1 ||
	    die "postfix start: $(cat "$D/start.log") $(cat "$D/maillog" 2>/dev/null)"
	# Wait for both listeners.
	n=0
	while [ -z "$(ss -Htln "sport = :$SUBMISSION")" ] ||
	    [ -z "$(ss -Htln "sport = :$SMTPS")" ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && die "postfix is not listening: \
$(cat "$D/maillog" 2>/dev/null)"
		sleep 0.1
	done
	echo "$SUBMISSION $SMTPS" >"$D/ports"
}

# pids of the processes of the instance whose configuration is $1.
instance_pids()
{
	grep -l -s -z -x -F "MAIL_CONFIG=$1" /proc/[0-9]*/environ |
	    sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

stop()
{
	[ $# -eq 1 ] || die "usage: stop DIR"
	D=$1
	[ -f "$D/etc/main.cf" ] || return 0
	# Nothing of the instance is kept: no graceful stop (the master
	# takes a second to go on SIGTERM).  Only processes whose
	# environment names this instance are killed; a second sweep gets
	# a child the master forked meanwhile.
	postfix -c "$D/etc" abort >/dev/null 2>&1
	for sweep in 1 2; do
		for p in $(instance_pids "$D/etc"); do
			kill -9 "$p" 2>/dev/null
		done
	done
	return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start)	start "$@";;
stop)	stop "$@";;
*)	die "usage: postfix-setup.sh start DIR CERTDIR USER PASSWORD | stop DIR";;
esac
