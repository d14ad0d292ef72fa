# launch_ring: the run directory and the ring's one record, R (sourced by launch_ring.sh).
# R holds: bin base_port kind mode session interval mss drop netns netns_tag json opts
# (a JSON array) peers (ids in start order) and, for each peer ID, form:ID ("classic S1
# S2", "init S1 S2" or "join KNOWN"), host:ID (its address) and ns:ID (its namespace).
# It is saved as RUN/ring.json and loaded from it with one jq call.
# shellcheck shell=bash

run_arg=run
run=
run_disp=
declare -A R=()
ring_opts=()		# R[opts] as an array, for the peers' command lines

# Sets run (absolute) and run_disp (as the user gave it) from run_arg; $1 = create it.
set_run() {
	run_disp=${run_arg%/}
	[[ -n $run_disp ]] || run_disp=/
	if [[ ${1-} == create ]]; then
		mkdir -p -- "$run_arg" || die "cannot create the run directory '$run_arg'"
	fi
	run=
	[[ -d $run_arg ]] && run=$(cd -- "$run_arg" && pwd -P)
	return 0
}

# The hint prefix for commands we suggest: the tool and, if not the default, --run.
hint() {
	if [[ $run_disp == run || $run_disp == ./run ]]; then
		printf '%s %s' "$self" "$1"
	else
		printf '%s %s --run %q' "$self" "$1" "$run_disp"
	fi
}

# A fresh record with the defaults.
ring_new() {
	R=([bin]='' [base_port]=$DEFAULT_BASE_PORT [kind]=classic [mode]=headless [session]=''
		[interval]='' [mss]=$CLASSIC_MSS [drop]=$CLASSIC_DROP [netns]=0 [netns_tag]=''
		[json]=1 [opts]='[]' [peers]='')
}

# Adds (or updates) peer $1 with form $2, address $3 and namespace $4.
ring_set_peer() {
	[[ " ${R[peers]} " == *" $1 "* ]] || R[peers]="${R[peers]:+${R[peers]} }$1"
	R[form:$1]=$2
	R[host:$1]=${3:-127.0.0.1}
	R[ns:$1]=${4-}
}

# Whether $1 is a peer of the ring.
is_peer() {
	[[ -v "R[form:$1]" ]]
}

# Writes R to RUN/ring.json (atomically).
ring_save() {
	local id f=$run/ring.json k
	local -a args=()
	for k in bin base_port kind mode session interval mss drop netns netns_tag json; do
		args+=(--arg "$k" "${R[$k]}")
	done
	{
		for id in ${R[peers]}; do
			printf '%s\t%s\t%s\t%s\n' "$id" "${R[form:$id]}" "${R[host:$id]}" "${R[ns:$id]}"
		done
	} | jq -R -s "${args[@]}" --argjson opts "${R[opts]}" '
		{launch_ring: 1, bin: $bin, base_port: ($base_port | tonumber), kind: $kind,
		 mode: $mode, session: $session, interval: $interval, mss: $mss, drop: $drop,
		 netns: ($netns | tonumber), netns_tag: $netns_tag, json: ($json == "1"),
		 opts: $opts,
		 peers: [split("\n")[] | select(length > 0) | split("\t")
			 | {id: (.[0] | tonumber), form: .[1], host: .[2], netns: .[3]}]}' \
		>"$f.tmp.$$" || die "cannot write $f"
	mv -f "$f.tmp.$$" "$f"
}

# Loads RUN/ring.json into R; dies if there is none (unless $1 = maybe: returns 1).
ring_load() {
	local f=$run/ring.json key val
	if [[ -z $run || ! -f $f ]]; then
		[[ ${1-} == maybe ]] && return 1
		die "no ring in '$run_disp' (start one with: $(hint start))"
	fi
	ring_new
	while IFS=$'\t' read -r key val; do
		R[$key]=$val
	done < <(jq -r '
		(to_entries[] | select(.key != "peers" and .key != "launch_ring")
		 | [.key, (if .key == "opts" then (.value | tojson)
			   elif .key == "json" then (if .value then "1" else "0" end)
			   else (.value | tostring) end)]),
		(.peers[] | ["form:\(.id)", .form], ["host:\(.id)", .host], ["ns:\(.id)", .netns]),
		["peers", ([.peers[].id | tostring] | join(" "))]
		| @tsv' "$f") || die "$f: not a ring record"
	[[ -n ${R[bin]} ]] || die "$f: no binary recorded"
	mapfile -t ring_opts < <(jq -r '.[]' <<<"${R[opts]}")
	return 0
}

# The pid recorded for peer $1, or nothing.
pid_of() {
	local p=
	[[ -f $run/$1.pid ]] && { read -r p <"$run/$1.pid" || true; }
	is_uint "${p:-x}" && printf '%s\n' "$p"
	return 0
}

# Whether pid $1 is a live (not zombie) process whose command line holds each of the
# remaining arguments as a whole argument: how we know a pid is still our process.
pid_runs() {
	local pid=$1 a x rest found
	shift
	is_uint "$pid" && [[ -r /proc/$pid/stat ]] || return 1
	read -r rest </proc/"$pid"/stat 2>/dev/null || return 1
	rest=${rest##*) }
	[[ ${rest%% *} != [ZX] ]] || return 1
	local -a args=()
	mapfile -d '' -t args </proc/"$pid"/cmdline 2>/dev/null || return 1
	for a in "$@"; do
		found=0
		for x in "${args[@]}"; do
			[[ $x == "$a" ]] && { found=1; break; }
		done
		((found)) || return 1
	done
	return 0
}

# Whether peer $1 of this ring runs (its recorded pid is our cdht with its --dir).
peer_runs() {
	local pid
	pid=$(pid_of "$1")
	[[ -n $pid ]] && pid_runs "$pid" "${R[bin]}" "$run/$1"
}

# Peer $1's state: running; left (it quit: exit status 0); dead (killed, or failed);
# stopped (ended by stop); or "not started".
peer_state() {
	local code=''
	peer_runs "$1" && { echo running; return; }
	[[ -f $run/$1.stopped ]] && { echo stopped; return; }
	# Just ended: its supervisor is about to write RUN/ID.exit.
	if [[ ! -f $run/$1.exit && -f $run/$1.sup ]]; then
		read -r code <"$run/$1.sup" || true
		[[ -n $code ]] && wait_gone "$code" 1000
		code=''
	fi
	[[ -f $run/$1.exit ]] && { read -r code <"$run/$1.exit" || true; }
	case $code in
	'') [[ -f $run/$1.pid ]] && echo dead || echo stopped ;;
	0) echo left ;;
	*) echo dead ;;
	esac
}

peer_port() {
	printf '%s\n' $((R[base_port] + $1))
}

# The ids of the ring in ring order (ascending), one a line.
ids_sorted() {
	printf '%s\n' ${R[peers]} | sort -n
}
