#!/bin/sh
# Lab attack scenario: exec-dev-shm (T1059.004). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
F=/dev/shm/.lab-$$
cp /bin/ls $F
chmod +x $F
$F / > /dev/null
rm -f $F
