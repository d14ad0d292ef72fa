#!/bin/sh
# Regenerate the committed seed corpora (test/fuzz/corpus/<target>/) with make_seeds.c.
# Usage: test/fuzz/make_seeds.sh [BUILD-DIR]   (default: build; configured if needed)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" >/dev/null
nice cmake --build "$build" -j2 --target fuzz_make_seeds >/dev/null
"$build/test/fuzz/fuzz_make_seeds" "$top/test/fuzz/corpus"
for d in "$top"/test/fuzz/corpus/*/; do
	printf '%s: %s files\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
