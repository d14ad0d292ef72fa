# launch_ring: reading a peer through `status --json` on its stdin FIFO (sourced).
# The JSON line on the peer's stdout is the end marker of every exchange: no sleeps, no
# reading of the peer's prose.
# shellcheck shell=bash

ask_json=''
ask_out=()
ask_err=()
ask_rejected=0

# Prints the lines of file $1 from byte offset $2 on.
lines_from() {
	tail -c +$(($2 + 1)) -- "$1" 2>/dev/null || true
}

# Writes LINE ($3, if given) then "status --json" into peer $1's stdin and reads what the
# peer writes from then on, for at most $2 ms, until its JSON status line. Sets ask_json,
# ask_out (its other stdout lines), ask_err (its stderr lines) and ask_rejected (1 if a
# stderr line starts "cdht:", the peer's way of refusing a command). Returns 0 with the
# JSON; 1 on timeout; 2 if the peer ended first; 3 if, asked only for "status --json", it
# refused that (a cdht without JSON status).
peer_ask() {
	local id=$1 ms=$2 line=${3-} pid oo eo fd l rc=1 st now left t deadline pf
	ask_json='' ask_out=() ask_err=() ask_rejected=0
	pid=$(pid_of "$id")
	[[ -n $pid ]] || return 2
	oo=$(stat -c %s -- "$run/$id.out" 2>/dev/null || echo 0)
	eo=$(stat -c %s -- "$run/$id.err" 2>/dev/null || echo 0)
	make_tool_tmp
	pf=$tool_tmp/tail.$id.$BASHPID
	# Two followers (stdout tagged O, stderr tagged E) that end when the peer does.
	exec {fd}< <(
		exec </dev/null 2>/dev/null
		follow() {
			sh -c 'echo $$ >"$1"; exec tail -s 0.1 --pid="$2" -c +"$3" -f -- "$4"' \
				_ "$1" "$pid" "$(($2 + 1))" "$3" | sed -u "s/^/$4/"
		}
		follow "$pf.o" "$oo" "$run/$id.out" O &
		follow "$pf.e" "$eo" "$run/$id.err" E &
		wait
	)
	# One write: the command and the marker request arrive together.
	printf '%s%s\n' "${line:+$line$'\n'}" 'status --json' 1<>"$run/$id.in"
	deadline=$(($(now_ms) + ms))
	while :; do
		now=$(now_ms)
		left=$((deadline - now))
		((left > 0)) || break
		printf -v t '%d.%03d' $((left / 1000)) $((left % 1000))
		st=0
		IFS= read -r -t "$t" -u "$fd" l || st=$?
		if ((st)); then
			((st > 128)) || rc=2	# end of both files' followers: the peer ended
			break
		fi
		case $l in
		O\{*)
			if jq -e 'type == "object" and has("cdht")' <<<"${l#O}" >/dev/null 2>&1; then
				ask_json=${l#O}
				rc=0
				break
			fi
			ask_out+=("${l#O}")
			;;
		O*) ask_out+=("${l#O}") ;;
		E*)
			# Refused "status --json" itself: give it a moment, then stop waiting.
			if [[ -z $line && ${l#E} == cdht:* ]] && ((deadline > now + PROBE_GRACE_MS)); then
				deadline=$((now + PROBE_GRACE_MS))
			fi
			;;
		esac
	done
	kill "$(cat "$pf.o" 2>/dev/null)" "$(cat "$pf.e" 2>/dev/null)" 2>/dev/null || true
	exec {fd}<&-
	# Every stderr line written before the JSON is in the file by now: read it whole.
	mapfile -t ask_err < <(lines_from "$run/$id.err" "$eo")
	for l in "${ask_err[@]}"; do
		[[ $l == cdht:* ]] && ask_rejected=1
	done
	((rc == 1 && ask_rejected && ${#line} == 0)) && rc=3
	return "$rc"
}

# Asks every running peer among $@ for its status at once; for each, writes what the
# tool knows to $tool_tmp/st.ID: one JSON object {id, pid, state, host, status} where
# status is the peer's own JSON (null if it did not answer).
collect_status() {
	local id
	local -a kids=()
	make_tool_tmp
	for id in "$@"; do
		(
			st=null
			state=$(peer_state "$id")
			if [[ $state == running && ${R[json]} == 1 ]] &&
				peer_ask "$id" "$ASK_TIMEOUT_MS"; then
				st=$ask_json
			fi
			jq -cn --argjson id "$id" --arg pid "$(pid_of "$id")" --arg state "$state" \
				--arg host "${R[host:$id]}" --arg form "${R[form:$id]}" --argjson st "$st" \
				'{id: $id, pid: ($pid | if . == "" then null else tonumber end),
				  state: $state, host: $host, form: $form, status: $st}' >"$tool_tmp/st.$id"
		) &
		kids+=("$!")
	done
	wait "${kids[@]}"
}

# Prints the collected objects of peers $@ as one JSON array.
collected_array() {
	local id
	for id in "$@"; do
		cat "$tool_tmp/st.$id"
	done | jq -cs .
}
