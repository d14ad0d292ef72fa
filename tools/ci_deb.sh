#!/usr/bin/env bash
# Builds the Debian package with cpack, installs it with dpkg, checks that the installed
# cdht runs (--version), that launch_ring finds it and that the man pages are in place,
# then removes the package again (also when a check fails). Needs root (or sudo) and a
# Debian-like system; CI (.ci/run) calls it.
#
# Usage: tools/ci_deb.sh [BUILD-DIR]   (default: build-deb, configured and built here)
set -euo pipefail
shopt -s nullglob

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
build=${1:-$repo/build-deb}

say() {
	printf 'ci_deb: %s\n' "$*"
}

die() {
	printf 'ci_deb: %s\n' "$*" >&2
	exit 1
}

command -v dpkg >/dev/null || die "dpkg is missing: not a Debian-like system"
command -v cpack >/dev/null || die "cpack is missing (apt-get install cmake)"
sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || die "need root to install the package (or sudo)"
	sudo=(sudo)
fi
if dpkg-query -W -f='${db:Status-Abbrev}' cdht 2>/dev/null | grep -q '^ii'; then
	die "a cdht package is already installed; remove it first (dpkg -r cdht)"
fi

say "configuring and building in $build ..."
cmake -S "$repo" -B "$build" -DCDHT_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 >/dev/null
rm -f "$build"/cdht_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || die "cpack -G DEB failed"
debs=("$build"/cdht_*.deb)
((${#debs[@]} == 1)) || die "cpack made no single cdht_*.deb in $build"
deb=${debs[0]}
say "built $deb"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Package\|Version\|Depends\|Recommends\):/  &/p'

remove() {
	"${sudo[@]}" dpkg -r cdht >/dev/null 2>&1 || true
}
trap remove EXIT
if ! "${sudo[@]}" dpkg -i "$deb"; then
	# Missing dependencies: let apt bring them, as a user would.
	"${sudo[@]}" apt-get install -f -y -qq || die "dpkg -i $deb failed and apt-get -f could not fix it"
fi
[[ -x /usr/bin/cdht ]] || die "/usr/bin/cdht is not installed"
version=$(/usr/bin/cdht --version) || die "the installed cdht --version failed"
say "installed: $version"
help=$(/usr/bin/launch_ring --help) || die "the installed launch_ring --help failed"
[[ $help == *'else /usr/bin/cdht'* ]] ||
	die "the installed launch_ring does not find /usr/bin/cdht"
[[ -f /usr/share/man/man1/cdht.1 && -f /usr/share/man/man1/launch_ring.1 ]] ||
	die "the man pages are not installed"
[[ -f /usr/share/cdht/files/2012.pdf ]] || die "the sample files are not installed"
"${sudo[@]}" dpkg -r cdht >/dev/null || die "dpkg -r cdht failed"
trap - EXIT
[[ ! -e /usr/bin/cdht ]] || die "/usr/bin/cdht is still there after dpkg -r"
say "ok: the package installs, runs ($version) and removes cleanly"
