#!/usr/bin/env bash
# Mechanics of tools/launch_ring.sh that do not need a working peer, with a stand-in
# binary (stub_cdht.sh, which answers status --json): the p2p ring's command lines, send
# and its answer, a refused command, join, rejoin after a kill, quit (left), status in
# text and JSON, a peer that fails at start, a cdht without JSON status, the tmux windows
# (when tmux is installed), start --netns (when root) and stop.
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

# send: the line reaches the peer's stdin, words joined by single spaces, and send prints
# the peer's answer; a refused command (a "cdht:" line on stderr) makes send fail.
"$tool" send --run "$run" 9 request   0159 >"$tmp/send.log" || fail "send failed"
grep -qx "stub got: request 0159" "$tmp/send.log" || fail "send did not print the answer"
if "$tool" send 9 --run "$run" bogus x >"$tmp/send.log" 2>"$tmp/send.err"; then
	fail "send of a refused command succeeded"
fi
grep -qx "cdht: unknown command 'bogus'" "$tmp/send.err" || fail "send did not print the refusal"
pass "send"

# join: the join form with the ring's interval; the joiner is recorded.
"$tool" join --run "$run" 15 4 >"$tmp/join.log" 2>&1 || fail "join failed"
wait_line "$run/15.out" "stub peer 15 started: --base-port $base --dir $run/15 --quiet-pings join 15 4 30"
jq -e '.peers[] | select(.id == 15 and .form == "join 4")' "$run/ring.json" >/dev/null ||
	fail "the joiner is not recorded"
[[ $("$tool" send --run "$run" 15 hello) == "stub got: hello" ]] || fail "send to the joiner"
pass "join"

# status: successors from each peer's JSON; a killed peer is dead, one that quit is left;
# options in any order; --json gives one object a peer; rejoin works.
"$tool" kill --run "$run" 8 >/dev/null
"$tool" send --run "$run" 14 quit >"$tmp/quit.log" || fail "send quit failed"
grep -q "left" "$tmp/quit.log" || fail "send quit does not say the peer left"
"$tool" status --full --run "$run" >"$tmp/status.log" 2>&1 || fail "status failed"
"$tool" status --run "$run" --full >/dev/null 2>&1 || fail "status --run DIR --full failed"
grep -Eq '^ +5 +[0-9]+ +running +8 9 ' "$tmp/status.log" || fail "status: peer 5's successors"
grep -Eq '^ +8 +[0-9]+ +dead ' "$tmp/status.log" || fail "status: peer 8 not dead"
grep -Eq '^ +14 +[0-9]+ +left ' "$tmp/status.log" || fail "status: peer 14 not left"
"$tool" status --json --run "$run" >"$tmp/status.json" || fail "status --json failed"
jq -se 'length == 8 and (map(select(.state == "running" and .status.cdht == 1)) | length) == 6' \
	"$tmp/status.json" >/dev/null || fail "status --json: not 6 running peers with their JSON"
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

# A cdht without status --json still starts; send then only types the line.
"$tool" start --run "$run" --base-port "$base" 3 5 9 -- --stub-nojson >"$tmp/nojson.log" 2>&1 ||
	fail "start with a cdht without JSON status failed"
grep -q "does not answer status --json" "$tmp/nojson.log" || fail "no word about the missing JSON"
"$tool" send --run "$run" 5 hello >/dev/null || fail "send (no JSON) failed"
wait_line "$run/5.out" "stub got: hello"
"$tool" status --run "$run" >"$tmp/status.log" || fail "status (no JSON) failed"
grep -Eq '^ +5 +[0-9]+ +running +\(this cdht has no status --json' "$tmp/status.log" ||
	fail "status (no JSON)"
"$tool" stop --run "$run" >/dev/null || fail "stop failed"
pass "a cdht without status --json"

# tmux: one session, a window per peer; what is typed in a window reaches the peer.
if command -v tmux >/dev/null; then
	export TMUX_TMPDIR=$tmp/tmux	# a private tmux server, ended with the test
	mkdir -p "$TMUX_TMPDIR"
	unset TMUX
	end_tmux() { tmux kill-server 2>/dev/null || true; }
	lt_cleanup_extra=end_tmux
	"$tool" start --run "$run" --base-port "$base" --tmux 3 5 9 >"$tmp/tmux.log" 2>&1 ||
		fail "start --tmux failed"
	session=$(jq -r .session "$run/ring.json")
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

# --netns: the peers spread over namespaces, with ID@ADDR successors and --bind.
if ((EUID == 0)) && command -v ip >/dev/null && ip netns list >/dev/null 2>&1; then
	"$tool" start --run "$run" --base-port "$base" --netns 2 3 5 9 12 >"$tmp/netns.log" 2>&1 ||
		fail "start --netns failed"
	tag=$(jq -r .netns_tag "$run/ring.json")
	wait_line "$run/3.out" "stub peer 3 started: --base-port $base --dir $run/3 --bind 10.77.0.1 3 5@10.77.0.2 9@10.77.0.1 400 0.1"
	ip netns list | grep -q "^cdht-$tag-2" || fail "namespace cdht-$tag-2 missing"
	[[ $(ip netns identify "$(cat "$run/5.pid")") == "cdht-$tag-2" ]] || fail "peer 5 not in namespace 2"
	"$tool" stop --run "$run" >/dev/null || fail "stop (netns) failed"
	ip netns list | grep -q "^cdht-$tag-" && fail "namespaces left after stop"
	ip link show "cdbr$tag" >/dev/null 2>&1 && fail "bridge left after stop"
	pass "start --netns"
else
	if "$tool" start --run "$run" --netns 2 >"$tmp/netns.log" 2>&1; then
		fail "start --netns succeeded without root"
	fi
	grep -q "needs root" "$tmp/netns.log" || fail "start --netns: no clear error without root"
	printf 'skip: start --netns needs root and ip netns\n'
fi
