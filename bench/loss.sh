#!/usr/bin/env bash
# Healing under loss (issue 11), measured in a network namespace with nftables random UDP
# loss: a ring of 8 (1 3 4 5 8 10 12 15) at 0.2 s pings.
#  1. LOW% loss (default 5) for LOW_S seconds (default 120): false deaths ("no longer alive"
#     lines about live peers), and whether the ring is whole at the end.
#  2. 10% and 20% loss for HIGH_S seconds each (default 60), then none: time until every
#     peer's successors are the true ring (asked through `status`; resolution ~0.25 s).
#  3. Peer 5 SIGSTOPped for 5 s, then SIGCONT: time until whole again.
# Root only (exit 77 otherwise); cleans up even on failure. Prints numbers, asserts nothing.
# Usage: bench/loss.sh [CDHT_BIN]; LOW, LOW_S, HIGH_S override.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=test/netns/ring_lib.sh
. "$root/test/netns/ring_lib.sh"
bin=${1:-${CDHT_BIN:-$root/build/cdht}}
low=${LOW:-5}
low_s=${LOW_S:-120}
high_s=${HIGH_S:-60}

netns_need || exit 77
trap netns_cleanup EXIT
trap 'exit 130' INT TERM
netns_setup || exit 77
netns_ring "$bin" $((10000 + RANDOM % 20000)) --ping-interval 0.2
ms=$(netns_wait_whole 10) || { echo "the ring never came up whole" >&2; netns_dump; exit 1; }
echo "ring of 8 at 0.2 s pings: whole ${ms} ms after start"

before=$(netns_deaths)
netns_loss "$low"
sleep "$low_s"		# the loss lasts this long
if netns_whole; then w=yes; else w=no; fi
netns_loss 0
echo "${low}% UDP loss for ${low_s} s: $(($(netns_deaths) - before)) false deaths; whole at the end: $w"

for pct in 10 20; do
	before=$(netns_deaths)
	netns_loss "$pct"
	sleep "$high_s"
	netns_loss 0
	deaths=$(($(netns_deaths) - before))
	if ms=$(netns_wait_whole 60); then
		echo "${pct}% UDP loss for ${high_s} s (${deaths} false deaths): whole ${ms} ms after it ended"
	else
		echo "${pct}% UDP loss for ${high_s} s (${deaths} false deaths): NOT whole 60 s after"
		netns_dump
	fi
done

before=$(netns_deaths)
kill -STOP "${NR_PID[5]}"
sleep 5			# the pause lasts this long
kill -CONT "${NR_PID[5]}"
if ms=$(netns_wait_whole 60); then
	echo "peer 5 stopped for 5 s ($(($(netns_deaths) - before)) deaths declared): whole ${ms} ms after SIGCONT"
else
	echo "peer 5 stopped for 5 s: NOT whole 60 s after SIGCONT"
	netns_dump
fi
