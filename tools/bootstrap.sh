#!/usr/bin/env bash
# Sets up a fresh Debian (or Ubuntu) machine for cdht: installs the build dependencies
# and what the tools need (jq for launch_ring.sh, graphviz for its picture, gnuplot-nox
# for plot_transfer.sh) with apt-get, then configures and builds into build/. Safe to
# run again: it installs only what is missing and rebuilds only what changed.
#
# Usage: tools/bootstrap.sh [--no-install] [CMAKE-OPTIONS...]
#   --no-install   skip apt-get (the dependencies are already there)
#   CMAKE-OPTIONS  passed to the configure step, e.g. -DCDHT_SANITIZE=ON
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)

PACKAGES=(cmake gcc make pkg-config libevent-dev check jq graphviz gnuplot-nox)

say() {
	printf 'bootstrap: %s\n' "$*"
}

die() {
	printf 'bootstrap: %s\n' "$*" >&2
	exit 1
}

install=1
cmake_opts=()
for a in "$@"; do
	case $a in
	--no-install) install=0 ;;
	-h | --help)
		sed -n '2,10s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*) cmake_opts+=("$a") ;;
	esac
done

# Prints the packages of PACKAGES that are not installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		[[ $status == ii* ]] || printf '%s\n' "$p"
	done
}

if ((install)); then
	if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
		die "this is not a Debian-like system (no apt-get); install by hand: ${PACKAGES[*]}, then rerun with --no-install"
	fi
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		say "dependencies already installed (${PACKAGES[*]})"
	else
		sudo=()
		if ((EUID != 0)); then
			command -v sudo >/dev/null ||
				die "need root to install ${missing[*]}: run as root, or install sudo"
			sudo=(sudo)
		fi
		say "installing ${missing[*]} (apt-get) ..."
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get update -qq ||
			die "apt-get update failed"
		"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
fi

for tool in cmake cc pkg-config jq; do
	command -v "$tool" >/dev/null || die "$tool is missing (install: ${PACKAGES[*]})"
done

log=$repo/build/bootstrap.log
mkdir -p "$repo/build"
say "configuring (cmake -S . -B build) ..."
cmake -S "$repo" -B "$repo/build" "${cmake_opts[@]}" >"$log" 2>&1 || {
	cat "$log" >&2
	die "configure failed (the log is above, and in build/bootstrap.log)"
}
say "building (cmake --build build -j2) ..."
cmake --build "$repo/build" -j2 >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "build failed (the end of the log is above; all of it in build/bootstrap.log)"
}
say "done: $repo/build/cdht"
say "next: tools/launch_ring.sh start     (a demo ring of 8 peers; tests: ctest --test-dir build)"
