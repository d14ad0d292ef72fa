#!/usr/bin/env bash
# Scenario test of tools/launch_ring.sh with the real cdht ($CDHT_BIN), headless, on
# 127.0.0.1: a classic ring with fast pings, a file request, an abrupt death, status,
# bad uses, a peer quitting (left), stop, and no process of the ring left afterwards.
# Until the peer answers `status --json` (docs/STATUS.md) the tool records "json": false
# and says less; this test then checks what the tool can still know (processes, states)
# and, once the peer has JSON, also the successors, the answer of send and its refusals.
set -euo pipefail
shopt -s nullglob inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

[[ -n ${CDHT_BIN-} && -x ${CDHT_BIN-} ]] || fail "CDHT_BIN must name the cdht binary"
export CDHT_BIN
launch_test_init

ids=(1 3 4 5 8 10 12 15)
base=$(free_base_port "${ids[@]}")
printf 'ring %s, base port %s, run %s\n' "${ids[*]}" "$base" "$run"

# Start: every peer up, recorded, with its directory and the sample files.
# Death detection takes about interval + 3 x ping timeout (5 s): generous, so that a
# starved CPU (a loaded 2-core CI machine) does not make live peers "dead" at start.
"$tool" start --run "$run" --base-port "$base" classic -- --ping-interval 0.5 --ping-timeout 1.5 --timeout 0.1 \
	>"$tmp/start.log" 2>&1 || fail "start failed"
declare -A pid=()
for id in "${ids[@]}"; do
	[[ -f $run/$id.pid && -p $run/$id.in && -d $run/$id ]] || fail "peer $id: no pid, FIFO or dir"
	read -r "pid[$id]" <"$run/$id.pid"
	pid_alive "${pid[$id]}" || fail "peer $id (pid ${pid[$id]}) is not running"
	cmp -s "$run/$id/2012.pdf" "$repo/share/files/2012.pdf" || fail "peer $id has no 2012.pdf"
done
grep -q "request 2012" "$tmp/start.log" || fail "start's summary does not say how to request 2012"
json=$(jq -r .json "$run/ring.json")
printf 'the peer answers status --json: %s\n' "$json"
pass "start: ${#ids[@]} peers up"

# A ring is already running there: start again is refused, and changes nothing.
if "$tool" start --run "$run" --base-port "$base" >"$tmp/again.log" 2>&1; then
	fail "a second start in the same RUN succeeded"
fi
grep -q "already running" "$tmp/again.log" || fail "second start: no clear message"
pass "start refused while the ring runs"

# 2012 has key 220: owner 1 (wrapping), requester 8.
"$tool" send --run "$run" 8 request 2012 >"$tmp/send.log" || fail "send request failed"
wait_line "$run/8.out" "The file is received." 30
cmp "$run/8/received_2012.pdf" "$repo/share/files/2012.pdf" || fail "received copy differs"
wait_line "$run/1.out" "The file is sent." 30
pass "peer 8 received 2012 from peer 1, byte for byte"

# Peer 10 dies abruptly: its predecessors 8 and 5 repair their successors.
"$tool" kill --run "$run" 10 >/dev/null
pid_alive "${pid[10]}" && fail "peer 10 still runs after kill"
wait_line "$run/8.out" "Peer 10 is no longer alive." 30
wait_line "$run/8.out" "My first successor is now peer 12." 15
wait_line "$run/8.out" "My second successor is now peer 15." 15
wait_line "$run/5.out" "Peer 10 is no longer alive." 30
wait_line "$run/5.out" "My first successor is now peer 8." 15
wait_line "$run/5.out" "My second successor is now peer 12." 15
pass "peer 10 killed; peers 8 and 5 repaired"

# Status: 10 is dead, the others run.
"$tool" status --run "$run" >"$tmp/status.log" 2>&1 || fail "status failed"
# The row of peer $1: "ID PID STATE SUCCESSORS..." (see launch_ring.sh status).
status_row() {
	awk -v id="$1" '$1 == id' "$tmp/status.log"
}
[[ $(status_row 10) == *" ${pid[10]} "*" dead "* ]] || fail "status does not show 10 dead"
if [[ $json == true ]]; then
	[[ $(status_row 8) =~ ^\ +8\ +${pid[8]}\ +running\ +12\ 15\  ]] ||
		fail "status does not show 8 running with successors 12 15"
	[[ $(status_row 5) =~ ^\ +5\ +${pid[5]}\ +running\ +8\ 12\  ]] ||
		fail "status does not show 5 running with successors 8 12"
	"$tool" status --json --run "$run" >"$tmp/status.json" || fail "status --json failed"
	jq -se 'map(select(.id == 8))[0].status.successors[0].id == 12' "$tmp/status.json" \
		>/dev/null || fail "status --json: peer 8's first successor is not 12"
fi
for id in 1 3 4 12 15; do
	[[ $(status_row "$id") == *" ${pid[$id]} "*" running "* ]] || fail "status does not show $id running"
done
pass "status"

# Bad uses: clear message, non-zero exit, nothing changed.
expect_fail() {
	local want=$1
	shift
	if "$tool" "$@" >"$tmp/bad.log" 2>&1; then
		fail "'$*' succeeded"
	fi
	grep -q -- "$want" "$tmp/bad.log" || fail "'$*': no message '$want'"
}
expect_fail "unknown command" frobnicate --run "$run"
expect_fail "not in the ring" send --run "$run" 99 status
expect_fail "is dead" send --run "$run" 10 status
expect_fail "bad peer id" kill --run "$run" 256
expect_fail "no ring" status --run "$tmp/nowhere"
"$tool" --help >"$tmp/help.log" || fail "--help failed"
grep -q "^Usage:" "$tmp/help.log" || fail "--help: no usage"
if [[ $json == true ]]; then
	expect_fail "unknown command" send --run "$run" 8 requset 2012
fi
pass "bad uses refused"

# Peer 15 quits: it ends by itself, and status calls it left, not dead.
"$tool" send --run "$run" 15 quit >"$tmp/quit.log" 2>&1 || fail "send quit failed"
WAIT_S=20 wait_until test -f "$run/15.exit"
"$tool" status --run "$run" >"$tmp/status.log" 2>&1 || fail "status failed"
[[ $(status_row 15) == *" left "* ]] || fail "status does not show 15 left"
pass "peer 15 quit: left"

# Stop: every process of the ring gone, FIFOs and pid files removed, output kept.
"$tool" stop --run "$run" >/dev/null || fail "stop failed"
for id in "${ids[@]}"; do
	pid_alive "${pid[$id]}" && fail "peer $id (pid ${pid[$id]}) still runs after stop"
	[[ -e $run/$id.in || -e $run/$id.pid ]] && fail "peer $id: FIFO or pid file left"
	[[ -f $run/$id.out ]] || fail "peer $id: output removed"
done
"$tool" stop --run "$run" >/dev/null || fail "a second stop failed"
pass "stop: nothing left running"
