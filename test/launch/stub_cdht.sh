#!/usr/bin/env bash
# A stand-in for cdht, for testing tools/launch_ring.sh's mechanics only (it is no peer):
# takes cdht's command line, says what it got, and answers stdin commands.
#   status --json -> one JSON line per docs/STATUS.md (successors from the command line)
#   quit -> exits 0     bogus... -> "cdht: unknown command" on stderr     else -> "stub got: LINE"
# With --stub-fail it prints an error on stderr and exits 1 at once; with --stub-nojson it
# refuses "status --json" as a cdht without JSON status does.
set -u
args=("$@")
id='' s1='' s2='' dir='' bind=127.0.0.1 base=50000 nojson=0
pos=()
while (($#)); do
	case $1 in
	--stub-fail) printf 'cdht: cannot bind UDP 127.0.0.1:1: stub failure\n' >&2; exit 1 ;;
	--stub-nojson) nojson=1; shift ;;
	--quiet-pings) shift ;;
	--dir) dir=$2; shift 2 ;;
	--bind) bind=$2; shift 2 ;;
	--base-port) base=$2; shift 2 ;;
	--*) shift 2 ;;
	*) pos+=("$1"); shift ;;
	esac
done
case ${pos[0]-} in
init) id=${pos[1]-} s1=${pos[2]-} s2=${pos[3]-} ;;
join) id=${pos[1]-} s1='' s2='' ;;
*) id=${pos[0]-} s1=${pos[1]-} s2=${pos[2]-} ;;
esac
printf 'stub peer %s started: %s\n' "$id" "${args[*]}"
[ -d "$dir" ] || printf 'stub: no directory %s\n' "$dir" >&2

# A successor's JSON entry from a command-line contact (ID or ID@ADDR), or null.
succ_json() {
	[[ -n $1 ]] || { printf 'null'; return; }
	local sid=${1%%@*} addr=$bind
	[[ $1 == *@* ]] && addr=${1#*@}
	printf '{"id":%s,"contact":"%s@%s:%s","last_answer_ms":null}' "$sid" "$sid" "$addr" $((base + sid))
}

status_json() {
	local files='' f n
	for f in "$dir"/*.pdf; do
		[[ -e $f ]] || continue
		n=${f##*/}
		n=${n%.pdf}
		files+="${files:+,}{\"file\":\"$n\",\"key\":$((10#$n % 256)),\"role\":\"own\",\"size\":null}"
	done
	printf '{"cdht":1,"id":%s,"contact":"%s@%s:%s","state":"up","config":null,' \
		"$id" "$id" "$bind" $((base + id))
	printf '"successors":[%s,%s],"third_successor":null,' "$(succ_json "$s1")" "$(succ_json "$s2")"
	printf '"predecessors":[null,null],"owns":null,"files":[%s],"transfers":[],' "$files"
	printf '"counters":{"pings_sent":0,"pings_answered":0,"misses":0,"repairs":0,"bytes_in":0,"bytes_out":0}}\n'
}

while IFS= read -r line; do
	case $line in
	'status --json')
		if ((nojson)); then
			printf "cdht: 'status' takes no argument\n" >&2
		else
			status_json
		fi
		;;
	status) printf 'Peer: peer %s (stub)\n' "$id" ;;
	quit) printf 'stub peer %s leaves\n' "$id"; exit 0 ;;
	bogus*) printf "cdht: unknown command '%s'\n" "${line%% *}" >&2 ;;
	*) printf 'stub got: %s\n' "$line" ;;
	esac
done
printf 'stub: end of input\n' >&2
