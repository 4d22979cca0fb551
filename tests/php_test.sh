# php_test: PHP's own mail() (php-cli) through mailferry, end to end.
# PHP runs sendmail_path with popen(), i.e. /bin/sh -c "<path> [5th
# argument]", writes "To:", "Subject:", the additional headers, an empty
# line and the message, and returns true only if the exit status is 0.
# Skipped when php is not installed.

. "$(atf_get_srcdir)/testlib.sh"

PHP_MSG=rec/session.1/msg.1

# php_start [config lines]: skip without php; the smarthost and config.
php_start()
{
	command -v php >/dev/null 2>&1 ||
	    atf_skip "php (php-cli) is not installed"
	mf_smarthost_start
	mf_conf "$@"
}

# php_mail [php -d settings...] -- CODE: run CODE with php -n (no
# php.ini: PHP's built-in defaults) and sendmail_path as Debian's
# default ("sendmail -t -i"), pointed at the test build.
php_mail()
{
	php_path="$MF_SENDMAIL -C $PWD/mailferry.conf -t -i"
	php_d=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		php_d="$php_d -d $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	php -n -d sendmail_path="$php_path" $php_d -r "$1" >stdout 2>stderr
	echo $? >php.rc
}

# php_ok: mail() returned true, PHP exited 0, nothing was printed but
# the var_dump; the message arrived.
php_ok()
{
	atf_check -o inline:'bool(true)\n' cat stdout
	atf_check -o empty cat stderr
	atf_check -o inline:'0\n' cat php.rc
	mf_wait_sessions 1
	[ -f $PHP_MSG.data ] || atf_fail "no message reached the smarthost"
	# CRLF only, never CR CR LF, a final CRLF.
	atf_check -o empty perl -e '
		local $/; binmode STDIN; my $d = <STDIN>;
		print "no final CRLF\n" if $d !~ /\r\n\z/;
		print "bare LF\n" if $d =~ /(?<!\r)\n/;
		print "bare CR\n" if $d =~ /\r(?!\n)/;' <$PHP_MSG.data
	perl -e 'local $/; binmode STDIN; my $d = <STDIN>;
		my $i = index($d, "\r\n\r\n"); die "no header end\n" if $i < 0;
		open(H, ">", "hdr") or die; binmode H;
		print H substr($d, 0, $i + 2);
		open(B, ">", "body") or die; binmode B;
		print B substr($d, $i + 4);' <$PHP_MSG.data ||
	    atf_fail "cannot split the message"
	for f in Date Message-ID From To Subject; do
		if [ "$(grep -ci "^$f:" hdr)" -ne 1 ]; then
			cat hdr >&2
			atf_fail "not one $f field (header on stderr)"
		fi
	done
	if grep -qi '^Bcc:' hdr; then
		atf_fail "Bcc field delivered"
	fi
}

# php_env MAILARGS RCPT...: the exact envelope.
php_env()
{
	{
		printf 'mail 250 %s\n' "$1"
		shift
		for r in "$@"; do
			printf 'rcpt 250 TO:<%s>\n' "$r"
		done
		printf 'data 354\ndot 250\n'
	} >env.exp
	atf_check -o file:env.exp cat $PHP_MSG.env
}

atf_test_case default_path cleanup
default_path_head() { atf_set descr "mail() with sendmail_path 'sendmail -t -i': true, delivered"; }
default_path_body()
{
	php_start
	php_mail -- 'var_dump(mail("bob@example.net", "Hello",
	    "Line one\nLine two\n.\nafter a lone dot",
	    "From: webmaster@example.org\r\nReply-To: webmaster@example.org\r\nX-Mailer: PHP/" . PHP_VERSION));'
	php_ok
	php_env "FROM:<$(id -un)@example.org>" bob@example.net
	printf 'Line one\r\nLine two\r\n.\r\nafter a lone dot\r\n' >body.exp
	atf_check -o file:body.exp cat body
	atf_check -o match:'^Subject: Hello' -o match:'^To: bob@example\.net' \
	    -o match:'^From: webmaster@example\.org' cat hdr
}
default_path_cleanup() { mf_smarthost_stop; }

atf_test_case fifth_argument cleanup
fifth_argument_head() { atf_set descr "mail() with -fsender@example.org as its fifth argument"; }
fifth_argument_body()
{
	php_start
	php_mail -- 'var_dump(mail("bob@example.net", "Hello", "body",
	    "From: Shop <sender@example.org>", "-fsender@example.org"));'
	php_ok
	php_env "FROM:<sender@example.org>" bob@example.net
}
fifth_argument_cleanup() { mf_smarthost_stop; }

atf_test_case mixed_line_ends cleanup
mixed_line_ends_head() { atf_set descr "PHP's CRLF header lines over an LF body; and mail.mixed_lf_and_crlf"; }
mixed_line_ends_body()
{
	php_start
	# PHP >= 8 ends its own lines with CRLF; the application's body and
	# its header block (Drupal) come with LF.
	php_mail -- 'var_dump(mail("bob@example.net", "Mixed",
	    "one\ntwo\r\nthree\n",
	    "From: site@example.org\nX-Mailer: Drupal\nMIME-Version: 1.0"));'
	php_ok
	printf 'one\r\ntwo\r\nthree\r\n\r\n' >body.exp
	atf_check -o file:body.exp cat body
	atf_check -o match:'^X-Mailer: Drupal' -o match:'^MIME-Version: 1.0' cat hdr
}
mixed_line_ends_cleanup() { mf_smarthost_stop; }

atf_test_case mixed_lf_setting cleanup
mixed_lf_setting_head() { atf_set descr "mail.mixed_lf_and_crlf=On: PHP writes LF only"; }
mixed_lf_setting_body()
{
	php_start
	php -n -r 'exit(version_compare(PHP_VERSION, "8.2.4", ">=") ? 0 : 1);' ||
	    atf_skip "mail.mixed_lf_and_crlf needs PHP 8.2.4"
	php_mail mail.mixed_lf_and_crlf=On -- 'var_dump(mail("bob@example.net",
	    "LF", "one\ntwo", "From: site@example.org"));'
	php_ok
	printf 'one\r\ntwo\r\n' >body.exp
	atf_check -o file:body.exp cat body
}
mixed_lf_setting_cleanup() { mf_smarthost_stop; }

atf_test_case bcc_header cleanup
bcc_header_head() { atf_set descr "a Bcc in additional_headers: a recipient, and stripped"; }
bcc_header_body()
{
	php_start
	php_mail -- 'var_dump(mail("\"Doe, John\" <john@example.net>, root",
	    "Bcc", "body",
	    "From: site@example.org\r\nCc: carol@example.net\r\nBcc: hidden@example.net, alice"));'
	php_ok
	php_env "FROM:<$(id -un)@example.org>" john@example.net \
	    admin@example.org carol@example.net hidden@example.net \
	    alice@example.org
}
bcc_header_cleanup() { mf_smarthost_stop; }

atf_test_case array_headers cleanup
array_headers_head() { atf_set descr "mail() with headers as an array (PHP >= 7.2)"; }
array_headers_body()
{
	php_start
	php_mail -- 'var_dump(mail("bob@example.net", "Array", "body",
	    ["From" => "Site <site@example.org>", "Bcc" => "hidden@example.net",
	     "X-Priority" => "3"]));'
	php_ok
	php_env "FROM:<$(id -un)@example.org>" bob@example.net hidden@example.net
	atf_check -o match:'^X-Priority: 3' cat hdr
}
array_headers_cleanup() { mf_smarthost_stop; }

atf_test_case returns_false cleanup
returns_false_head() { atf_set descr "no recipient: mailferry fails, mail() returns false, one line on stderr"; }
returns_false_body()
{
	php_start
	php_mail -- 'var_dump(mail("undisclosed-recipients:;", "x", "body"));'
	atf_check -o inline:'bool(false)\n' cat stdout
	if [ "$(wc -l <stderr)" -ne 1 ]; then
		cat stderr >&2
		atf_fail "not one line on stderr"
	fi
	atf_check -o match:'^mailferry: ' cat stderr
	if ls rec/session.*/msg.* >/dev/null 2>&1; then
		atf_fail "a message reached the smarthost"
	fi
}
returns_false_cleanup() { mf_smarthost_stop; }

atf_test_case environment cleanup
environment_head() { atf_set descr "php-cli hands its environment to sendmail_path (MAILFERRY_LIBEXECDIR)"; }
environment_body()
{
	php_start
	# A wrapper records what the front end would see, then runs it.
	cat >wrap.sh <<EOF
#!/bin/sh
printf '%s\n' "\$MAILFERRY_LIBEXECDIR" >"$PWD/libexec.out"
exec "$MF_SENDMAIL" "\$@"
EOF
	chmod +x wrap.sh
	php -n -d sendmail_path="$PWD/wrap.sh -C $PWD/mailferry.conf -t -i" \
	    -r 'var_dump(mail("bob@example.net", "env", "body"));' \
	    >stdout 2>stderr
	echo $? >php.rc
	php_ok
	atf_check -o inline:"$MAILFERRY_LIBEXECDIR\n" cat libexec.out
}
environment_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case default_path
	atf_add_test_case fifth_argument
	atf_add_test_case mixed_line_ends
	atf_add_test_case mixed_lf_setting
	atf_add_test_case bcc_header
	atf_add_test_case array_headers
	atf_add_test_case returns_false
	atf_add_test_case environment
}
