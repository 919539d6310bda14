#!/bin/sh
# Lab attack scenario: mount-unshare-setns (T1611). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
M=/tmp/.lab-mnt-$$
mkdir -p $M
mount -t tmpfs lab-tmpfs $M && umount $M
rmdir $M
unshare -m -- true; echo "unshare -m: $?"
unshare -U -r -- true; echo "unshare -U: $?"
nsenter -t 1 -m -- true; echo "setns host mnt: $?"
