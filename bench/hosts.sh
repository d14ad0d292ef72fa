#!/usr/bin/env bash
# A request across a ring spread over "hosts" against the same ring on one loopback (issue 12).
# 24 peers (ids 3, 13, ..., 233), p2p form with 1 s pings, --replicas 1; a 1 KiB file keyed
# 233 (2025) is held by its owner, peer 233, and requested N times by peer 3, the owner's
# successor, so every request is forwarded along first successors all round the ring.
#   (a) all 24 peers on 127.0.0.1;
#   (b) the same ids over 3 network namespaces on one bridge (in a fourth namespace; the
#       addresses 10.77.0.1-3 exist only inside them), round robin, so every successor is
#       on another "host": `cdht --bind 10.77.0.k ... init ID S1@10.77.0.j S2@10.77.0.l 1`.
# Each in both transfer modes. Time: from writing `request 2025` into the requester's stdin
# to its `File 2025 received` line, polled every 2 ms; min / median / max, and the ratio
# namespaces / loopback of the medians (and of the minima). Hops: peers the request passed, from their output.
# Root only (namespaces): without root it says so and exits 0. Prints numbers, asserts
# nothing. Builds nothing: build/cdht, or $CDHT_BIN.
# Usage: bench/hosts.sh [N]   (requests per case, default 20; one unmeasured warm-up first)
set -euo pipefail
reps=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
if ((EUID != 0)); then
	echo "hosts.sh: needs root (network namespaces); nothing measured"
	exit 0
fi
[[ -x $bin ]] || { echo "hosts.sh: no binary at $bin (build it, or set CDHT_BIN)" >&2; exit 1; }
for c in ip jq; do
	command -v "$c" >/dev/null 2>&1 || { echo "hosts.sh: no $c command" >&2; exit 1; }
done

ids=()
for ((k = 0; k < 24; k++)); do ids+=($((3 + 10 * k))); done
file=2025		# 2025 mod 256 = 233: owner peer 233
requester=3		# 233's successor: the request goes 3 -> 13 -> ... -> 233
addrs=(10.77.0.1 10.77.0.2 10.77.0.3)
tag=$$
sw=cdhb-sw-$tag
hosts=("cdhb-h1-$tag" "cdhb-h2-$tag" "cdhb-h3-$tag")
dir=$(mktemp -d)
pids=()
notes=()
made_ns=0
cleanup() {
	local ns
	stop_ring
	if ((made_ns)); then
		for ns in "${hosts[@]}" "$sw"; do ip netns del "$ns" 2>/dev/null || true; done
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Three namespaces, each with eth0 = 10.77.0.k/24 on a bridge in the fourth one (which has
# no address): the ring's traffic cannot leave them.
make_hosts() {
	local i ns
	made_ns=1
	ip netns add "$sw"
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	for i in 0 1 2; do
		ns=${hosts[$i]}
		ip netns add "$ns"
		ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$ns"
		ip -n "$sw" link set "p$i" master br0 up
		ip -n "$ns" addr add "${addrs[$i]}/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
}

# start_ring TAG SETUP MODE BASE: the 24 peers under $dir/TAG (SETUP lo or ns), the file at
# its owner, their pids added to $pids; returns when every peer answered `status --json`
# (its ports are bound).
start_ring() {
	local tag=$1 setup=$2 mode=$3 base=$4 i id s1 s2 h n first=${#pids[@]}
	local ring=$dir/$tag
	mkdir -p "$ring"
	for i in "${!ids[@]}"; do
		id=${ids[$i]}
		s1=${ids[$(((i + 1) % 24))]}
		s2=${ids[$(((i + 2) % 24))]}
		mkdir -p "$ring/$id"
		mkfifo "$ring/$id.in"
		local cmd=("$bin")
		if [[ $setup == ns ]]; then
			h=$((i % 3))
			s1=$s1@${addrs[$(((i + 1) % 3))]}
			s2=$s2@${addrs[$(((i + 2) % 3))]}
			cmd=(ip netns exec "${hosts[$h]}" "$bin" --bind "${addrs[$h]}")
		fi
		"${cmd[@]}" --base-port "$base" --dir "$ring/$id" --transfer "$mode" --replicas 1 \
		    --quiet-pings init "$id" "$s1" "$s2" 1 \
		    <>"$ring/$id.in" >"$ring/$id.out" 2>"$ring/$id.err" &
		pids+=($!)
		disown
	done
	head -c 1024 /dev/urandom >"$ring/233/$file.pdf"
	for id in "${ids[@]}"; do echo "status --json" >"$ring/$id.in"; done
	for ((n = 0; n < 400; n++)); do
		local up=0
		for i in "${!ids[@]}"; do
			id=${ids[$i]}
			grep -q '^{' "$ring/$id.out" && up=$((up + 1))
			kill -0 "${pids[$((first + i))]}" 2>/dev/null || {
				echo "hosts.sh: peer $id ($tag) exited:" >&2
				cat "$ring/$id.err" >&2
				exit 1
			}
		done
		((up == 24)) && return 0
		sleep 0.05
	done
	echo "hosts.sh: ring $tag not up within 20 s" >&2
	exit 1
}
stop_ring() {
	local p n
	((${#pids[@]})) || return 0
	kill -9 "${pids[@]}" 2>/dev/null || true
	for p in "${pids[@]}"; do
		for ((n = 0; n < 100; n++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.01; done
	done
	pids=()
}

# request RING: types `request 2025` at the requester, polls its console every 2 ms until
# one more `File 2025 received`; appends the seconds to RING/times.
request() {
	local ring=$1 want line=$'File 2025 received' t0 t1 got
	want=$(($(grep -cFx "$line" "$ring/$requester.out" || true) + 1))
	rm -f "$ring/$requester/received_$file.pdf"
	t0=$EPOCHREALTIME
	echo "request $file" >"$ring/$requester.in"
	while :; do
		got=$(grep -cFx "$line" "$ring/$requester.out" || true)
		((got >= want)) && break
		t1=$EPOCHREALTIME
		if awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a > 30) }'; then
			echo "hosts.sh: no '$line' at peer $requester within 30 s" >&2
			tail -n 5 "$ring/$requester.err" "$ring/233.err" >&2
			exit 1
		fi
		sleep 0.002
	done
	t1=$EPOCHREALTIME
	cmp -s "$ring/233/$file.pdf" "$ring/$requester/received_$file.pdf" || {
		echo "hosts.sh: the copy differs from the original" >&2
		exit 1
	}
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$ring/times"
}

# hops RING: the peers that forwarded the (warm-up) request, plus the last hop to the owner.
hops() {
	local n
	n=$(grep -lF "Request for File $file has been received, but the file is not stored here" \
	    "$1"/*.out | wc -l)
	echo $((n + 1))
}

# row MODE SETUP HOPS TIMES: min / median / max in ms; sets $median and $min (seconds).
row() {
	min=$(sort -g "$4" | head -n 1)
	median=$(sort -g "$4" | awk '{ a[NR] = $1 } END {
		print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	sort -g "$4" | awk -v m="$1" -v s="$2" -v h="$3" -v med="$median" '
		{ a[NR] = $1 } END {
		printf "%-5s %-22s %4d %4d %9.1f %9.1f %9.1f\n", m, s, h, NR,
		    a[1] * 1e3, med * 1e3, a[NR] * 1e3 }'
}

# side_by_side MODE: the loopback ring and the namespace ring run at once; a warm-up each,
# then $reps requests alternating between them, so both see the same machine load.
side_by_side() {
	local mode=$1 lo=$dir/lo-$1 ns=$dir/ns-$1 r m_lo m_ns n_lo
	start_ring "lo-$mode" lo "$mode" "$base"
	start_ring "ns-$mode" ns "$mode" $((base + 256))
	base=$((base + 512))
	notes+=("$mode: $(route "$lo"); $(route "$ns")")
	request "$lo"
	request "$ns"
	: >"$lo/times"
	: >"$ns/times"
	for ((r = 0; r < reps; r++)); do
		request "$lo"
		request "$ns"
	done
	stop_ring
	row "$mode" "24 on 127.0.0.1" "$(hops "$lo")" "$lo/times"
	m_lo=$median n_lo=$min
	row "$mode" "24 over 3 namespaces" "$(hops "$ns")" "$ns/times"
	m_ns=$median
	awk -v m="$mode" -v a="$m_ns" -v b="$m_lo" -v c="$min" -v d="$n_lo" 'BEGIN {
		printf "%-5s ratio namespaces / loopback: %.2f (medians), %.2f (minima)\n", m, a / b, c / d }'
}

# route RING: where the request starts and goes first, from the requester's status JSON.
route() {
	grep -m1 '^{' "$1/$requester.out" | jq -r '.contact + " -> " + .successors[0].contact'
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $bin"
echo "24 peers (3 13 ... 233), p2p form, 1 s pings, --replicas 1; 1 KiB file $file at peer 233,"
echo "requested by peer $requester; $reps measured requests per case after one warm-up"
echo
make_hosts
# Below the ephemeral range (32768+); each ring its own ports.
base=$((10000 + RANDOM % 20000))
printf '%-5s %-22s %4s %4s %9s %9s %9s\n' mode setup hops n "min ms" "median ms" "max ms"
for mode in udp tcp; do side_by_side "$mode"; done
printf '  %s\n' "${notes[@]}"
echo "  (time: from writing 'request $file' to the requester's 'File $file received' line,"
echo "   polled every 2 ms by this script; both rings run at once and the requests alternate"
echo "   between them; hops: the TCP request forwards, requester to owner)"
