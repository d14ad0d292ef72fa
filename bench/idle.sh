#!/usr/bin/env bash
# Idle cost of a peer (SPEC §7): a 3-peer ring pinging every second; CPU share and RSS of
# one peer over a measured window. Usage: bench/idle.sh [SECONDS] (default 30). Loopback only.
set -euo pipefail
secs=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
dir=$(mktemp -d)
base=$(( 20000 + RANDOM % 12000 ))	# below the ephemeral port range
pids=()
cleanup() { kill -9 "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for spec in "1 2 3" "2 3 1" "3 1 2"; do
	read -r id s1 s2 <<<"$spec"
	mkdir -p "$dir/$id"
	"$bin" "$id" "$s1" "$s2" --ping-interval 1 --base-port "$base" --dir "$dir/$id" \
	    </dev/null >"$dir/$id.out" 2>"$dir/$id.err" &
	pids+=($!)
	disown
done
pid=${pids[0]}
sleep 2	# let the ring settle before measuring
# schedstat's first field: nanoseconds this process has run on a CPU.
t0=$(awk '{print $1}' "/proc/$pid/schedstat")
sleep "$secs"
t1=$(awk '{print $1}' "/proc/$pid/schedstat")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
lines=$(wc -l <"$dir/1.out")
awk -v a="$t0" -v b="$t1" -v s="$secs" -v r="$rss" -v h="$hwm" -v l="$lines" 'BEGIN {
	printf "idle peer, 1 s pings, %d s: CPU %.4f%% of a core (%.1f ms), RSS %d KiB (peak %d KiB), %d console lines\n",
	    s, 100 * (b - a) / 1e9 / s, (b - a) / 1e6, r, h, l }'
