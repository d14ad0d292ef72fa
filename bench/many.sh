#!/usr/bin/env bash
# Many peers on one machine (SPEC §7): a full ring of 256 peers (ids 0..255, successors
# id+1 and id+2 mod 256), 1 s pings, --quiet-pings, measured over a window. Reports the
# CPU of all peers together (sum of /proc/PID/schedstat deltas), RSS per peer, whether all
# are alive at the end, false deaths, and the `status` of a sample of peers.
# Loopback only; prints numbers, asserts nothing.
# Usage: bench/many.sh [SECONDS] (default 30). CDHT_BIN overrides the binary.
set -euo pipefail
secs=${1:-30}
n=256
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
dir=$(mktemp -d)
# Below the ephemeral range (32768+), so no outgoing connection can hold a peer's port.
base=$(( 10000 + RANDOM % 20000 ))
pids=()
cleanup() {
	if ((${#pids[@]})); then kill -9 "${pids[@]}" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) CPUs, $(grep -a -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
echo "binary: $bin; $n peers, 1 s pings, window $secs s; ulimit -n $(ulimit -n), ulimit -u $(ulimit -u)"

t0=$EPOCHREALTIME
for ((id = 0; id < n; id++)); do
	mkdir -p "$dir/$id"
	mkfifo "$dir/$id.in"
	"$bin" "$id" $(( (id + 1) % n )) $(( (id + 2) % n )) --ping-interval 1 \
	    --base-port "$base" --dir "$dir/$id" --quiet-pings \
	    <>"$dir/$id.in" >>"$dir/$id.out" 2>"$dir/$id.err" &
	pids+=($!)
	disown
done
t1=$EPOCHREALTIME
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "started %d peers in %.2f s\n", '"$n"', b - a }'

sample=(0 1 37 100 128 200 254 255)
# Ring formed: every sampled peer names both predecessors in `status`.
formed() {
	local id
	for id in "${sample[@]}"; do
		: >"$dir/$id.out"
		echo status >"$dir/$id.in"
	done
	sleep 0.3
	for id in "${sample[@]}"; do
		grep -aq '^First predecessor: peer' "$dir/$id.out" &&
		    grep -aq '^Second predecessor: peer' "$dir/$id.out" || return 1
	done
}
for ((i = 0; i < 60; i++)); do
	formed && break
done
awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "sample knows both predecessors %.2f s after the first start\n", b - a }'
sleep 2	# let start-up settle

# Sum of schedstat run time (ns) over all live peers.
cpu_sum() {
	local p s=0 v
	for p in "${pids[@]}"; do
		read -r v _ 2>/dev/null <"/proc/$p/schedstat" || v=0
		s=$((s + v))
	done
	echo "$s"
}
c0=$(cpu_sum)
w0=$EPOCHREALTIME
sleep "$secs"
c1=$(cpu_sum)
w1=$EPOCHREALTIME

alive=0
dead=()
for ((id = 0; id < n; id++)); do
	if kill -0 "${pids[id]}" 2>/dev/null; then alive=$((alive + 1)); else dead+=("$id"); fi
done
rss=$(for p in "${pids[@]}"; do awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null; done |
    awk '{ s += $1; if ($1 > m) m = $1; if (!n++ || $1 < lo) lo = $1 } END { printf "%.0f %d %d %d", s / n, lo, m, s }')
read -r rss_mean rss_min rss_max rss_sum <<<"$rss"
# RSS counts the shared library pages in every peer; PSS shares them out, Private_Dirty is
# what each peer has to itself.
pss=$(for p in "${pids[@]}"; do awk '/^Pss:/ { p = $2 } /^Private_Dirty:/ { d = $2 } END { print p, d }' \
    "/proc/$p/smaps_rollup" 2>/dev/null; done |
    awk '{ p += $1; d += $2; n++ } END { printf "%d %.0f", p, d / n }')
read -r pss_sum priv_mean <<<"$pss"
fds=$(ls "/proc/${pids[100]}/fd" 2>/dev/null | wc -l)
deaths=$(cat "$dir"/*.out | grep -c 'is no longer alive' || true)
errs=$(cat "$dir"/*.err | wc -l)

awk -v a="$c0" -v b="$c1" -v s="$w0" -v e="$w1" -v np="$(nproc)" -v n="$n" 'BEGIN {
	w = e - s; c = (b - a) / 1e9
	printf "CPU of all %d peers together over %.1f s: %.2f%% of one core (%.2f%% of the %d-CPU machine), %.4f%% per peer\n",
	    n, w, 100 * c / w, 100 * c / w / np, np, 100 * c / w / n }'
echo "RSS per peer: mean $rss_mean KiB (min $rss_min, max $rss_max); sum over all peers $((rss_sum / 1024)) MiB"
echo "private dirty per peer: mean $priv_mean KiB; PSS of all peers together: $((pss_sum / 1024)) MiB"
echo "open fds of peer 100: $fds"
echo "alive at the end: $alive of $n; 'no longer alive' lines: $deaths; stderr lines: $errs"
for id in "${dead[@]}"; do
	echo "  peer $id is gone; its stderr:"
	sed 's/^/    /' "$dir/$id.err"
done
if ((deaths)); then grep -a -H 'is no longer alive' "$dir"/*.out | sed "s|^$dir/|  |"; fi
if ((errs)); then grep -a -H '' "$dir"/*.err | head -20 | sed "s|^$dir/|  |"; fi

echo "status of a sample:"
for id in "${sample[@]}"; do
	: >"$dir/$id.out"
	echo status >"$dir/$id.in"
done
sleep 0.5
for id in "${sample[@]}"; do
	printf '  peer %3d: %s | %s | %s | %s\n' "$id" \
	    "$(grep -a -m1 '^First successor:' "$dir/$id.out" | sed 's/ at .*//')" \
	    "$(grep -a -m1 '^Second successor:' "$dir/$id.out" | sed 's/ at .*//')" \
	    "$(grep -a -m1 '^First predecessor:' "$dir/$id.out" | sed 's/ at .*//')" \
	    "$(grep -a -m1 '^Second predecessor:' "$dir/$id.out" | sed 's/ at .*//')"
done
