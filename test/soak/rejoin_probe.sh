#!/usr/bin/env bash
# Reproduction found by the churn soak (issue 11, seed 14, event 210): a peer that died and
# comes back with the same id through `join` is refused ("peer 5 is already in the ring",
# exit 1) when its old predecessor's slow probe of the dead peer (every 2 intervals) reaches
# the joiner while it is still joining: the joiner answers the probe, the predecessor
# re-adopts it as first successor, and then refuses its JOIN_REQ as ID_TAKEN.
# Ring 1 3 5 ... 47 (24 peers, p2p, 0.2 s pings); each attempt: SIGKILL 5, wait 3 s
# (declared dead and probed by 3), `join 5 7 0.2`, whose request goes round the ring; to
# make the race certain (in the soak a long, loaded path did it), peer 21 on that path is
# stopped for 1 s (less than the detection budget, so no verdict) while 3 keeps probing.
# Exit 1 once a join is refused (the bug), 0 if every join was accepted.
# Usage: test/soak/rejoin_probe.sh [CDHT_BIN]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${CDHT_BIN:-$root/build/cdht}}
attempts=${ATTEMPTS:-5}
dir=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the trap
cleanup() {
	{ ((${#pids[@]})) && kill -9 "${pids[@]}"; } 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
base=$(( 12000 + RANDOM % 18000 ))
start() {	# name args...
	local name=$1
	shift
	mkdir -p "$dir/$name"
	"$bin" --base-port "$base" --dir "$dir/$name" --quiet-pings --ping-timeout 0.5 "$@" \
		</dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
	pids+=($!)
	disown	# no "Killed" report from bash
}
ids=()
for i in $(seq 0 23); do ids+=($((2 * i + 1))); done
# Start the ring; if a port of this base is held by another test (the soak holds whole ranges),
# every peer is stopped and the ring is started again on another base (up to 5 bases).
for try in 1 2 3 4 5; do
	pids=()
	for i in "${!ids[@]}"; do
		start "${ids[i]}" init "${ids[i]}" "${ids[(i + 1) % 24]}" "${ids[(i + 2) % 24]}" 0.2
	done
	clash=0
	for _ in $(seq 1 10); do	# up to 1 s for a bind failure to show
		sleep 0.1
		if grep -qs "Address already in use" "$dir"/*.err; then
			clash=1
			break
		fi
	done
	((clash)) || break
	kill -9 "${pids[@]}" 2>/dev/null
	rm -f "$dir"/*.err "$dir"/*.out
	echo "base port $base: a port is in use (try $try); another base"
	base=$(( 12000 + RANDOM % 18000 ))
	((try < 5)) || { echo "FAIL: no free base port in 5 tries"; exit 1; }
done
five=${pids[2]}
for n in $(seq 1 "$attempts"); do
	sleep 1
	kill -9 "$five"
	sleep 3
	start "5-$n" join 5 7 0.2
	five=${pids[-1]}
	kill -STOP "${pids[10]}"	# peer 21 holds the join request a while
	sleep 1
	kill -CONT "${pids[10]}"
	for _ in $(seq 1 50); do	# up to 5 s
		sleep 0.1
		grep -q "Join request has been accepted" "$dir/5-$n.out" && break
		if ! kill -0 "$five" 2>/dev/null; then
			echo "FAIL at attempt $n: the join of 5 was refused: $(cat "$dir/5-$n.err")"
			echo "peer 3 (5's old predecessor) printed:"
			grep -v '^{' "$dir/3.out" | tail -6
			exit 1
		fi
	done
	grep -q "Join request has been accepted" "$dir/5-$n.out" ||
		{ echo "FAIL at attempt $n: no answer to the join in 5 s"; exit 1; }
done
echo "PASS: $attempts rejoins of a dead id accepted"
