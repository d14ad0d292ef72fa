# Helpers shared by the launch tests (sourced, not run): a temporary RUN directory that is
# always cleaned up, a free base port, deadline-bounded waits, and failure reports.
# The sourcing script calls launch_test_init.
# shellcheck shell=bash

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
tool=$repo/tools/launch_ring.sh

# Prints the current time in milliseconds.
lt_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' $((10#$t / 1000))
}

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

pass() {
	printf 'ok: %s\n' "$*"
}

# Whether local port $1 is in use for UDP or TCP (any address).
port_in_use() {
	local hex f
	printf -v hex ':%04X ' "$1"
	for f in /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		# Field 2 is the local address; only it matters.
		awk -v h="$hex" 'FNR > 1 && index($2 " ", h) { found = 1 } END { exit !found }' "$f" &&
			return 0
	done
	return 1
}

# Prints a random base port P below the ephemeral range such that P+id is free for every
# id in $@.
free_base_port() {
	local try base id busy
	for ((try = 0; try < 50; try++)); do
		base=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		busy=0
		for id in "$@"; do
			if port_in_use $((base + id)); then
				busy=1
				break
			fi
		done
		if ((!busy)); then
			printf '%s\n' "$base"
			return 0
		fi
	done
	fail "no free base port found"
}

# Waits until file $1 holds the whole line $2, at most $3 seconds.
wait_line() {
	local file=$1 line=$2 deadline
	deadline=$(($(lt_now_ms) + ${3:-10} * 1000))
	while (($(lt_now_ms) < deadline)); do
		[[ -f $file ]] && grep -qxF -- "$line" "$file" && return 0
		sleep 0.05
	done
	fail "no line '$line' in $file within ${3:-10} s"
}

# Waits until command "$@" succeeds, at most $WAIT_S seconds (default 10).
wait_until() {
	local deadline
	deadline=$(($(lt_now_ms) + ${WAIT_S:-10} * 1000))
	while (($(lt_now_ms) < deadline)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

# Whether pid $1 is a live process (a zombie counts as gone).
pid_alive() {
	local stat
	[[ -r /proc/$1/stat ]] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Prints every file of the run, for a failure report.
dump_run() {
	local f
	printf '\n==== the run directory %s ====\n' "$run" >&2
	for f in "$tmp"/*.log "$run"/ring.json "$run"/*.out "$run"/*.err; do
		printf -- '---- %s (ping lines left out) ----\n' "$f" >&2
		grep -v -E '^(A )?[Pp]ing (request|response)' "$f" | tail -n 60 >&2 || true
	done
}

# Stops the ring (always), reports a failure, removes the temporary directory.
lt_on_exit() {
	local rc=$?
	"$tool" stop --run "$run" >/dev/null 2>&1 || true
	((rc == 0)) || dump_run
	[[ -n ${lt_cleanup_extra-} ]] && "$lt_cleanup_extra"
	rm -rf -- "$tmp"
	if ((rc == 0)); then
		printf 'PASS\n'
	else
		printf 'FAILED (status %s)\n' "$rc" >&2
	fi
	exit "$rc"
}

launch_test_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdht-launch.XXXXXX")
	run=$tmp/run
	trap lt_on_exit EXIT
	trap 'exit 130' INT TERM
}
