#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-upstream (and in make bench): what asking chronyd for the
# header costs sntp-udp (issue 21). chronyd -x (never touches the clock),
# a reference of its own at `local stratum 3`: as root in a network
# namespace of the bench's own, its command port on 127.0.0.1:323, and
# sntp-udp with default options (--upstream=auto); not root, on a free
# high port, and sntp-udp --upstream=chrony:127.0.0.1:PORT.
#  1. exec-to-exit against the static one-line program (goal <= 1.2x),
#     all rows interleaved in one execloop:
#     - inetd-style (a datagram on stdin, --state-dir, --idle-timeout=0):
#       chronyd's view kept in the state file, fresh: one query per 8 s
#       for all the runs together; every reply's stratum checked;
#     - by hand, no state file: every run asks chronyd (the refresh);
#     - by hand, nothing on the port (ICMP port unreachable): every run
#       tries once (auto: 127.0.0.1 and ::1);
#     - by hand and inetd-style, --upstream=kernel: no query, the same
#       paths' cost without it.
#  2. 32 outstanding against the minimal responder (udpref), in rounds
#     of adjacent runs (and sntp-udp --upstream=kernel), the order
#     rotating; the server CPU per reply of the
#     responder / sntp-udp's (goal >= 0.95x), a reply counted only when
#     its stratum is chronyd's (udpload UDPLOAD_STRATUM).
#   tests/bench/up-bench.sh BENCHDIR   (BENCHDIR: the built clients)
# Knobs: BENCH_UP_EXEC_N (runs each, default 300), BENCH_UP_SECONDS (per
# load run, default 0.6), BENCH_UP_PAIRS (rounds, default 15).
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$1
exec_n=${BENCH_UP_EXEC_N:-300}
secs=${BENCH_UP_SECONDS:-0.6}
pairs=${BENCH_UP_PAIRS:-15}
PY=/usr/bin/python3
STRATUM=3

BENCH_NAME=up-bench
. tests/bench/benchlib.sh

nsx=()
ns=
if [ "$(id -u)" = 0 ]; then
	ns=sockclock-upbench-$$
	ip netns add "$ns" || die "ip netns add"
	ip -n "$ns" link set lo up
	# A second one, where nothing answers on 323.
	ip netns add "$ns-none" || die "ip netns add"
	ip -n "$ns-none" link set lo up
	nsx=(ip netns exec "$ns")
	trap 'cleanup; for n in "$ns" "$ns-none"; do ip netns del "$n" 2>/dev/null; done' EXIT
	cmdport=323
	up=()			# default options: --upstream=auto
	up_none=()
	none=(ip netns exec "$ns-none")
	mode="--upstream=auto, chronyd on 127.0.0.1:323 (a network namespace)"
else
	read -r cmdport dead <<<"$($PY -c '
import socket
ss = [socket.socket(type=socket.SOCK_DGRAM) for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')"
	up=(--upstream=chrony:127.0.0.1:$cmdport)
	up_none=(--upstream=chrony:127.0.0.1:$dead)
	none=()
	mode="--upstream=chrony:127.0.0.1:$cmdport (not root: a high port)"
fi
ports=$("${nsx[@]}" $PY -c '
import socket
ss = [socket.socket(type=socket.SOCK_DGRAM) for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
read -r p_ssa p_ref p_kern <<<"$ports"

cat >"$tmp/chrony.conf" <<EOF
local stratum $STRATUM
bindcmdaddress 127.0.0.1
bindcmdaddress /
cmdport $cmdport
port 0
pidfile $tmp/chronyd.pid
EOF
chr_user=(-U)	# not root: chronyd -x needs no privilege
[ "$(id -u)" = 0 ] && chr_user=(-u root)
"${nsx[@]}" chronyd -x "${chr_user[@]}" -f "$tmp/chrony.conf" -L 0 -l "$tmp/chronyd.log" ||
	die "chronyd did not start"
for i in $(seq 60); do
	"${nsx[@]}" chronyc -h 127.0.0.1 -p "$cmdport" -n tracking 2>/dev/null |
		grep -Eq "^Stratum +: $STRATUM\$" && break
	[ "$i" = 60 ] && die "chronyd never reached stratum $STRATUM: $(cat "$tmp/chronyd.log")"
	sleep 0.5
done

# ---- 1. exec-to-exit ----
head -c 48 /dev/zero | { printf '\043'; head -c 47; } >"$tmp/req48"
mkdir -m 700 "$tmp/xstate"
# The header by hand, before: chronyd's (a by-hand run waits 1 ms for
# chronyd: a few tries on a busy machine), and nothing where none answers.
for i in $(seq 20); do
	"${nsx[@]}" "$top/sntp-udp" --dump "${up[@]}" <"$tmp/req48" >"$tmp/dump" 2>&1
	grep -q "stratum $STRATUM" "$tmp/dump" && break
done
grep -q "stratum $STRATUM" "$tmp/dump" || die "not chronyd's header: $(cat "$tmp/dump")"
"${none[@]}" "$top/sntp-udp" --dump "${up_none[@]}" <"$tmp/req48" >"$tmp/dump.none" 2>&1
grep -Eq "not answering|neither chronyd nor timesyncd answers" "$tmp/dump.none" || die "an upstream answers: $(cat "$tmp/dump.none")"
ssa=$top/sntp-udp
mkdir -m 700 "$tmp/kstate"
# The state file holds chronyd's view before the loop: a first query
# that missed its 1 ms wait leaves none for 8 s.
for i in $(seq 6); do
	"${nsx[@]}" "$bin/execloop" 1 \
		"prime|udp|$ssa ${up[*]} --state-dir=$tmp/xstate --idle-timeout=0 --rate-limit=0" >/dev/null ||
		die "no reply inetd-style"
	"${nsx[@]}" "$ssa" --state-dir="$tmp/xstate" --stats | grep -q '^upstream-source: chrony' && break
	[ "$i" = 6 ] && die "chronyd's view never in the state file"
	sleep 8
done
EXECLOOP_CPU=1 "${nsx[@]}" "$bin/execloop" "$exec_n" \
	"static||$bin/oneline" \
	"fresh|udp=$STRATUM|$ssa ${up[*]} --state-dir=$tmp/xstate --idle-timeout=0 --rate-limit=0" \
	"ikernel|udp|$ssa --upstream=kernel --state-dir=$tmp/kstate --idle-timeout=0 --rate-limit=0" \
	"refresh|$tmp/req48|$ssa ${up[*]}" \
	"kernel|$tmp/req48|$ssa --upstream=kernel" >"$tmp/exec.out" 2>"$tmp/exec.err" ||
	die "execloop failed: $(cat "$tmp/exec.err")"
EXECLOOP_CPU=1 "${none[@]}" "$bin/execloop" "$exec_n" \
	"static||$bin/oneline" \
	"unreachable|$tmp/req48|$ssa ${up_none[*]}" >"$tmp/exec.none" ||
	die "execloop (unreachable) failed"
"${nsx[@]}" "$top/sntp-udp" --state-dir="$tmp/xstate" --stats >"$tmp/xstats" 2>&1

# ---- 2. 32 outstanding, pairs ----
"${nsx[@]}" "$bin/udpref" "$p_ref" 600 >"$tmp/udpref.log" 2>&1 &
ref_pid=$!
pids+=("$ref_pid")
mkdir -m 700 "$tmp/state" "$tmp/kstate2"
"${nsx[@]}" systemd-socket-activate --datagram -l "127.0.0.1:$p_ssa" "$top/sntp-udp" \
	"${up[@]}" --idle-timeout=600 --rate-limit=0 --state-dir="$tmp/state" >"$tmp/ssa.log" 2>&1 &
ssa_pid=$!
pids+=("$ssa_pid")
# The same with the kernel's header: what the view itself costs, in the
# same noise.
"${nsx[@]}" systemd-socket-activate --datagram -l "127.0.0.1:$p_kern" "$top/sntp-udp" \
	--upstream=kernel --assume-synchronized --idle-timeout=600 --rate-limit=0 \
	--state-dir="$tmp/kstate2" >"$tmp/kern.log" 2>&1 &
kern_pid=$!
pids+=("$kern_pid")
for i in $(seq 100); do
	"${nsx[@]}" ss -Hlnu "sport = :$p_ssa" | grep -q . &&
		"${nsx[@]}" ss -Hlnu "sport = :$p_kern" | grep -q . &&
		"${nsx[@]}" ss -Hlnu "sport = :$p_ref" | grep -q . && break
	sleep 0.05
done
# The first requests start sntp-udp (exec: the same PID) and its view.
UDPLOAD_STRATUM=$STRATUM "${nsx[@]}" "$bin/udpload" 127.0.0.1 "$p_ssa" 1 0.3 >/dev/null 2>&1
"${nsx[@]}" "$bin/udpload" 127.0.0.1 "$p_kern" 1 0.3 >/dev/null 2>&1
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
run() { # NAME PORT PID [ENV...]: one run, its line and the server's ticks
	local name=$1 port=$2 pid=$3 a b line; shift 3
	a=$(ticks "$pid")
	line=$(env "$@" "${nsx[@]}" "$bin/udpload" 127.0.0.1 "$port" 32 "$secs" 2>>"$tmp/wrong.$name") ||
		die "udpload $name"
	b=$(ticks "$pid")
	echo "$line $((b - a))" >>"$tmp/pair.$name"
}
# In turns, the order rotating so that none always runs first.
for r in $(seq "$pairs"); do
	case $((r % 3)) in
	1) order="ref ssa kern" ;;
	2) order="ssa kern ref" ;;
	0) order="kern ref ssa" ;;
	esac
	for t in $order; do
		case $t in
		ref) run ref "$p_ref" "$ref_pid" ;;
		ssa) run ssa "$p_ssa" "$ssa_pid" UDPLOAD_STRATUM=$STRATUM ;;
		kern) run kern "$p_kern" "$kern_pid" UDPLOAD_STRATUM=15 ;;
		esac
	done
done
"${nsx[@]}" "$top/sntp-udp" --state-dir="$tmp/state" --stats >"$tmp/stats" 2>&1

# ---- the table ----
hz=$(getconf CLK_TCK)
echo
echo "Upstream (issue 21): $mode; chronyd local stratum $STRATUM"
echo "1. exec-to-exit ($exec_n runs each, interleaved with the static floor of the same loop)"
echo "   (wall: fork to wait, waits for a core included; cpu: the run's user + system time)"
printf "  %-54s %9s %9s %6s %8s %6s %7s  %s\n" program "wall med" "wall p90" ratio "cpu med" ratio goal "verdict wall, cpu"
rows() { # FILE
	local static scpu name m p90 rss cpu label rt rc
	static=$(awk '$1 == "static" { print $2 }' "$1")
	scpu=$(awk '$1 == "static" { print $5 }' "$1")
	while read -r name m p90 rss cpu; do
		case $name in
		static) label="static one-line (cc -static)" ;;
		fresh) label="sntp-udp inetd-style, chronyd's view fresh (state file)" ;;
		refresh) label="sntp-udp by hand, asks chronyd (the refresh)" ;;
		kernel) label="sntp-udp by hand --upstream=kernel (no query)" ;;
		ikernel) label="sntp-udp inetd-style --upstream=kernel (no query)" ;;
		unreachable) label="sntp-udp by hand, port unreachable (one try)" ;;
		esac
		rt=$(ratio "$m" "$static")
		rc=$(ratio "$cpu" "$scpu")
		if [ "$name" = static ] || [ "${name%kernel}" != "$name" ]; then
			printf "  %-54s %9s %9s %6s %8s %6s\n" "$label" "$m" "$p90" "$rt" "$cpu" "$rc"
		else
			printf "  %-54s %9s %9s %6s %8s %6s %7s  %s, %s\n" "$label" "$m" "$p90" "$rt" \
				"$cpu" "$rc" "<=1.2x" "$(verdict "$rt" '<=' 1.2)" "$(verdict "$rc" '<=' 1.2)"
		fi
	done <"$1"
}
rows "$tmp/exec.out"
rows "$tmp/exec.none"
sed -n 's/^upstream-\(refreshes\|failures\): /    inetd-style runs: upstream-\1 /p' "$tmp/xstats"
sed 's/^execloop: /    (another header, a view missed: /; s/$/)/' "$tmp/exec.err"

# Medians over the pairs: rate sntp-udp / responder, and CPU per reply
# responder / sntp-udp (field 6: ticks).
read -r pr_rate pr_cpu ssa_cpu ref_cpu n_pairs <<<"$(paste -d' ' "$tmp/pair.ref" "$tmp/pair.ssa" | awk -v hz="$hz" '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$2 > 0 && $8 > 0 && $1 > 0 && $7 > 0 && $6 > 0 && $12 > 0 {
		n++; r[n] = $8 / $2; c[n] = ($6 / $1) / ($12 / $7)
		tr += $6; nr += $1; ts += $12; nsr += $7
	}
	END {
		if (!n) { print "- - - - 0"; exit }
		printf "%.3f %.3f %.2f %.2f %d\n", med(r, n), med(c, n),
			ts * 1e6 / hz / nsr, tr * 1e6 / hz / nr, n
	}')"
kern_cpu=$(awk -v hz="$hz" '$1 > 0 { n += $1; t += $6 } END { if (n) printf "%.2f", t * 1e6 / hz / n; else print "-" }' "$tmp/pair.kern")
kern_ratio=$(paste -d' ' "$tmp/pair.kern" "$tmp/pair.ssa" | awk '
	$1 > 0 && $6 > 0 && $7 > 0 && $12 > 0 { n++; c[n] = ($6 / $1) / ($12 / $7) }
	END {
		if (!n) { print "-"; exit }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
		printf "%.3f\n", n % 2 ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2
	}')
echo "2. 32 outstanding, $n_pairs rounds of ${secs}s runs in turns (replies of the right stratum only)"
printf "  %-58s %10s\n" "sntp-udp, chronyd's header: server CPU per reply" "${ssa_cpu}us"
printf "  %-58s %10s\n" "sntp-udp --upstream=kernel: server CPU per reply" "${kern_cpu}us"
printf "  %-58s %10s\n" "minimal recvmmsg/sendmmsg responder: CPU per reply" "${ref_cpu}us"
printf "  %-58s %10s\n" "  (kernel / chronyd's header, CPU per reply, median of rounds)" "$kern_ratio"
printf "  %-58s %10s\n" "  (rate sntp-udp / responder, median of rounds; no verdict)" "$pr_rate"
printf "  %-58s %10s %7s %9s  %s\n" "sntp-udp >= 0.95x responder by CPU per reply (responder/sntp)" "" \
	"$pr_cpu" ">=0.95x" "$(verdict "$pr_cpu" '>=' 0.95)"
sed -n 's/^\(upstream-[a-z]*\): /    warm process: \1 /p' "$tmp/stats"
cat "$tmp"/wrong.* 2>/dev/null | sed 's/^/    (/; s/$/)/'
