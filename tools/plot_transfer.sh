#!/usr/bin/env bash
# Plots a UDP transfer's sequence numbers against time with gnuplot, from cdht's transfer
# logs (SPEC section 6: "<event> <time> <seq> <bytes> <ack>" a line): data sent, dropped
# and retransmitted, ACKs received (the sender's log), data received and ACKs sent (the
# receiver's log), every log given on one chart.
#
# Usage: plot_transfer.sh [-o FILE.png|FILE.svg] [--title TEXT] LOG...
#   A log named responding_log.txt is a sender's, requesting_log.txt a receiver's; any
#   other name is a sender's if it holds drop or RTX lines, else a receiver's.
#   Default output: transfer.png in the current directory.
set -euo pipefail

self=${0##*/}

die() {
	printf 'plot_transfer: %s\n' "$*" >&2
	exit 1
}

usage_die() {
	printf 'plot_transfer: %s\n' "$*" >&2
	printf "Try '%s --help'.\n" "$self" >&2
	exit 2
}

out=transfer.png
title=''
logs=()
while (($#)); do
	case $1 in
	-o | --output) (($# >= 2)) || usage_die "$1 needs a file"; out=$2; shift 2 ;;
	-o*) out=${1#-o}; shift ;;
	--output=*) out=${1#*=}; shift ;;
	--title) (($# >= 2)) || usage_die "--title needs a text"; title=$2; shift 2 ;;
	-h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--) shift; logs+=("$@"); break ;;
	-?*) usage_die "unknown option '$1'" ;;
	*) logs+=("$1"); shift ;;
	esac
done
((${#logs[@]})) || usage_die "no log given (e.g. run/1/responding_log.txt run/8/requesting_log.txt)"
case $out in
*.png) term=png ;;
*.svg) term=svg ;;
*) usage_die "-o FILE must end in .png or .svg" ;;
esac
command -v gnuplot >/dev/null || die "gnuplot is not installed (apt-get install gnuplot-nox)"
for f in "${logs[@]}"; do
	[[ -f $f && -r $f ]] || die "cannot read log '$f'"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plot_transfer.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# The role of log $1: sender or receiver.
role_of() {
	case ${1##*/} in
	responding_log*) echo sender ;;
	requesting_log*) echo receiver ;;
	*) if grep -qE '^(drop|RTX) ' "$1"; then echo sender; else echo receiver; fi ;;
	esac
}

# One data file per series: "time value" lines. Malformed lines are counted, not plotted.
plots=()
k=0
for f in "${logs[@]}"; do
	k=$((k + 1))
	role=$(role_of "$f")
	name="${f%/*}"
	[[ $name == "$f" ]] && name=.
	name="${name##*/}/${f##*/}"
	bad=$(awk -v dir="$tmp" -v k="$k" -v role="$role" '
		NF != 5 || $2 !~ /^[0-9]+(\.[0-9]+)?$/ || $3 !~ /^[0-9]+$/ || $5 !~ /^[0-9]+$/ { bad++; next }
		role == "sender" && $1 == "snd"  { print $2, $3 > (dir "/" k ".snd"); next }
		role == "sender" && $1 == "drop" { print $2, $3 > (dir "/" k ".drop"); next }
		role == "sender" && $1 == "RTX"  { print $2, $3 > (dir "/" k ".rtx"); next }
		role == "sender" && $1 == "rcv"  { print $2, $5 > (dir "/" k ".ack"); next }
		role == "receiver" && $1 == "rcv" { print $2, $3 > (dir "/" k ".rcv"); next }
		role == "receiver" && $1 == "snd" { print $2, $5 > (dir "/" k ".acksnd"); next }
		{ bad++ }
		END { print bad + 0 }' "$f")
	((bad == 0)) || printf 'plot_transfer: %s: %s line(s) not in the log format, skipped\n' "$f" "$bad" >&2
	# series: suffix, legend, point type, colour
	while read -r suf legend pt color; do
		[[ -s $tmp/$k.$suf ]] || continue
		plots+=("'$tmp/$k.$suf' using 1:2 with points pt $pt ps 1.2 lc rgb '$color' title '$name: ${legend//_/ }'")
	done <<-EOF
		snd data_sent 7 #1f77b4
		drop data_dropped 2 #d62728
		rtx data_retransmitted 6 #ff7f0e
		ack ACK_received 9 #2ca02c
		rcv data_received 5 #9467bd
		acksnd ACK_sent 11 #17becf
	EOF
done
((${#plots[@]})) || die "no event in the log(s): nothing to plot"

if [[ $term == png ]]; then
	if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
		term="pngcairo size 1200,700"
	else
		term="png size 1200,700"
	fi
else
	term="svg size 1200,700 dynamic"
fi
[[ -n $title ]] || title="Transfer: sequence number (bytes) against time"
plot_line=$(printf '%s, ' "${plots[@]}")
{
	printf 'set terminal %s\n' "$term"
	printf 'set output "%s"\n' "${out//\"/\\\"}"
	printf 'set title "%s" noenhanced\n' "${title//\"/\\\"}"
	printf 'set xlabel "time since the peer started (s)"\n'
	printf 'set ylabel "sequence number / ACK (byte offset)"\n'
	printf 'set key outside right top noenhanced\n'
	printf 'set grid\n'
	printf 'plot %s\n' "${plot_line%, }"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp" 2>"$tmp/gnuplot.err" || {
	cat "$tmp/gnuplot.err" >&2
	die "gnuplot failed"
}
printf 'plot_transfer: wrote %s\n' "$out"
