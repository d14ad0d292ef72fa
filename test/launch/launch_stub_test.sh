#!/usr/bin/env bash
# Mechanics of tools/launch_ring.sh that do not need a working peer, with a stand-in
# binary (stub_cdht.sh): the p2p ring's command lines, send, join, rejoin after a kill,
# status, a peer that fails at start, the tmux windows (when tmux is installed) and stop.
set -euo pipefail
shopt -s nullglob inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

export CDHT_BIN=$here/stub_cdht.sh
launch_test_init

ids=(2 4 5 8 9 14 19 15)
base=$(free_base_port "${ids[@]}")

# The p2p ring: init form, the default interval, options passed through.
"$tool" start --run "$run" --base-port "$base" p2p -- --quiet-pings >"$tmp/start.log" 2>&1 ||
	fail "start p2p failed"
wait_line "$run/2.out" "stub peer 2 started: --base-port $base --dir $run/2 --quiet-pings init 2 4 5 30"
wait_line "$run/19.out" "stub peer 19 started: --base-port $base --dir $run/19 --quiet-pings init 19 2 4 30"
grep -q "p2p ring" "$tmp/start.log" || fail "start's summary does not name the ring"
pass "p2p ring started with the init form"

# send: the line reaches the peer's stdin, words joined by single spaces.
"$tool" send --run "$run" 9 request   0159 >/dev/null
wait_line "$run/9.out" "stub got: request 0159"
pass "send"

# join: the join form with the ring's interval; the joiner is recorded.
"$tool" join --run "$run" 15 4 >"$tmp/join.log" 2>&1 || fail "join failed"
wait_line "$run/15.out" "stub peer 15 started: --base-port $base --dir $run/15 --quiet-pings join 15 4 30"
grep -qx "peer=15 join 4" "$run/ring.conf" || fail "the joiner is not recorded"
"$tool" send --run "$run" 15 hello >/dev/null
wait_line "$run/15.out" "stub got: hello"
pass "join"

# status: successors from each peer's answer; a killed peer shows dead; rejoin works.
"$tool" kill --run "$run" 8 >/dev/null
"$tool" status --run "$run" >"$tmp/status.log" 2>&1 || fail "status failed"
grep -Eq '^ +5 +[0-9]+ +running +8 9 ' "$tmp/status.log" || fail "status: peer 5's successors"
grep -Eq '^ +8 +[0-9]+ +dead ' "$tmp/status.log" || fail "status: peer 8 not dead"
"$tool" join --run "$run" 8 9 >/dev/null || fail "rejoin of a dead peer failed"
wait_line "$run/8.out" "stub peer 8 started: --base-port $base --dir $run/8 --quiet-pings join 8 9 30"
[[ -f $run/8.out.prev ]] || fail "the dead peer's earlier output was not kept"
pass "kill, status, rejoin"

"$tool" stop --run "$run" >/dev/null || fail "stop failed"
for f in "$run"/*.in "$run"/*.pid; do
	fail "left behind: $f"
done
pass "stop"

# A peer that exits at once fails the start clearly, showing its stderr, and leaves
# nothing running.
if "$tool" start --run "$run" --base-port "$base" 3 5 9 -- --stub-fail >"$tmp/fail.log" 2>&1; then
	fail "start succeeded although the peers exit at once"
fi
grep -q "exited at once" "$tmp/fail.log" || fail "no clear message for a peer failing at start"
grep -q "stub failure" "$tmp/fail.log" || fail "the failing peer's stderr is not shown"
for f in "$run"/*.pid; do
	fail "left behind: $f"
done
pass "a failing peer fails the start"

# tmux: one session, a window per peer; what is typed in a window reaches the peer.
if command -v tmux >/dev/null; then
	export TMUX_TMPDIR=$tmp/tmux	# a private tmux server, ended with the test
	mkdir -p "$TMUX_TMPDIR"
	unset TMUX
	end_tmux() { tmux kill-server 2>/dev/null || true; }
	lt_cleanup_extra=end_tmux
	"$tool" start --run "$run" --base-port "$base" --tmux 3 5 9 >"$tmp/tmux.log" 2>&1 ||
		fail "start --tmux failed"
	session=$(sed -n 's/^session=//p' "$run/ring.conf")
	[[ -n $session ]] || fail "no tmux session recorded"
	grep -q "tmux attach -t $session" "$tmp/tmux.log" || fail "the attach command is not printed"
	windows=$(tmux list-windows -t "=$session" -F '#{window_name}' | sort | tr '\n' ,)
	[[ $windows == "Peer 3,Peer 5,Peer 9," ]] || fail "tmux windows: $windows"
	tmux send-keys -t "=$session:Peer 5" "typed in tmux" Enter
	wait_line "$run/5.out" "stub got: typed in tmux"
	has_shown() { tmux capture-pane -p -t "=$session:Peer 5" | grep -q "stub got: typed in tmux"; }
	wait_until has_shown
	"$tool" stop --run "$run" >/dev/null || fail "stop failed"
	tmux has-session -t "=$session" 2>/dev/null && fail "the tmux session outlived stop"
	pass "tmux windows"
else
	printf 'skip: tmux is not installed\n'
fi
