#!/usr/bin/env bash
# Reproduction found by the churn soak (issue 11): a peer of ANOTHER ring that pings our
# address becomes our predecessor for good. PING_REQ carries no receiver id, so peer 9 of
# ring B takes the pings that peer 3 of ring A sends to its (never started) successor 2 at
# the same port, and 3 "fits" between 9's true predecessor 1 and 9, so 1 never gets back.
# Ring A: base P, only peer 3 runs (successors 2 and 4 never start), so it probes
#         2@127.0.0.1:P+2 for ever. Ring B: base P-7, peers 1 9 12, so 9 sits on P+2.
# Expect: 9's predecessors are 1 and 12. Exit 0 if so, 1 if a foreign contact is there
# (the bug), 77 if jq is missing. In ctest (label soak) since PING_REQ names its receiver.
# Usage: test/soak/foreign_ping.sh [CDHT_BIN]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${CDHT_BIN:-$root/build/cdht}}
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
dir=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the trap
cleanup() {
	{ ((${#pids[@]})) && kill -9 "${pids[@]}"; wait; } 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
start() {	# name base args...
	local name=$1 base=$2
	shift 2
	mkdir -p "$dir/$name" && mkfifo "$dir/$name.in"
	"$bin" --base-port "$base" --dir "$dir/$name" --quiet-pings --ping-timeout 0.5 "$@" \
		<>"$dir/$name.in" >"$dir/$name.out" 2>"$dir/$name.err" &
	pids+=($!)
}
# wait_for FILE TEXT SECONDS: until the file holds the text; 1 if it never does.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qsF -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
# A base whose 20 ports (P-7 .. P+12) another process holds makes a peer exit: another base.
for try in 1 2 3 4 5; do
	port=$(( 12000 + RANDOM % 18000 ))
	start a3 "$port" init 3 2 4 0.2
	start b1 $((port - 7)) init 1 9 12 0.2
	start b9 $((port - 7)) init 9 12 1 0.2
	start b12 $((port - 7)) init 12 1 9 0.2
	# Past 3's detection budget (1.7 s) it declares 2 dead and probes it slowly from then on.
	if wait_for "$dir/a3.out" "Peer 2 is no longer alive" 10 &&
		! grep -qs "in use" "$dir"/*.err; then
		break
	fi
	echo "base port $port: a peer did not come up (try $try): $(cat "$dir"/*.err | head -3)"
	kill -9 "${pids[@]}" 2>/dev/null; wait 2>/dev/null
	pids=()
	rm -rf "${dir:?}"/*
	[[ $try == 5 ]] && { echo "FAIL: no free base port in 5 tries"; exit 1; }
done
# The true ring is there within a second of the start and must stay.
preds=""
for _ in $(seq 1 27); do	# up to ~8 s more
	sleep 0.2
	echo "status --json" >"$dir/b9.in"
	sleep 0.1
	preds=$(grep '^{' "$dir/b9.out" | tail -1 | jq -c '[.predecessors[] | .contact?]')
	[[ $preds == "[\"1@127.0.0.1:$((port - 6))\",\"12@127.0.0.1:$((port + 5))\"]" ]] &&
		{ echo "PASS: 9's predecessors $preds"; exit 0; }
done
echo "FAIL: 9's predecessors $preds 12 s after the start; want 1@...:$((port - 6)) and" \
	"12@...:$((port + 5)); 3@...:$((port + 3)) is peer 3 of another ring (base $port)"
for f in "$dir"/*.err; do [[ -s $f ]] && { echo "--- $f"; tail -5 "$f"; }; done
exit 1
