#!/usr/bin/env bash
# cmake --install BUILD --prefix TMP puts every file in place; the installed cdht runs
# --version; man -l renders each page without a warning; the installed launch_ring finds
# the installed cdht and sample files (a ring of three peers started and stopped).
# Usage: install_test.sh BUILD-DIR
set -euo pipefail
shopt -s nullglob inherit_errexit

build=${1:?usage: install_test.sh BUILD-DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=../launch/lib.sh
source "$here/../launch/lib.sh"
launch_test_init	# $tmp, removed on exit; $run, stopped on exit with the repo's tool
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	fail "cmake --install failed"
}
want=(bin/cdht bin/launch_ring bin/plot_transfer
	share/man/man1/cdht.1 share/man/man1/launch_ring.1
	share/bash-completion/completions/cdht share/bash-completion/completions/launch_ring
	share/cdht/files/2012.pdf share/cdht/files/2067.pdf share/cdht/files/4103.pdf)
for f in "$repo"/tools/launch/*.sh; do
	want+=("share/cdht/launch/${f##*/}")
done
for f in "${want[@]}"; do
	[[ -f $prefix/$f ]] || fail "not installed: $f"
done
for f in bin/cdht bin/launch_ring bin/plot_transfer; do
	[[ -x $prefix/$f ]] || fail "not executable: $f"
done
cmp -s "$prefix/share/cdht/files/4103.pdf" "$repo/share/files/4103.pdf" || fail "4103.pdf differs"
pass "every file in place (${#want[@]})"

"$prefix/bin/cdht" --version >"$tmp/version.log" 2>&1 || fail "the installed cdht --version failed"
grep -Eq '^cdht [0-9]+\.[0-9]+' "$tmp/version.log" || fail "cdht --version: $(cat "$tmp/version.log")"
pass "installed cdht runs: $(cat "$tmp/version.log")"

# Each page renders, and neither man nor groff warns.
for page in "$prefix"/share/man/man1/*.1; do
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$page" >"$tmp/man.out" 2>"$tmp/man.err" ||
			fail "man -l ${page##*/} failed"
	elif command -v groff >/dev/null; then
		groff -man -Tutf8 -ww "$page" >"$tmp/man.out" 2>"$tmp/man.err" ||
			fail "groff ${page##*/} failed"
	else
		fail "neither man nor groff is installed (apt-get install man-db)"
	fi
	[[ ! -s $tmp/man.err ]] || fail "${page##*/} renders with warnings: $(cat "$tmp/man.err")"
	grep -q 'SYNOPSIS' "$tmp/man.out" || fail "${page##*/} has no SYNOPSIS"
done
pass "man pages render without warnings"

# The installed launch tool, without CDHT_BIN, runs the installed cdht and links the
# installed sample files.
unset CDHT_BIN
base=$(free_base_port 1 5 9)
(cd "$tmp" && "$prefix/bin/launch_ring" start --run "$run" --base-port "$base" 1 5 9 \
	-- --quiet-pings) >"$tmp/start.log" 2>&1 || fail "the installed launch_ring start failed"
[[ $(jq -r .bin "$run/ring.json") == "$(cd "$prefix/bin" && pwd -P)/cdht" ]] ||
	fail "the installed launch_ring does not run the installed cdht"
[[ $(readlink "$run/1/2012.pdf") == "$(cd "$prefix/share/cdht/files" && pwd -P)/2012.pdf" ]] ||
	fail "the installed launch_ring does not link the installed sample files"
"$prefix/bin/launch_ring" status --run "$run" >"$tmp/status.log" 2>&1 || fail "status failed"
grep -Eq '^ +9 +[0-9]+ +running' "$tmp/status.log" || fail "peer 9 is not running"
"$prefix/bin/launch_ring" stop --run "$run" >/dev/null || fail "stop failed"
pass "the installed launch_ring finds the installed cdht and sample files"
