#!/usr/bin/env bash
# Starts, drives and stops a ring of cdht peers on this machine: one process per peer, each
# with its own directory, a FIFO on its standard input and its output in files under RUN.
# Headless by default; --xterm or --tmux also show each peer's output live in a window.
set -euo pipefail
shopt -s nullglob inherit_errexit

self=$0					# how the user called us, for the hints we print
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
self_abs=$here/${BASH_SOURCE[0]##*/}	# what windows run

CLASSIC_IDS=(1 3 4 5 8 10 12 15)	# the classic setup script's ring
P2P_IDS=(2 4 5 8 9 14 19)		# the p2p setup script's ring
CLASSIC_MSS=400				# bytes, the classic setup script's value
CLASSIC_DROP=0.1			# probability, the classic setup script's value
P2P_INTERVAL=30				# seconds, the p2p setup script's value
CLASSIC_INTERVAL=5			# seconds, the peer's own default for the classic form
DEFAULT_BASE_PORT=50000
UP_TIMEOUT_MS=10000			# how long start waits for a peer to bind its ports
UP_GRACE_MS=1000			# a live peer whose ports we cannot see counts as up after this
STATUS_WAIT_MS=1000			# how long status waits for a peer's answer
STOP_WAIT_MS=2000			# between SIGTERM and SIGKILL

usage() {
	cat <<EOF
Usage: $self COMMAND [--run DIR] ...

Runs a ring of cdht peers on 127.0.0.1, one process per peer, and drives it.

  start [--run DIR] [--base-port P] [--xterm | --tmux] [--interval S]
        [--mss N] [--drop P] [RING] [-- CDHT-OPTIONS...]
        Start a ring and wait until every peer is up. RING is one of
          classic   (default) peers ${CLASSIC_IDS[*]}, each run as
                    'cdht ID S1 S2 $CLASSIC_MSS $CLASSIC_DROP' (the classic setup script)
          p2p       peers ${P2P_IDS[*]}, each run as 'cdht init ID S1 S2 $P2P_INTERVAL'
                    (the p2p setup script)
          ID ID ID...  three or more ids (0-255), classic form
        A peer's successors are the next two ids in ring order.
        --base-port P   peer i listens on UDP and TCP port P+i (default $DEFAULT_BASE_PORT)
        --xterm         also one xterm window per peer, titled "Peer ID"
        --tmux          also one tmux session with a window per peer
        --interval S    ping interval in seconds (classic: passed as --ping-interval;
                        p2p and joins: the positional interval; default: classic
                        $CLASSIC_INTERVAL, p2p $P2P_INTERVAL)
        --mss N, --drop P   the classic form's positionals (default $CLASSIC_MSS $CLASSIC_DROP)
        CDHT-OPTIONS are passed to every peer, joiners too (e.g. -- --ping-interval 0.2).
  send [--run DIR] ID COMMAND...   type COMMAND into peer ID (e.g. send 8 request 2012)
  join [--run DIR] ID KNOWN        start peer ID, joining the ring via peer KNOWN
                                   ('cdht join ID KNOWN INTERVAL')
  kill [--run DIR] ID              kill peer ID abruptly (SIGKILL)
  status [--run DIR] [--full]      each peer's pid, whether it runs, its successors and
                                   predecessors (asked of the peer: its 'status' command;
                                   --full shows the peer's whole answer)
  stop [--run DIR]                 end every peer of the ring (and its windows)
  --help                           this text

RUN (default ./run) holds, for each peer ID: ID/ (its --dir, with links to the sample
files), ID.in (FIFO on its stdin), ID.out and ID.err (its stdout and stderr), ID.pid;
and ring.conf, the ring's record. The binary is \$CDHT_BIN, else build/cdht of this
repository (built first if missing).
EOF
}

die() {
	printf 'launch_ring: %s\n' "$*" >&2
	exit 1
}

# Bad use: the message, a hint, exit status 2.
usage_die() {
	printf 'launch_ring: %s\n' "$*" >&2
	printf "Try '%s --help'.\n" "$self" >&2
	exit 2
}

note() {
	printf '%s\n' "$*"
}

now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' $((10#$t / 1000))
}

is_uint() {
	[[ $1 =~ ^[0-9]+$ ]]
}

# A peer id: decimal 0-255; prints it normalised (no leading zeros).
parse_id() {
	is_uint "$1" && ((${#1} <= 3 && 10#$1 <= 255)) || return 1
	printf '%d\n' $((10#$1))
}

need_id() {
	local v
	v=$(parse_id "$1") || usage_die "bad peer id '$1' (an integer from 0 to 255)"
	printf '%s\n' "$v"
}

is_port() {
	is_uint "$1" && ((${#1} <= 5 && 10#$1 >= 1 && 10#$1 <= 65535))
}

is_positive_int() {
	is_uint "$1" && ((${#1} <= 9 && 10#$1 > 0))
}

is_positive_number() {
	[[ $1 =~ ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ ]] && awk -v x="$1" 'BEGIN { exit !(x > 0) }'
}

is_probability() {
	[[ $1 =~ ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ ]] && awk -v x="$1" 'BEGIN { exit !(x <= 1) }'
}

# ---------------------------------------------------------------------------------------
# The run directory and its record.

run_arg=run
run=
run_disp=

# Sets run (absolute) and run_disp (as the user gave it) from run_arg; $1 = create it.
set_run() {
	run_disp=${run_arg%/}
	[[ -n $run_disp ]] || run_disp=/
	if [[ ${1-} == create ]]; then
		mkdir -p -- "$run_arg" || die "cannot create the run directory '$run_arg'"
	fi
	if [[ -d $run_arg ]]; then
		run=$(cd -- "$run_arg" && pwd -P)
	else
		run=
	fi
}

# The hint prefix for commands we suggest: the tool and, if not the default, --run.
hint() {
	if [[ $run_disp == run || $run_disp == ./run ]]; then
		printf '%s %s' "$self" "$1"
	else
		printf '%s %s --run %q' "$self" "$1" "$run_disp"
	fi
}

# The ring's record (ring.conf), loaded into these globals.
bin=
base_port=$DEFAULT_BASE_PORT
kind=classic
mode=headless
session=
interval=
mss=$CLASSIC_MSS
drop=$CLASSIC_DROP
opts=()
peers=()		# ids in the order they were started
declare -A form=()	# id -> "ring S1 S2" or "join KNOWN"

conf_path() {
	printf '%s/ring.conf\n' "$run"
}

conf_write() {
	local f tmp id o
	f=$(conf_path)
	tmp=$f.tmp.$$
	{
		printf '# A ring of cdht peers started by tools/launch_ring.sh; its send, join,\n'
		printf '# kill, status and stop read it. One key=value a line.\n'
		printf 'bin=%s\n' "$bin"
		printf 'base_port=%s\n' "$base_port"
		printf 'kind=%s\n' "$kind"
		printf 'mode=%s\n' "$mode"
		printf 'session=%s\n' "$session"
		printf 'interval=%s\n' "$interval"
		printf 'mss=%s\n' "$mss"
		printf 'drop=%s\n' "$drop"
		for o in "${opts[@]}"; do
			printf 'opt=%s\n' "$o"
		done
		for id in "${peers[@]}"; do
			printf 'peer=%s %s\n' "$id" "${form[$id]}"
		done
	} >"$tmp"
	mv -f "$tmp" "$f"
}

# Loads ring.conf; dies if there is none (unless $1 = maybe: then returns 1).
conf_read() {
	local f line key val id
	if [[ -z $run || ! -f $run/ring.conf ]]; then
		[[ ${1-} == maybe ]] && return 1
		die "no ring in '$run_disp' (start one with: $(hint start))"
	fi
	f=$(conf_path)
	opts=()
	peers=()
	form=()
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line == '#'* || -z $line ]] && continue
		key=${line%%=*}
		val=${line#*=}
		case $key in
		bin) bin=$val ;;
		base_port) base_port=$val ;;
		kind) kind=$val ;;
		mode) mode=$val ;;
		session) session=$val ;;
		interval) interval=$val ;;
		mss) mss=$val ;;
		drop) drop=$val ;;
		opt) opts+=("$val") ;;
		peer)
			id=${val%% *}
			is_uint "$id" || die "$f: bad line '$line'"
			[[ -v "form[$id]" ]] || peers+=("$id")
			form[$id]=${val#* }
			;;
		*) die "$f: unknown key in line '$line'" ;;
		esac
	done <"$f"
	is_uint "$base_port" || die "$f: bad base_port '$base_port'"
	[[ -n $bin ]] || die "$f: no bin"
	return 0
}

is_peer() {
	[[ -v "form[$1]" ]]
}

# The pid recorded for peer $1, or nothing.
pid_of() {
	local p=
	if [[ -f $run/$1.pid ]]; then
		read -r p <"$run/$1.pid" || true
	fi
	is_uint "${p:-x}" && printf '%s\n' "$p"
	return 0
}

# Whether pid $1 is a live (not zombie) process whose command line holds each of the
# remaining arguments as a whole argument: how we know a pid is still our process.
pid_runs() {
	local pid=$1 a state rest
	shift
	is_uint "$pid" || return 1
	[[ -r /proc/$pid/stat ]] || return 1
	read -r rest </proc/"$pid"/stat 2>/dev/null || return 1
	rest=${rest##*) }
	state=${rest%% *}
	[[ $state != Z && $state != X ]] || return 1
	local -a args=()
	mapfile -d '' -t args </proc/"$pid"/cmdline 2>/dev/null || return 1
	for a in "$@"; do
		local found=0 x
		for x in "${args[@]}"; do
			[[ $x == "$a" ]] && {
				found=1
				break
			}
		done
		((found)) || return 1
	done
	return 0
}

# Whether peer $1 of this ring runs (its recorded pid is our cdht with its --dir).
peer_runs() {
	local pid
	pid=$(pid_of "$1")
	[[ -n $pid ]] && pid_runs "$pid" "$bin" "$run/$1"
}

peer_port() {
	printf '%s\n' $((base_port + $1))
}

# ---------------------------------------------------------------------------------------
# Ring arithmetic.

# Sorts ids numerically, one a line on stdout.
sort_ids() {
	printf '%s\n' "$@" | sort -n
}

# The owner of key $1 among ids $2...: the first id at or after the key, wrapping.
key_owner() {
	local key=$1 id first=
	shift
	for id in $(sort_ids "$@"); do
		[[ -z $first ]] && first=$id
		if ((id >= key)); then
			printf '%s\n' "$id"
			return
		fi
	done
	printf '%s\n' "$first"
}

# ---------------------------------------------------------------------------------------
# Starting peers.

# Finds the cdht binary (sets bin), building the repository's if needed.
find_binary() {
	if [[ -n ${CDHT_BIN-} ]]; then
		[[ -f $CDHT_BIN && -x $CDHT_BIN ]] ||
			die "CDHT_BIN='$CDHT_BIN' is not an executable file"
		bin=$(cd "$(dirname -- "$CDHT_BIN")" && pwd -P)/$(basename -- "$CDHT_BIN")
		return
	fi
	bin=$repo/build/cdht
	[[ -x $bin ]] && return
	command -v cmake >/dev/null ||
		die "no cdht binary at $bin and cmake is not installed: run tools/bootstrap.sh first"
	printf 'launch_ring: %s not found; building it (cmake -S %s -B %s/build) ...\n' \
		"$bin" "$repo" "$repo" >&2
	if ! { cmake -S "$repo" -B "$repo/build" && cmake --build "$repo/build" -j; } >&2; then
		die "building cdht failed (see above); tools/bootstrap.sh installs what it needs"
	fi
	[[ -x $bin ]] || die "the build did not produce $bin"
}

# Fills the array peer_argv with the command line of peer $1, from its record.
peer_argv=()
make_argv() {
	local id=$1 w
	read -r -a w <<<"${form[$id]}"
	peer_argv=("$bin" --base-port "$base_port" --dir "$run/$id")
	case ${w[0]} in
	classic)
		[[ -n $interval ]] && peer_argv+=(--ping-interval "$interval")
		peer_argv+=("${opts[@]}" "$id" "${w[1]}" "${w[2]}" "$mss" "$drop")
		;;
	init)
		peer_argv+=("${opts[@]}" init "$id" "${w[1]}" "${w[2]}" "${interval:-$P2P_INTERVAL}")
		;;
	join)
		if [[ $kind != p2p ]]; then
			# A classic ring's newcomer speaks and transfers as its peers do.
			peer_argv+=(--dialect classic --transfer udp --mss "$mss" --drop "$drop")
		fi
		peer_argv+=("${opts[@]}" join "$id" "${w[1]}")
		if [[ $kind == p2p ]]; then
			peer_argv+=("${interval:-$P2P_INTERVAL}")
		else
			peer_argv+=("${interval:-$CLASSIC_INTERVAL}")
		fi
		;;
	*) die "ring.conf: bad record for peer $id: '${form[$id]}'" ;;
	esac
}

# Opens peer $1's window (xterm or tmux), if the ring has them.
open_view() {
	local id=$1 cmd win
	close_view "$id"
	case $mode in
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
		if tmux has-session -t "=$session" 2>/dev/null; then
			win=$(tmux new-window -d -P -F '#{window_id}' -t "=$session:" -n "Peer $id" "$cmd")
		else
			win=$(tmux new-session -d -P -F '#{window_id}' -s "$session" -n "Peer $id" \
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
	if [[ $mode == tmux ]] && tmux has-session -t "=$session" 2>/dev/null; then
		tmux list-windows -t "=$session" -F '#{window_id} #{window_name}' |
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
	case $mode in
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

# Starts peer $1 from its record: directory, FIFO, process, pid file.
launch_peer() {
	local id=$1 f pid
	mkdir -p "$run/$id"
	for f in "$repo"/share/files/*.pdf; do
		ln -sfn "$f" "$run/$id/${f##*/}"
	done
	rm -f "$run/$id.in" "$run/$id.pid" "$run/$id.view.pid"
	mkfifo "$run/$id.in"
	make_argv "$id"
	# The peer opens its FIFO read-write, so it never sees end of input between commands.
	"${peer_argv[@]}" <>"$run/$id.in" >"$run/$id.out" 2>"$run/$id.err" &
	pid=$!
	printf '%s\n' "$pid" >"$run/$id.pid"
}

# Prints, one a line, the local ports with a bound UDP socket ("uPORT") or a listening TCP
# socket ("tPORT"), ports in upper-case hex as /proc/net shows them.
bound_ports() {
	local files=() f
	for f in /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 0
	awk 'FNR > 1 {
		port = substr($2, index($2, ":") + 1)
		if (FILENAME ~ /udp/) print "u" port
		else if ($4 == "0A") print "t" port
	}' "${files[@]}"
}

# Waits until each peer in $@ is up: its process runs and its UDP and TCP ports are bound
# (or, if it never shows bound ports, it is still running after UP_GRACE_MS). Dies,
# showing the peer's stderr, if one exits.
wait_up() {
	local start deadline now id hex ports pid
	local -a pending=("$@") left
	start=$(now_ms)
	deadline=$((start + UP_TIMEOUT_MS))
	while ((${#pending[@]})); do
		ports=$'\n'$(bound_ports)$'\n'
		now=$(now_ms)
		left=()
		for id in "${pending[@]}"; do
			if ! peer_runs "$id"; then
				pid=$(pid_of "$id")
				# Not yet exec'd (still our forked shell): give it time. Gone: failed.
				if pid_runs "$pid" && ((now < deadline)); then
					left+=("$id")
					continue
				fi
				start_failed "$id"
			fi
			printf -v hex '%04X' "$(peer_port "$id")"
			if [[ $ports == *$'\n'"u$hex"$'\n'* && $ports == *$'\n'"t$hex"$'\n'* ]]; then
				continue
			fi
			if ((now - start >= UP_GRACE_MS)) && [[ $ports != *$'\n'"u$hex"$'\n'* ]]; then
				continue	# not a port we can see (another binary, or no /proc/net)
			fi
			if ((now >= deadline)); then
				pid=$(pid_of "$id")
				printf 'launch_ring: peer %s (pid %s) runs but has not bound port %s\n' \
					"$id" "$pid" "$(peer_port "$id")" >&2
				continue
			fi
			left+=("$id")
		done
		pending=("${left[@]}")
		((${#pending[@]})) && sleep 0.05
	done
	# A last look: a peer that crashed right after binding fails the start too.
	sleep 0.2
	for id in "$@"; do
		peer_runs "$id" || start_failed "$id"
	done
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
				"$(hint start)" $(((base_port + 1000) % 60000 + 1024))
		fi
		if [[ -s $run/$id.out ]]; then
			printf 'its stdout (%s/%s.out):\n' "$run_disp" "$id"
			sed 's/^/  | /' "$run/$id.out" | head -n 20
		fi
	} >&2
	stop_peers "${start_ids[@]}" >/dev/null
	exit 1
}

# ---------------------------------------------------------------------------------------
# Stopping peers.

# Ends peers $@ of the ring: SIGTERM, then SIGKILL after STOP_WAIT_MS; closes their
# windows; removes their FIFOs and pid files (keeps .out and .err).
stop_peers() {
	local id pid deadline
	local -a live=()
	for id in "$@"; do
		pid=$(pid_of "$id")
		if [[ -n $pid ]] && pid_runs "$pid" "$bin" "$run/$id"; then
			kill -TERM "$pid" 2>/dev/null || true
			live+=("$id")
		fi
	done
	deadline=$(($(now_ms) + STOP_WAIT_MS))
	while ((${#live[@]})); do
		local -a still=()
		for id in "${live[@]}"; do
			peer_runs "$id" && still+=("$id")
		done
		live=("${still[@]}")
		((${#live[@]})) || break
		if (($(now_ms) >= deadline)); then
			for id in "${live[@]}"; do
				pid=$(pid_of "$id")
				kill -KILL "$pid" 2>/dev/null || true
			done
			deadline=$(($(now_ms) + STOP_WAIT_MS))
		fi
		sleep 0.05
	done
	for id in "$@"; do
		close_view "$id"
		rm -f "$run/$id.in" "$run/$id.pid"
	done
}

# ---------------------------------------------------------------------------------------
# The commands.

cmd_start() {
	local base_arg='' ring_words=() ids=() id i n
	while (($#)); do
		case $1 in
		--run) (($# >= 2)) || usage_die "start: --run needs a directory"; run_arg=$2; shift 2 ;;
		--run=*) run_arg=${1#*=}; shift ;;
		--base-port) (($# >= 2)) || usage_die "start: --base-port needs a port"; base_arg=$2; shift 2 ;;
		--base-port=*) base_arg=${1#*=}; shift ;;
		--xterm) mode=xterm; shift ;;
		--tmux) mode=tmux; shift ;;
		--headless) mode=headless; shift ;;
		--interval) (($# >= 2)) || usage_die "start: --interval needs seconds"; interval=$2; shift 2 ;;
		--interval=*) interval=${1#*=}; shift ;;
		--mss) (($# >= 2)) || usage_die "start: --mss needs a number"; mss=$2; shift 2 ;;
		--mss=*) mss=${1#*=}; shift ;;
		--drop) (($# >= 2)) || usage_die "start: --drop needs a probability"; drop=$2; shift 2 ;;
		--drop=*) drop=${1#*=}; shift ;;
		-h | --help) usage; exit 0 ;;
		--) shift; opts=("$@"); break ;;
		-*) usage_die "start: unknown option '$1' (options for cdht go after --)" ;;
		*) ring_words+=("$1"); shift ;;
		esac
	done
	[[ -z $run_arg ]] && usage_die "start: --run needs a directory"

	if [[ -n $base_arg ]]; then
		is_port "$base_arg" || usage_die "start: bad base port '$base_arg'"
		base_port=$((10#$base_arg))
	fi
	[[ -z $interval ]] || is_positive_number "$interval" ||
		usage_die "start: bad --interval '$interval' (seconds, > 0)"
	is_positive_int "$mss" ||
		usage_die "start: bad --mss '$mss' (a positive integer)"
	is_probability "$drop" || usage_die "start: bad --drop '$drop' (a probability in [0, 1])"
	for i in "${opts[@]}"; do
		case $i in
		--base-port | --base-port=* | --dir | --dir=*)
			usage_die "start: do not pass $i to cdht; the tool sets it (use start --base-port)" ;;
		*$'\n'*) usage_die "start: a cdht option holds a newline" ;;
		esac
	done

	case "${#ring_words[@]}:${ring_words[0]-}" in
	0: | 1:classic) kind=classic; ids=("${CLASSIC_IDS[@]}") ;;
	1:p2p) kind=p2p; ids=("${P2P_IDS[@]}") ;;
	*)
		kind=custom
		for i in "${ring_words[@]}"; do
			[[ $i == classic || $i == p2p ]] &&
				usage_die "start: give either a ring name or a list of ids, not both"
			id=$(parse_id "$i") || usage_die "start: bad peer id '$i' (an integer from 0 to 255)"
			ids+=("$id")
		done
		;;
	esac
	mapfile -t ids < <(sort_ids "${ids[@]}")
	n=${#ids[@]}
	((n >= 3)) || usage_die "start: a ring needs at least 3 peers (got $n)"
	for ((i = 1; i < n; i++)); do
		[[ ${ids[i]} != "${ids[i - 1]}" ]] || usage_die "start: peer id ${ids[i]} given twice"
	done
	((base_port + ids[n - 1] <= 65535)) ||
		usage_die "start: base port $base_port + peer ${ids[n - 1]} is past port 65535"
	check_mode
	find_binary
	local want_bin=$bin

	set_run create
	# Reading an earlier ring's record below overwrites these: keep this command's.
	local -a want_opts=("${opts[@]}")
	local want_mode=$mode want_base=$base_port want_interval=$interval want_mss=$mss
	local want_drop=$drop want_kind=$kind
	if conf_read maybe; then
		local live=()
		for id in "${peers[@]}"; do
			peer_runs "$id" && live+=("$id")
		done
		((${#live[@]} == 0)) ||
			die "a ring is already running in '$run_disp' (peers ${live[*]}); stop it first: $(hint stop)"
		# The previous ring there is over: clear what it left.
		stop_peers "${peers[@]}"
		if [[ -n $session ]]; then
			tmux kill-session -t "=$session" 2>/dev/null || true
		fi
		for id in "${peers[@]}"; do
			rm -rf "${run:?}/$id"
			rm -f "$run/$id.out" "$run/$id.err" "$run/$id.out.prev" "$run/$id.err.prev"
		done
		rm -f "$(conf_path)"
	fi

	opts=("${want_opts[@]}")
	mode=$want_mode
	base_port=$want_base
	interval=$want_interval
	mss=$want_mss
	drop=$want_drop
	kind=$want_kind
	bin=$want_bin
	session=
	if [[ $mode == tmux ]]; then
		local name=${run##*/}
		name=${name//[^A-Za-z0-9_-]/_}
		session=cdht-$name-$(printf '%s' "$run" | cksum | cut -d ' ' -f 1)
		tmux kill-session -t "=$session" 2>/dev/null || true
	fi
	peers=()
	form=()
	local ringform=classic
	[[ $kind == p2p ]] && ringform=init
	for ((i = 0; i < n; i++)); do
		peers+=("${ids[i]}")
		form[${ids[i]}]="$ringform ${ids[(i + 1) % n]} ${ids[(i + 2) % n]}"
	done
	conf_write

	start_ids=("${peers[@]}")
	trap 'stop_peers "${start_ids[@]}" >/dev/null 2>&1; exit 130' INT TERM
	# Successors first (descending ids), so most peers' first pings find someone.
	for ((i = n - 1; i >= 0; i--)); do
		launch_peer "${ids[i]}"
	done
	for id in "${ids[@]}"; do
		open_view "$id"
	done
	wait_up "${peers[@]}"
	trap - INT TERM
	start_summary
}

start_summary() {
	local id w desc owner asker
	case $kind in
	classic) desc="the classic ring (as the classic setup script: cdht ID S1 S2 $mss $drop)" ;;
	p2p) desc="the p2p ring (as the p2p setup script: cdht init ID S1 S2 ${interval:-$P2P_INTERVAL})" ;;
	*) desc="a ring of ${#peers[@]} peers (classic form: cdht ID S1 S2 $mss $drop)" ;;
	esac
	note "Started $desc"
	note "in $run_disp/, binary $bin, on 127.0.0.1 ports $base_port+ID (UDP and TCP):"
	for id in "${peers[@]}"; do
		read -r -a w <<<"${form[$id]}"
		printf '  peer %3s  port %5s  successors %3s %3s  pid %s\n' \
			"$id" "$(peer_port "$id")" "${w[1]}" "${w[2]}" "$(pid_of "$id")"
	done
	((${#opts[@]} == 0)) || note "Every peer also has: ${opts[*]}"
	note ""
	note "Peer ID prints to $run_disp/ID.out (errors: $run_disp/ID.err) and keeps its files in $run_disp/ID/."
	case $mode in
	xterm) note "Each peer also has an xterm window titled \"Peer ID\": type commands there too." ;;
	tmux)
		note "Each peer also has a window in tmux session $session: type commands there too."
		note "  see them:   tmux attach -t $session      (detach: Ctrl-b d)"
		;;
	esac
	# Suggest the classic demo's request: peer 8 asks for 2012 (or the nearest equivalent).
	owner=$(key_owner $((2012 % 256)) "${peers[@]}")
	asker=8
	if ! is_peer 8 || [[ $owner == 8 ]]; then
		asker=${peers[0]}
		[[ $asker == "$owner" ]] && asker=${peers[1]}
	fi
	local -a try=(
		"$(hint send) $asker request 2012" "peer $asker asks for file 2012 (key 220, held by peer $owner)"
		"tail -f $run_disp/$asker.out" "watch it arrive: $run_disp/$asker/received_2012.pdf (Ctrl-C ends tail)"
		"$(hint status)" "who runs, and their successors"
		"$(hint kill) ${peers[2]}" "peer ${peers[2]} dies abruptly; its predecessors notice"
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

# Parses "[--run DIR] ARGS..." for the other commands: sets run_arg; the rest in rest[].
rest=()
parse_run_opt() {
	local verb=$1
	shift
	rest=()
	while (($#)); do
		case $1 in
		--run) (($# >= 2)) || usage_die "$verb: --run needs a directory"; run_arg=$2; shift 2 ;;
		--run=*) run_arg=${1#*=}; shift ;;
		-h | --help) usage; exit 0 ;;
		--) shift; rest+=("$@"); break ;;
		-*) usage_die "$verb: unknown option '$1'" ;;
		*) rest+=("$@"); break ;;
		esac
	done
	[[ -n $run_arg ]] || usage_die "$verb: --run needs a directory"
}

# Dies unless $1 is a peer of the ring; prints it normalised.
known_peer() {
	local id
	id=$(need_id "$1") || exit
	is_peer "$id" || die "peer $id is not in the ring in '$run_disp' (its peers: ${peers[*]})"
	printf '%s\n' "$id"
}

cmd_send() {
	parse_run_opt send "$@"
	((${#rest[@]} >= 2)) || usage_die "send: usage: send [--run DIR] ID COMMAND..."
	set_run
	conf_read
	local id line fifo
	id=$(known_peer "${rest[0]}") || exit
	line=${rest[*]:1}
	[[ $line != *$'\n'* ]] || usage_die "send: the command holds a newline"
	peer_runs "$id" || die "peer $id is not running (see: $(hint status))"
	fifo=$run/$id.in
	[[ -p $fifo ]] || die "$run_disp/$id.in is missing or not a FIFO"
	# Read-write open: never blocks; the peer holds the FIFO open, so the line waits for it.
	printf '%s\n' "$line" 1<>"$fifo"
	note "sent to peer $id: $line   (its output: $run_disp/$id.out)"
}

cmd_join() {
	parse_run_opt join "$@"
	((${#rest[@]} == 2)) || usage_die "join: usage: join [--run DIR] ID KNOWN"
	set_run
	conf_read
	local id known
	id=$(need_id "${rest[0]}") || exit
	known=$(known_peer "${rest[1]}") || exit
	[[ $id != "$known" ]] || usage_die "join: a peer cannot join via itself"
	if is_peer "$id"; then
		peer_runs "$id" && die "peer $id is already running in '$run_disp'"
		# Rejoining after a death: keep the earlier run's output beside the new one.
		[[ -f $run/$id.out ]] && mv -f "$run/$id.out" "$run/$id.out.prev"
		[[ -f $run/$id.err ]] && mv -f "$run/$id.err" "$run/$id.err.prev"
	else
		peers+=("$id")
	fi
	peer_runs "$known" || die "peer $known is not running, so $id cannot join via it"
	((base_port + id <= 65535)) || usage_die "join: base port $base_port + peer $id is past port 65535"
	[[ -x $bin ]] || die "the ring's binary $bin is gone"
	check_mode
	form[$id]="join $known"
	conf_write
	start_ids=("$id")
	launch_peer "$id"
	open_view "$id"
	wait_up "$id"
	note "peer $id (pid $(pid_of "$id"), port $(peer_port "$id")) is joining the ring via peer $known;"
	note "its output: $run_disp/$id.out"
}

cmd_kill() {
	parse_run_opt kill "$@"
	((${#rest[@]} == 1)) || usage_die "kill: usage: kill [--run DIR] ID"
	set_run
	conf_read
	local id pid deadline
	id=$(known_peer "${rest[0]}") || exit
	peer_runs "$id" || die "peer $id is not running"
	pid=$(pid_of "$id")
	kill -KILL "$pid"
	deadline=$(($(now_ms) + STOP_WAIT_MS))
	while peer_runs "$id" && (($(now_ms) < deadline)); do
		sleep 0.02
	done
	peer_runs "$id" && die "peer $id (pid $pid) survived SIGKILL?"
	note "peer $id (pid $pid) killed (SIGKILL); its predecessors will notice it is gone"
}

# Prints the lines peer $1 wrote to its stdout after byte offset $2, less ping lines.
new_lines() {
	tail -c +$(($2 + 1)) "$run/$1.out" 2>/dev/null |
		grep -v -E '^(A ping (request|response) message was received from Peer|Ping request message received from Peer|Ping response received from Peer|Ping requests sent to Peers)' ||
		true
}

cmd_status() {
	local full=0
	if [[ ${1-} == --full ]]; then
		full=1
		shift
	fi
	parse_run_opt status "$@"
	if [[ ${rest[0]-} == --full ]]; then
		full=1
		rest=("${rest[@]:1}")
	fi
	((${#rest[@]} == 0)) || usage_die "status: unexpected '${rest[0]}'"
	set_run
	conf_read
	local id pid deadline running=0 size
	local -a w
	local -A off=() block=()
	local -a asked=() waiting
	for id in "${peers[@]}"; do
		if peer_runs "$id" && [[ -p $run/$id.in ]]; then
			running=$((running + 1))
			size=$(wc -c <"$run/$id.out" 2>/dev/null || echo 0)
			off[$id]=$((size))
			printf 'status\n' 1<>"$run/$id.in"
			asked+=("$id")
		fi
	done
	# Wait for every asked peer's answer, at most STATUS_WAIT_MS.
	deadline=$(($(now_ms) + STATUS_WAIT_MS))
	waiting=("${asked[@]}")
	while ((${#waiting[@]})) && (($(now_ms) < deadline)); do
		sleep 0.05
		local -a still=()
		for id in "${waiting[@]}"; do
			[[ -n $(new_lines "$id" "${off[$id]}") ]] || still+=("$id")
		done
		waiting=("${still[@]}")
	done
	((${#asked[@]} == ${#waiting[@]})) || sleep 0.1	# let answers finish printing
	for id in "${asked[@]}"; do
		block[$id]=$(new_lines "$id" "${off[$id]}")
	done

	note "Ring in $run_disp/: $kind, base port $base_port, ${#peers[@]} peers, $running running"
	printf '%5s  %-8s %-8s %-11s %-13s %s\n' peer pid state successors predecessors files
	local state succ pred files b
	local -a in_order
	mapfile -t in_order < <(sort_ids "${peers[@]}")
	for id in "${in_order[@]}"; do
		pid=$(pid_of "$id")
		read -r -a w <<<"${form[$id]}"
		b=${block[$id]-}
		state=dead
		[[ -v "block[$id]" ]] && state=running
		[[ -n $pid ]] || state="stopped"
		succ="$(status_field "$b" "first successor") $(status_field "$b" "second successor")"
		if [[ $succ == ' ' ]]; then
			succ="${w[1]} ${w[2]}"
			[[ ${w[0]} == join ]] && succ="joined via ${w[1]}"
			local why="at start: $succ"
			if [[ $state == running && -z $b ]]; then
				why="no status reply in ${STATUS_WAIT_MS} ms; at start: $succ"
			elif [[ $state == running ]]; then
				why="not found in its status; at start: $succ"
			fi
			printf '%5s  %-8s %-8s (%s)\n' "$id" "${pid:--}" "$state" "$why"
			if [[ -n $b ]]; then
				printf '%s\n' "$b" | sed 's/^/         | /'
			fi
			continue
		fi
		pred="$(status_field "$b" "first predecessor") $(status_field "$b" "second predecessor")"
		files=$(printf '%s\n' "$b" | sed -n 's/^[[:space:]]*[Ff]iles[^:]*:[[:space:]]*//p' | head -n 1)
		printf '%5s  %-8s %-8s %-11s %-13s %s\n' "$id" "$pid" "$state" "$succ" "$pred" "$files"
		if ((full)); then
			printf '%s\n' "$b" | sed 's/^/         | /'
		fi
	done
}

# From peer status text $1, the peer id on the first line naming $2 (e.g. "first
# successor"), or "?" if that line says no id; nothing if no line names it.
status_field() {
	printf '%s\n' "$1" | awk -v what="$2" '
		index(tolower($0), what) {
			rest = substr($0, index(tolower($0), what) + length(what))
			if (match(rest, /[0-9]+/)) print substr(rest, RSTART, RLENGTH)
			else print "?"
			exit
		}'
}

cmd_stop() {
	parse_run_opt stop "$@"
	((${#rest[@]} == 0)) || usage_die "stop: unexpected '${rest[0]}'"
	set_run
	if ! conf_read maybe; then
		note "no ring in '$run_disp'; nothing to stop"
		return 0
	fi
	local id n=0
	for id in "${peers[@]}"; do
		peer_runs "$id" && n=$((n + 1))
	done
	stop_peers "${peers[@]}"
	if [[ -n $session ]] && command -v tmux >/dev/null; then
		tmux kill-session -t "=$session" 2>/dev/null || true
	fi
	for id in "${peers[@]}"; do
		peer_runs "$id" && die "peer $id is still running"
	done
	if ((n)); then
		note "stopped $n peer(s) of the ring in '$run_disp'; their output stays in $run_disp/ID.out and ID.err"
	else
		note "no peer of the ring in '$run_disp' was running; nothing to stop"
	fi
}

# A peer's window (what --xterm and --tmux windows run): shows the peer's output as it
# comes; a line typed there goes to the peer's stdin; Ctrl-C interrupts the peer (SIGINT,
# the abrupt departure), as Ctrl-C in a classic setup script's window does.
cmd_view() {
	parse_run_opt _view "$@"
	set_run
	conf_read
	local id line rc
	id=$(known_peer "${rest[0]-}") || exit
	printf 'Peer %s (pid %s): its output, also in %s/%s.out\n' "$id" "$(pid_of "$id")" "$run" "$id"
	printf 'Type commands: request 2012, status, help, quit. Ctrl-C kills the peer.\n\n'
	trap '' INT	# tail inherits this: Ctrl-C must not end the window's output
	tail -q -n +1 -f -- "$run/$id.out" "$run/$id.err" &
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

main() {
	local verb
	while (($#)); do
		case $1 in
		--run) (($# >= 2)) || usage_die "--run needs a directory"; run_arg=$2; shift 2 ;;
		--run=*) run_arg=${1#*=}; shift ;;
		*) break ;;
		esac
	done
	(($#)) || {
		usage >&2
		exit 2
	}
	verb=$1
	shift
	case $verb in
	-h | --help | help) usage ;;
	start) cmd_start "$@" ;;
	send) cmd_send "$@" ;;
	join) cmd_join "$@" ;;
	kill) cmd_kill "$@" ;;
	status) cmd_status "$@" ;;
	stop) cmd_stop "$@" ;;
	_view) cmd_view "$@" ;;
	*) usage_die "unknown command '$verb'" ;;
	esac
}

start_ids=()
view_tail=''
main "$@"
