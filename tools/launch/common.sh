# launch_ring: constants, usage, messages and argument checks (sourced by launch_ring.sh).
# shellcheck shell=bash

CLASSIC_IDS=(1 3 4 5 8 10 12 15)	# the classic setup script's ring
P2P_IDS=(2 4 5 8 9 14 19)		# the p2p setup script's ring
CLASSIC_MSS=400				# bytes, the classic setup script's value
CLASSIC_DROP=0.1			# probability, the classic setup script's value
P2P_INTERVAL=30				# seconds, the p2p setup script's value
CLASSIC_INTERVAL=5			# seconds, the peer's own default for the classic form
DEFAULT_BASE_PORT=50000
UP_TIMEOUT_MS=${LAUNCH_UP_TIMEOUT_MS:-20000}	# ms start waits for each peer's first JSON status
PROBE_GRACE_MS=1000			# ms a peer that rejected `status --json` gets to answer anyway
ASK_TIMEOUT_MS=${LAUNCH_ASK_TIMEOUT_MS:-10000}	# ms send and status wait for a peer's answer
STOP_WAIT_MS=2000			# ms between SIGTERM and SIGKILL
QUIT_GRACE_MS=1000			# ms send waits to see whether a peer that wrote cdht: quit
NETNS_SUBNET=10.77.0			# the /24 used inside the namespaces of start --netns

usage() {
	cat <<EOF
Usage: $self COMMAND [OPTIONS] ...

Runs a ring of cdht peers on this machine, one process per peer, and drives it.
Options may come in any order; every command takes --run DIR.

  start [--run DIR] [--base-port P] [--xterm | --tmux] [--interval S] [--netns N]
        [--mss N] [--drop P] [RING] [-- CDHT-OPTIONS...]
        Start a ring and wait until every peer answers 'status --json'. RING is one of
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
                        p2p and joins: the positional interval)
        --netns N       spread the peers over N network namespaces on one bridge,
                        addresses $NETNS_SUBNET.1 ... $NETNS_SUBNET.N (root only)
        --mss N, --drop P   the classic form's positionals (default $CLASSIC_MSS $CLASSIC_DROP)
        CDHT-OPTIONS are passed to every peer, joiners too (e.g. -- --ping-interval 0.2).
  send [--run DIR] ID COMMAND...   type COMMAND into peer ID and print its answer
                                   (exit 1 when the peer rejects it)
  join [--run DIR] ID KNOWN        start peer ID, joining the ring via peer KNOWN
  kill [--run DIR] ID              kill peer ID abruptly (SIGKILL)
  status [--run DIR] [--full] [--json]
                                   each peer: pid, running / dead / left / stopped,
                                   successors, predecessors, files (from its
                                   'status --json'); --full adds each peer's JSON,
                                   --json prints only the JSON (one object a line)
  picture [--run DIR] [-o FILE]    draw the ring with Graphviz (FILE.svg or FILE.png;
                                   default RUN/ring.svg)
  stop [--run DIR]                 end every peer of the ring (windows, namespaces too)
  --help                           this text

RUN (default ./run) holds, for each peer ID: ID/ (its --dir, with links to the sample
files), ID.in (FIFO on its stdin), ID.out and ID.err (its stdout and stderr), ID.pid,
ID.exit (its exit status once it ended); and ring.json, the ring's record. The binary
is \$CDHT_BIN, else $default_bin_desc.
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

# Dies unless jq is installed: every reading of a peer goes through it.
need_jq() {
	command -v jq >/dev/null || die "jq is not installed (apt-get install jq, or tools/bootstrap.sh)"
}

# A private temporary directory for this invocation, removed when it exits.
tool_tmp=''
make_tool_tmp() {
	[[ -n $tool_tmp ]] && return
	tool_tmp=$(mktemp -d "${TMPDIR:-/tmp}/launch_ring.XXXXXX")
	trap 'rm -rf -- "$tool_tmp"' EXIT
}

# Parses the options of a command in any order: --run DIR anywhere, the flags named in
# the global opt_flags (e.g. "--full --json"), the valued options in opt_values (e.g.
# "-o"); sets opt[NAME]=value (flags: 1), the positionals in rest[] and what follows
# "--" in dashdash[]. With $1 = send, the second positional ends the options (the rest is
# the peer's command).
declare -A opt=()
rest=()
dashdash=()
opt_flags=''
opt_values=''
parse_opts() {
	local verb=$1 a name
	shift
	rest=()
	while (($#)); do
		a=$1
		name=${a%%=*}
		case $a in
		--run | --run=*) ;;
		-h | --help) usage; exit 0 ;;
		--) shift; dashdash=("$@"); break ;;
		esac
		if [[ $name == --run || " $opt_values " == *" $name "* ]]; then
			if [[ $a == *=* ]]; then
				opt[$name]=${a#*=}
				shift
			else
				(($# >= 2)) || usage_die "$verb: $name needs a value"
				opt[$name]=$2
				shift 2
			fi
			[[ $name == --run ]] && run_arg=${opt[--run]}
		elif [[ " $opt_flags " == *" $a "* ]]; then
			opt[$a]=1
			shift
		elif [[ $a == -?* ]]; then
			usage_die "$verb: unknown option '$a'"
		elif [[ $verb == send && ${#rest[@]} == 1 ]]; then
			rest+=("$@")
			break
		else
			rest+=("$a")
			shift
		fi
	done
	[[ -n $run_arg ]] || usage_die "$verb: --run needs a directory"
}
