#!/bin/sh
# Lab attack scenario: package-manager (T1505). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
apt-get -s -q install nmap > /dev/null 2>&1; echo "apt-get: $?"
dpkg -l | head -3 > /dev/null
dpkg -s curl > /dev/null 2>&1 && echo "curl installed"
