# launch_ring: status and picture, both formatted from the peers' `status --json` (sourced).
# shellcheck shell=bash

# One row a peer from its collected object: id pid state successors predecessors files.
STATUS_ROW_JQ='
	def ids(l): if l == null then "-" else
		[l[] | if . == null then "?" else (.id | tostring) end] | join(" ") end;
	def files(l): if l == null or l == [] then "-" else
		[l[] | .file + (if .role == "own" then "" else "(" + .role + ")" end)] | join(",") end;
	if .status != null then
		[(.id | tostring), (.pid // "-" | tostring), .state,
		 ids(.status.successors), ids(.status.predecessors), files(.status.files)]
	else
		[(.id | tostring), (.pid // "-" | tostring), .state, "", "", ""]
	end | @tsv'

cmd_status() {
	opt_flags='--full --json' opt_values=''
	parse_opts status "$@"
	((${#rest[@]} == 0)) || usage_die "status: unexpected '${rest[0]}'"
	set_run
	ring_load
	local id pid state succ pred files running=0 why
	local -a ids
	mapfile -t ids < <(ids_sorted)
	collect_status "${ids[@]}"
	if [[ -n ${opt[--json]-} ]]; then
		for id in "${ids[@]}"; do
			cat "$tool_tmp/st.$id"
		done
		return 0
	fi
	for id in "${ids[@]}"; do
		[[ $(jq -r .state "$tool_tmp/st.$id") == running ]] && running=$((running + 1))
	done
	note "Ring in $run_disp/: ${R[kind]}, base port ${R[base_port]}, ${#ids[@]} peers, $running running"
	((R[netns] > 0)) && note "spread over ${R[netns]} network namespaces (addresses $NETNS_SUBNET.x)"
	printf '%5s  %-8s %-8s %-11s %-13s %s\n' peer pid state successors predecessors files
	for id in "${ids[@]}"; do
		IFS=$'\t' read -r _ pid state succ pred files < <(jq -r "$STATUS_ROW_JQ" "$tool_tmp/st.$id")
		if [[ -z $succ ]]; then
			why="started as: ${R[form:$id]}"
			[[ $state == running && ${R[json]} == 1 ]] &&
				why="no answer to status --json in $((ASK_TIMEOUT_MS / 1000)) s; $why"
			[[ $state == running && ${R[json]} != 1 ]] &&
				why="this cdht has no status --json; $why"
			printf '%5s  %-8s %-8s (%s)\n' "$id" "$pid" "$state" "$why"
			continue
		fi
		printf '%5s  %-8s %-8s %-11s %-13s %s\n' "$id" "$pid" "$state" "$succ" "$pred" "$files"
		[[ -n ${opt[--full]-} ]] && jq -c .status "$tool_tmp/st.$id" | sed 's/^/         | /'
	done
	return 0
}

# The ring as a Graphviz graph (neato, positions pinned on a circle, in inches), from the collected
# objects on stdin (one JSON array).
PICTURE_JQ='
	def q: tostring | gsub("\""; "\\\"");
	def live: .state == "running";
	(length) as $n
	| "digraph ring {",
	  "  graph [outputorder=edgesfirst, overlap=false, splines=true, fontname=\"Helvetica\"," +
	  "         label=\"" + ($title | q) + "\\nsolid: 1st successor, dashed: 2nd successor," +
	  " dotted blue: predecessor as the peer sees it; grey: dead, left or stopped\"];",
	  "  node [shape=ellipse, style=filled, fontname=\"Helvetica\", fixedsize=false];",
	  (to_entries[] | .key as $k | .value
	   | (6.283185307 * $k / $n) as $a
	   | ([if $n * 0.6 > 2.5 then $n * 0.6 else 2.5 end] | .[0]) as $r
	   | ([.status.files // [] | group_by(.role)[]
	       | .[0].role + ": " + ([.[].file] | join(" "))] | join("\\n")) as $f
	   | (if .host == "127.0.0.1" or .host == "" then "" else "\\n" + .host end) as $h
	   | "  p\(.id) [pos=\"\(($a | sin) * $r | . * 1000 | round / 1000),\(($a | cos) * $r | . * 1000 | round / 1000)!\", " +
	     "label=\"\(.id)\\n\(.state)" + $h + (if $f == "" then "" else "\\n" + $f end) + "\", " +
	     (if live then "fillcolor=\"#cfe8ff\", color=black, fontcolor=black"
	      else "fillcolor=\"#e0e0e0\", color=grey60, fontcolor=grey40" end) + "];"),
	  (.[] | select(.status != null) | .id as $me | .status
	   | ((.successors // [])[0] | select(. != null) | "  p\($me) -> p\(.id) [penwidth=2];"),
	     ((.successors // [])[1] | select(. != null) | "  p\($me) -> p\(.id) [style=dashed];"),
	     ((.predecessors // [])[] | select(. != null)
	      | "  p\($me) -> p\(.id) [style=dotted, color=blue, arrowhead=open];")),
	  "}"'

cmd_picture() {
	opt_flags='' opt_values='-o'
	parse_opts picture "$@"
	((${#rest[@]} == 0)) || usage_die "picture: unexpected '${rest[0]}'"
	set_run
	ring_load
	local out=${opt[-o]-$run/ring.svg} fmt
	case $out in
	*.svg) fmt=svg ;;
	*.png) fmt=png ;;
	*) usage_die "picture: -o FILE must end in .svg or .png" ;;
	esac
	command -v neato >/dev/null || die "graphviz is not installed (apt-get install graphviz)"
	local -a ids
	mapfile -t ids < <(ids_sorted)
	collect_status "${ids[@]}"
	collected_array "${ids[@]}" |
		jq -r --arg title "cdht ring in $run_disp, $(date '+%F %T')" "$PICTURE_JQ" \
			>"$tool_tmp/ring.dot"
	neato -T"$fmt" -o "$out" "$tool_tmp/ring.dot" ||
		die "graphviz failed on the ring's graph (kept nothing)"
	note "the ring drawn in $out"
}
