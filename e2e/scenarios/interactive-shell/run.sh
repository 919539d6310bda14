#!/bin/sh
# Lab attack scenario: interactive-shell (T1609). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
id
uname -a
cat /etc/os-release | head -3
ls -la / > /dev/null
ps -ef | head -5
env | grep -c KUBERNETES
