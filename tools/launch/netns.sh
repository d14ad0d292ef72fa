# launch_ring: start --netns N, the ring spread over N network namespaces (sourced).
# Namespace k (1..N) is a "host" with address NETNS_SUBNET.k/24 on a veth whose other end
# is enslaved to one bridge in the root namespace. The bridge has no address: the ring's
# traffic stays between the namespaces. Names carry a tag from the RUN path, so two rings
# do not collide: namespaces cdht-TAG-k, bridge cdbrTAG, veths cdTAGvk.
# shellcheck shell=bash

# Dies unless namespaces can be made here.
netns_check() {
	((EUID == 0)) || die "--netns needs root (network namespaces and a bridge); run as root, or drop --netns"
	command -v ip >/dev/null || die "--netns needs the ip command (apt-get install iproute2)"
	ip netns list >/dev/null 2>&1 || die "--netns: 'ip netns' does not work here"
}

netns_name() {
	printf 'cdht-%s-%s\n' "${R[netns_tag]}" "$1"
}

# Creates the bridge and the namespaces, and spreads peers $@ over them (round robin).
netns_create() {
	local k i=0 ns br veth
	R[netns_tag]=$(($(printf '%s' "$run" | cksum | cut -d ' ' -f 1) % 100000))
	br=cdbr${R[netns_tag]}
	netns_remove
	ip link add "$br" type bridge || die "--netns: cannot create bridge $br"
	ip link set "$br" up
	for ((k = 1; k <= R[netns]; k++)); do
		ns=$(netns_name "$k")
		veth=cd${R[netns_tag]}v$k
		{
			ip netns add "$ns" &&
				ip link add "$veth" type veth peer name "${veth}p" &&
				ip link set "${veth}p" netns "$ns" &&
				ip link set "$veth" master "$br" up &&
				ip -n "$ns" link set "${veth}p" name eth0 &&
				ip -n "$ns" addr add "$NETNS_SUBNET.$k/24" dev eth0 &&
				ip -n "$ns" link set eth0 up &&
				ip -n "$ns" link set lo up
		} || {
			netns_remove
			die "--netns: cannot set up namespace $ns"
		}
	done
	for id in "$@"; do
		k=$((i % R[netns] + 1))
		R[host:$id]=$NETNS_SUBNET.$k
		R[ns:$id]=$(netns_name "$k")
		i=$((i + 1))
	done
}

# The namespace number with the fewest peers (for a joiner).
netns_least_used() {
	local k best=1 n bestn=999 id
	for ((k = 1; k <= R[netns]; k++)); do
		n=0
		for id in ${R[peers]}; do
			[[ ${R[ns:$id]} == "$(netns_name "$k")" ]] && n=$((n + 1))
		done
		((n < bestn)) && { best=$k; bestn=$n; }
	done
	printf '%s\n' "$best"
}

# Removes the ring's namespaces and bridge, if it has any (their veths go with them).
netns_remove() {
	local k
	((${R[netns]:-0} > 0)) && [[ -n ${R[netns_tag]-} ]] || return 0
	for ((k = 1; k <= R[netns]; k++)); do
		ip netns del "$(netns_name "$k")" 2>/dev/null || true
	done
	ip link del "cdbr${R[netns_tag]}" 2>/dev/null || true
	return 0
}
