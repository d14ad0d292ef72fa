# launch_ring: finding the binary, starting and stopping peer processes (sourced).
# shellcheck shell=bash

# Finds the cdht binary (sets R[bin]): $CDHT_BIN, else the default next to this tool,
# building the repository's if that is where we run from and it is missing.
find_binary() {
	if [[ -n ${CDHT_BIN-} ]]; then
		[[ -f $CDHT_BIN && -x $CDHT_BIN ]] || die "CDHT_BIN='$CDHT_BIN' is not an executable file"
		R[bin]=$(cd "$(dirname -- "$CDHT_BIN")" && pwd -P)/$(basename -- "$CDHT_BIN")
		return
	fi
	R[bin]=$default_bin
	[[ -x ${R[bin]} ]] && return
	[[ $layout == repo ]] || die "no cdht binary at ${R[bin]} (set CDHT_BIN)"
	command -v cmake >/dev/null ||
		die "no cdht binary at ${R[bin]} and cmake is not installed: run tools/bootstrap.sh first"
	printf 'launch_ring: %s not found; building it (cmake -S %s -B %s/build) ...\n' \
		"${R[bin]}" "$repo" "$repo" >&2
	if ! { cmake -S "$repo" -B "$repo/build" && cmake --build "$repo/build" -j2; } >&2; then
		die "building cdht failed (see above); tools/bootstrap.sh installs what it needs"
	fi
	[[ -x ${R[bin]} ]] || die "the build did not produce ${R[bin]}"
}

# Peer $1's contact as a successor or known peer: ID, or ID@ADDR across namespaces.
contact_of() {
	if ((R[netns] > 0)); then
		printf '%s@%s\n' "$1" "${R[host:$1]}"
	else
		printf '%s\n' "$1"
	fi
}

# Fills the array peer_argv with the command line of peer $1, from its record.
peer_argv=()
make_argv() {
	local id=$1 w
	local -a o=("${ring_opts[@]}")
	read -r -a w <<<"${R[form:$id]}"
	peer_argv=()
	[[ -n ${R[ns:$id]} ]] && peer_argv+=(ip netns exec "${R[ns:$id]}")
	peer_argv+=("${R[bin]}" --base-port "${R[base_port]}" --dir "$run/$id")
	((R[netns] > 0)) && peer_argv+=(--bind "${R[host:$id]}")
	case ${w[0]} in
	classic)
		[[ -n ${R[interval]} ]] && peer_argv+=(--ping-interval "${R[interval]}")
		peer_argv+=("${o[@]}" "$id" "$(contact_of "${w[1]}")" "$(contact_of "${w[2]}")"
			"${R[mss]}" "${R[drop]}")
		;;
	init)
		peer_argv+=("${o[@]}" init "$id" "$(contact_of "${w[1]}")" "$(contact_of "${w[2]}")"
			"${R[interval]:-$P2P_INTERVAL}")
		;;
	join)
		# A classic ring's newcomer speaks and transfers as its peers do.
		[[ ${R[kind]} != p2p ]] &&
			peer_argv+=(--dialect classic --transfer udp --mss "${R[mss]}" --drop "${R[drop]}")
		peer_argv+=("${o[@]}" join "$id" "$(contact_of "${w[1]}")")
		if [[ ${R[kind]} == p2p ]]; then
			peer_argv+=("${R[interval]:-$P2P_INTERVAL}")
		else
			peer_argv+=("${R[interval]:-$CLASSIC_INTERVAL}")
		fi
		;;
	*) die "ring.json: bad record for peer $id: '${R[form:$id]}'" ;;
	esac
}

# Starts peer $1 from its record: directory, FIFO, process, pid file. A supervising
# subshell waits for the peer and writes its exit status to RUN/ID.exit (0: it quit).
launch_peer() {
	local id=$1 f pid sync
	mkdir -p "$run/$id"
	for f in "$files_dir"/*.pdf; do
		ln -sfn "$f" "$run/$id/${f##*/}"
	done
	rm -f "$run/$id".{in,pid,exit,sup,stopped,view.pid}
	mkfifo "$run/$id.in"
	make_argv "$id"
	# The peer opens its FIFO read-write, so it never sees end of input between commands.
	exec {sync}< <(
		exec </dev/null 2>/dev/null
		printf '%s\n' "$BASHPID" >"$run/$id.sup"
		"${peer_argv[@]}" <>"$run/$id.in" >"$run/$id.out" 2>"$run/$id.err" &
		p=$!
		printf '%s\n' "$p" >"$run/$id.pid"
		printf '%s\n' "$p"
		exec >/dev/null
		rc=0
		wait "$p" || rc=$?
		printf '%s\n' "$rc" >"$run/$id.exit"
	)
	read -r pid <&"$sync" || die "could not start peer $id"
	exec {sync}<&-
}

# Peer $1 exited during start: show why, stop everything this command started, fail.
start_failed() {
	local id=$1
	{
		printf 'launch_ring: peer %s exited at once; its command line was:\n ' "$id"
		make_argv "$id"
		printf ' %q' "${peer_argv[@]}"
		printf '\nits stderr (%s/%s.err):\n' "$run_disp" "$id"
		sed 's/^/  | /' "$run/$id.err" 2>/dev/null | head -n 20
		if grep -qi 'in use' "$run/$id.err" 2>/dev/null; then
			printf 'Another program holds that port: try another base port, e.g. %s --base-port %s\n' \
				"$(hint start)" $(((R[base_port] + 1000) % 30000 + 1024))
		fi
		if [[ -s $run/$id.out ]]; then
			printf 'its stdout (%s/%s.out):\n' "$run_disp" "$id"
			sed 's/^/  | /' "$run/$id.out" | head -n 20
		fi
	} >&2
	stop_peers "${start_ids[@]}" >/dev/null
	exit 1
}

# Waits until pid $1 is gone, at most $2 ms; returns 1 if it is not.
wait_gone() {
	local pid=$1
	[[ -n $pid && -d /proc/$pid ]] || return 0
	# tail --pid returns when the process ends; timeout bounds the wait.
	timeout "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')" \
		tail -s 0.05 --pid="$pid" -f /dev/null 2>/dev/null || true
	! pid_runs "$pid"
}

# Ends peers $@ of the ring: SIGTERM, then SIGKILL after STOP_WAIT_MS; closes their
# windows; removes their FIFOs and pid files (keeps .out, .err and .exit).
stop_peers() {
	local id pid
	local -a live=()
	for id in "$@"; do
		pid=$(pid_of "$id")
		if [[ -n $pid ]] && peer_runs "$id"; then
			: >"$run/$id.stopped"
			kill -TERM "$pid" 2>/dev/null || true
			live+=("$pid")
		fi
	done
	for pid in "${live[@]}"; do
		wait_gone "$pid" "$STOP_WAIT_MS" && continue
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" "$STOP_WAIT_MS" || true
	done
	for id in "$@"; do
		close_view "$id"
		rm -f "$run/$id.in" "$run/$id.pid"
	done
}
