# launch_ring: the send, join, kill and stop commands (sourced by launch_ring.sh).
# shellcheck shell=bash

# Dies unless $1 is a peer of the ring; prints it normalised.
known_peer() {
	local id
	id=$(need_id "$1") || exit
	is_peer "$id" || die "peer $id is not in the ring in '$run_disp' (its peers: ${R[peers]})"
	printf '%s\n' "$id"
}

# Loads the ring named by --run for command $1 after parsing its arguments $2...
load_for() {
	local verb=$1
	shift
	opt_flags='' opt_values=''
	parse_opts "$verb" "$@"
	set_run
	ring_load
	need_jq
}

# send ID COMMAND...: types the command into the peer, then "status --json", and prints
# what the peer wrote in between (stdout to stdout, stderr to stderr). Exit 1 when the
# peer refused the command (a "cdht:" line on its stderr) or did not answer.
cmd_send() {
	load_for send "$@"
	((${#rest[@]} >= 2)) || usage_die "send: usage: send [--run DIR] ID COMMAND..."
	local id line rc=0
	id=$(known_peer "${rest[0]}") || exit
	line=${rest[*]:1}
	[[ $line != *$'\n'* ]] || usage_die "send: the command holds a newline"
	peer_runs "$id" || die "peer $id is $(peer_state "$id") (see: $(hint status))"
	[[ -p $run/$id.in ]] || die "$run_disp/$id.in is missing or not a FIFO"
	if ((R[json] != 1)); then
		printf '%s\n' "$line" 1<>"$run/$id.in"
		note "sent to peer $id: $line   (this cdht has no status --json: its answer is in $run_disp/$id.out)"
		return 0
	fi
	peer_ask "$id" "$ASK_TIMEOUT_MS" "$line" || rc=$?
	((${#ask_out[@]} == 0)) || printf '%s\n' "${ask_out[@]}"
	((${#ask_err[@]} == 0)) || printf '%s\n' "${ask_err[@]}" >&2
	case $rc in
	0)
		((ask_rejected == 0)) && return 0
		# A peer that quits says so on stderr too: leaving, or soon gone with status 0, is
		# no refusal.
		[[ $(jq -r .state <<<"$ask_json") == leaving ]] && { note "(peer $id is leaving)"; return 0; }
		wait_gone "$(pid_of "$id")" "$QUIT_GRACE_MS" && [[ $(peer_state "$id") == left ]] &&
			{ note "(peer $id has ended: left)"; return 0; }
		exit 1
		;;
	2)
		local state
		state=$(peer_state "$id")
		note "(peer $id has ended: $state)"
		# A peer that left says so on stderr too: that is no refusal.
		[[ $state == left ]] || exit 1
		;;
	*) die "peer $id did not answer within $((ASK_TIMEOUT_MS / 1000)) s (its output: $run_disp/$id.out)" ;;
	esac
}

cmd_join() {
	load_for join "$@"
	((${#rest[@]} == 2)) || usage_die "join: usage: join [--run DIR] ID KNOWN"
	local id known k host='' ns=''
	id=$(need_id "${rest[0]}") || exit
	known=$(known_peer "${rest[1]}") || exit
	[[ $id != "$known" ]] || usage_die "join: a peer cannot join via itself"
	if is_peer "$id"; then
		peer_runs "$id" && die "peer $id is already running in '$run_disp'"
		# Rejoining after a death: keep the earlier run's output beside the new one.
		[[ -f $run/$id.out ]] && mv -f "$run/$id.out" "$run/$id.out.prev"
		[[ -f $run/$id.err ]] && mv -f "$run/$id.err" "$run/$id.err.prev"
		host=${R[host:$id]} ns=${R[ns:$id]}
	elif ((R[netns] > 0)); then
		# A newcomer goes to the namespace with the fewest peers.
		k=$(netns_least_used)
		host=$NETNS_SUBNET.$k ns=$(netns_name "$k")
	fi
	peer_runs "$known" || die "peer $known is not running, so $id cannot join via it"
	((R[base_port] + id <= 65535)) || usage_die "join: base port ${R[base_port]} + peer $id is past port 65535"
	[[ -x ${R[bin]} ]] || die "the ring's binary ${R[bin]} is gone"
	check_mode
	ring_set_peer "$id" "join $known" "$host" "$ns"
	ring_save
	start_ids=("$id")
	launch_peer "$id"
	open_view "$id"
	wait_up "$id"
	note "peer $id (pid $(pid_of "$id"), ${R[host:$id]}:$(peer_port "$id")) is joining the ring via peer $known;"
	note "its output: $run_disp/$id.out"
}

cmd_kill() {
	load_for kill "$@"
	((${#rest[@]} == 1)) || usage_die "kill: usage: kill [--run DIR] ID"
	local id pid
	id=$(known_peer "${rest[0]}") || exit
	peer_runs "$id" || die "peer $id is not running"
	pid=$(pid_of "$id")
	kill -KILL "$pid"
	wait_gone "$pid" "$STOP_WAIT_MS" || die "peer $id (pid $pid) survived SIGKILL?"
	note "peer $id (pid $pid) killed (SIGKILL); its predecessors will notice it is gone"
}

cmd_stop() {
	opt_flags='' opt_values=''
	parse_opts stop "$@"
	((${#rest[@]} == 0)) || usage_die "stop: unexpected '${rest[0]}'"
	set_run
	if ! ring_load maybe; then
		note "no ring in '$run_disp'; nothing to stop"
		return 0
	fi
	local id n=0
	for id in ${R[peers]}; do
		peer_runs "$id" && n=$((n + 1))
	done
	stop_peers ${R[peers]}
	if [[ -n ${R[session]} ]] && command -v tmux >/dev/null; then
		tmux kill-session -t "=${R[session]}" 2>/dev/null || true
	fi
	netns_remove
	for id in ${R[peers]}; do
		peer_runs "$id" && die "peer $id is still running"
	done
	if ((n)); then
		note "stopped $n peer(s) of the ring in '$run_disp'; their output stays in $run_disp/ID.out and ID.err"
	else
		note "no peer of the ring in '$run_disp' was running; nothing to stop"
	fi
}
