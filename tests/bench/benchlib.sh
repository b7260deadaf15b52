# SPDX-License-Identifier: ISC
# benchlib.sh: sourced by the bench scripts after they set BENCH_NAME:
# a temporary directory ($tmp), background processes (bg NAME CMD...,
# their output in $tmp/NAME.log) and a chronyd (its pidfile in $tmp)
# ended by PID at exit, whatever ends the script, and die MESSAGE;
# for the tables: ratio A B and verdict VALUE OP LIMIT.
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
# ratio A B: A/B with two decimals, "-" when B is not positive or A is "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else printf "-" }'; }
# verdict VALUE OP LIMIT: ok or MISS (OP is <= or >=), n/a without a VALUE
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "") { print "n/a"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
		print ok ? "ok" : "MISS" }'
}
