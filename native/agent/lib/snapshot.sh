#!/bin/sh
# Start-of-capture snapshot: processes and TCP sockets in scope, one line each:
#   proc {"pid":..,"ppid":..,"start":ns since boot,"uid":..,"gid":..,"comm":..,"exe":..,"args":[..],["argsTruncated":true,]"cwd":..,"cgroup":..}
#   sock {"pid":..,"start":..,"netns":..,"v":4|6,"st":"0A","local":"hex:port","remote":"hex:port","inode":..}
# start = /proc/<pid>/stat starttime (clock ticks since boot) in ns, the same value
# (start_boottime rounded to ticks) that the live probes report.
# Usage: snapshot.sh CGROUP_MOUNT ROOTS_FILE kube|host OWN_CGROUP CLK_TCK
set -u
cgmnt=$1 roots=$2 scope=$3 own=$4 clk=$5
lib=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
export LC_ALL=C
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lantern-snap.XXXXXX") || exit 0
trap 'rm -rf "$tmp"' EXIT

cd /proc || exit 0
find . -maxdepth 1 -name '[0-9]*' -printf '%f\n' > "$tmp/pids" 2>/dev/null
find . -maxdepth 2 -path './[0-9]*/exe' -printf '%h\0%l\0' > "$tmp/exe" 2>/dev/null
find . -maxdepth 2 -path './[0-9]*/cwd' -printf '%h\0%l\0' > "$tmp/cwd" 2>/dev/null
find . -maxdepth 3 -path './[0-9]*/ns/net' -printf '%h\0%l\0' > "$tmp/netns" 2>/dev/null
find . -maxdepth 3 -path './[0-9]*/fd/*' -lname 'socket:*' -printf '%h\0%l\0' > "$tmp/socks" 2>/dev/null

awk -v roots="$roots" -v scope="$scope" -v own="$own" -v clk="$clk" -v tmp="$tmp" -f "$lib/json.awk" -f "$lib/snapshot.awk"
