#!/usr/bin/env bash
# launch_ring.sh picture and plot_transfer.sh produce valid files: the ring of a stub ring
# (one peer killed, one quit) as SVG (parsed by xmllint) and PNG (its signature), and a
# transfer's two logs as PNG and SVG. SKIP (77) when graphviz, gnuplot or xmllint is missing.
set -euo pipefail
shopt -s nullglob inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

for t in neato gnuplot xmllint jq; do
	command -v "$t" >/dev/null || { printf 'SKIP: %s is not installed\n' "$t"; exit 77; }
done
export CDHT_BIN=$here/stub_cdht.sh
launch_test_init
plot=$repo/tools/plot_transfer.sh

is_png() {
	[[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]
}

ids=(1 3 4 8 12)
base=$(free_base_port "${ids[@]}")
"$tool" start --run "$run" --base-port "$base" "${ids[@]}" >"$tmp/start.log" 2>&1 || fail "start failed"
"$tool" kill --run "$run" 4 >/dev/null
"$tool" send --run "$run" 12 quit >/dev/null || fail "send quit failed"

"$tool" picture --run "$run" -o "$tmp/ring.svg" >/dev/null || fail "picture -o svg failed"
xmllint --noout "$tmp/ring.svg" || fail "ring.svg is not well-formed XML"
grep -q '<svg' "$tmp/ring.svg" || fail "ring.svg is no SVG"
for id in "${ids[@]}"; do
	grep -q ">$id</text>" "$tmp/ring.svg" || fail "ring.svg does not show peer $id"
done
grep -q '>dead</text>' "$tmp/ring.svg" || fail "ring.svg does not show the dead peer"
grep -q '>left</text>' "$tmp/ring.svg" || fail "ring.svg does not show the peer that left"
grep -q '>own: 2012 2067 4103</text>' "$tmp/ring.svg" || fail "ring.svg does not show the files held"
"$tool" picture -o "$tmp/ring.png" --run "$run" >/dev/null || fail "picture -o png failed"
is_png "$tmp/ring.png" || fail "ring.png does not start with the PNG signature"
"$tool" picture --run "$run" >/dev/null || fail "picture (default file) failed"
xmllint --noout "$run/ring.svg" || fail "RUN/ring.svg is not well-formed XML"
if "$tool" picture --run "$run" -o "$tmp/ring.gif" >/dev/null 2>&1; then
	fail "picture -o ring.gif succeeded"
fi
pass "picture: SVG and PNG"

# Both ends of a transfer with a drop and its retransmission (SPEC section 6 format).
mkdir -p "$tmp/1" "$tmp/8"
printf '%s\n' 'snd 0.100 1 400 0' 'rcv 0.105 0 0 401' 'snd 0.106 401 400 0' \
	'drop 0.110 801 400 0' 'RTX 1.120 801 400 0' 'rcv 1.125 0 0 1201' >"$tmp/1/responding_log.txt"
printf '%s\n' 'rcv 0.103 1 400 0' 'snd 0.104 0 0 401' 'rcv 0.108 401 400 0' \
	'snd 0.109 0 0 801' 'rcv 1.122 801 400 0' 'snd 1.123 0 0 1201' >"$tmp/8/requesting_log.txt"
"$plot" "$tmp/1/responding_log.txt" "$tmp/8/requesting_log.txt" -o "$tmp/transfer.png" \
	>/dev/null || fail "plot_transfer -o png failed"
is_png "$tmp/transfer.png" || fail "transfer.png does not start with the PNG signature"
"$plot" -o "$tmp/transfer.svg" "$tmp/1/responding_log.txt" "$tmp/8/requesting_log.txt" \
	>/dev/null || fail "plot_transfer -o svg failed"
xmllint --noout "$tmp/transfer.svg" || fail "transfer.svg is not well-formed XML"
for legend in "data sent" "data dropped" "data retransmitted" "ACK received" "data received" "ACK sent"; do
	grep -q "$legend" "$tmp/transfer.svg" || fail "transfer.svg has no series '$legend'"
done
printf 'garbage\n' >"$tmp/garbage.txt"
if "$plot" "$tmp/garbage.txt" -o "$tmp/g.png" >/dev/null 2>&1; then
	fail "plot_transfer of a log without events succeeded"
fi
if "$plot" -o "$tmp/g.png" "$tmp/missing.txt" >/dev/null 2>&1; then
	fail "plot_transfer of a missing log succeeded"
fi
pass "plot_transfer: PNG and SVG, bad logs refused"
