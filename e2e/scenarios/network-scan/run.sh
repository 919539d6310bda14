#!/bin/sh
# Lab attack scenario: network-scan (T1046). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
perl -e '
  use IO::Socket::INET;
  my $prefix = $ENV{LAB_POD_PREFIX};
  my @kids;
  for my $h (1..30) {
    my $pid = fork();
    if ($pid == 0) {
      for my $p (22, 80, 443, 5432, 6443, 8080) {
        my $s = IO::Socket::INET->new(PeerAddr => "$prefix.$h", PeerPort => $p, Proto => "tcp", Timeout => 0.3);
        print "open $prefix.$h:$p\n" if $s;
      }
      exit 0;
    }
    push @kids, $pid;
  }
  waitpid($_, 0) for @kids;
'
