#!/bin/sh
# Lab attack scenario: write-below-etc (T1098). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
F=/etc/lab-persist-$$.conf
echo "persist=1" > $F
cat $F > /dev/null
rm -f $F
