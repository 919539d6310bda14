#!/bin/sh
# Lab attack scenario: kernel-module (T1547.006). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
F=/tmp/.lab-rootkit-$$.ko
head -c 512 /dev/urandom > $F
perl -e '
  open(my $f, "<", $ARGV[0]) or die;
  my $params = "";
  my $r = syscall(313, fileno($f), $params, 0);   # finit_module
  print "finit_module: $r ($!)\n";
  my $img = "\x7fELF" . ("\0" x 60);
  $r = syscall(175, $img, length($img), $params); # init_module
  print "init_module: $r ($!)\n";
  my $mod = "lantern_lab_rootkit";
  $r = syscall(176, $mod, 0);                     # delete_module
  print "delete_module: $r ($!)\n";
' $F
rm -f $F
