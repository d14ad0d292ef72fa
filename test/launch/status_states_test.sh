#!/usr/bin/env bash
# status --json read by a real JSON parser (jq) in every state of a peer: up with no
# predecessors yet, joining, leaving, repairing, and a ring of two (issue 14). Real peers on
# 127.0.0.1 with a random base port below 32768; deadlines, never a bare sleep as
# synchronisation; every process is killed on exit, and the peers' output printed on failure.
# Usage: test/launch/status_states_test.sh [CDHT_BIN]   (SKIP, 77, without jq)
set -u
bin=${1:-${CDHT_BIN:-$(dirname "$0")/../../build/cdht}}
command -v jq >/dev/null || { echo "SKIP: jq is missing"; exit 77; }
[[ -x $bin ]] || { echo "FAIL: no cdht at $bin" >&2; exit 1; }

tmp=$(mktemp -d /tmp/cdht-states.XXXXXX)
base=$((10000 + RANDOM % 22000))
declare -A PID=()
fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[[ -s $f ]] && { echo "---- $f"; tail -n 15 "$f"; }
	done >&2
	exit 1
}
cleanup() {
	local p
	for p in "${PID[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# start ID ARGS...: one peer with its stdin on a FIFO held open read-write.
start() {
	local id=$1
	shift
	mkdir -p "$tmp/$id"
	mkfifo "$tmp/$id.in"
	: >"$tmp/$id.out"
	: >"$tmp/$id.err"
	"$bin" --base-port "$base" --dir "$tmp/$id" --quiet-pings "$@" \
		<>"$tmp/$id.in" >"$tmp/$id.out" 2>"$tmp/$id.err" &
	PID[$id]=$!
}

# ask ID [LINE]: send LINE (if any) and status --json in one write; print the JSON line,
# checked by jq against the documented shape. Deadline 10 s.
ask() {
	local id=$1 line=${2-} before deadline j
	before=$(grep -c '^{"cdht"' "$tmp/$id.out")
	printf '%s%s\n' "${line:+$line$'\n'}" 'status --json' >"$tmp/$id.in"
	deadline=$(($(now_ms) + 10000))
	while (($(now_ms) < deadline)); do
		j=$(grep '^{"cdht"' "$tmp/$id.out" | sed -n "$((before + 1))p")
		if [[ -n $j ]]; then
			jq -e '.cdht == 1 and (.id | type) == "number" and
				(.state | IN("joining", "up", "leaving")) and (.repairing | type) == "boolean" and
				(.successors | length) == 2 and (.predecessors | length) == 2 and
				(.files | type) == "array" and (.transfers | type) == "array" and
				(.counters.pings_sent | type) == "number"' <<<"$j" >/dev/null ||
				fail "peer $id: not the documented JSON: $j"
			printf '%s\n' "$j"
			return 0
		fi
		kill -0 "${PID[$id]}" 2>/dev/null || fail "peer $id ended before answering"
		sleep 0.05	# polling the output file, with the deadline above
	done
	fail "peer $id: no status --json line within 10 s"
}

# until_json ID FILTER WHAT: ask ID until jq FILTER holds (deadline 15 s); print that JSON.
until_json() {
	local id=$1 filter=$2 what=$3 deadline j
	deadline=$(($(now_ms) + 15000))
	while (($(now_ms) < deadline)); do
		j=$(ask "$id") || exit 1
		if jq -e "$filter" <<<"$j" >/dev/null; then
			printf '%s\n' "$j"
			return 0
		fi
	done
	fail "peer $id: never $what; last: $j"
}

pings=(--ping-interval 0.2 --ping-timeout 1)

# 1. Up, alone so far: no predecessors yet, keys owned unknown.
start 1 "${pings[@]}" 1 3 4
j=$(ask 1)
jq -e '.state == "up" and .predecessors == [null, null] and .owns == null and
	.repairing == false and .successors[0].id == 3 and .last_command == null' <<<"$j" \
	>/dev/null || fail "a fresh peer: $j"
echo "up, no predecessors yet: ok"

# The rest of the ring 1 3 4 5; everyone knows both predecessors.
start 3 "${pings[@]}" 3 4 5
start 4 "${pings[@]}" 4 5 1
start 5 "${pings[@]}" 5 1 3
for id in 1 3 4 5; do
	until_json "$id" '.predecessors[0] != null and .predecessors[1] != null' \
		"knew both predecessors" >/dev/null
done
echo "ring 1 3 4 5 up"

# 2. Joining: the known peer is stopped, so the join waits.
kill -STOP "${PID[5]}"
start 9 "${pings[@]}" join 9 5 0.2
j=$(ask 9)
jq -e '.state == "joining" and .successors == [null, null]' <<<"$j" >/dev/null ||
	fail "a joiner: $j"
kill -CONT "${PID[5]}"
until_json 9 '.state == "up" and .successors[0].id == 1' "got in" >/dev/null
echo "joining, then up: ok"

# 3. Leaving: quit and status --json arrive together; the departure waits for the acks.
j=$(ask 9 quit)
jq -e '.state == "leaving" and .last_command.line == "quit" and .last_command.ok' \
	<<<"$j" >/dev/null || fail "a leaver: $j"
echo "leaving: ok"
until_json 5 '.successors[0].id == 1' "took 1 after 9 left" >/dev/null

# 4. Repairing: 4 dies while 5, whom 3 will ask for its successors, is stopped.
kill -STOP "${PID[5]}"
kill -9 "${PID[4]}"
until_json 3 '.repairing == true' "repairing after 4 died" >/dev/null
echo "repairing: ok"
kill -CONT "${PID[5]}"
until_json 3 '.repairing == false and .successors[0].id == 5 and .successors[1].id == 1' \
	"repaired to 5 1" >/dev/null

# 5. A ring of two: 5 dies as well; 1 and 3 are each other's first successor.
kill -9 "${PID[5]}"
# (5 stays 1's first predecessor until it has been silent for the SPEC §5 budget.)
j=$(until_json 1 '.successors[0].id == 3 and .successors[1].id == 1 and
	.predecessors[0].id == 3' "a ring of two")
jq -e '.repairing == false and .third_successor == null' <<<"$j" >/dev/null ||
	fail "a ring of two: $j"
echo "ring of two: ok"
echo "PASS"
