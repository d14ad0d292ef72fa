#!/usr/bin/env bash
# Replicas (issue 10, docs/REPLICATION.md), three measurements on loopback; prints numbers,
# asserts nothing.
#  1. repair: ring 1 3 4 5 8 10 12 15 (0.2 s pings, timeout 0.2 s, threshold 3: detection
#     bound 0.8 s); 100 files of 1 MiB owned by 8 (held by 8 10 12); kill -9 8; time until
#     15 (the new third holder) holds all 100.
#  2. join: the same ring holding 200 files of 64 KiB with keys 0..15; peer 7 joins;
#     bytes moved (sum of every peer's bytes_out in `status --json`) / bytes of the copies
#     that change holders (the test's own placement oracle).
#  3. idle: ring 1 3 4 holding 1,000 files of 1 KiB (every peer holds all) vs an empty one:
#     CPU seconds of peer 1 over 20 s, and HOLD offers sent (CDHT_DEBUG_HOLD) in that time.
# Usage: bench/replicas.sh [repair|join|idle|all]. CDHT_BIN overrides the binary. ~2 min.
set -euo pipefail
what=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
dir=$(mktemp -d)
port0=$(( 10000 + RANDOM % 10000 ))
pids=()
cleanup() {
	if ((${#pids[@]})); then kill -9 "${pids[@]}" 2>/dev/null || true; fi
	sleep 0.1
	if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start BASE ID S1 S2 DIR [ARGS...]: a p2p peer reading commands from DIR/ID.in.
start() {
	local base=$1 id=$2 s1=$3 s2=$4 d=$5
	shift 5
	mkdir -p "$d/$id"
	mkfifo "$d/$id.in"
	"$bin" --base-port "$base" --dir "$d/$id" --quiet-pings --ping-timeout 0.2 "$@" \
		init "$id" "$s1" "$s2" 0.2 <"$d/$id.in" >"$d/$id.out" 2>"$d/$id.err" &
	pids+=($!)
	echo $! >"$d/$id.pid"
	exec {fd}>"$d/$id.in"
	eval "fd_$id=$fd"
}

# say ID LINE: one command to peer ID.
say() { local v="fd_$1"; printf '%s\n' "$2" >&"${!v}"; }

# ring BASE DIR IDS...: start the ring (successors: the next two ids), wait until it pings.
ring() {
	local base=$1 d=$2
	shift 2
	local -a ids=("$@")
	local n=${#ids[@]} i
	for ((i = n - 1; i >= 0; i--)); do
		start "$base" "${ids[i]}" "${ids[(i + 1) % n]}" "${ids[(i + 2) % n]}" "$d"
	done
	sleep 1
}

# store_all DIR AT FILES...: `store F` at peer AT for each file, at most 4 not yet accepted
# (an owner admits 8 transfers per peer at once; a burst would be refused and retried).
store_all() {
	local d=$1 at=$2 i=0 f
	shift 2
	for f in "$@"; do
		say "$at" "store $f"
		i=$((i + 1))
		while (($(cat "$d"/*.out | grep -c "request accepted") < i - 4)); do sleep 0.01; done
	done
}

# count DIR SIZE FILES...: how many of FILES are in DIR with SIZE bytes.
count() {
	local d=$1 size=$2 n=0 f
	shift 2
	for f in "$@"; do
		[[ -f $d/$f.pdf && $(stat -c %s "$d/$f.pdf") -eq $size ]] && n=$((n + 1))
	done
	echo "$n"
}

# wait_count DIR SIZE WANT FILES...: until count reaches WANT (60 s at most).
wait_count() {
	local d=$1 size=$2 want=$3 end=$((SECONDS + 60))
	shift 3
	while (($(count "$d" "$size" "$@") < want)); do
		((SECONDS < end)) || { echo "timeout waiting for $d" >&2; return 1; }
		sleep 0.05
	done
}

bench_repair() {
	local d=$dir/repair base=$port0 f i t0 t1 k
	local -a files=()
	mkdir -p "$d/1"
	for ((i = 0; ${#files[@]} < 100; i++)); do
		for k in 6 7 8; do
			((${#files[@]} < 100)) || break
			f=$(printf '%04d' $((k + 256 * i)))
			files+=("$f")
			head -c 1048576 /dev/urandom >"$d/1/$f.pdf"
		done
	done
	ring "$base" "$d" 1 3 4 5 8 10 12 15
	store_all "$d" 1 "${files[@]}"
	wait_count "$d/10" 1048576 100 "${files[@]}"
	wait_count "$d/12" 1048576 100 "${files[@]}"
	sleep 1
	t0=$EPOCHREALTIME
	kill -9 "$(cat "$d/8.pid")"
	wait_count "$d/15" 1048576 100 "${files[@]}"
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "repair: 100 x 1 MiB back to 3 copies %.2f s after kill -9 (detection bound 0.8 s)\n", b - a }'
	grep -h "repair after" "$d"/*.err | sed 's/^/  /' || true
}

# bytes_out D IDS...: the sum of bytes_out over the peers' status.
bytes_out() {
	local d=$1 id sum=0 v
	shift
	for id in "$@"; do
		local m
		m=$(wc -l <"$d/$id.out")
		say "$id" "status --json"
		sleep 0.3
		v=$(tail -n +"$((m + 1))" "$d/$id.out" | grep -o '"bytes_out":[0-9]*' | head -1 | cut -d: -f2)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# holders IDS... -- KEY: the three holders of KEY among sorted IDS.
holders() {
	local -a ids=()
	while [[ $1 != -- ]]; do ids+=("$1"); shift; done
	local key=$2 n=${#ids[@]} i o=0
	for ((i = 0; i < n; i++)); do if ((ids[i] >= key)); then o=$i; break; fi; done
	if ((ids[n - 1] < key)); then o=0; fi
	echo "${ids[o]} ${ids[(o + 1) % n]} ${ids[(o + 2) % n]}"
}

bench_join() {
	local d=$dir/join base=$((port0 + 300)) f i size=65536 moved before after need=0
	local -a files=() ids=(1 3 4 5 8 10 12 15) newids=(1 3 4 5 7 8 10 12 15)
	mkdir -p "$d/1"
	for ((i = 0; i < 200; i++)); do
		f=$(printf '%04d' $((i % 16 + 256 * (i / 16))))	# keys 0..15: the ring's own stretch
		files+=("$f")
		head -c "$size" /dev/urandom >"$d/1/$f.pdf"
	done
	ring "$base" "$d" "${ids[@]}"
	store_all "$d" 1 "${files[@]}"
	for f in "${files[@]}"; do
		local -a h
		read -r -a h <<<"$(holders "${ids[@]}" -- $((10#$f % 256)))"
		for i in "${h[@]}"; do wait_count "$d/$i" "$size" 1 "$f"; done
		read -r -a hn <<<"$(holders "${newids[@]}" -- $((10#$f % 256)))"
		for i in "${hn[@]}"; do [[ " ${h[*]} " == *" $i "* ]] || need=$((need + size)); done
	done
	sleep 2
	before=$(bytes_out "$d" "${ids[@]}")
	mkdir -p "$d/7"
	mkfifo "$d/7.in"
	"$bin" --base-port "$base" --dir "$d/7" --quiet-pings --ping-timeout 0.2 join 7 4 0.2 \
		<"$d/7.in" >"$d/7.out" 2>"$d/7.err" &
	pids+=($!)
	# shellcheck disable=SC2034 # held open: the joiner's stdin
	exec {fd_7}>"$d/7.in"
	local mine=()
	for f in "${files[@]}"; do
		read -r -a hn <<<"$(holders "${newids[@]}" -- $((10#$f % 256)))"
		[[ " ${hn[*]} " == *" 7 "* ]] && mine+=("$f")
	done
	wait_count "$d/7" "$size" "${#mine[@]}" "${mine[@]}"
	sleep 2
	after=$(bytes_out "$d" "${ids[@]}")
	moved=$((after - before))
	awk -v m="$moved" -v n="$need" -v c="${#mine[@]}" 'BEGIN { printf "join: 7 now holds %d files; bytes moved %d / bytes changing holders %d = %.3f\n", c, m, n, m / n }'
}

# cpu PID: utime + stime in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

bench_idle() {
	local d=$dir/idle e=$dir/empty base=$((port0 + 600)) ebase=$((port0 + 700)) f i
	local a0 a1 b0 b1 o0 o1 tick
	local -a files=()
	tick=$(getconf CLK_TCK)
	mkdir -p "$d/1"
	for ((i = 0; i < 1000; i++)); do
		f=$(printf '%04d' $((i * 7 + 3)))
		files+=("$f")
		head -c 1024 /dev/urandom >"$d/1/$f.pdf"
	done
	export CDHT_DEBUG_HOLD=1
	ring "$base" "$d" 1 3 4
	store_all "$d" 1 "${files[@]}"
	wait_count "$d/3" 1024 1000 "${files[@]}"
	wait_count "$d/4" 1024 1000 "${files[@]}"
	ring "$ebase" "$e" 1 3 4
	unset CDHT_DEBUG_HOLD
	sleep 5
	a0=$(cpu "$(cat "$d/1.pid")") b0=$(cpu "$(cat "$e/1.pid")")
	o0=$(grep -c "hold: offer " "$d/1.err" || true)
	sleep 20
	a1=$(cpu "$(cat "$d/1.pid")") b1=$(cpu "$(cat "$e/1.pid")")
	o1=$(grep -c "hold: offer " "$d/1.err" || true)
	awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t="$tick" -v o=$((o1 - o0)) 'BEGIN { printf "idle 20 s: peer holding 1000 files %.2f s CPU, %d HOLD offers; peer holding none %.2f s CPU\n", a / t, o, b / t }'
}

case $what in
repair) bench_repair ;;
join) bench_join ;;
idle) bench_idle ;;
all) bench_repair; bench_join; bench_idle ;;
*) echo "usage: $0 [repair|join|idle|all]" >&2; exit 2 ;;
esac
