#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts, drives and stops a ring of cdht peers on this machine: one process per peer, each
# with its own directory, a FIFO on its standard input and its output in files under RUN.
# Reads the peers only through `status --json`. The commands live in launch/*.sh beside
# this script (repository) or in ../share/cdht/launch (installed). See docs/LAUNCH.md.
set -euo pipefail
shopt -s nullglob inherit_errexit

self=$0					# how the user called us, for the hints we print
self_abs=$(readlink -f -- "${BASH_SOURCE[0]}")	# what windows run
here=${self_abs%/*}

# Where the libraries, the default binary and the sample files are: the repository's
# layout (tools/launch_ring.sh, build/cdht, share/files) or the installed one
# (PREFIX/bin/launch_ring, PREFIX/bin/cdht, PREFIX/share/cdht/{launch,files}).
if [[ -f $here/launch/common.sh ]]; then
	layout=repo
	repo=${here%/*}
	libdir=$here/launch
	default_bin=$repo/build/cdht
	default_bin_desc="build/cdht of this repository (built first if missing)"
	files_dir=$repo/share/files
elif [[ -f $here/../share/cdht/launch/common.sh ]]; then
	layout=installed
	repo=''
	libdir=$(cd "$here/../share/cdht/launch" && pwd -P)
	default_bin=$here/cdht
	default_bin_desc="$default_bin"
	files_dir=$(cd "$here/../share/cdht/files" && pwd -P)
else
	printf 'launch_ring: cannot find my libraries (launch/*.sh) beside %s\n' "$self_abs" >&2
	exit 1
fi
export layout repo

# shellcheck source=launch/common.sh
source "$libdir/common.sh"
# shellcheck source=launch/record.sh
source "$libdir/record.sh"
# shellcheck source=launch/peer.sh
source "$libdir/peer.sh"
# shellcheck source=launch/ask.sh
source "$libdir/ask.sh"
# shellcheck source=launch/start.sh
source "$libdir/start.sh"
# shellcheck source=launch/cmds.sh
source "$libdir/cmds.sh"
# shellcheck source=launch/status.sh
source "$libdir/status.sh"
# shellcheck source=launch/view.sh
source "$libdir/view.sh"
# shellcheck source=launch/netns.sh
source "$libdir/netns.sh"

main() {
	local verb
	# --run may also come before the command.
	while (($#)); do
		case $1 in
		--run) (($# >= 2)) || usage_die "--run needs a directory"; run_arg=$2; shift 2 ;;
		--run=*) run_arg=${1#*=}; shift ;;
		*) break ;;
		esac
	done
	(($#)) || {
		usage >&2
		exit 2
	}
	verb=$1
	shift
	case $verb in
	-h | --help | help) usage ;;
	start) cmd_start "$@" ;;
	send) cmd_send "$@" ;;
	join) cmd_join "$@" ;;
	kill) cmd_kill "$@" ;;
	status) cmd_status "$@" ;;
	picture) cmd_picture "$@" ;;
	stop) cmd_stop "$@" ;;
	_view) cmd_view "$@" ;;
	*) usage_die "unknown command '$verb'" ;;
	esac
}

main "$@"
