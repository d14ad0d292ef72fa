#!/bin/sh
# Run one libFuzzer target for as long as one likes (test/fuzz/README.md).
#
# usage: tools/fuzz.sh [--save] TARGET [SECONDS] [-- LIBFUZZER-OPTIONS...]
#        tools/fuzz.sh --coverage TARGET
#   TARGET      wire | cli | ring | xfer
#   SECONDS     how long to fuzz (default 60; 0 = until stopped or a crash)
#   --save      merge what the run found into the committed corpus test/fuzz/corpus/TARGET
#               (minimized with -merge=1); without it new inputs stay in the scratch dir
#   --coverage  line and branch coverage of the core by the scratch corpus (or the committed
#               one if there is none yet), from a clang source-coverage build in build-cov/
#
# Builds the clang fuzz build in build-fuzz/ (CC=clang, -DCDHT_FUZZ=ON), fuzzes a scratch copy
# of the committed corpus in build-fuzz/fuzz-work/TARGET, and leaves crash-* files there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
save=0
coverage=0
if [ "${1:-}" = "--save" ]; then
	save=1
	shift
elif [ "${1:-}" = "--coverage" ]; then
	coverage=1
	shift
fi
target=${1:-}
secs=${2:-60}
[ "$secs" = "--" ] && secs=60
[ $# -ge 1 ] && shift
[ $# -ge 1 ] && [ "$1" != "--" ] && shift
[ "${1:-}" = "--" ] && shift
case $target in
wire | cli | ring | xfer) ;;
*)
	echo "usage: tools/fuzz.sh [--save] wire|cli|ring|xfer [SECONDS] [-- LIBFUZZER-OPTIONS]" >&2
	exit 2
	;;
esac
case $secs in
'' | *[!0-9]*)
	echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2
	exit 2
	;;
esac

# Coverage: replay a corpus through an instrumented replay driver and report on src/.
if [ "$coverage" = 1 ]; then
	cov=$top/build-cov
	if [ ! -f "$cov/CMakeCache.txt" ]; then
		CC=clang CFLAGS="-fprofile-instr-generate -fcoverage-mapping" \
		    cmake -S "$top" -B "$cov" >/dev/null
	fi
	nice cmake --build "$cov" -j2 --target "fuzz_replay_$target" >/dev/null
	corpus=$top/build-fuzz/fuzz-work/$target
	[ -d "$corpus" ] || corpus=$top/test/fuzz/corpus/$target
	rm -f "$cov"/fuzz-"$target".prof*
	LLVM_PROFILE_FILE=$cov/fuzz-$target.profraw CDHT_FUZZ_RING_ALLOW=alone_send,self_send,self_pred,console_truth \
	    "$cov/test/fuzz/fuzz_replay_$target" "$corpus" >&2 || true
	llvm-profdata merge -o "$cov/fuzz-$target.profdata" "$cov/fuzz-$target.profraw"
	echo "fuzz.sh: coverage of $corpus ($(find "$corpus" -type f | wc -l) inputs)" >&2
	llvm-cov report "$cov/test/fuzz/fuzz_replay_$target" -instr-profile="$cov/fuzz-$target.profdata" \
	    "$top"/src/contact.c "$top"/src/keys.c "$top"/src/wire.c "$top"/src/ring.c \
	    "$top"/src/xfer.c "$top"/src/console.c "$top"/src/cli.c
	exit 0
fi

build=$top/build-fuzz
if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=clang cmake -S "$top" -B "$build" -DCDHT_FUZZ=ON >/dev/null
fi
nice cmake --build "$build" -j2 --target "fuzz_$target" >/dev/null

corpus=$top/test/fuzz/corpus/$target
work=$build/fuzz-work/$target
mkdir -p "$work"
cp -n "$corpus"/* "$work"/ 2>/dev/null || true
echo "fuzz.sh: fuzzing $target for ${secs}s in $work (crash files: $build/fuzz-work/crash-$target-*)" >&2
# Whole DATA frames for the wire target (libFuzzer's default -max_len is 4096).
[ "$target" = wire ] && set -- -max_len=60100 "$@"
rc=0
"$build/test/fuzz/fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-work/crash-$target-" "$@" "$work" || rc=$?
if [ "$save" = 1 ] && [ "$rc" = 0 ]; then
	"$build/test/fuzz/fuzz_$target" -merge=1 "$corpus" "$work" >/dev/null 2>&1
	echo "fuzz.sh: merged into $corpus ($(find "$corpus" -type f | wc -l) files); review before committing" >&2
fi
exit "$rc"
