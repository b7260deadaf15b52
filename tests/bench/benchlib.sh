# SPDX-License-Identifier: ISC
# benchlib.sh: sourced by the bench scripts after they set BENCH_NAME:
# a temporary directory ($tmp), background processes (bg NAME CMD...,
# their output in $tmp/NAME.log) and a chronyd (its pidfile in $tmp)
# ended by PID at exit, whatever ends the script, and die MESSAGE.
tmp=$(mktemp -d "/tmp/sockclock-$BENCH_NAME.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -s "$tmp/chronyd.pid" ] && kill "$(cat "$tmp/chronyd.pid")" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
bg() { local name=$1; shift; "$@" >"$tmp/$name.log" 2>&1 & pids+=($!); }
