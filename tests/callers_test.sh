# callers_test: every caller of tests/callers.md, end to end.  Each
# case runs the front end with the caller's exact argv and a faithful
# copy of what it writes on stdin, then checks what the smarthost got:
# the envelope (sender, the exact recipient set after aliases and
# qualification), the header fields added or removed, the body bytes,
# the exit status, and that nothing was printed.
#
# Not here: the callers that speak -bs (Symfony's and Drupal's default
# DSN, Laravel, Nextcloud, Alpine) are in bs_e2e_test; PHP's real
# mail() is in php_test.
#
# What every delivered message must satisfy (cl_received): lines end in
# exactly CRLF (no bare LF or CR, no CR CR LF), a final CRLF, no line
# over 998 octets, no NUL; exactly one Date, Message-ID and From; no Bcc
# or Resent-Bcc.

. "$(atf_get_srcdir)/testlib.sh"

CL_MSG=rec/session.1/msg.1

# cl_start [config lines]: the smarthost, and the configuration
# (domain example.org, root = admin@example.org).
cl_start()
{
	mf_smarthost_start
	mf_conf "$@"
}

# cl_me: the caller's login, the default envelope sender's local part.
cl_me()
{
	id -un
}

# cl_send args...: the front end run as "sendmail args..." with stdin
# from ./in: exit 0 and no output; then check what was received.
cl_send()
{
	atf_check -s exit:0 -o empty -e empty \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$@" <in
	cl_received
}

# cl_path_send args...: the same, found as "sendmail" through PATH
# (busybox crond, nodemailer, Email::Sender, mime-construct).
cl_path_send()
{
	mkdir -p bin
	ln -sf "$MF_SENDMAIL" bin/sendmail
	atf_check -s exit:0 -o empty -e empty \
	    env PATH="$PWD/bin:$PATH" sendmail -C "$PWD/mailferry.conf" "$@" <in
	cl_received
}

# The checks every received message passes; leaves ./hdr and ./body.
cl_received()
{
	mf_wait_sessions 1
	[ -f $CL_MSG.data ] || atf_fail "no message reached the smarthost"
	[ ! -f rec/session.1/msg.2.data ] || atf_fail "more than one message"
	atf_check -o empty perl -e '
		local $/; binmode STDIN; my $d = <STDIN>;
		print "empty\n" if $d eq "";
		print "no final CRLF\n" if $d !~ /\r\n\z/;
		print "bare LF\n" if $d =~ /(?<!\r)\n/;
		print "CR CR LF\n" if $d =~ /\r\r\n/;
		print "bare CR\n" if $d =~ /\r(?!\n)/;
		print "NUL\n" if $d =~ /\0/;
		for (split /\r\n/, $d) {
			next if length($_) <= 998;
			print "a line of ", length($_), " octets\n";
			last;
		}' <$CL_MSG.data
	perl -e '
		local $/; binmode STDIN; my $d = <STDIN>;
		my $i = index($d, "\r\n\r\n");
		die "no end of header\n" if $i < 0;
		open(H, ">", "hdr") or die; binmode H;
		print H substr($d, 0, $i + 2);
		open(B, ">", "body") or die; binmode B;
		print B substr($d, $i + 4);' <$CL_MSG.data ||
	    atf_fail "cannot split the received message"
	cl_count Date 1
	cl_count Message-ID 1
	cl_count From 1
	cl_count Bcc 0
	cl_count Resent-Bcc 0
	# An added Date must be RFC 5322.
	cl_field Date | grep -Eq '^([A-Z][a-z]{2}, )?[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}' ||
	    atf_fail "bad Date: $(cl_field Date)"
	cl_field Message-ID | grep -Eq '^<[^<>@ ]+@[^<>@ ]+>$' ||
	    atf_fail "bad Message-ID: $(cl_field Message-ID)"
}

# cl_count NAME N: the received header has N fields NAME.
cl_count()
{
	n=$(grep -aci "^$1:" hdr)
	if [ "$n" -ne "$2" ]; then
		cat hdr >&2
		atf_fail "$n $1 fields, wanted $2 (header on stderr)"
	fi
}

# cl_field NAME: the (first) field NAME's value, unfolded, without CRLF.
cl_field()
{
	perl -e '
		local $/; my $h = <STDIN>; $h =~ s/\r\n[ \t]/ /g;
		for (split /\r\n/, $h) {
			if (/^\Q$ARGV[0]\E:[ \t]*(.*)$/i) { print "$1\n"; last }
		}' "$1" <hdr
}

# cl_field_is NAME VALUE: the field NAME is exactly VALUE.
cl_field_is()
{
	v=$(cl_field "$1")
	[ "$v" = "$2" ] || atf_fail "$1: got '$v', wanted '$2'"
}

# cl_field_match NAME ERE: the field NAME matches ERE.
cl_field_match()
{
	v=$(cl_field "$1")
	printf '%s\n' "$v" | grep -Eq "$2" || atf_fail "$1: '$v' !~ $2"
}

# cl_env MAILARGS RCPT...: the exact envelope ("FROM:<a> BODY=...").
cl_env()
{
	{
		printf 'mail 250 %s\n' "$1"
		shift
		for r in "$@"; do
			printf 'rcpt 250 TO:<%s>\n' "$r"
		done
		printf 'data 354\ndot 250\n'
	} >env.exp
	atf_check -o file:env.exp cat $CL_MSG.env
}

# cl_body TEXT: the received body is exactly TEXT (printf %b).
cl_body()
{
	printf '%b' "$1" >body.exp
	atf_check -o file:body.exp cat body
}

# cl_body_as_input [FILE]: the received body is the input's (./in or
# FILE, after its first empty line), with each line end made CRLF and a
# final one added.
cl_body_as_input()
{
	perl -e '
		local $/; binmode STDIN; my $d = <STDIN>;
		$d =~ s/\A.*?\r?\n\r?\n//s or die "no body\n";
		$d =~ s/\r?\n/\r\n/g;
		$d .= "\r\n" if $d ne "" && $d !~ /\r\n\z/;
		binmode STDOUT; print $d;' <"${1:-in}" >body.exp
	atf_check -o file:body.exp cat body
}

# cl_nothing_sent: no message reached the smarthost.
cl_nothing_sent()
{
	if ls rec/session.*/msg.* >/dev/null 2>&1; then
		atf_fail "a message reached the smarthost"
	fi
}

# cl_one_line FILE: FILE holds exactly one line, starting "mailferry: ".
cl_one_line()
{
	if [ "$(wc -l <"$1")" -ne 1 ] || ! grep -q '^mailferry: ' "$1"; then
		cat "$1" >&2
		atf_fail "$1 is not one line from mailferry (copied on stderr)"
	fi
}

# --- PHP and the PHP applications --------------------------------------

atf_test_case php_mail cleanup
php_mail_head() { atf_set descr "PHP mail(): -t -i, CRLF header lines over an LF body"; }
php_mail_body()
{
	cl_start
	# php_mail(): "To:", "Subject:", the extra headers, an empty line,
	# the message as given, a line end; PHP >= 8 writes CRLF.
	printf '%b' 'To: bob@example.net\r\nSubject: Hello\r\n' \
	    'From: webmaster@example.org\r\nReply-To: webmaster@example.org\r\n' \
	    'X-Mailer: PHP/8.2.36\r\n\r\nLine one\nLine two\r\n' >in
	cl_send -t -i
	cl_env "FROM:<$(cl_me)@example.org>" bob@example.net
	cl_field_is From 'webmaster@example.org'
	cl_body 'Line one\r\nLine two\r\n'
}
php_mail_cleanup() { mf_smarthost_stop; }

atf_test_case phpmailer6 cleanup
phpmailer6_head() { atf_set descr "PHPMailer 6 isSendmail: -oi -f<Sender> -t, Bcc header, CRLF"; }
phpmailer6_body()
{
	cl_start
	sed 's/$/\r/' >in <<'EOF'
Date: Mon, 23 Nov 2026 09:00:00 +0000
To: "Doe, John" <john@example.net>
From: Shop <shop@example.org>
Cc: carol@example.net
Bcc: hidden@example.net
Subject: Order confirmation
Message-ID: <Xo1v2fK3@example.org>
X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1

Thank you for your order.
.
The line above is a lone dot.
EOF
	cl_send -oi -fbounce@example.org -t
	cl_env "FROM:<bounce@example.org>" john@example.net \
	    carol@example.net hidden@example.net
	cl_field_is Message-ID '<Xo1v2fK3@example.org>'
	cl_field_is Date 'Mon, 23 Nov 2026 09:00:00 +0000'
	cl_body_as_input
}
phpmailer6_cleanup() { mf_smarthost_stop; }

atf_test_case phpmailer7 cleanup
phpmailer7_head() { atf_set descr "PHPMailer 7 isSendmail SingleTo: -f<Sender> -i -t, LF To line before CRLF"; }
phpmailer7_body()
{
	cl_start
	printf '%b' 'To: bob@example.net\n' \
	    'Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n' \
	    'From: Shop <shop@example.org>\r\nSubject: Gr\303\274\303\237e\r\n' \
	    'Message-ID: <Yp2w3gL4@example.org>\r\n' \
	    'X-Mailer: PHPMailer 7.0.0 (https://github.com/PHPMailer/PHPMailer)\r\n' \
	    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n' \
	    'Content-Transfer-Encoding: 8bit\r\n\r\n' \
	    'Sch\303\266ne Gr\303\274\303\237e\r\n' >in
	cl_send -fshop@example.org -i -t
	cl_env "FROM:<shop@example.org> BODY=8BITMIME" bob@example.net
	cl_body_as_input
}
phpmailer7_cleanup() { mf_smarthost_stop; }

atf_test_case wordpress cleanup
wordpress_head() { atf_set descr "WordPress wp_mail via mail(): no -f, only Bcc, To: undisclosed-recipients:;"; }
wordpress_body()
{
	cl_start
	sed 's/$/\r/' >in <<'EOF'
To: undisclosed-recipients:;
Subject: [Blog] New User Registration
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: WordPress <wordpress@example.org>
Bcc: a@example.net, "Doe, Jane" <jane@example.net>
Message-ID: <Zq3x4hM5@example.org>
X-Mailer: PHPMailer 6.9.3 (https://github.com/PHPMailer/PHPMailer)
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

New user registration on your site Blog:

Username: joe

EOF
	cl_send -t -i
	cl_env "FROM:<$(cl_me)@example.org>" a@example.net jane@example.net
	cl_field_is To 'undisclosed-recipients:;'
	cl_body_as_input
}
wordpress_cleanup() { mf_smarthost_stop; }

atf_test_case drupal cleanup
drupal_head() { atf_set descr "Drupal PhpMail: -t -i -f<site>, LF headers between PHP's CRLF lines"; }
drupal_body()
{
	cl_start
	printf '%b' 'To: user@example.net\r\nSubject: Account details\r\n' \
	    'MIME-Version: 1.0\n' \
	    'Content-Type: text/plain; charset=UTF-8; format=flowed; delsp=yes\n' \
	    'Content-Transfer-Encoding: 8Bit\nX-Mailer: Drupal\n' \
	    'Return-Path: site@example.org\nSender: site@example.org\n' \
	    'From: Example site <site@example.org>\r\n\r\n' \
	    'Hello,\n\nA request to reset the password was made.\n\n' \
	    '-- Example site team\r\n' >in
	cl_send -t -i -fsite@example.org
	cl_env "FROM:<site@example.org>" user@example.net
	cl_body 'Hello,\r\n\r\nA request to reset the password was made.\r\n\r\n-- Example site team\r\n'
	# The LF-ended fields are fields, not body.
	cl_field_is X-Mailer 'Drupal'
}
drupal_cleanup() { mf_smarthost_stop; }

symfony_msg()
{
	cat >in <<'EOF'
From: Shop <shop@example.org>
To: bob@example.net
Subject: Your order
Message-ID: <a1b2c3d4e5f6@example.org>
MIME-Version: 1.0
Date: Mon, 23 Nov 2026 09:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Your order has shipped.
EOF
}

atf_test_case symfony_t cleanup
symfony_t_head() { atf_set descr "Symfony SendmailTransport '-t -i': -t dropped, -f'sender' and argv recipients"; }
symfony_t_body()
{
	cl_start
	symfony_msg
	printf '.hidden\n.\nend\n' >>in
	# sh -c "/usr/sbin/sendmail -i -f'shop@example.org' 'bob@example.net'
	# 'hidden@example.net'": the Bcc recipient is only on argv.
	cl_send -i -f'shop@example.org' 'bob@example.net' 'hidden@example.net'
	cl_env "FROM:<shop@example.org>" bob@example.net hidden@example.net
	cl_body_as_input
}
symfony_t_cleanup() { mf_smarthost_stop; }

atf_test_case symfony_t_no_i cleanup
symfony_t_no_i_head() { atf_set descr "Symfony SendmailTransport '-t' (no -i): its doubled dots are delivered as sent"; }
symfony_t_no_i_body()
{
	cl_start
	symfony_msg
	# Without " -i" in the command Symfony doubles every leading dot
	# itself.  Its bug: ".." is not unstuffed in pipe mode, and ".."
	# alone is no end of input.
	printf '..hidden\n..\nend\n' >>in
	cl_send -f'shop@example.org' 'bob@example.net'
	cl_env "FROM:<shop@example.org>" bob@example.net
	cl_body 'Your order has shipped.\r\n..hidden\r\n..\r\nend\r\n'
}
symfony_t_no_i_cleanup() { mf_smarthost_stop; }

atf_test_case roundcube cleanup
roundcube_head() { atf_set descr "Roundcube without smtp_host: mail() with -f, Bcc kept for -t, quoted names"; }
roundcube_body()
{
	cl_start
	printf '%b' 'To: "Doe, John" <john@example.net>, carol@example.net\r\n' \
	    'Subject: Meeting\r\n' \
	    'Date: Mon, 23 Nov 2026 10:00:00 +0100\n' \
	    'From: Alice <alice@example.org>\nBcc: hidden@example.net\n' \
	    'Message-ID: <8f1e2d3c4b5a@example.org>\n' \
	    'User-Agent: Roundcube Webmail/1.6.9\nMIME-Version: 1.0\n' \
	    'Content-Type: text/plain; charset=US-ASCII;\n format=flowed\n' \
	    'Content-Transfer-Encoding: 7bit\r\n\r\nSee you at 10.\r\n' >in
	cl_send -t -i -falice@example.org
	cl_env "FROM:<alice@example.org>" john@example.net carol@example.net \
	    hidden@example.net
	cl_body 'See you at 10.\r\n'
}
roundcube_cleanup() { mf_smarthost_stop; }

# --- cron and friends ---------------------------------------------------

atf_test_case debian_cron cleanup
debian_cron_head() { atf_set descr "Debian cron: -FCronDaemon -i -B8BITMIME -oem a@x,bob; 1500-byte line made QP"; }
debian_cron_body()
{
	cl_start
	long=$(printf '%01500d' 7)
	{
		cat <<'EOF'
From: root (Cron Daemon)
To: alice@example.net,bob
Subject: Cron <root@vm> /usr/local/bin/report
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
X-Cron-Env: <MAILTO=alice@example.net,bob>
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <HOME=/root>
X-Cron-Env: <PATH=/usr/bin:/bin>
X-Cron-Env: <LOGNAME=root>
EOF
		# A long environment value: the field is folded.
		printf 'X-Cron-Env: <CLASSPATH=%s>\n\n' "$long"
		printf 'report: caf\303\251 ok\t \n%s\n.\n=done=\n' "$long"
	} >in
	# One argument: cron splits MAILTO on white space only.
	cl_send -FCronDaemon -i -B8BITMIME -oem 'alice@example.net,bob'
	cl_env "FROM:<$(cl_me)@example.org> BODY=8BITMIME" alice@example.net \
	    bob@example.org
	# The bare sender is qualified in From, the comment kept.
	cl_field_match From '^root@example\.org \(Cron Daemon\)$'
	cl_count MIME-Version 1
	cl_count X-Cron-Env 6
	# Folded (CRLF before white space, or CRLF SP inserted): unfolded
	# and without its spaces, the field is whole.
	perl -e 'local $/; $_ = <STDIN>; s/\r\n([ \t])/$1/g;
	    for (split /\r\n/) { s/[ \t]//g; print "$_\n" if /CLASSPATH/ }' \
	    <hdr >classpath
	printf 'X-Cron-Env:<CLASSPATH=%s>\n' "$long" >classpath.exp
	atf_check -o file:classpath.exp cat classpath
	cl_count Content-Transfer-Encoding 1
	cl_field_is Content-Transfer-Encoding 'quoted-printable'
	# Decoded, the body is the job's output, byte for byte.
	perl -e 'local $/; binmode STDIN; $_ = <STDIN>;
	    s/\A.*?\n\n//s; binmode STDOUT; print' <in >body.exp
	atf_check -o file:body.exp perl -MMIME::QuotedPrint -e '
	    local $/; binmode STDIN; $_ = <STDIN>; s/\r\n/\n/g;
	    binmode STDOUT; print decode_qp($_)' <body
}
debian_cron_cleanup() { mf_smarthost_stop; }

atf_test_case cronie cleanup
cronie_head() { atf_set descr "cronie: -FCronDaemon -i -odi -oem -oi -t -f user, From \"(Cron Daemon)\" <user>"; }
cronie_body()
{
	cl_start
	cat >in <<'EOF'
From: "(Cron Daemon)" <alice>
To: alice
Subject: Cron <alice@vm> /home/alice/bin/sync
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Auto-Submitted: auto-generated
Precedence: bulk
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <HOME=/home/alice>
X-Cron-Env: <LOGNAME=alice>
X-Cron-Env: <USER=alice>

sync: 3 files copied
EOF
	cl_send -FCronDaemon -i -odi -oem -oi -t -f alice
	cl_env "FROM:<alice@example.org>" alice@example.org
	cl_field_is From '"(Cron Daemon)" <alice@example.org>'
	cl_body_as_input
}
cronie_cleanup() { mf_smarthost_stop; }

atf_test_case busybox_crond cleanup
busybox_crond_head() { atf_set descr "busybox crond: sendmail -ti from PATH, only To and Subject"; }
busybox_crond_body()
{
	cl_start
	printf 'To: root\nSubject: cron: /usr/local/bin/job\n\njob output\n' >in
	cl_path_send -ti
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org
	cl_field_is From "$(cl_me)@example.org"
	cl_body 'job output\r\n'
}
busybox_crond_cleanup() { mf_smarthost_stop; }

atf_test_case anacron cleanup
anacron_head() { atf_set descr "anacron: -FAnacron -odi root, no -i: a lone dot ends the input"; }
anacron_body()
{
	cl_start
	cat >in <<'EOF'
From: Anacron <root>
To: root
Content-Type: text/plain; charset="UTF-8"
Subject: Anacron job 'cron.daily' on vm

/etc/cron.daily/logrotate:
error: skipping "/var/log/x.log"
.
this line and the next are discarded
.
EOF
	cl_send -FAnacron -odi root
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org
	cl_field_is From 'Anacron <root@example.org>'
	cl_body '/etc/cron.daily/logrotate:\r\nerror: skipping "/var/log/x.log"\r\n'
}
anacron_cleanup() { mf_smarthost_stop; }

atf_test_case atd cleanup
atd_head() { atf_set descr "at/atd: -i user, Subject and To only"; }
atd_body()
{
	cl_start
	printf 'Subject: Output from your job        7\nTo: alice\n\nhello from at\n' >in
	cl_send -i alice
	cl_env "FROM:<$(cl_me)@example.org>" alice@example.org
	cl_field_is From "$(cl_me)@example.org"
	cl_body 'hello from at\r\n'
}
atd_cleanup() { mf_smarthost_stop; }

# --- mail user agents and tools -----------------------------------------

atf_test_case git_send_email cleanup
git_send_email_head() { atf_set descr "git send-email: -f envelope -i rcpts (To+Cc+Bcc), 8bit patch"; }
git_send_email_body()
{
	cl_start
	cat >in <<'EOF'
From: Alice Example <alice@example.org>
To: bob@example.net
Cc: carol@example.net
Subject: [PATCH] README: fix typo
Date: Mon, 23 Nov 2026 09:00:00 +0000
Message-ID: <20261123090000.1234-1-alice@example.org>
X-Mailer: git-send-email 2.39.5
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Signed-off-by: Alice Example <alice@example.org>
---
 README | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/README b/README
--- a/README
+++ b/README
@@ -1,3 +1,3 @@
-Hallo Wrold
+Hallo Wörld
 .
+.
 end
-- 
2.39.5

EOF
	cl_send -f alice@example.org -i bob@example.net carol@example.net \
	    dave@example.net
	cl_env "FROM:<alice@example.org> BODY=8BITMIME" bob@example.net \
	    carol@example.net dave@example.net
	cl_body_as_input
}
git_send_email_cleanup() { mf_smarthost_stop; }

atf_test_case mutt cleanup
mutt_head() { atf_set descr "mutt: -oem -oi -f from -- to cc bcc"; }
mutt_body()
{
	cl_start
	cat >in <<'EOF'
Date: Mon, 23 Nov 2026 10:00:00 +0100
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Cc: carol@example.net
Subject: lunch?
Message-ID: <20261123090000.GA1234@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline
User-Agent: Mutt/2.2.9 (2022-11-12)

Lunch at noon?
-f is not an option in the body
EOF
	cl_send -oem -oi -f alice@example.org -- bob@example.net \
	    carol@example.net dave@example.net
	cl_env "FROM:<alice@example.org>" bob@example.net carol@example.net \
	    dave@example.net
	cl_body_as_input
}
mutt_cleanup() { mf_smarthost_stop; }

atf_test_case bsd_mailx cleanup
bsd_mailx_head() { atf_set descr "bsd-mailx: -i -t with a Bcc header and bare root"; }
bsd_mailx_body()
{
	cl_start
	printf 'To: root\nSubject: disk\nCc: bob@example.net\nBcc: alice\n\n/ is 95%% full\n' >in
	cl_send -i -t
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org bob@example.net \
	    alice@example.org
	# Bare names in address fields are qualified too (as Postfix does).
	cl_field_is To 'root@example.org'
	cl_body '/ is 95% full\r\n'
}
bsd_mailx_cleanup() { mf_smarthost_stop; }

atf_test_case s_nail cleanup
s_nail_head() { atf_set descr "s-nail: -i -F name -f from -- rcpt"; }
s_nail_body()
{
	cl_start
	cat >in <<'EOF'
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: Alice Example <alice@example.org>
To: bob@example.net
Subject: hi
Message-ID: <20261123090000.abcdEFGH@example.org>
User-Agent: s-nail v14.9.24
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüß dich
EOF
	cl_send -i -F 'Alice Example' -f alice@example.org -- bob@example.net
	cl_env "FROM:<alice@example.org> BODY=8BITMIME" bob@example.net
	# -F names only an added From; this one is the caller's.
	cl_field_is From 'Alice Example <alice@example.org>'
	cl_body_as_input
}
s_nail_cleanup() { mf_smarthost_stop; }

atf_test_case mailutils cleanup
mailutils_head() { atf_set descr "GNU mailutils: -oi -f from -t, a folded To with a quoted comma"; }
mailutils_body()
{
	cl_start
	cat >in <<'EOF'
To: "Doe, John" <john@example.net>,
	carol@example.net
Subject: report
From: alice@example.org
X-Mailer: mail (GNU Mailutils 3.15)

all good
EOF
	cl_send -oi -f alice@example.org -t
	cl_env "FROM:<alice@example.org>" john@example.net carol@example.net
	cl_body 'all good\r\n'
}
mailutils_cleanup() { mf_smarthost_stop; }

atf_test_case mailutils_argv cleanup
mailutils_argv_head() { atf_set descr "GNU mailutils: -oi -f from rcpt..."; }
mailutils_argv_body()
{
	cl_start
	printf 'To: bob@example.net\nSubject: report\nFrom: alice@example.org\n\nall good\n' >in
	cl_send -oi -f alice@example.org bob@example.net root
	cl_env "FROM:<alice@example.org>" bob@example.net admin@example.org
	cl_body 'all good\r\n'
}
mailutils_argv_cleanup() { mf_smarthost_stop; }

# --- system daemons -----------------------------------------------------

atf_test_case unattended_upgrades cleanup
unattended_upgrades_head() { atf_set descr "unattended-upgrades: -oi -t, From: root, UTF-8 QP body"; }
unattended_upgrades_body()
{
	cl_start
	cat >in <<'EOF'
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: quoted-printable
Subject: =?utf-8?q?=5BUPGRADE=5D_unattended-upgrades_result_for_vm=3A_True?=
From: root
To: root

Unattended upgrade result: All upgrades installed

Packages that were upgraded:
 libssl3 openssl=20

Package installation log:
Unpacking libssl3:amd64 (3.0.15-1~deb12u1) over (3.0.14-1~deb12u2) =E2=80=
=A6
EOF
	cl_send -oi -t
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org
	cl_field_is From 'root@example.org'
	cl_count Content-Transfer-Encoding 1
	cl_body_as_input
}
unattended_upgrades_cleanup() { mf_smarthost_stop; }

atf_test_case logwatch cleanup
logwatch_head() { atf_set descr "logwatch: -t, one To: line per recipient, From: Logwatch, no -i"; }
logwatch_body()
{
	cl_start
	cat >in <<'EOF'
To: root
To: alice@example.net
From: Logwatch
Subject: Logwatch for vm (Linux)
Content-Transfer-Encoding: 7bit
Content-Type: text/plain; charset="iso-8859-1"
MIME-Version: 1.0
Date: Mon, 23 Nov 2026 06:25:01 +0000

 ################### Logwatch 7.7 (07/22/22) ####################
        Processing Initiated: Mon Nov 23 06:25:01 2026
        Date Range Processed: yesterday
 ..
 ###################### Logwatch End #########################
EOF
	cl_send -t
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org alice@example.net
	cl_field_is From 'Logwatch@example.org'
	cl_count To 2
	cl_body_as_input
}
logwatch_cleanup() { mf_smarthost_stop; }

atf_test_case mdadm cleanup
mdadm_head() { atf_set descr "mdadm: -t, no -i, From: mdadm monitoring <root>"; }
mdadm_body()
{
	cl_start
	cat >in <<'EOF'
From: mdadm monitoring <root>
To: root
Subject: Fail event on /dev/md0:vm

This is an automatically generated mail message from mdadm
running on vm

A Fail event had been detected on md device /dev/md0.

It could be related to component device /dev/sdb1.

Faithfully yours, etc.

P.S. The /proc/mdstat file currently contains the following:

Personalities : [raid1]
md0 : active raid1 sdb1[1](F) sda1[0]
      1046528 blocks super 1.2 [2/1] [U_]

unused devices: <none>
EOF
	cl_send -t
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org
	cl_field_is From 'mdadm monitoring <root@example.org>'
	cl_body_as_input
}
mdadm_cleanup() { mf_smarthost_stop; }

atf_test_case fail2ban cleanup
fail2ban_head() { atf_set descr "fail2ban: -f \"<sender>\" \"root@localhost\", printf %b without a final newline"; }
fail2ban_body()
{
	cl_start
	printf %b "Subject: [Fail2Ban] sshd: banned 192.0.2.7 from vm
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: Fail2Ban <fail2ban@vm.example.org>
To: root@localhost\n
Hi,\n
The IP 192.0.2.7 has just been banned by Fail2Ban after
5 attempts against sshd.\n\n
% This is the RIPE Database query service.
inetnum:        192.0.2.0 - 192.0.2.255\n
Regards,\n
Fail2Ban" >in
	cl_send -f "fail2ban@vm.example.org" "root@localhost"
	cl_env "FROM:<fail2ban@vm.example.org>" admin@example.org
	cl_body 'Hi,\r\n\r\nThe IP 192.0.2.7 has just been banned by Fail2Ban after\r\n5 attempts against sshd.\r\n\r\n\r\n% This is the RIPE Database query service.\r\ninetnum:        192.0.2.0 - 192.0.2.255\r\n\r\nRegards,\r\n\r\nFail2Ban\r\n'
}
fail2ban_cleanup() { mf_smarthost_stop; }

atf_test_case sudo cleanup
sudo_head() { atf_set descr "sudo: -t, From: bare user name, minimal environment, cwd /"; }
sudo_body()
{
	cl_start
	cat >in <<'EOF'
To: root
From: alice
Auto-Submitted: auto-generated
Subject: *** SECURITY information for vm ***

vm : Nov 23 09:00:00 : alice : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id
EOF
	# sudo's mailer environment; MAILFERRY_LIBEXECDIR only points the
	# test build at its helpers.
	atf_check -s exit:0 -o empty -e empty env -i -C / HOME=/ \
	    PATH=/usr/bin:/bin:/usr/sbin:/sbin LOGNAME=root USER=root \
	    MAILFERRY_LIBEXECDIR="$MAILFERRY_LIBEXECDIR" \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t <in
	cl_received
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org
	cl_field_is From 'alice@example.org'
	cl_body_as_input
}
sudo_cleanup() { mf_smarthost_stop; }

atf_test_case systemd_onfailure cleanup
systemd_onfailure_head() { atf_set descr "systemd OnFailure recipe: -t heredoc without the empty line"; }
systemd_onfailure_body()
{
	cl_start
	cat >in <<'EOF'
To: root
From: systemd <root@vm>
Subject: backup.service
Content-Transfer-Encoding: 8bit
Content-Type: text/plain; charset=UTF-8
× backup.service - Nightly backup
     Loaded: loaded (/etc/systemd/system/backup.service; static)
     Active: failed (Result: exit-code) since Mon 2026-11-23 03:00:01 UTC
EOF
	cl_send -t
	cl_env "FROM:<$(cl_me)@example.org> BODY=8BITMIME" admin@example.org
	# The first line that is no field starts the body.
	cl_body '\303\227 backup.service - Nightly backup\r\n     Loaded: loaded (/etc/systemd/system/backup.service; static)\r\n     Active: failed (Result: exit-code) since Mon 2026-11-23 03:00:01 UTC\r\n'
	cl_field_is Subject 'backup.service'
}
systemd_onfailure_cleanup() { mf_smarthost_stop; }

atf_test_case systemd_indented cleanup
systemd_indented_head() { atf_set descr "systemd recipe with a space-indented heredoc: all body, no recipient, exit 67"; }
systemd_indented_body()
{
	cl_start
	printf '    To: root\n    Subject: backup.service\n\n    failed\n' >in
	# The indented lines are no header (sendmail and Postfix agree), so
	# -t finds no recipient: a clear failure beats a guess.
	atf_check -s exit:67 -o empty -e save:stderr \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t <in
	cl_one_line stderr
	atf_check -o match:'recipient' cat stderr
	cl_nothing_sent
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
systemd_indented_cleanup() { mf_smarthost_stop; }

# --- libraries ----------------------------------------------------------

atf_test_case ruby_mail cleanup
ruby_mail_head() { atf_set descr "Ruby mail gem: [-i, -f, from, --, rcpt...] (execv), LF"; }
ruby_mail_body()
{
	cl_start
	cat >in <<'EOF'
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: alice@example.org
To: bob@example.net
Message-ID: <6571a2b3c4d5e_1a2b3c4d5e6f@vm.mail>
Subject: Welcome
Mime-Version: 1.0
Content-Type: text/plain;
 charset=UTF-8
Content-Transfer-Encoding: 7bit

Welcome!
EOF
	cl_send -i -f alice@example.org -- bob@example.net carol@example.net
	cl_env "FROM:<alice@example.org>" bob@example.net carol@example.net
	cl_body 'Welcome!\r\n'
}
ruby_mail_cleanup() { mf_smarthost_stop; }

atf_test_case rails_old cleanup
rails_old_head() { atf_set descr "old Rails: -i -t plus the same recipients on argv: union, de-duplicated"; }
rails_old_body()
{
	cl_start
	cat >in <<'EOF'
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: alice@example.org
To: bob@example.net
Cc: carol@example.net
Subject: Welcome
Mime-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Welcome!
EOF
	# Exim would subtract argv from the header set and send nothing.
	cl_send -i -t bob@example.net carol@example.net dave@example.net
	cl_env "FROM:<$(cl_me)@example.org>" bob@example.net carol@example.net \
	    dave@example.net
	cl_body 'Welcome!\r\n'
}
rails_old_cleanup() { mf_smarthost_stop; }

atf_test_case nodemailer cleanup
nodemailer_head() { atf_set descr "nodemailer: sendmail from PATH, -i -f from rcpts, Bcc header kept, CRLF"; }
nodemailer_body()
{
	cl_start
	sed 's/$/\r/' >in <<'EOF'
Content-Type: text/plain; charset=utf-8
From: alice@example.org
To: bob@example.net
Bcc: hidden@example.net
Subject: Hello
Message-ID: <b5c6d7e8-1234-5678-9abc-def012345678@example.org>
Content-Transfer-Encoding: 7bit
Date: Mon, 23 Nov 2026 09:00:00 +0000
MIME-Version: 1.0

Hello world
EOF
	# No -t: the Bcc header must go all the same.
	cl_path_send -i -f alice@example.org bob@example.net hidden@example.net
	cl_env "FROM:<alice@example.org>" bob@example.net hidden@example.net
	cl_body 'Hello world\r\n'
}
nodemailer_cleanup() { mf_smarthost_stop; }

atf_test_case mime_lite cleanup
mime_lite_head() { atf_set descr "Perl MIME::Lite: -t -oi -oem, multipart with a long binary line (hard-wrapped)"; }
# mime_lite_msg LINE: MIME::Lite's output with LINE as the text part.
mime_lite_msg()
{
	cat <<EOF
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed; boundary="_----------=_1763888400123450"
MIME-Version: 1.0
X-Mailer: MIME::Lite 3.033 (F2.85; T2.21; A2.21; B3.16; Q3.16)
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: reports@example.org
To: bob@example.net
Cc: carol@example.net, "Doe, John" <john@example.net>
Subject: Nightly report

This is a multi-part message in MIME format.

--_----------=_1763888400123450
Content-Disposition: inline
Content-Transfer-Encoding: binary
Content-Type: text/plain

$1

--_----------=_1763888400123450--

EOF
}

mime_lite_body()
{
	cl_start
	long=$(printf '%01200d' 3)
	mime_lite_msg "$long" >in
	cl_send -t -oi -oem
	cl_env "FROM:<$(cl_me)@example.org>" bob@example.net carol@example.net \
	    john@example.net
	# No MIME parser: the line is cut after 998 octets, nothing lost.
	mime_lite_msg "${long:0:998}
${long:998}" >in.wrapped
	cl_body_as_input in.wrapped
}
mime_lite_cleanup() { mf_smarthost_stop; }

atf_test_case email_sender cleanup
email_sender_head() { atf_set descr "Perl Email::Sender: sendmail from PATH, -f from to, no -i, CRLF"; }
email_sender_body()
{
	cl_start
	sed 's/$/\r/' >in <<'EOF'
Date: Mon, 23 Nov 2026 09:00:00 +0000
From: alice@example.org
To: bob@example.net
Subject: done
Message-ID: <1763888400.9A8B7C6D.1234@example.org>
MIME-Version: 1.0
Content-Type: text/plain

first
.
discarded: a lone dot with CR ends the input without -i
EOF
	cl_path_send -f alice@example.org bob@example.net
	cl_env "FROM:<alice@example.org>" bob@example.net
	cl_body 'first\r\n'
}
email_sender_cleanup() { mf_smarthost_stop; }

atf_test_case logcheck cleanup
logcheck_head() { atf_set descr "logcheck via mime-construct: sendmail -oi logcheck from PATH"; }
logcheck_body()
{
	cl_start
	cat >in <<'EOF'
To: logcheck
Subject: vm 2026-11-23 09:02 System Events
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

System Events
=-=-=-=-=-=-=
Nov 23 09:01:12 vm kernel: [    1.000000] usb 1-1: new high-speed USB device
EOF
	cl_path_send -oi logcheck
	cl_env "FROM:<$(cl_me)@example.org>" logcheck@example.org
	cl_body_as_input
}
logcheck_cleanup() { mf_smarthost_stop; }

atf_test_case python cleanup
python_head() { atf_set descr "Python Popen([sendmail, -t, -oi]): From: NSS, a bare name among the To"; }
python_body()
{
	cl_start
	cat >in <<'EOF'
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Subject: backup report
From: NSS
To: ops@example.net, root

backup ok
EOF
	cl_send -t -oi
	cl_env "FROM:<$(cl_me)@example.org>" ops@example.net admin@example.org
	cl_field_is From 'NSS@example.org'
	cl_field_is To 'ops@example.net, root@example.org'
	cl_body 'backup ok\r\n'
}
python_cleanup() { mf_smarthost_stop; }

# --- what no single caller covers --------------------------------------

atf_test_case added_from_fullname cleanup
added_from_fullname_head() { atf_set descr "-F with a non-ASCII name: the added From is RFC 2047 encoded"; }
added_from_fullname_body()
{
	cl_start
	printf 'Subject: hi\n\nbody\n' >in
	cl_send -i -F $'J\303\266rg M\303\274ller' -f joerg@example.org bob@example.net
	cl_env "FROM:<joerg@example.org>" bob@example.net
	cl_field_match From '^=\?UTF-8\?[BbQq]\?[^ ]+\?= <joerg@example\.org>$'
	cl_body 'body\r\n'
}
added_from_fullname_cleanup() { mf_smarthost_stop; }

atf_test_case rcpt_dedup cleanup
rcpt_dedup_head() { atf_set descr "argv recipients: commas and spaces, aliases, @localhost, de-duplicated"; }
rcpt_dedup_body()
{
	cl_start
	printf 'Subject: hi\n\nbody\n' >in
	cl_send -i root 'root@localhost,admin@example.org' 'bob@example.net, bob' \
	    bob@example.net,
	cl_env "FROM:<$(cl_me)@example.org>" admin@example.org bob@example.net \
	    bob@example.org
}
rcpt_dedup_cleanup() { mf_smarthost_stop; }

# --- bad input ----------------------------------------------------------

atf_test_case nul_byte cleanup
nul_byte_head() { atf_set descr "a NUL byte in the message: exit 65, one line, nothing sent"; }
nul_byte_body()
{
	cl_start
	printf 'To: bob@example.net\nSubject: x\n\nbefore\000after\n' >in
	atf_check -s exit:65 -o empty -e save:stderr \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t -i <in
	cl_one_line stderr
	cl_nothing_sent
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
nul_byte_cleanup() { mf_smarthost_stop; }

atf_test_case no_recipient cleanup
no_recipient_head() { atf_set descr "no recipient (argv or -t): non-zero but not 75, one line, nothing sent"; }
no_recipient_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -i <in >stdout 2>stderr
	st=$?
	[ $st -ne 0 ] && [ $st -ne 75 ] || atf_fail "exit $st"
	atf_check -o empty cat stdout
	cl_one_line stderr
	printf 'To: undisclosed-recipients:;\nSubject: x\n\nbody\n' >in
	"$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t -i <in >stdout 2>stderr
	st=$?
	[ $st -ne 0 ] && [ $st -ne 75 ] || atf_fail "-t: exit $st"
	atf_check -o empty cat stdout
	cl_one_line stderr
	cl_nothing_sent
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}
no_recipient_cleanup() { mf_smarthost_stop; }

atf_test_case daemon_mode
daemon_mode_head() { atf_set descr "-bd (daemon mode) is refused with 64"; }
daemon_mode_body()
{
	mf_conf
	atf_check -s exit:64 -o empty -e match:'-bd' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -bd </dev/null
}

atf_test_case unknown_letter
unknown_letter_head() { atf_set descr "an unknown option letter is refused with 64 (mailferry(8), EXIT STATUS)"; }
unknown_letter_body()
{
	mf_conf
	printf 'Subject: x\n\nbody\n' >in
	atf_check -s exit:64 -o empty -e match:'unknown option -j' \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -j root <in
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
}

# --- One definition of a valid envelope (envelope.c) -------------------
# A quoted local part with a space is a valid RFC 5321 address: the front
# end, the spool writer and the SMTP client must all take it, and it must
# reach the smarthost verbatim.  A recipient with a C1 control or DEL is
# refused at once (exit 65, one line, no raw bytes), nothing queued.

atf_test_case quoted_space_argv cleanup
quoted_space_argv_head() { atf_set descr "\"john doe\"@example.com as an argv recipient"; }
quoted_space_argv_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	cl_send '"john doe"@example.com'
	cl_env "FROM:<$(cl_me)@example.org>" '"john doe"@example.com'
}
quoted_space_argv_cleanup() { mf_smarthost_stop; }

atf_test_case quoted_space_f cleanup
quoted_space_f_head() { atf_set descr "\"john doe\"@example.com as the -f sender"; }
quoted_space_f_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	cl_send -f '"john doe"@example.com' bob@example.net
	cl_env 'FROM:<"john doe"@example.com>' bob@example.net
}
quoted_space_f_cleanup() { mf_smarthost_stop; }

atf_test_case quoted_space_t cleanup
quoted_space_t_head() { atf_set descr "\"john doe\"@example.com in a -t To: field"; }
quoted_space_t_body()
{
	cl_start
	printf 'To: John <"john doe"@example.com>, bob@example.net\nSubject: x\n\nbody\n' >in
	cl_send -t
	cl_env "FROM:<$(cl_me)@example.org>" '"john doe"@example.com' \
	    bob@example.net
	cl_field_is To 'John <"john doe"@example.com>, bob@example.net'
}
quoted_space_t_cleanup() { mf_smarthost_stop; }

atf_test_case control_rcpt cleanup
control_rcpt_head() { atf_set descr "a recipient with U+0085, U+009B or DEL: exit 65, one line"; }
control_rcpt_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	for r in 'bob\302\205@example.net' 'bob\302\233@example.net' \
	    '"bob\302\205"@example.net' 'bob\177@example.net'; do
		atf_check -s exit:65 -o empty -e save:err \
		    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" "$(printf "$r")" <in
		cl_one_line err
		if perl -ne 'exit 1 if /[\x00-\x09\x0b-\x1f\x7f-\xff]/' err; then :
		else atf_fail "raw control bytes in the error: $(od -c err)"; fi
		case $r in
		*302*) atf_check -o match:'control character' cat err ;;
		esac
	done
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
	cl_nothing_sent
}
control_rcpt_cleanup() { mf_smarthost_stop; }

atf_test_case option_like cleanup
option_like_head() { atf_set descr "an address beginning with '-' (after --, in -t, as -f): exit 65, one line, nothing queued"; }
option_like_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	printf 'To: -oi@example.net, bob@example.net\nSubject: x\n\nbody\n' >in.t
	for args in '-- -oi' '-- -x@example.net' '-f -evil@example.org bob@example.net' \
	    '-f-evil bob@example.net'; do
		# shellcheck disable=SC2086
		atf_check -s exit:65 -o empty -e save:err \
		    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" $args <in
		cl_one_line err
		atf_check -o match:"begins with '-'" cat err
	done
	atf_check -s exit:65 -o empty -e save:err \
	    "$MF_SENDMAIL" -C "$PWD/mailferry.conf" -t <in.t
	cl_one_line err
	atf_check -o match:"invalid recipient address: address begins with '-'" \
	    cat err
	[ -z "$(mf_queue_ids)" ] || atf_fail "entry left in the queue"
	cl_nothing_sent
}
option_like_cleanup() { mf_smarthost_stop; }

atf_test_case dsn_params cleanup
dsn_params_head() { atf_set descr "-N, -R and -V reach the smarthost canonical, ENVID as xtext"; }
dsn_params_body()
{
	cl_start
	printf 'Subject: x\n\nbody\n' >in
	cl_send -N delay,Success,delay -R hdrs -V 'env+id=1' bob@example.net
	printf '%s\n' \
	    "mail 250 FROM:<$(cl_me)@example.org> RET=HDRS ENVID=env+2Bid+3D1" \
	    'rcpt 250 TO:<bob@example.net> NOTIFY=SUCCESS,DELAY' \
	    'data 354' 'dot 250' >env.exp
	atf_check -o file:env.exp cat $CL_MSG.env
}
dsn_params_cleanup() { mf_smarthost_stop; }

atf_init_test_cases()
{
	atf_add_test_case php_mail
	atf_add_test_case phpmailer6
	atf_add_test_case phpmailer7
	atf_add_test_case wordpress
	atf_add_test_case drupal
	atf_add_test_case symfony_t
	atf_add_test_case symfony_t_no_i
	atf_add_test_case roundcube
	atf_add_test_case debian_cron
	atf_add_test_case cronie
	atf_add_test_case busybox_crond
	atf_add_test_case anacron
	atf_add_test_case atd
	atf_add_test_case git_send_email
	atf_add_test_case mutt
	atf_add_test_case bsd_mailx
	atf_add_test_case s_nail
	atf_add_test_case mailutils
	atf_add_test_case mailutils_argv
	atf_add_test_case unattended_upgrades
	atf_add_test_case logwatch
	atf_add_test_case mdadm
	atf_add_test_case fail2ban
	atf_add_test_case sudo
	atf_add_test_case systemd_onfailure
	atf_add_test_case systemd_indented
	atf_add_test_case ruby_mail
	atf_add_test_case rails_old
	atf_add_test_case nodemailer
	atf_add_test_case mime_lite
	atf_add_test_case email_sender
	atf_add_test_case logcheck
	atf_add_test_case python
	atf_add_test_case added_from_fullname
	atf_add_test_case rcpt_dedup
	atf_add_test_case nul_byte
	atf_add_test_case no_recipient
	atf_add_test_case daemon_mode
	atf_add_test_case unknown_letter
	atf_add_test_case quoted_space_argv
	atf_add_test_case quoted_space_f
	atf_add_test_case quoted_space_t
	atf_add_test_case control_rcpt
	atf_add_test_case option_like
	atf_add_test_case dsn_params
}
