# launch_ring: the start command (sourced by launch_ring.sh).
# shellcheck shell=bash

start_ids=()

# Parses start's arguments (any order) into R and the array ring_ids; checks them.
start_parse() {
	local base_arg='' id i n
	local -a words=()
	opt_flags='--xterm --tmux --headless' opt_values='--base-port --interval --mss --drop --netns'
	parse_opts start "$@"
	words=("${rest[@]}")
	[[ -n ${opt[--xterm]-} ]] && R[mode]=xterm
	[[ -n ${opt[--tmux]-} ]] && R[mode]=tmux
	[[ -n ${opt[--xterm]-} && -n ${opt[--tmux]-} ]] && usage_die "start: --xterm or --tmux, not both"
	base_arg=${opt[--base-port]-}
	if [[ -n $base_arg ]]; then
		is_port "$base_arg" || usage_die "start: bad base port '$base_arg'"
		R[base_port]=$((10#$base_arg))
	fi
	R[interval]=${opt[--interval]-}
	R[mss]=${opt[--mss]-$CLASSIC_MSS}
	R[drop]=${opt[--drop]-$CLASSIC_DROP}
	R[netns]=${opt[--netns]-0}
	[[ -z ${R[interval]} ]] || is_positive_number "${R[interval]}" ||
		usage_die "start: bad --interval '${R[interval]}' (seconds, > 0)"
	is_positive_int "${R[mss]}" || usage_die "start: bad --mss '${R[mss]}' (a positive integer)"
	is_probability "${R[drop]}" || usage_die "start: bad --drop '${R[drop]}' (a probability in [0, 1])"
	is_uint "${R[netns]}" && ((10#${R[netns]} <= 64)) ||
		usage_die "start: bad --netns '${R[netns]}' (a number of namespaces, 1 to 64)"
	R[netns]=$((10#${R[netns]}))
	for i in "${dashdash[@]}"; do
		case $i in
		--base-port | --base-port=* | --dir | --dir=* | --bind | --bind=*)
			usage_die "start: do not pass $i to cdht; the tool sets it (use start --base-port)" ;;
		*$'\n'*) usage_die "start: a cdht option holds a newline" ;;
		esac
	done
	R[opts]=$(jq -cn '$ARGS.positional' --args -- "${dashdash[@]}")
	ring_opts=("${dashdash[@]}")
	case "${#words[@]}:${words[0]-}" in
	0: | 1:classic) R[kind]=classic; ring_ids=("${CLASSIC_IDS[@]}") ;;
	1:p2p) R[kind]=p2p; ring_ids=("${P2P_IDS[@]}") ;;
	*)
		R[kind]=custom
		ring_ids=()
		for i in "${words[@]}"; do
			[[ $i == classic || $i == p2p ]] &&
				usage_die "start: give either a ring name or a list of ids, not both"
			id=$(parse_id "$i") || usage_die "start: bad peer id '$i' (an integer from 0 to 255)"
			ring_ids+=("$id")
		done
		;;
	esac
	mapfile -t ring_ids < <(printf '%s\n' "${ring_ids[@]}" | sort -n)
	n=${#ring_ids[@]}
	((n >= 3)) || usage_die "start: a ring needs at least 3 peers (got $n)"
	for ((i = 1; i < n; i++)); do
		[[ ${ring_ids[i]} != "${ring_ids[i - 1]}" ]] || usage_die "start: peer id ${ring_ids[i]} given twice"
	done
	((R[base_port] + ring_ids[n - 1] <= 65535)) ||
		usage_die "start: base port ${R[base_port]} + peer ${ring_ids[n - 1]} is past port 65535"
	((R[netns] <= n)) || usage_die "start: --netns ${R[netns]} is more namespaces than peers ($n)"
}

# Clears what a finished ring left in RUN; dies if one still runs there.
start_clear_old() {
	local -A want=()
	local k id
	for k in "${!R[@]}"; do want[$k]=${R[$k]}; done
	if ring_load maybe; then
		local -a live=()
		for id in ${R[peers]}; do
			peer_runs "$id" && live+=("$id")
		done
		((${#live[@]} == 0)) ||
			die "a ring is already running in '$run_disp' (peers ${live[*]}); stop it first: $(hint stop)"
		stop_peers ${R[peers]}
		[[ -n ${R[session]} ]] && { tmux kill-session -t "=${R[session]}" 2>/dev/null || true; }
		netns_remove
		for id in ${R[peers]}; do
			rm -rf "${run:?}/$id"
			rm -f "$run/$id".{out,err,exit,sup,stopped,out.prev,err.prev}
		done
		rm -f "$run/ring.json"
	fi
	R=()
	for k in "${!want[@]}"; do R[$k]=${want[$k]}; done
	ring_opts=("${dashdash[@]}")
}

# Waits until each peer in $@ answers "status --json" (all at once); a peer that exits
# fails the start. A cdht that refuses "status --json" counts as up (recorded: no JSON).
wait_up() {
	local id rc
	local -a kids=()
	make_tool_tmp
	for id in "$@"; do
		(
			rc=0
			peer_ask "$id" "$UP_TIMEOUT_MS" || rc=$?
			echo "$rc" >"$tool_tmp/up.$id"
		) &
		kids+=("$!")
	done
	# Not a bare wait: the peers' supervisors are our children too.
	wait "${kids[@]}"
	for id in "$@"; do
		read -r rc <"$tool_tmp/up.$id"
		case $rc in
		0) ;;
		3) R[json]=0 ;;
		2) start_failed "$id" ;;
		*)
			peer_runs "$id" || start_failed "$id"
			printf 'launch_ring: peer %s (pid %s) runs but did not answer status --json within %s s\n' \
				"$id" "$(pid_of "$id")" $((UP_TIMEOUT_MS / 1000)) >&2
			;;
		esac
	done
	((R[json] == 1)) || printf 'launch_ring: this cdht does not answer status --json: send and status say less\n' >&2
	ring_save
}

cmd_start() {
	local i n id ringform=classic
	local -a ring_ids=()
	ring_new
	start_parse "$@"
	check_mode
	need_jq
	((R[netns] == 0)) || netns_check
	find_binary
	set_run create
	start_clear_old
	if [[ ${R[mode]} == tmux ]]; then
		local name=${run##*/}
		R[session]=cdht-${name//[^A-Za-z0-9_-]/_}-$(printf '%s' "$run" | cksum | cut -d ' ' -f 1)
		tmux kill-session -t "=${R[session]}" 2>/dev/null || true
	fi
	n=${#ring_ids[@]}
	[[ ${R[kind]} == p2p ]] && ringform=init
	R[peers]=''
	for ((i = 0; i < n; i++)); do
		ring_set_peer "${ring_ids[i]}" "$ringform ${ring_ids[(i + 1) % n]} ${ring_ids[(i + 2) % n]}"
	done
	start_ids=("${ring_ids[@]}")
	trap 'stop_peers "${start_ids[@]}" >/dev/null 2>&1; netns_remove; exit 130' INT TERM
	((R[netns] == 0)) || netns_create "${ring_ids[@]}"
	ring_save
	# Successors first (descending ids), so most peers' first pings find someone.
	for ((i = n - 1; i >= 0; i--)); do
		launch_peer "${ring_ids[i]}"
	done
	for id in "${ring_ids[@]}"; do
		open_view "$id"
	done
	wait_up "${ring_ids[@]}"
	trap - INT TERM
	start_summary
}

start_summary() {
	local id w desc asker
	case ${R[kind]} in
	classic) desc="the classic ring (as the classic setup script: cdht ID S1 S2 ${R[mss]} ${R[drop]})" ;;
	p2p) desc="the p2p ring (as the p2p setup script: cdht init ID S1 S2 ${R[interval]:-$P2P_INTERVAL})" ;;
	*) desc="a ring of ${#ring_ids[@]} peers (classic form: cdht ID S1 S2 ${R[mss]} ${R[drop]})" ;;
	esac
	note "Started $desc"
	note "in $run_disp/, binary ${R[bin]}, ports ${R[base_port]}+ID (UDP and TCP):"
	for id in ${R[peers]}; do
		read -r -a w <<<"${R[form:$id]}"
		printf '  peer %3s  %s:%-5s  successors %3s %3s  pid %s\n' \
			"$id" "${R[host:$id]}" "$(peer_port "$id")" "${w[1]}" "${w[2]}" "$(pid_of "$id")"
	done
	[[ ${R[opts]} == '[]' ]] || note "Every peer also has: $(jq -r 'join(" ")' <<<"${R[opts]}")"
	note ""
	note "Peer ID prints to $run_disp/ID.out (errors: $run_disp/ID.err) and keeps its files in $run_disp/ID/."
	case ${R[mode]} in
	xterm) note "Each peer also has an xterm window titled \"Peer ID\": type commands there too." ;;
	tmux)
		note "Each peer also has a window in tmux session ${R[session]}: type commands there too."
		note "  see them:   tmux attach -t ${R[session]}      (detach: Ctrl-b d)"
		;;
	esac
	asker=8
	is_peer 8 || asker=${ring_ids[1]}
	local -a try=(
		"$(hint send) $asker request 2012" "peer $asker asks for file 2012; prints the peer's answer"
		"tail -f $run_disp/$asker.out" "watch it arrive: $run_disp/$asker/received_2012.pdf (Ctrl-C ends tail)"
		"$(hint status)" "who runs, their successors, predecessors and files"
		"$(hint picture) -o ring.svg" "the ring drawn (Graphviz)"
		"$(hint kill) ${ring_ids[2]}" "peer ${ring_ids[2]} dies abruptly; its predecessors notice"
		"$(hint stop)" "end the ring"
	)
	local width=0 i
	for ((i = 0; i < ${#try[@]}; i += 2)); do
		((${#try[i]} > width)) && width=${#try[i]}
	done
	note "Try:"
	for ((i = 0; i < ${#try[@]}; i += 2)); do
		printf '  %-*s   # %s\n' "$width" "${try[i]}" "${try[i + 1]}"
	done
}
