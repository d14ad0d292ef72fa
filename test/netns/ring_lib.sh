# shellcheck shell=bash
# shellcheck disable=SC2034  # NR_PID is read by bench/loss.sh (SIGSTOP a peer)
# A ring of cdht peers inside a private network namespace, with random UDP loss made by
# nftables there (issue 11). Sourced by test/netns/loss_ring.sh and bench/loss.sh.
# Needs root, ip and nft; netns_need returns 77 (the SKIP code) where they are missing.
# Everything stays inside the namespace; netns_cleanup kills the peers, deletes the
# namespace and the files (call it from an EXIT trap).

NR_IDS=(1 3 4 5 8 10 12 15)
NR_N=${#NR_IDS[@]}
NR_NS=""
NR_DIR=""
NR_PIDS=()
NR_FDS=()
declare -A NR_PID=()

# netns_need: 0 if this can run here, 77 (skip) with a reason on stderr otherwise.
netns_need() {
	if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespace, nftables)" >&2; return 77; fi
	local t
	for t in ip nft; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not found" >&2; return 77; }
	done
	return 0
}

# netns_setup: a fresh namespace with lo up and an empty nftables input chain.
netns_setup() {
	NR_NS=cdhtloss$$
	NR_DIR=$(mktemp -d)
	ip netns add "$NR_NS" || { echo "SKIP: cannot make a network namespace" >&2; return 77; }
	ip netns exec "$NR_NS" ip link set lo up
	ip netns exec "$NR_NS" nft add table inet cdhtloss
	ip netns exec "$NR_NS" nft add chain inet cdhtloss input \
	    '{ type filter hook input priority 0; policy accept; }'
}

# netns_cleanup: kill the peers, delete the namespace and the files (safe to call twice).
netns_cleanup() {
	local p fd
	for p in "${NR_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${NR_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for fd in "${NR_FDS[@]}"; do exec {fd}>&- 2>/dev/null || true; done
	NR_PIDS=()
	NR_FDS=()
	[[ -n $NR_NS ]] && ip netns del "$NR_NS" 2>/dev/null
	NR_NS=""
	if [[ -n $NR_DIR && -z ${KEEP:-} ]]; then rm -rf "$NR_DIR"; fi
	return 0
}

# netns_loss PCT: drop PCT% of the UDP datagrams arriving in the namespace (0: none).
netns_loss() {
	ip netns exec "$NR_NS" nft flush chain inet cdhtloss input
	(($1 > 0)) || return 0
	ip netns exec "$NR_NS" nft add rule inet cdhtloss input \
	    meta l4proto udp numgen random mod 100 "<" "$1" drop
}

# netns_start_peer I BIN BASE ARGS...: start NR_IDS[I] with its two successors, stdin a FIFO.
netns_start_peer() {
	local i=$1 bin=$2 base=$3 id s1 s2 fd
	shift 3
	id=${NR_IDS[i]} s1=${NR_IDS[(i + 1) % NR_N]} s2=${NR_IDS[(i + 2) % NR_N]}
	mkdir -p "$NR_DIR/$id"
	[[ -p $NR_DIR/$id.in ]] || mkfifo "$NR_DIR/$id.in"
	exec {fd}<>"$NR_DIR/$id.in"
	NR_FDS+=("$fd")
	ip netns exec "$NR_NS" "$bin" "$id" "$s1" "$s2" 400 0 --base-port "$base" \
	    --dir "$NR_DIR/$id" --quiet-pings "$@" <"$NR_DIR/$id.in" >>"$NR_DIR/$id.out" \
	    2>>"$NR_DIR/$id.err" &
	NR_PIDS+=($!)
	NR_PID[$id]=$!
	eval "NR_FD_$id=$fd"
}

# netns_ring BIN BASE ARGS...: start the whole ring.
netns_ring() {
	local i
	for ((i = 0; i < NR_N; i++)); do netns_start_peer "$i" "$@"; done
}

# netns_send ID LINE: one line to a peer's stdin.
netns_send() {
	local v="NR_FD_$1"
	printf '%s\n' "$2" >&"${!v}"
}

# netns_whole: 0 if every peer's successors are the true ring (asked through `status`).
netns_whole() {
	local i id before after want1 want2 got1 got2 t
	declare -A seen=()
	for ((i = 0; i < NR_N; i++)); do
		id=${NR_IDS[i]}
		seen[$id]=$(grep -c '^Second predecessor:' "$NR_DIR/$id.out" 2>/dev/null || true)
		netns_send "$id" status
	done
	for ((i = 0; i < NR_N; i++)); do
		id=${NR_IDS[i]} before=${seen[$id]:-0}
		for ((t = 0; t < 100; t++)); do
			after=$(grep -c '^Second predecessor:' "$NR_DIR/$id.out" 2>/dev/null || true)
			((${after:-0} > before)) && break
			sleep 0.02
		done
		want1=${NR_IDS[(i + 1) % NR_N]} want2=${NR_IDS[(i + 2) % NR_N]}
		got1=$(grep '^First successor:' "$NR_DIR/$id.out" | tail -n 1 | awk '{ print $4 }')
		got2=$(grep '^Second successor:' "$NR_DIR/$id.out" | tail -n 1 | awk '{ print $4 }')
		[[ $got1 == "$want1" && $got2 == "$want2" ]] || return 1
	done
	return 0
}

# netns_wait_whole SECONDS: poll until whole; prints the ms it took; 1 if never within SECONDS.
netns_wait_whole() {
	local t0 now
	t0=$(date +%s%N)
	while :; do
		if netns_whole; then
			now=$(date +%s%N)
			echo $(((now - t0) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		(((now - t0) / 1000000000 >= $1)) && return 1
		sleep 0.1
	done
}

# netns_deaths: "Peer N is no longer alive." lines printed so far, all peers together.
netns_deaths() {
	cat "$NR_DIR"/*.out 2>/dev/null | grep -c 'is no longer alive' || true
}

# netns_dump: every peer's successors and last stderr lines (on failure).
netns_dump() {
	local id
	for id in "${NR_IDS[@]}"; do
		echo "--- peer $id: $(grep '^First successor:' "$NR_DIR/$id.out" | tail -n 1);" \
		    "$(grep '^Second successor:' "$NR_DIR/$id.out" | tail -n 1)"
		tail -n 5 "$NR_DIR/$id.err"
	done >&2
}
