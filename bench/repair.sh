#!/usr/bin/env bash
# Repair time after an abrupt death (SPEC §5). Ring of 8 (1 3 4 5 8 10 12 15); peer 5 gets
# kill -9; measured from the kill to the later of the two `My second successor is now peer
# ...` lines at its predecessors 4 and 3, for several ping intervals x loss thresholds
# (ping timeout = its default, min(1 s, interval)), against the detection bound
# interval + threshold x timeout. Loopback only; prints numbers, asserts nothing.
#
# Short intervals: REPS runs each (default 5), the kill at a random phase of the ping
# cycle. 30 s: one run per threshold, both in parallel with the rest, the kill 0.5 s after
# the ring started, just after its first ping round (so near the worst case).
# Every console line is time-stamped on arrival (a bash reader per peer), so the poll
# interval does not limit resolution.
# Usage: bench/repair.sh [REPS] (default 5). CDHT_BIN overrides the binary. ~3 minutes.
set -euo pipefail
reps=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
dir=$(mktemp -d)
# Below the ephemeral range (32768+), so no outgoing connection can hold a peer's port;
# each ring takes the next block of 16 ports.
port0=$(( 10000 + RANDOM % 10000 ))
ids=(1 3 4 5 8 10 12 15)
bg=()
cleanup() {
	if ((${#bg[@]})); then kill "${bg[@]}" 2>/dev/null || true; fi
	# Peers of every ring, including the ones started by background cases.
	if [[ -s $dir/pids ]]; then
		local -a all
		mapfile -t all <"$dir/pids"
		kill -9 "${all[@]}" 2>/dev/null || true
	fi
	sleep 0.1
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stamp() {
	local l
	while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}

# first_stamp FILE REGEX: time stamp of the first matching line, or empty.
first_stamp() { awk -v re="$2" '$0 ~ re { print $1; exit }' "$1"; }

# run_case INTERVAL THRESHOLD SLOT RUN KILL_AFTER: one ring, one kill; appends
# "interval threshold run detect4 detect3 repair" (seconds after the kill) to results.
run_case() {
	local iv=$1 k=$2 slot=$3 run=$4 after=$5
	local r=$dir/ring$slot base=$(( port0 + 16 * slot )) i id s1 s2 victim=""
	local tout bound limit tkill
	local -a mine=()
	tout=$(awk -v i="$iv" 'BEGIN { print (i < 1 ? i : 1) }')
	bound=$(awk -v i="$iv" -v k="$k" -v t="$tout" 'BEGIN { print i + k * t }')
	mkdir -p "$r"
	# Start in reverse order, so each of 3 and 4 finds its successors up at its first ping.
	for ((i = 7; i >= 0; i--)); do
		id=${ids[i]} s1=${ids[(i + 1) % 8]} s2=${ids[(i + 2) % 8]}
		mkdir -p "$r/$id"
		"$bin" "$id" "$s1" "$s2" --ping-interval "$iv" --loss-threshold "$k" \
		    --base-port "$base" --dir "$r/$id" --quiet-pings \
		    </dev/null > >(stamp >"$r/$id.out") 2>"$r/$id.err" &
		mine+=($!)
		echo $! >>"$dir/pids"
		disown $!
		[[ $id == 5 ]] && victim=$!
	done
	sleep "$after"
	for i in "${mine[@]}"; do
		if ! kill -0 "$i" 2>/dev/null; then
			echo "repair.sh: a peer of ring $slot did not start:" >&2
			cat "$r"/*.err >&2
			kill -9 "${mine[@]}" 2>/dev/null || true
			return 1
		fi
	done
	tkill=$EPOCHREALTIME
	kill -9 "$victim"
	limit=$(awk -v b="$bound" 'BEGIN { print b + 15 }')
	while ! { grep -q 'My second successor is now peer' "$r/3.out" &&
	          grep -q 'My second successor is now peer' "$r/4.out"; }; do
		if awk -v a="$tkill" -v b="$EPOCHREALTIME" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
			echo "repair.sh: interval $iv threshold $k: no repair within $limit s" >&2
			echo "interval $iv threshold $k run $run: no repair within $limit s" >>"$dir/failures"
			kill -9 "${mine[@]}" 2>/dev/null || true
			return 0
		fi
		sleep 0.01
	done
	local d4 d3 r4 r3
	d4=$(first_stamp "$r/4.out" 'Peer 5 is no longer alive')
	d3=$(first_stamp "$r/3.out" 'Peer 5 is no longer alive')
	r4=$(first_stamp "$r/4.out" 'My second successor is now peer')
	r3=$(first_stamp "$r/3.out" 'My second successor is now peer')
	kill -9 "${mine[@]}" 2>/dev/null || true
	awk -v iv="$iv" -v k="$k" -v run="$run" -v t="$tkill" -v d4="$d4" -v d3="$d3" \
	    -v r4="$r4" -v r3="$r3" -v b="$bound" 'BEGIN {
		printf "%s %s %d %.4f %.4f %.4f %s\n", iv, k, run, d4 - t, d3 - t,
		    (r4 > r3 ? r4 : r3) - t, b }' >>"$dir/results"
	# The second successors each predecessor should have chosen.
	grep -q 'My second successor is now peer 10\.' "$r/4.out" ||
	    echo "interval $iv threshold $k run $run: peer 4 did not take 10 as second successor" >>"$dir/failures"
	grep -q 'My second successor is now peer 8\.' "$r/3.out" ||
	    echo "interval $iv threshold $k run $run: peer 3 did not take 8 as second successor" >>"$dir/failures"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
echo "binary: $bin; ring 1 3 4 5 8 10 12 15, kill -9 peer 5; $reps runs per short interval"
t_start=$EPOCHREALTIME
slot=0
# The 30 s cases first, in the background (they mostly wait).
for k in 2 3; do
	run_case 30 "$k" "$slot" 1 0.5 &
	bg+=($!)
	slot=$((slot + 1))
done
for iv in 0.1 0.2 0.5 1; do
	for k in 2 3; do
		for ((run = 1; run <= reps; run++)); do
			# Random phase: wait 0.3 s + one interval + U(0, interval) before the kill.
			after=$(awk -v i="$iv" -v s="$RANDOM" 'BEGIN { printf "%.3f", 0.3 + i + i * s / 32768 }')
			run_case "$iv" "$k" "$slot" "$run" "$after"
			slot=$((slot + 1))
		done
	done
done
for p in "${bg[@]}"; do
	wait "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
done
bg=()

echo
echo "seconds from kill -9 to the event (detect = 'Peer 5 is no longer alive.';"
echo "repair = both predecessors printed their new second successor)"
printf '%-9s %-4s %-4s %-21s %-21s %-21s %-7s\n' interval K runs \
    "detect@4 min/med/max" "detect@3 min/med/max" "repair min/med/max" bound
sort -k1,1g -k2,2n "$dir/results" | awk '
	function stats(a, n,   i, j, t, med) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		return sprintf("%.3f/%.3f/%.3f", a[1], med, a[n])
	}
	function flush() {
		if (!n) return
		printf "%-9s %-4s %-4d %-21s %-21s %-21s %-7s\n", iv, k, n, stats(d4, n), stats(d3, n), stats(rp, n), b
		n = 0
	}
	{ if ($1 != iv || $2 != k) { flush(); iv = $1; k = $2 }
	  n++; d4[n] = $4; d3[n] = $5; rp[n] = $6; b = $7 }
	END { flush() }'
if [[ -s $dir/failures ]]; then
	echo
	echo "problems:"
	cat "$dir/failures"
fi
awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "\n(total %.0f s)\n", b - a }'
