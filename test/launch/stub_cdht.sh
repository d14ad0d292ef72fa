#!/usr/bin/env bash
# A stand-in for cdht, for testing tools/launch_ring.sh's mechanics only (it is no peer):
# takes cdht's command line, says what it got, and answers stdin commands.
#   status -> lines like the real peer's status    quit -> exits 0    else -> "stub got: LINE"
# With --stub-fail it prints an error on stderr and exits 1 at once.
set -u
args=("$@")
id='' s1='' s2='' dir=''
pos=()
while (($#)); do
	case $1 in
	--stub-fail) printf 'cdht: cannot bind UDP 127.0.0.1:1: stub failure\n' >&2; exit 1 ;;
	--dir) dir=$2; shift 2 ;;
	--*) shift 2 ;;
	*) pos+=("$1"); shift ;;
	esac
done
case ${pos[0]-} in
init) id=${pos[1]-} s1=${pos[2]-} s2=${pos[3]-} ;;
join) id=${pos[1]-} s1="?" s2="?" ;;
*) id=${pos[0]-} s1=${pos[1]-} s2=${pos[2]-} ;;
esac
printf 'stub peer %s started: %s\n' "$id" "${args[*]}"
[ -d "$dir" ] || printf 'stub: no directory %s\n' "$dir" >&2
while IFS= read -r line; do
	case $line in
	status)
		printf 'A ping request message was received from Peer 99.\n'
		printf 'Peer: peer %s (stub)\nFirst successor: peer %s\nSecond successor: peer %s\n' \
			"$id" "$s1" "$s2"
		printf 'First predecessor: unknown\nSecond predecessor: unknown\nFiles: %s\n' \
			"$(cd "$dir" && echo *.pdf)"
		;;
	quit) exit 0 ;;
	*) printf 'stub got: %s\n' "$line" ;;
	esac
done
printf 'stub: end of input\n' >&2
