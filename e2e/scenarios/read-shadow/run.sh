#!/bin/sh
# Lab attack scenario: read-shadow (T1003.008). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
cat /etc/shadow > /dev/null
head -c 64 /etc/gshadow > /dev/null 2>&1
echo read
