#!/usr/bin/env bash
# Long churn soak (issue 11): random kills, quits, joins and pauses on a ring of 24+ real
# peers on 127.0.0.1 (test/soak/soak.c); after each event every peer's successors and
# predecessors (status --json) must equal the true ring within the convergence bound of
# docs/DESIGN.md plus a margin, and a request for a live peer's file must arrive byte for
# byte. Keeps going after a violation (up to 50) so one run measures everything.
# Prints the summary: events, violations, relapses (the ring drifted with no event),
# requests, and the worst and mean time to converge per kind of event.
# Usage: bench/soak.sh [SEED] [EVENTS] [PEERS] [BURST]  (defaults: from the clock, 300, 24, 1)
# BURST K > 1: half the kills, quits and pauses hit 2..K pairwise non-adjacent peers at once.
# CDHT_BIN / SOAK_BIN override the binaries; SOAK_LOG keeps the full log at that path.
# About 2-3 s per event on an idle machine (a pause event stops a peer 0.5-3.5 s).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
soak=${SOAK_BIN:-$root/build/test/soak/cdht_soak}
seed=${1:-$(( $(date +%s) % 1000000 ))}
events=${2:-300}
peers=${3:-24}
burst=${4:-1}
for f in "$bin" "$soak"; do
	[[ -x $f ]] || { echo "soak.sh: $f missing; build first (cmake --build build)" >&2; exit 2; }
done
log=${SOAK_LOG:-$(mktemp -t cdht-soak-log.XXXXXX)}
echo "soak.sh: seed $seed, $events events, $peers peers, burst $burst; full log in $log"
rc=0
"$soak" --seed "$seed" --events "$events" --peers "$peers" --burst "$burst" --keep-going \
	--max-violations 50 "$bin" >"$log" 2>&1 || rc=$?
grep -E 'VIOLATION|RELAPSE' "$log" | cut -c1-400 || true
grep '^soak summary' "$log" || tail -20 "$log"
echo "soak.sh: exit $rc (0: no violation)"
exit "$rc"
