#!/usr/bin/env bash
# File transfer speed (SPEC §6, §7). Loopback only; prints numbers, asserts nothing.
#   (a) a 2 MiB file by UDP stop-and-wait at MSS 400 and 1000 (drop 0, timeout 1 s), timed
#       from typing `request` until `The file is received.`, against the bound
#       segments x loopback UDP round trip (measured here by a helper compiled on the fly);
#   (b) a 64 MiB file over TCP (--transfer tcp) against a plain loopback TCP copy
#       (sendfile -> read/write into a file) of the same file;
#   (c) peak RSS (VmHWM) of owner and requester, read just before they are killed.
# Ring: peers 1 2 3; the files are keyed 3 (owner peer 3); peer 1 requests (1 -> 2 -> 3).
#   (d) issue 13 side by side, 2 MiB at MSS 400 on loopback: drop 0.1 with --timeout auto
#       (window 1 and 32, one run each) against a fixed 1 s (a capped run, extrapolated, and
#       the model figure); drop 0 at --window 1, 32 and TCP mode (median of RUNS0=5 runs
#       each); ratios (DROP0_ONLY=1: the drop 0 cases alone);
#   (e) real loss (root: skipped otherwise): a ring of 3 in a network namespace where
#       nftables drops 10% of UDP datagrams, --timeout auto at window 1 and 32; RTX counts
#       in the owner's log against the data segments the requester never saw.
# Usage: bench/transfer.sh [REPS] [SECTIONS] (default 3 per case, sections abcde; the
# classic (a)+(c) RSS figures are part of (a)). CDHT_BIN overrides the binary.
set -euo pipefail
reps=${1:-3}
sections=${2:-abde}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CDHT_BIN:-$root/build/cdht}
cc=${CC:-cc}
dir=$(mktemp -d)
pids=()
cleanup() {
	if ((${#pids[@]})); then kill -9 "${pids[@]}" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helper: UDP round trip and plain TCP copy -------------------------------------------
cat >"$dir/helper.c" <<'EOF'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int bound(int type, struct sockaddr_in *a)
{
	int fd = socket(AF_INET, type, 0);
	socklen_t len = sizeof *a;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0) {
		perror("helper: socket");
		exit(1);
	}
	return fd;
}

/* udprtt N SIZE: N round trips of a SIZE-byte datagram answered by a 16-byte one, between
 * two processes; prints the mean round trip in microseconds. */
static int udprtt(int n, int size)
{
	struct sockaddr_in a, b;
	int fa = bound(SOCK_DGRAM, &a), fb = bound(SOCK_DGRAM, &b);
	char buf[65536] = {0};
	pid_t pid = fork();
	if (pid == 0) {
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t r = recvfrom(fb, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
			if (r <= 0 || buf[0] == 'q')
				_exit(0);
			sendto(fb, buf, 16, 0, (struct sockaddr *)&from, fl);
		}
	}
	buf[0] = 'd';
	double t0 = 0;
	for (int i = -1000; i < n; i++) { /* 1000 warm-up rounds */
		if (i == 0)
			t0 = now();
		sendto(fa, buf, size, 0, (struct sockaddr *)&b, sizeof b);
		if (recv(fa, buf, sizeof buf, 0) <= 0)
			return 1;
	}
	double t1 = now();
	buf[0] = 'q';
	sendto(fa, buf, 1, 0, (struct sockaddr *)&b, sizeof b);
	waitpid(pid, NULL, 0);
	printf("%.2f\n", (t1 - t0) / n * 1e6);
	return 0;
}

/* tcpcopy SRC DST BUFSZ: a child accepts on loopback and writes what it reads, BUFSZ
 * bytes at a time at most, into DST; the parent connects and sendfile()s SRC. Prints
 * seconds from connect to the child's exit and the child's peak RSS in KiB. */
static int tcpcopy(const char *src, const char *dst, size_t bufsz)
{
	struct sockaddr_in a;
	int l = bound(SOCK_STREAM, &a);
	listen(l, 1);
	pid_t pid = fork();
	if (pid == 0) {
		char *buf = malloc(bufsz);
		int c = accept(l, NULL, NULL);
		int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ssize_t r;
		if (c < 0 || out < 0)
			_exit(1);
		while ((r = read(c, buf, bufsz)) > 0)
			if (write(out, buf, (size_t)r) != r)
				_exit(1);
		_exit(close(out) == 0 && r == 0 ? 0 : 1);
	}
	int in = open(src, O_RDONLY);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0) {
		perror(src);
		return 1;
	}
	double t0 = now();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("helper: connect");
		return 1;
	}
	off_t off = 0;
	while (off < st.st_size)
		if (sendfile(s, in, &off, (size_t)(st.st_size - off)) <= 0) {
			perror("helper: sendfile");
			return 1;
		}
	close(s);
	int status;
	waitpid(pid, &status, 0);
	double t1 = now();
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%.6f %ld\n", t1 - t0, ru.ru_maxrss);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "udprtt"))
		return udprtt(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "tcpcopy"))
		return tcpcopy(argv[2], argv[3], (size_t)atol(argv[4]));
	fprintf(stderr, "usage: helper udprtt N SIZE | tcpcopy SRC DST BUFSZ\n");
	return 2;
}
EOF
"$cc" -O2 -o "$dir/helper" "$dir/helper.c"

# ---- ring --------------------------------------------------------------------------------
# stamp PREFIX: copies stdin's lines to PREFIX.out, and to PREFIX.stamp after the time each
# came ($EPOCHREALTIME; bash builtins only, woken by the pipe, no polling).
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$1.out"
		printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$1.stamp"
	done
}
# start_ring TAG ARGS...: peers 1 2 3 under $dir/TAG, extra ARGS after the successors.
start_ring() {
	local tag=$1 spec try i p alive out
	shift
	local extra=("$@")
	ring=$dir/$tag
	# Another program may hold a port of the random base: the peers exit, so try another.
	for ((try = 0; try < 5; try++)); do
		rm -rf "$ring"
		pids=()
		# Below the ephemeral range (32768+), so no outgoing connection can hold a peer's port.
		base=$(( 10000 + RANDOM % 20000 ))
		for spec in "1 2 3" "2 3 1" "3 1 2"; do
			set -- $spec
			mkdir -p "$ring/$1"
			mkfifo "$ring/$1.in"
			out=$ring/$1.out
			if (($1 == 1)); then
				out=$ring/1.pipe
				mkfifo "$out"
			fi
			"$bin" "$1" "$2" "$3" "${extra[@]}" --base-port "$base" --dir "$ring/$1" \
			    --quiet-pings <>"$ring/$1.in" >"$out" 2>"$ring/$1.err" &
			pids+=($!)
			disown
		done
		# Peer 1's console through a stamper: each line's arrival time goes to 1.stamp as
		# it comes, so request() times without polling error. Its pid is last (pids[0..2]
		# stay peers 1..3).
		stamp "$ring/1" <"$ring/1.pipe" &
		pids+=($!)
		disown
		# Ready when peer 1 knows its first predecessor (pings have gone all round).
		for ((i = 0; i < 300; i++)); do
			alive=1
			for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || alive=0; done
			# A FIFO nobody reads would block the write below for ever.
			((alive)) || break
			echo status >"$ring/1.in"
			sleep 0.05
			grep -q '^First predecessor: peer 3' "$ring/1.out" && return 0
		done
		stop_ring
	done
	echo "transfer.sh: ring $tag did not form" >&2
	cat "$ring"/*.err >&2
	exit 1
}
stop_ring() {
	kill -9 "${pids[@]}" 2>/dev/null || true
	pids=()
}
lines() { if [[ -e $1 ]]; then wc -l <"$1"; else echo 0; fi; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# request F TIMEOUT_S: types `request F` at peer 1 and waits for its received line; sets
# $elapsed (seconds) from the time the line reached peer 1's stamper (so this script's
# polling, every 10 ms, costs no resolution).
us() { local t=${1/./}; echo $((10#$t)); }
request() {
	local f=$1 limit=$2 before t0 t1 now
	before=$(grep -c 'The file is received\.' "$ring/1.out" || true)
	t0=$EPOCHREALTIME
	echo "request $f" >"$ring/1.in"
	while (($(grep -c 'The file is received\.' "$ring/1.out" || true) == before)); do
		now=$EPOCHREALTIME
		if (($(us "$now") - $(us "$t0") > limit * 1000000)); then
			echo "transfer.sh: no 'The file is received.' for $f within $limit s" >&2
			cat "$ring/1.err" "$ring/3.err" >&2
			exit 1
		fi
		sleep 0.01
	done
	t1=$(grep 'The file is received\.' "$ring/1.stamp" | sed -n "$((before + 1))p" | cut -d' ' -f1)
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	cmp -s "$ring/3/$f.pdf" "$ring/1/received_$f.pdf" || {
		echo "transfer.sh: received_$f.pdf differs from the original" >&2
		exit 1
	}
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
echo "binary: $bin"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo

small=$(( 2 << 20 ))
head -c "$small" /dev/urandom >"$dir/small.bin"
# ---- (a) UDP stop-and-wait ---------------------------------------------------------------
if [[ $sections == *a* ]]; then
echo "(a) 2 MiB by UDP stop-and-wait, drop 0, timeout 1 s, $reps runs per MSS"
printf '%-5s %-4s %8s %9s %11s %11s %11s %9s %4s %9s %9s\n' \
    MSS run segments "time s" "us/segment" "log us/seg" "min RTT us" "MB/s" RTX "owner KiB" "req KiB"
for mss in 400 1000; do
	segs=$(( (small + mss - 1) / mss ))
	# Loopback UDP round trip of an MSS-sized datagram: 5 runs of 5000; min and median
	# (single runs vary 2-4x with where the scheduler puts the two processes).
	read -r rtt rttmed < <(for i in 1 2 3 4 5; do "$dir/helper" udprtt 5000 "$mss"; done |
	    sort -g | awk '{ a[NR] = $1 } END { print a[1], a[3] }')
	start_ring "udp$mss" "$mss" 0 --ping-interval 0.2 --timeout 1
	for ((r = 1; r <= reps; r++)); do
		f=$(( 2051 + 256 * (r - 1) ))	# keys 3 (owner peer 3)
		ln "$dir/small.bin" "$ring/3/$f.pdf"
		rq=$(lines "$ring/1/requesting_log.txt")
		rs=$(lines "$ring/3/responding_log.txt")
		request "$f" 60
		# Per-segment time from the requester's log (this run's lines only): first to last
		# data `rcv`; the log has millisecond stamps, averaged over thousands of segments.
		logseg=$(tail -n +$((rq + 1)) "$ring/1/requesting_log.txt" | awk '$1 == "rcv" { if (!n++) a = $2; b = $2 }
		    END { if (n > 1) printf "%.1f", (b - a) / (n - 1) * 1e6; else print "-" }')
		rtx=$(tail -n +$((rs + 1)) "$ring/3/responding_log.txt" | grep -c '^RTX' || true)
		ho=$(hwm "${pids[2]}")
		hr=$(hwm "${pids[0]}")
		awk -v m="$mss" -v r="$r" -v s="$segs" -v t="$elapsed" -v l="$logseg" -v rtt="$rtt" \
		    -v x="$rtx" -v ho="$ho" -v hr="$hr" -v b="$small" 'BEGIN {
			printf "%-5d %-4d %8d %9.4f %11.1f %11s %11.1f %9.2f %4d %9d %9d\n",
			    m, r, s, t, t / s * 1e6, l, rtt, b / t / 1e6, x, ho, hr }'
		rm -f "$ring/1/received_$f.pdf"
	done
	printf '%-5s bound: %d segments x %.1f us (min RTT; median %.1f us) = %.4f s\n' \
	    "$mss" "$segs" "$rtt" "$rttmed" "$(awk -v s="$segs" -v r="$rtt" 'BEGIN { print s * r / 1e6 }')"
	stop_ring
done
echo "  (RTX: retransmissions in the owner's log for that run; KiB columns are VmHWM, the"
echo "   peak since the peer started, so cumulative over the runs of one ring.)"
echo
fi

# ---- (b) TCP, 64 MiB ---------------------------------------------------------------------
if [[ $sections == *b* ]]; then
big=$(( 64 << 20 ))
head -c "$big" /dev/urandom >"$dir/big.bin"
echo "(b) 64 MiB over TCP, $reps runs each (the file is in the page cache; copies go to disk)"
printf '%-24s %-4s %9s %9s %10s %10s\n' what run "time s" "MB/s" "owner KiB" "req KiB"
# Plain copies: reads of 64 KiB, and of 4 KiB (what libevent 2.1's evbuffer_read does per
# call, whatever the watermark), to show where cdht's receiver stands.
for bufsz in 65536 4096; do
	for ((r = 1; r <= reps; r++)); do
		read -r t rss < <("$dir/helper" tcpcopy "$dir/big.bin" "$dir/big.copy" "$bufsz")
		cmp -s "$dir/big.bin" "$dir/big.copy" || { echo "transfer.sh: plain copy differs" >&2; exit 1; }
		rm -f "$dir/big.copy"
		awk -v r="$r" -v t="$t" -v b="$big" -v k="$rss" -v w="plain TCP, $((bufsz / 1024)) KiB reads" 'BEGIN {
			printf "%-24s %-4d %9.4f %9.1f %10s %10d\n", w, r, t, b / t / 1e6, "-", k }'
	done
done
start_ring tcp --transfer tcp --ping-interval 0.2
for ((r = 1; r <= reps; r++)); do
	f=$(( 2051 + 256 * (r - 1) ))
	ln "$dir/big.bin" "$ring/3/$f.pdf"
	request "$f" 120
	ho=$(hwm "${pids[2]}")
	hr=$(hwm "${pids[0]}")
	awk -v r="$r" -v t="$elapsed" -v b="$big" -v ho="$ho" -v hr="$hr" 'BEGIN {
		printf "%-24s %-4d %9.4f %9.1f %10d %10d\n", "cdht --transfer tcp", r, t, b / t / 1e6, ho, hr }'
	rm -f "$ring/1/received_$f.pdf"
done
stop_ring
echo "  (plain: sendfile() to a child that read()s and write()s into a file; its KiB is the"
echo "   child's peak RSS. cdht times include the request routing 1 -> 2 -> 3.)"
fi

# one_run TAG LIMIT_S N ARGS...: a fresh ring with ARGS, a warm-up 2 MiB request (2051),
# then N measured ones (2307, 2563, ...: keys 3, owner peer 3); sets $elapsed and $inpeer
# (medians; in peer: the requester's summary line's seconds), $span ("min-max" of the times)
# and $rtx (RTX lines in the owner's log over the measured runs).
one_run() {
	local tag=$1 limit=$2 n=$3 before=0 k r f times=() peers=()
	shift 3
	start_ring "$tag" 400 "$@" --ping-interval 0.2
	ln "$dir/small.bin" "$ring/3/2051.pdf"
	request 2051 "$limit"
	before=$(lines "$ring/3/responding_log.txt")
	for ((r = 1; r <= n; r++)); do
		f=$(( 2051 + 256 * r ))
		ln "$dir/small.bin" "$ring/3/$f.pdf"
		request "$f" "$limit"
		times+=("$elapsed")
		# The requester's own figure (its summary line on stderr): data begun to file
		# complete, without the request's routing and this script's polling.
		for ((k = 0; k < 100; k++)); do
			inpeer=$(sed -n "s/.*received $f from peer 3: .* in \([0-9.]*\) s.*/\1/p" "$ring/1.err")
			[[ -n $inpeer ]] && break
			sleep 0.01
		done
		peers+=("${inpeer:-0}")
	done
	elapsed=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	span=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.4f-%.4f", a[1], a[NR] }')
	inpeer=$(printf '%s\n' "${peers[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	rtx=0
	if [[ -e $ring/3/responding_log.txt ]]; then
		rtx=$(tail -n +$((before + 1)) "$ring/3/responding_log.txt" | grep -c '^RTX' || true)
	fi
	stop_ring
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# ---- (d) issue 13 side by side -----------------------------------------------------------
if [[ $sections == *d* ]]; then
segs=$(( (small + 399) / 400 ))
echo "(d) 2 MiB, MSS 400, loopback, measured runs after a warm-up ($segs segments)"
printf '%-36s %9s %9s %6s\n' case "time s" "in peer s" RTX
# DROP0_ONLY=1 skips the drop 0.1 cases (an A/B of the drop 0 figures alone).
if [[ ${DROP0_ONLY:-0} != 1 ]]; then
one_run auto1 120 1 0.1 --timeout auto --window 1
t_auto1=$elapsed
printf '%-36s %9.3f %9s %6d\n' "drop 0.1, --timeout auto, window 1" "$elapsed" "$inpeer" "$rtx"
one_run auto32 120 1 0.1 --timeout auto --window 32
t_auto32=$elapsed
printf '%-36s %9.3f %9s %6d\n' "drop 0.1, --timeout auto, window 32" "$elapsed" "$inpeer" "$rtx"
# Fixed 1 s at window 1: a capped run (CAP_S seconds), extrapolated from the owner's
# status --json bytes, and the model: each segment is lost with p = 0.1 and then costs 1 s,
# so segs x p / (1 - p) x 1 s (plus the round trips, negligible).
cap=${CAP_S:-15}
start_ring fixed1 400 0.1 --timeout 1 --window 1 --ping-interval 0.2
ln "$dir/small.bin" "$ring/3/2051.pdf"
echo "request 2051" >"$ring/1.in"
sleep "$cap"	# the capped run lasts this long (not a synchronisation)
echo "status --json" >"$ring/3.in"
sleep 0.2
done_b=$(grep '^{' "$ring/3.out" | tail -n 1 | jq '[.transfers[] | select(.file == "2051") | .bytes] | first // 0')
stop_ring
t_fixed=$(awk -v b="$done_b" -v c="$cap" -v s="$small" 'BEGIN { if (b > 0) printf "%.0f", c * s / b; else print "inf" }')
model=$(awk -v n="$segs" 'BEGIN { printf "%.0f", n * 0.1 / 0.9 }')
printf '%-36s %9s %9s %6s   (%d of %d bytes in %d s; model %s s)\n' \
    "drop 0.1, --timeout 1, window 1" "~$t_fixed" - - "$done_b" "$small" "$cap" "$model"
echo "  ratio fixed 1 s / auto (window 1): $(ratio "$t_fixed" "$t_auto1")x;" \
    "fixed 1 s / auto (window 32): $(ratio "$t_fixed" "$t_auto32")x"
fi
# Drop 0: RUNS0 measured requests a case (median; single runs on a shared machine vary 2x).
runs0=${RUNS0:-5}
echo "  drop 0: median of $runs0 measured runs a case (time range in brackets)"
one_run w1 60 "$runs0" 0 --window 1
t_w1=$elapsed p_w1=$inpeer
printf '%-36s %9.4f %9s %6d   [%s]\n' "drop 0, window 1" "$elapsed" "$inpeer" "$rtx" "$span"
one_run w32 60 "$runs0" 0 --window 32
t_w32=$elapsed p_w32=$inpeer
printf '%-36s %9.4f %9s %6d   [%s]\n' "drop 0, window 32" "$elapsed" "$inpeer" "$rtx" "$span"
one_run tcp 60 "$runs0" 0 --transfer tcp
t_tcp=$elapsed p_tcp=$inpeer
printf '%-36s %9.4f %9s %6s   [%s]\n' "drop 0, --transfer tcp" "$elapsed" "$inpeer" - "$span"
echo "  ratio window 1 / window 32: $(ratio "$t_w1" "$t_w32")x; window 32 / TCP: $(ratio "$t_w32" "$t_tcp")x" \
    "(in peer: $(ratio "$p_w1" "$p_w32")x and $(ratio "$p_w32" "$p_tcp")x)"
echo "  (time: from typing request to 'The file is received.' reaching this script (stamped as it"
echo "   comes, not polled); in peer: the requester's summary line, from the first data to the"
echo "   complete file, with ms resolution)"
echo
fi

# ---- (e) real loss in a network namespace ------------------------------------------------
if [[ $sections == *e* ]]; then
echo "(e) 2 MiB, MSS 400, 10% random UDP loss by nftables in a network namespace, --timeout auto"
# shellcheck source=test/netns/ring_lib.sh
. "$root/test/netns/ring_lib.sh"
if netns_need; then
	printf '%-10s %9s %6s %6s %8s %6s %8s\n' window "time s" sent lost "lost %" RTX "RTX/lost"
	# 32/1: the datagrams one by one (CDHT_UDP_GSO=0), so nftables drops each on its own;
	# with GSO a run of a window's datagrams is one packet to netfilter on this host.
	for w in 1 32 32/1; do
		if [[ $w == */1 ]]; then export CDHT_UDP_GSO=0; else unset CDHT_UDP_GSO; fi
		trap 'netns_cleanup; cleanup' EXIT
		netns_setup || break
		# shellcheck disable=SC2034  # read by ring_lib.sh
		NR_IDS=(1 2 3)
		# shellcheck disable=SC2034
		NR_N=3
		nbase=$((10000 + RANDOM % 20000))
		netns_ring "$bin" "$nbase" --ping-interval 1 --timeout auto --window "${w%/1}"
		sleep 1.5	# the ring forms (pings every second); not a synchronisation of the transfer
		ln "$dir/small.bin" "$NR_DIR/3/2051.pdf"
		netns_loss 10
		t0=$EPOCHREALTIME
		netns_send 1 "request 2051"
		for ((k = 0; k < 6000; k++)); do
			grep -q 'The file is received\.' "$NR_DIR/1.out" 2>/dev/null && break
			sleep 0.01
		done
		t1=$EPOCHREALTIME
		netns_loss 0
		cmp -s "$dir/small.bin" "$NR_DIR/1/received_2051.pdf" || echo "transfer.sh: netns copy differs or is missing" >&2
		# Datagrams the owner put on the wire, and those of them the requester logged.
		sent=$(grep -cE '^(snd|RTX) ' "$NR_DIR/3/responding_log.txt" || true)
		rtx=$(grep -c '^RTX ' "$NR_DIR/3/responding_log.txt" || true)
		got=$(awk '$1 == "rcv"' "$NR_DIR/1/requesting_log.txt" | wc -l)
		awk -v w="$w" -v a="$t0" -v b="$t1" -v s="$sent" -v g="$got" -v x="$rtx" 'BEGIN {
			l = s - g; printf "%-10s %9.3f %6d %6d %7.1f%% %6d %8.2f\n", w, b - a, s, l,
			    100 * l / s, x, (l > 0 ? x / l : 0) }'
		netns_cleanup
	done
	unset CDHT_UDP_GSO
	echo "  (32/1: window 32 with CDHT_UDP_GSO=0, datagrams sent one by one; loss per datagram)"
	echo "  (sent: snd+RTX lines in the owner's log; lost: those the requester never logged"
	echo "   as rcv; ACKs are lost at the same rate, so window 1 also resends for lost ACKs)"
fi
fi
