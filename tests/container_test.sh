# container_test: the container recipe (etc/docker, README "Containers")
# played without docker, as root: a single-user install (make install
# MF_OWNER=65534, no set-id bits) used as the user nobody in a private
# mount namespace where the install prefix is read-only, the spool is
# an empty tmpfs volume, /dev has no log socket, the password is a
# Kubernetes-style symbolic link chain (root 0644) and the
# configuration comes only from MAILFERRY_* variables through
# mailferry-config, as etc/docker/entrypoint.sh does.

. "$(atf_get_srcdir)/testlib.sh"
. "$MF_SRCDIR/tests/instlib.sh"

NOBODY_UID=65534

# The part that runs inside the mount namespace (argument: the prefix).
ct_inside()
{
	P=$1
	S=$P/var/spool/mailferry
	set -e
	mount --make-rprivate /
	# /dev without a log socket: a tmpfs with the nodes we need.
	mkdir dev
	mount -t tmpfs -o mode=0755 tmpfs dev
	for n in null zero random urandom; do
		touch "dev/$n"
		mount --bind "/dev/$n" "dev/$n"
	done
	mount --move dev /dev
	test ! -e /dev/log
	# A read-only root: the install prefix, then the volumes on it.
	mount --bind "$P" "$P"
	mount -o remount,bind,ro "$P"
	if touch "$P/sbin/probe" 2>/dev/null; then
		echo "the prefix is writable" >&2
		exit 1
	fi
	mount -t tmpfs -o mode=0700,uid=$NOBODY_UID tmpfs "$S"
	# The log volume: where the recipe's [log] target = file writes.
	mount -t tmpfs -o mode=0700,uid=$NOBODY_UID tmpfs "$P/var/log"
	mount -t tmpfs -o mode=0755 tmpfs "$P/etc"
	# The Secret volume: a sticky tmpfs, name -> ..data/name -> dir.
	mount -t tmpfs -o mode=1777 tmpfs "$P/secrets"
	d=$P/secrets/..2026_01_01_00_00_00.000000001
	mkdir -m 0755 "$d"
	printf '%s\n' "$MF_PASSWORD" >"$d/smtp-password"
	chmod 0644 "$d/smtp-password"
	cp ca.pem "$d/ca.pem"
	chmod 0644 "$d/ca.pem"
	ln -s "${d##*/}" "$P/secrets/..data"
	ln -s ..data/smtp-password "$P/secrets/smtp-password"
	ln -s ..data/ca.pem "$P/secrets/ca.pem"
	# The entrypoint, as root: configuration from the environment.
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    MAILFERRY_HOST=localhost MAILFERRY_PORT="$MF_PORT" \
	    MAILFERRY_USER="$MF_USER" \
	    MAILFERRY_PASSWORD_FILE="$P/secrets/smtp-password" \
	    MAILFERRY_SMARTHOST_CA_FILE="$P/secrets/ca.pem" \
	    MAILFERRY_DOMAIN=example.org MAILFERRY_DELIVERY=foreground \
	    MAILFERRY_RETRY=1s MAILFERRY_MAX_RETRY=2s \
	    MAILFERRY_ALIASES_ROOT=admin@example.org \
	    MAILFERRY_LOG_TARGET=file MAILFERRY_LOG_FORMAT=json \
	    MAILFERRY_LOG_FILE="$P/var/log/mail.log" \
	    "$P/sbin/mailferry-config" -o "$P/etc/mailferry.conf"
	cp "$P/etc/mailferry.conf" written.conf
	# The app, as nobody, with the installed (not setgid) programs.
	set +e
	printf 'To: bob@example.net\nSubject: container test\n\nhello\n' |
	    runuser -u nobody -- env -i PATH=/usr/bin:/bin \
	    "$P/sbin/sendmail" -v -t
	echo "sendmail: $?" >&2
	ls -A "$S/msg" >spool.msg 2>&1
	cp "$P/var/log/mail.log" mail.log
	set -e
}

atf_test_case container cleanup
container_head()
{
	atf_set "descr" "A single-user install as nobody: read-only root, " \
	    "tmpfs spool, no /dev/log, symlinked secret, env configuration"
	atf_set "require.user" "root"
	atf_set "timeout" "900"
}
container_body()
{
	command -v unshare >/dev/null 2>&1 || atf_skip "needs unshare"
	unshare -m true 2>/dev/null ||
	    atf_skip "unshare -m fails here: no mount namespaces"
	MF_INST_MAKEARGS="MF_OWNER=$NOBODY_UID"
	mf_inst_setup
	P=$MF_INST
	# No set-id bit anywhere, the spool and secret are the user's.
	for f in "$MF_INST_LIBEXEC/mailferry-queue" \
	    "$MF_INST_LIBEXEC/mailferry-send" "$P/sbin/mailferry"; do
		[ -z "$(find "$f" -perm /6000)" ] ||
		    atf_fail "$f is set-id in a single-user install"
	done
	atf_check -o inline:"$NOBODY_UID 700\n" stat -c '%u %a' "$MF_INST_SPOOL"
	atf_check -o inline:"$NOBODY_UID 600\n" \
	    stat -c '%u %a' "$P/etc/mailferry.secret"
	grep -q mailferry-send.*2755 install.log &&
	    atf_fail "the install made the helpers setgid"
	mkdir -m 0755 "$P/secrets"
	mkdir -p -m 0755 "$P/var/log"
	mf_smarthost_start -T -R
	cp "$MF_CERTS/ca.pem" ca.pem
	export MF_PORT MF_USER MF_PASSWORD NOBODY_UID
	unshare -m sh -c "$(typeset -f ct_inside 2>/dev/null ||
	    declare -f ct_inside); ct_inside '$P'" >out 2>err ||
	    atf_fail "the namespace failed: $(cat err)"
	# The configuration came from the environment alone.
	atf_check -o match:'^password_file = .*/secrets/smtp-password$' \
	    cat written.conf
	atf_check -o match:'^root = admin@example.org$' cat written.conf
	atf_check -o match:'^sendmail: 0$' cat err
	# Delivered, through the symlinked secret, spool empty.
	mf_wait_sessions 1
	atf_check -o inline:"mail 250 FROM:<nobody@example.org>\nrcpt 250 TO:<bob@example.net>\ndata 354\ndot 250\n" \
	    cat rec/session.1/msg.1.env
	atf_check -o inline:"$MF_USER\n" cat rec/session.1/auth
	atf_check -o match:'^Subject: container test' \
	    cat rec/session.1/msg.1.data
	atf_check -o empty cat spool.msg
	# The delivery record, where the recipe says: one JSON line in the
	# log file on its volume (no /dev/log here: syslog would lose it).
	atf_check -o match:'^target = file$' cat written.conf
	atf_check -o match:'"event":"sent".*"to":"bob@example\.net","status":"sent"' \
	    cat mail.log
	atf_check -o inline:"1\n" grep -c '"event":"sent"' mail.log
	php -n -r '$l = file("mail.log"); $r = json_decode($l[0], true);
	    exit($r !== null && $r["recipients"][0]["to"] === "bob@example.net"
	    && $r["tls"] !== null ? 0 : 1);' ||
	    atf_fail "the record does not parse: $(cat mail.log)"
	mf_assert_no_canary out err written.conf install.log mail.log
}
container_cleanup()
{
	mf_smarthost_stop
	mf_inst_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case container
}
