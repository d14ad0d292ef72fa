# launch_ring: the peers' windows, --xterm and --tmux, and what they run (sourced).
# shellcheck shell=bash

# Opens peer $1's window (xterm or tmux), if the ring has them.
open_view() {
	local id=$1 cmd win
	close_view "$id"
	case ${R[mode]} in
	xterm)
		# Tile the windows, three a row, in the order they are opened.
		local k col row
		k=$(find "$run" -maxdepth 1 -name '*.view.pid' | wc -l)
		col=$((k % 3))
		row=$((k / 3))
		xterm -hold -title "Peer $id" -geometry "80x20+$((col * 500))+$((row * 320))" \
			-e "$self_abs" _view --run "$run" "$id" </dev/null >/dev/null 2>&1 &
		printf '%s\n' "$!" >"$run/$id.view.pid"
		;;
	tmux)
		cmd=$(printf '%q ' "$self_abs" _view --run "$run" "$id")
		if tmux has-session -t "=${R[session]}" 2>/dev/null; then
			win=$(tmux new-window -d -P -F '#{window_id}' -t "=${R[session]}:" -n "Peer $id" "$cmd")
		else
			win=$(tmux new-session -d -P -F '#{window_id}' -s "${R[session]}" -n "Peer $id" \
				-x 132 -y 40 "$cmd")
		fi
		tmux set-option -w -t "$win" remain-on-exit on >/dev/null
		;;
	esac
}

# Closes peer $1's window, if it has one (a rejoining peer gets a fresh one).
close_view() {
	local id=$1 vpid='' win
	if [[ -f $run/$id.view.pid ]]; then
		read -r vpid <"$run/$id.view.pid" || true
		if pid_runs "${vpid:-x}" _view "$run" "$id"; then
			kill -TERM "$vpid" 2>/dev/null || true
		fi
		rm -f "$run/$id.view.pid"
	fi
	if [[ ${R[mode]} == tmux ]] && tmux has-session -t "=${R[session]}" 2>/dev/null; then
		tmux list-windows -t "=${R[session]}" -F '#{window_id} #{window_name}' |
			while read -r win _ name; do
				if [[ $name == "$id" ]]; then
					tmux kill-window -t "$win" || true
				fi
			done
	fi
	return 0
}

# Checks that the windowing mode can work here (before anything is started).
check_mode() {
	case ${R[mode]} in
	xterm)
		command -v xterm >/dev/null ||
			die "--xterm: xterm is not installed (apt-get install xterm), or run headless"
		[[ -n ${DISPLAY-} ]] ||
			die "--xterm: no X display (DISPLAY is not set); try --tmux or headless"
		;;
	tmux)
		command -v tmux >/dev/null ||
			die "--tmux: tmux is not installed (apt-get install tmux), or run headless"
		;;
	esac
	return 0
}

# A peer's window (what --xterm and --tmux windows run): shows the peer's output as it
# comes; a line typed there goes to the peer's stdin; Ctrl-C interrupts the peer (SIGINT,
# the abrupt departure), as Ctrl-C in a classic setup script's window does.
cmd_view() {
	opt_flags="" opt_values=""
	parse_opts _view "$@"
	set_run
	ring_load
	local id line rc
	id=$(known_peer "${rest[0]-}") || exit
	printf 'Peer %s (pid %s): its output, also in %s/%s.out\n' "$id" "$(pid_of "$id")" "$run" "$id"
	printf 'Type commands: request 2012, status, help, quit. Ctrl-C kills the peer.\n\n'
	trap '' INT	# tail inherits this: Ctrl-C must not end the window's output
	# The tool's own status --json answers are not for the window; tail ends with it.
	tail -q -n +1 --pid=$$ -f -- "$run/$id.out" "$run/$id.err" |
		grep --line-buffered -v '^{"cdht":' &
	view_tail=$!
	trap 'kill "$view_tail" 2>/dev/null || true' EXIT
	trap 'view_interrupt "$id"' INT
	[[ -p $run/$id.in ]] || die "$run/$id.in is not a FIFO"
	exec 3<>"$run/$id.in"
	while :; do
		if IFS= read -r line; then
			if peer_runs "$id"; then
				printf '%s\n' "$line" >&3
			else
				printf '(peer %s is not running)\n' "$id"
			fi
		else
			rc=$?
			((rc > 128)) || break	# end of input (Ctrl-D): keep showing the output
		fi
	done
	exec 3>&-
	wait "$view_tail" || true
}

view_interrupt() {
	if peer_runs "$1"; then
		kill -INT "$(pid_of "$1")" 2>/dev/null || true
		printf '(Ctrl-C: peer %s interrupted)\n' "$1"
	fi
}

