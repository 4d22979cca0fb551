#!/usr/bin/perl
# timing.pl: the clock of bench.sh, so that a measure does not include
# the cost of forking date(1).
#
#   timing.pl wait N INPUT CMD ARG...
#	run CMD N times, stdin from INPUT, stdout and stderr to /dev/null;
#	print "median p90" of the time until CMD exits (the caller's
#	wait), in milliseconds.
#   timing.pl arrival N INPUT RECDIR CMD ARG...
#	the same, then wait until the smarthost recording RECDIR holds the
#	next session's first message and that session is over; print
#	"median p90" of the caller's wait and of the arrival time (CMD
#	started -> end-of-data reply written: msg.1.flights's mtime).
#   timing.pl now
#	print the time in seconds (decimals).
#   timing.pl mtime FILE...
#	print the latest modification time among FILEs, in seconds.
use strict;
use warnings;
use Time::HiRes qw(time sleep stat);
use POSIX ();

sub run {
	my ($input, @cmd) = @_;
	my $t0 = time;
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDIN, '<', $input) or POSIX::_exit(66);
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec(@cmd) or POSIX::_exit(71);
	}
	waitpid($pid, 0);
	die "@cmd: exit status $?\n" if $? != 0;
	return ($t0, time - $t0);
}

sub stats {
	my @v = sort { $a <=> $b } @_;
	my $med = @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
	my $p90 = $v[int(0.9 * (@v - 1) + 0.5)];
	return sprintf("%.2f %.2f", 1000 * $med, 1000 * $p90);
}

sub sessions {
	my ($rec) = @_;
	open(my $f, '<', "$rec/sessions") or return 0;
	my $n = <$f>;
	return int($n);
}

my $what = shift @ARGV;
if ($what eq 'now') {
	printf("%.6f\n", time);
} elsif ($what eq 'mtime') {
	my $m = 0;
	for (@ARGV) {
		my @st = stat($_);
		$m = $st[9] if @st && $st[9] > $m;
	}
	printf("%.6f\n", $m);
} elsif ($what eq 'wait') {
	my ($n, $input, @cmd) = @ARGV;
	my @w;
	for (1 .. $n) {
		my ($t0, $d) = run($input, @cmd);
		push @w, $d;
	}
	print stats(@w), "\n";
} elsif ($what eq 'arrival') {
	my ($n, $input, $rec, @cmd) = @ARGV;
	my (@w, @a);
	for (1 .. $n) {
		my $s = sessions($rec) + 1;
		my ($t0, $d) = run($input, @cmd);
		my $f = "$rec/session.$s/msg.1.flights";
		my $limit = time + 30;
		sleep(0.0005) until -e $f || time > $limit;
		die "no arrival in session $s\n" unless -e $f;
		push @w, $d;
		push @a, (stat($f))[9] - $t0;
		sleep(0.001) until sessions($rec) >= $s || time > $limit;
	}
	print stats(@w), " ", stats(@a), "\n";
} else {
	die "usage: timing.pl wait|arrival|now|mtime ...\n";
}
