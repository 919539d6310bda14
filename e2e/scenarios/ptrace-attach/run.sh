#!/bin/sh
# Lab attack scenario: ptrace-attach (T1055.008). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
sleep 20 &
T=$!
perl -e '
  my $pid = shift;
  my $r = syscall(101, 16, $pid, 0, 0);   # PTRACE_ATTACH
  print "attach: $r ($!)\n";
  waitpid($pid, 0);
  syscall(101, 17, $pid, 0, 0);           # PTRACE_DETACH
' $T
timeout 2 strace -q -p $T -e trace=none 2>/dev/null
kill $T 2>/dev/null
echo done
