# install_test: "make install" as root into a temporary prefix (the
# build is cached, see instlib.sh): the names callers use, the setgid
# helpers, the spool, the sample configuration and the secret; a
# DESTDIR install for packagers; "make uninstall".

. "$(atf_get_srcdir)/testlib.sh"
. "$MF_SRCDIR/tests/instlib.sh"

# assert_mode PATH MODE OWNER:GROUP
assert_mode()
{
	[ -e "$1" ] && [ ! -L "$1" ] || atf_fail "$1 is missing"
	got=$(stat -c '%a %U:%G' "$1")
	[ "$got" = "$2 $3" ] || atf_fail "$1: $got, wanted $2 $3"
}

# assert_link LINK TARGET: a symbolic link that leads to TARGET.
assert_link()
{
	[ -L "$1" ] || atf_fail "$1 is not a symbolic link"
	[ "$(readlink -f "$1")" = "$(readlink -f "$2")" ] ||
	    atf_fail "$1 -> $(readlink "$1"), wanted $2"
}

atf_test_case install cleanup
install_head()
{
	atf_set descr "make install as root: links, setgid helpers, spool, config, secret"
	atf_set require.user root
	atf_set timeout 600
}
install_body()
{
	mf_inst_setup
	P=$MF_INST
	atf_check -o match:"helpers setgid mailferry" cat install.log
	atf_check -o ignore getent group mailferry

	# Every name a caller uses leads to the front end.
	assert_mode "$P/sbin/mailferry" 755 root:root
	for l in "$P/sbin/sendmail" "$P/sbin/newaliases" "$P/bin/mailq" \
	    "$P/lib/sendmail"; do
		assert_link "$l" "$P/sbin/mailferry"
	done
	# The helpers: setgid mailferry, nothing more.
	for h in mailferry-queue mailferry-send; do
		assert_mode "$MF_INST_LIBEXEC/$h" 2755 root:mailferry
	done
	[ -z "$(find "$P" -perm -4000)" ] ||
	    atf_fail "setuid files: $(find "$P" -perm -4000 | tr "\n" " ")"
	[ "$(find "$P" -perm -2000 | sort)" = "$(printf '%s\n%s' \
	    "$MF_INST_LIBEXEC/mailferry-queue" "$MF_INST_LIBEXEC/mailferry-send")" ] ||
	    atf_fail "setgid files: $(find "$P" -perm -2000 | tr "\n" " ")"
	# The spool.
	assert_mode "$MF_INST_SPOOL" 770 root:mailferry
	for d in tmp msg state corrupt sessions oauth2; do
		assert_mode "$MF_INST_SPOOL/$d" 770 root:mailferry
	done
	# OAuth2: its tool holds no privilege, and libcurl and json-c stay
	# out of the front end and mailferry-queue.
	assert_mode "$P/sbin/mailferry-oauth2" 755 root:root
	for p in "$P/sbin/mailferry" "$MF_INST_LIBEXEC/mailferry-queue"; do
		if ldd "$p" | grep -E 'libcurl|libjson-c'; then
			atf_fail "$p links libcurl or json-c"
		fi
	done
	# The sample configuration (world-readable, no secret) and the
	# secret (group mailferry only).
	assert_mode "$P/etc/mailferry.conf" 644 root:root
	atf_check -o match:'^\[smarthost\]' cat "$P/etc/mailferry.conf"
	if grep -E -q '^[[:space:]]*password[[:space:]]*=' "$P/etc/mailferry.conf"; then
		atf_fail "the sample configuration holds a password key"
	fi
	assert_mode "$P/etc/mailferry.secret" 640 root:mailferry
	atf_check -o match:"write the smarthost password into $P/etc/mailferry.secret" \
	    cat install.log
	atf_check -o match:'mailferry\.8' ls "$P/share/man/man8"
	atf_check -o match:'mailferry\.conf\.5' ls "$P/share/man/man5"

	# The installed sample works with the installed paths as it is:
	# an ordinary user can queue (no smarthost is contacted with -odq)
	# and list the queue; the spool and secret are the prefix's.
	atf_check -o match:"^queue\.dir = $MF_INST_SPOOL\$" \
	    -o match:"^smarthost\.password_file = $P/etc/mailferry.secret\$" \
	    $AS_NOBODY "$P/sbin/sendmail" --dump-config
	printf 'Subject: install test\n\nhello\n' >msg
	atf_check -s exit:0 -o empty -e empty \
	    $AS_NOBODY "$P/sbin/sendmail" -odq -i root <msg
	[ "$(ls "$MF_INST_SPOOL/msg" | wc -l)" -eq 1 ] ||
	    atf_fail "not queued in $MF_INST_SPOOL/msg: $(find "$MF_INST_SPOOL" | tr "\n" " ")"
	id=$(ls "$MF_INST_SPOOL/msg")
	atf_check -s exit:0 -o match:"$id" $AS_NOBODY "$P/bin/mailq"
	atf_check -s exit:0 -o empty -e empty $AS_NOBODY "$P/sbin/newaliases"
	atf_check -s exit:0 -o match:'^mailferry ' "$P/sbin/sendmail" --version

	# A second install over the first keeps an edited configuration
	# and the secret.
	echo '; edited' >>"$P/etc/mailferry.conf"
	echo 'pw' >"$P/etc/mailferry.secret"
	atf_check -o ignore -e ignore make -C "$MF_INST_BUILD" install
	atf_check -o match:'^; edited$' cat "$P/etc/mailferry.conf"
	atf_check -o inline:'pw\n' cat "$P/etc/mailferry.secret"
	assert_mode "$P/etc/mailferry.secret" 640 root:mailferry
	assert_mode "$MF_INST_LIBEXEC/mailferry-send" 2755 root:mailferry
}
install_cleanup() { mf_inst_cleanup; }

atf_test_case destdir cleanup
destdir_head()
{
	atf_set descr "make install DESTDIR=: packager instructions, nothing group-owned"
	atf_set require.user root
	atf_set timeout 600
}
destdir_body()
{
	mf_inst_setup
	P=$MF_INST
	D=$PWD/stage
	mkdir "$D"
	atf_check -o save:destdir.log -e ignore \
	    make -C "$MF_INST_BUILD" install DESTDIR="$D"
	atf_check -o match:'packager' -o match:'groupadd --system mailferry' \
	    -o match:'chmod 2755 .*mailferry-queue' \
	    -o match:"install -d -o root -g mailferry -m 0770 $P/var/spool/mailferry" \
	    -o match:"mailferry.secret" cat destdir.log
	[ -z "$(find "$D" -group mailferry)" ] ||
	    atf_fail "group-owned files: $(find "$D" -group mailferry | tr "\n" " ")"
	[ -z "$(find "$D" -perm -2000 -o -perm -4000)" ] ||
	    atf_fail "set-id files: $(find "$D" -perm -2000 -o -perm -4000 | tr "\n" " ")"
	[ -z "$(find "$D" ! -user root)" ] ||
	    atf_fail "files not owned by root: $(find "$D" ! -user root | tr "\n" " ")"
	[ ! -e "$D$P/etc/mailferry.secret" ] || atf_fail "a secret was created"
	atf_check -s exit:0 test -f "$D$P/sbin/mailferry"
	atf_check -s exit:0 test -f "$D$P/libexec/mailferry/mailferry-send"
	atf_check -s exit:0 test -f "$D$P/etc/mailferry.conf"
	atf_check -s exit:0 test -d "$D$P/var/spool/mailferry"
	# Links point to the final places, not into DESTDIR.
	for l in bin/mailq lib/sendmail; do
		case $(readlink "$D$P/$l") in
		"$D"*) atf_fail "$l points into DESTDIR: $(readlink "$D$P/$l")";;
		esac
	done
	atf_check -o inline:"mailferry\n" readlink "$D$P/sbin/sendmail"
}
destdir_cleanup() { mf_inst_cleanup; }

atf_test_case uninstall cleanup
uninstall_head()
{
	atf_set descr "make uninstall removes programs and links, keeps the spool and a written secret"
	atf_set require.user root
	atf_set timeout 600
}
uninstall_body()
{
	mf_inst_setup
	P=$MF_INST
	# A secret someone wrote stays (the empty one install made goes:
	# make distcheck's distuninstallcheck tests that).
	printf 'canary-pw\n' >"$P/etc/mailferry.secret"
	atf_check -o ignore -e ignore make -C "$MF_INST_BUILD" uninstall
	for f in sbin/mailferry sbin/sendmail sbin/newaliases bin/mailq \
	    lib/sendmail libexec/mailferry/mailferry-queue \
	    libexec/mailferry/mailferry-send etc/mailferry.conf; do
		[ ! -e "$P/$f" ] && [ ! -L "$P/$f" ] ||
		    atf_fail "$f is still installed"
	done
	atf_check -s exit:0 test -d "$MF_INST_SPOOL/msg"
	atf_check -o inline:'canary-pw\n' cat "$P/etc/mailferry.secret"
}
uninstall_cleanup() { mf_inst_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case install
	atf_add_test_case destdir
	atf_add_test_case uninstall
}
