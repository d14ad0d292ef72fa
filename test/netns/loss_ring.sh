#!/usr/bin/env bash
# Scenario (issue 11): a ring of 8 at 0.2 s pings inside a network namespace; nftables drops
# 10%, then 20%, of the UDP datagrams for LOSS_S seconds each (default 20); after each the
# loss is removed and every peer's successors must be the true ring within WHOLE_S seconds
# (default 10). Root only: SKIP (77) without root, ip or nft. Cleans up even on failure.
# Usage: test/netns/loss_ring.sh [CDHT_BIN]
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/netns/ring_lib.sh
. "$here/ring_lib.sh"
bin=${1:-${CDHT_BIN:-$here/../../build/cdht}}
loss_s=${LOSS_S:-20}
whole_s=${WHOLE_S:-10}

netns_need || exit 77
trap netns_cleanup EXIT
trap 'exit 130' INT TERM
netns_setup || exit 77
base=$((10000 + RANDOM % 20000))
netns_ring "$bin" "$base" --ping-interval 0.2
if ! ms=$(netns_wait_whole "$whole_s"); then
	echo "FAIL: the ring never came up whole" >&2
	netns_dump
	exit 1
fi
echo "ring of 8 up and whole after ${ms} ms"
for pct in 10 20; do
	before=$(netns_deaths)
	netns_loss "$pct"
	sleep "$loss_s"		# the loss lasts this long (not a synchronisation)
	netns_loss 0
	deaths=$(($(netns_deaths) - before))
	if ! ms=$(netns_wait_whole "$whole_s"); then
		echo "FAIL: ${pct}% UDP loss for ${loss_s} s: not whole ${whole_s} s after it ended" >&2
		netns_dump
		exit 1
	fi
	echo "${pct}% UDP loss for ${loss_s} s: ${deaths} deaths declared; whole ${ms} ms after it ended"
done
for p in "${NR_PIDS[@]}"; do
	kill -0 "$p" 2>/dev/null || { echo "FAIL: a peer exited" >&2; netns_dump; exit 1; }
done
echo "PASS"
