#!/usr/bin/env bash
# Full connection slots (issue 11): a flood holds 1,000 idle and half-sent connections against
# one peer of a ring of 4 and reopens each one the peer closes, while another peer requests a
# file the flooded peer owns. Prints the time of every request's answer and a summary.
# Usage: bench/slots.sh [RUNS] [REQUESTS] (default 5 runs of 20 requests; a fresh ring per
# run). Runs the scenario it.net.full_slots_keep_serving, which holds the flood. Loopback only.
# Times are from the command to the requester's "received" line, seen by polling every 10 ms.
set -euo pipefail
runs=${1:-5}
reqs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CDHT_BUILD:-$root/build}
bin=${CDHT_BIN:-$build/cdht}
check=$build/test/it/check_it_net
[ -x "$check" ] || { echo "slots.sh: $check missing; build with tests first" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((r = 1; r <= runs; r++)); do
	if ! CK_RUN_CASE=test_net_full_slots_keep_serving CDHT_SLOTS_REQUESTS=$reqs \
	    "$check" "$bin" 2>&1 | grep '^slots: ' | sed "s/^/run $r: /" | tee -a "$out"; then
		echo "slots.sh: run $r failed" >&2
		exit 1
	fi
done
# The answer times, sorted; then min, median, mean, max and how many took over 1 s.
sed -n 's/.* answered in \([0-9]*\) ms.*/\1/p' "$out" | sort -n | awk '
{ t[++n] = $1; s += $1; if ($1 > 1000) over++ }
END {
	if (n == 0) { print "slots.sh: no answers"; exit 1 }
	printf "1,000 connections held and reopened: %d requests answered, min %d ms, median %d ms, mean %.1f ms, max %d ms, over 1 s: %d\n",
	    n, t[1], t[int((n + 1) / 2)], s / n, t[n], over
}'
