#!/usr/bin/env bash
# One peer under valgrind through a busy life: pings, a UDP and a TCP request it serves, a
# request it makes, a store it takes, garbage on its ports, status, quit. Fails on any
# valgrind error or definite leak, or if the peer does not leave with status 0.
# Usage: valgrind_peer.sh CDHT_BIN. Loopback only.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
pids=()
cleanup() {
	local rc=$?
	kill -9 "${pids[@]}" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		for f in "$dir"/*.out "$dir"/*.err "$dir"/vg.log; do
			[ -f "$f" ] && { echo "--- $f"; grep -v "^==" "$f" | tail -n 15; }
		done
	fi
	rm -rf "$dir"
	exit "$rc"
}
trap cleanup EXIT

# A base port whose 3 peers' ports are free (below the ephemeral range).
for _ in $(seq 50); do
	base=$((20000 + RANDOM % 12000))
	free=1
	for id in 2 8 19; do
		port=$((base + id))
		if grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/udp; then free=0; fi
	done
	[ "$free" -eq 1 ] && break
done

# wait_for FILE TEXT SECONDS: poll until FILE has the line TEXT.
wait_for() {
	local deadline=$((SECONDS + $3))
	until grep -qxF -- "$2" "$1" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for '$2' in $1"; return 1; }
		sleep 0.05
	done
}

start() {	# start ID S1 S2 [WRAPPER...]
	local id=$1 s1=$2 s2=$3
	shift 3
	mkdir -p "$dir/$id"
	mkfifo "$dir/$id.in"
	# valgrind slows 8 down: a loose detection budget (0.5 + 5 x 1 s) keeps it alive.
	"$@" "$bin" "$id" "$s1" "$s2" 400 0.1 --ping-interval 0.5 --ping-timeout 1 \
	    --loss-threshold 5 --timeout 0.2 --seed 1 \
	    --base-port "$base" --dir "$dir/$id" <>"$dir/$id.in" >"$dir/$id.out" 2>"$dir/$id.err" &
	pids+=($!)
}

head -c 20000 /dev/urandom >"$dir/4103.pdf"	# key 7: owner 8
head -c 3000 /dev/urandom >"$dir/2067.pdf"	# key 19: owner 19
start 8 19 2 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$dir/vg.log"
vg=${pids[0]}
cp "$dir/4103.pdf" "$dir/8/"
# The others start once 8 is bound (its UDP port shows in /proc/net/udp).
hex=$(printf '%04X' $((base + 8)))
for _ in $(seq 600); do grep -qi ":$hex " /proc/net/udp && break; sleep 0.05; done
start 19 2 8
start 2 8 19
cp "$dir/2067.pdf" "$dir/2/"
wait_for "$dir/8.out" "A ping request message was received from Peer 2." 30
wait_for "$dir/8.out" "A ping response message was received from Peer 2." 30

echo "request 4103" >"$dir/2.in"			# 8 serves by stop-and-wait
wait_for "$dir/2.out" "The file is received." 60
cmp "$dir/4103.pdf" "$dir/2/received_4103.pdf"
echo "store 2067" >"$dir/2.in"				# routed through 8 to 19
wait_for "$dir/19.out" "Store 2067 request accepted." 30
for _ in $(seq 200); do cmp -s "$dir/2067.pdf" "$dir/19/2067.pdf" && break; sleep 0.05; done
echo "request 2067" >"$dir/8.in"			# 8 receives
wait_for "$dir/8.out" "The file is received." 60
cmp "$dir/2067.pdf" "$dir/8/received_2067.pdf"
head -c 3000 /dev/urandom >/dev/udp/127.0.0.1/$((base + 8))	# garbage datagram
(head -c 5000 /dev/urandom >/dev/tcp/127.0.0.1/$((base + 8))) 2>/dev/null || true
printf 'status\nfrobnicate\nrequest 12\n' >"$dir/8.in"
wait_for "$dir/8.out" "First successor: peer 19 at 127.0.0.1:$((base + 19))" 30
echo quit >"$dir/8.in"
rc=0
wait "$vg" || rc=$?
grep -q "ERROR SUMMARY: 0 errors" "$dir/vg.log" || { echo "valgrind found errors"; exit 1; }
[ "$rc" -eq 0 ] || { echo "peer under valgrind exited $rc"; exit 1; }
echo "valgrind: 0 errors, no definite leaks, exit 0"
