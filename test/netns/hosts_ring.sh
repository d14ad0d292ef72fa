#!/usr/bin/env bash
# A ring over three "hosts": three network namespaces on one bridge (itself in a fourth
# namespace, so nothing is added to the host's own network), addresses 10.77.0.1-3 inside
# them. Six peers, two per namespace, built with ID@HOST successors: pings, a request across
# hosts over UDP and over TCP, a store, a kill repaired across hosts, a join through a peer
# on another host, and a quit. Some successors are named by host name (an /etc/hosts that
# `ip netns exec` mounts for each namespace) and one peer binds the wildcard. Root and `ip netns` are needed: without them, exit 77 (SKIP).
# Usage: hosts_ring.sh [PATH-TO-CDHT]   (or $CDHT_BIN)
set -u

CDHT=${1:-${CDHT_BIN:-}}
DEADLINE=10	# seconds any one expected line may take
PING=0.2	# seconds between ping rounds

skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

[[ -n $CDHT && -x $CDHT ]] || { printf 'usage: %s PATH-TO-CDHT\n' "$0" >&2; exit 2; }
CDHT=$(cd "$(dirname "$CDHT")" && pwd -P)/$(basename "$CDHT")
((EUID == 0)) || skip "needs root for network namespaces"
command -v ip >/dev/null 2>&1 || skip "no ip command"
ip netns list >/dev/null 2>&1 || skip "ip netns does not work here"

tag=$$
sw=cdht-sw-$tag			# the namespace holding the bridge
hosts=("cdht-h1-$tag" "cdht-h2-$tag" "cdht-h3-$tag")
addrs=(10.77.0.1 10.77.0.2 10.77.0.3)
run=$(mktemp -d "${TMPDIR:-/tmp}/cdht-netns.XXXXXX")
base=$((20000 + RANDOM % 10000))
declare -A pid fifo_fd host_of
failed=1

# Kill every peer started, delete the namespaces (their veths and the bridge go with them).
cleanup() {
	local id ns
	for id in "${!pid[@]}"; do
		kill -9 "${pid[$id]}" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${hosts[@]}" "$sw"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rmdir /etc/netns 2>/dev/null
	if ((failed)); then
		printf 'kept %s\n' "$run" >&2
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Print every peer's output, then fail.
fail() {
	local f
	printf 'FAIL: %s\n' "$*" >&2
	for f in "$run"/*.out "$run"/*.err; do
		[[ -s $f ]] || continue
		printf -- '---- %s\n' "${f##*/}" >&2
		tail -n 40 "$f" >&2
	done
	exit 1
}

pass() {
	printf 'ok: %s\n' "$*"
}

# Three hosts on one bridge; each host's veth end is eth0 with its 10.77.0.x/24 address.
make_hosts() {
	local i ns
	ip netns add "$sw" || skip "cannot create a network namespace"
	ip -n "$sw" link add br0 type bridge || skip "cannot create a bridge"
	ip -n "$sw" link set br0 up
	for i in 0 1 2; do
		ns=${hosts[$i]}
		ip netns add "$ns" || fail "cannot create namespace $ns"
		ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$ns" ||
			fail "cannot create the veth pair of $ns"
		ip -n "$sw" link set "p$i" master br0 up
		ip -n "$ns" addr add "${addrs[$i]}/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		# ip netns exec bind-mounts this over /etc/hosts inside the namespace.
		mkdir -p "/etc/netns/$ns"
		printf '127.0.0.1 localhost\n%s cdht-host1\n%s cdht-host2\n%s cdht-host3\n' \
			"${addrs[@]}" >"/etc/netns/$ns/hosts"
	done
	if command -v ping >/dev/null 2>&1; then
		ip netns exec "${hosts[0]}" ping -c 1 -W 2 "${addrs[2]}" >/dev/null 2>&1 ||
			fail "host 1 cannot reach host 3 over the bridge"
	fi
}

# start ID HOST-INDEX ARGS...: run cdht in that namespace, stdin a FIFO held open here.
start() {
	local id=$1 h=$2 fd
	shift 2
	mkdir -p "$run/$id"
	mkfifo "$run/$id.in"
	exec {fd}<>"$run/$id.in"
	fifo_fd[$id]=$fd
	host_of[$id]=$h
	ip netns exec "${hosts[$h]}" "$CDHT" --bind "${addrs[$h]}" --base-port "$base" \
		--dir "$run/$id" "$@" <&"$fd" >"$run/$id.out" 2>"$run/$id.err" &
	pid[$id]=$!
}

# send ID LINE: type a command into the peer's stdin.
send() {
	printf '%s\n' "$2" >&"${fifo_fd[$1]}"
}

# wait_line ID LINE [COUNT]: until the peer printed LINE (COUNT times) on stdout.
wait_line() {
	local id=$1 line=$2 count=${3:-1} end=$((SECONDS + DEADLINE)) n
	while :; do
		# No output file yet counts as no line (grep -c prints nothing then).
		n=$(grep -cFx -- "$line" "$run/$id.out" 2>/dev/null)
		((${n:-0} >= count)) && return 0
		((SECONDS < end)) || fail "peer $id did not print '$line' within ${DEADLINE}s"
		kill -0 "${pid[$id]}" 2>/dev/null || fail "peer $id died waiting for '$line'"
		sleep 0.05
	done
}

# wait_same GOT WANT: until file GOT exists and equals WANT.
wait_same() {
	local end=$((SECONDS + DEADLINE))
	until [[ -f $1 ]] && cmp -s "$1" "$2"; do
		((SECONDS < end)) || fail "$1 is not a copy of $2 within ${DEADLINE}s"
		sleep 0.05
	done
}

# contact ID: ID@ADDRESS of the host the peer runs on; ID@NAME for peers on host 2.
contact() {
	if ((host_of[$1] == 1)); then
		printf '%s@cdht-host2' "$1"
	else
		printf '%s@%s' "$1" "${addrs[${host_of[$1]}]}"
	fi
}

make_hosts
pass "three namespaces on one bridge"

# Ring 1 3 5 7 9 11, hosts round-robin, so every successor is on another host.
ids=(1 3 5 7 9 11)
for i in "${!ids[@]}"; do
	host_of[${ids[$i]}]=$((i % 3))
done
for i in "${!ids[@]}"; do
	id=${ids[$i]}
	s1=${ids[$(((i + 1) % 6))]}
	s2=${ids[$(((i + 2) % 6))]}
	extra=()
	((id == 1)) && extra=(--transfer udp)
	# 11 binds the wildcard and advertises its namespace's one non-loopback address.
	((id == 11)) && extra=(--bind 0.0.0.0)
	start "$id" $((i % 3)) "${extra[@]}" init "$id" "$(contact "$s1")" "$(contact "$s2")" "$PING"
done
for i in "${!ids[@]}"; do
	id=${ids[$i]}
	wait_line "$id" "Ping response received from Peer ${ids[$(((i + 1) % 6))]}" 2
	wait_line "$id" "Ping response received from Peer ${ids[$(((i + 2) % 6))]}" 2
	wait_line "$id" "Ping request message received from Peer ${ids[$(((i + 5) % 6))]}" 2
	wait_line "$id" "Ping request message received from Peer ${ids[$(((i + 4) % 6))]}" 2
done
pass "six peers on three hosts ping their successors"

# 2053 is key 5 (peer 5, host 3): peer 1 (host 1) asks over UDP.
head -c 30000 /dev/urandom >"$run/5/2053.pdf"
send 1 "request 2053"
wait_line 5 "Sending file 2053 to Peer 1"
wait_same "$run/1/received_2053.pdf" "$run/5/2053.pdf"
wait_line 1 "File 2053 received"
pass "request across hosts over UDP"

# 2059 is key 11 (peer 11, host 3): peer 3 (host 2) asks over TCP.
head -c 200000 /dev/urandom >"$run/11/2059.pdf"
send 3 "request 2059"
wait_same "$run/3/received_2059.pdf" "$run/11/2059.pdf"
wait_line 3 "File 2059 received"
pass "request across hosts over TCP"

# 2057 is key 9 (peer 9, host 2): peer 7 (host 1) stores it.
head -c 5000 /dev/urandom >"$run/7/2057.pdf"
send 7 "store 2057"
wait_line 9 "Store 2057 request accepted"
wait_same "$run/9/2057.pdf" "$run/7/2057.pdf"
pass "store across hosts"

# Peer 5 (host 3) dies: 3 (host 2) and 1 (host 1) repair with contacts on other hosts.
kill -9 "${pid[5]}"
wait "${pid[5]}" 2>/dev/null
unset 'pid[5]'
wait_line 3 "Peer 5 is no longer alive"
wait_line 3 "My new first successor is Peer 7"
wait_line 3 "My new second successor is Peer 9"
wait_line 1 "My new first successor is Peer 3"
wait_line 1 "My new second successor is Peer 7"
n=$(grep -cFx "Ping response received from Peer 9" "$run/3.out")
wait_line 3 "Ping response received from Peer 9" $((n + 2))
pass "a kill repaired across hosts"

# Peer 6 on host 3 joins through peer 1 on host 1; it belongs between 3 and 7.
host_of[6]=2
start 6 2 join 6 "$(contact 1)" "$PING"
wait_line 6 "Join request has been accepted"
wait_line 6 "My first successor is Peer 7"
wait_line 6 "My second successor is Peer 9"
wait_line 3 "Peer 6 Join request received"
wait_line 1 "Successor Change request received"
wait_line 7 "Ping request message received from Peer 6" 2
wait_line 6 "Ping request message received from Peer 3" 2
pass "a join through a peer on another host"

# Peer 9 (host 2) quits: its predecessors 7 (host 1) and 6 (host 3) close the gap.
send 9 "quit"
end=$((SECONDS + DEADLINE))
while kill -0 "${pid[9]}" 2>/dev/null; do
	((SECONDS < end)) || fail "peer 9 did not exit after quit"
	sleep 0.05
done
wait "${pid[9]}"
rc=$?
unset 'pid[9]'
((rc == 0)) || fail "peer 9 exited with $rc after quit"
wait_line 7 "Peer 9 will depart from the network"
wait_line 7 "My new first successor is Peer 11"
wait_line 6 "Peer 9 will depart from the network"
pass "a quit across hosts"

for id in "${!pid[@]}"; do
	kill -0 "${pid[$id]}" 2>/dev/null || fail "peer $id is not running"
	if grep -q 'runtime error\|AddressSanitizer' "$run/$id.err"; then
		fail "peer $id: sanitizer report"
	fi
done
failed=0
pass "hosts ring"
