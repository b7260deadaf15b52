#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench (NTS-KE part): key exchanges a second of nts-ke-tcp through
# systemd-socket-activate --accept (a process per exchange) and with a
# listening socket (one process), against chronyd's NTS-KE server in the
# same run, with tests/bench/keclient (GnuTLS, a new TCP connection and
# full TLS 1.3 handshake each, 8 cookies checked); and nts-ke-tcp's
# exec-to-exit with its certificate loaded against the static floor;
# and NTS-authenticated NTP replies a second with 32 outstanding
# (tests/bench/ntsload, cookies from a key exchange before each run):
# sntp-udp (systemd-socket-activate --datagram, --rate-limit=0, the key
# file of the nts-ke-tcp above) against the same chronyd's NTS server
# (no ratelimit directive: chronyd limits no rate unless told to); and
# the same sntp-udp given --nts-master-key (keys derived from a master
# secret, a copy of the listening nts-ke-tcp's beside it): the cost of
# the derivation per NTS reply against the key file.
#   tests/bench/ke-bench.sh BENCHDIR   (BENCHDIR: the built clients)
# Knobs: BENCH_KE_SECONDS (per run, default 2), BENCH_KE_THREADS
# (clients at once, default 4), BENCH_ROUNDS (default 3 here),
# BENCH_EXEC_N (default 200), BENCH_NTS_SECONDS (per NTS NTP run,
# default 1), BENCH_NTS_ROUNDS (default 5).
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$1
secs=${BENCH_KE_SECONDS:-2}
threads=${BENCH_KE_THREADS:-4}
rounds=${BENCH_ROUNDS:-3}
exec_n=${BENCH_EXEC_N:-200}
nts_secs=${BENCH_NTS_SECONDS:-1}
nts_rounds=${BENCH_NTS_ROUNDS:-5}
PY=/usr/bin/python3

BENCH_NAME=ke-bench
. tests/bench/benchlib.sh

. "$top/tests/helpers/ntske.bash"
ntske_certs "$tmp" >"$tmp/certtool.log" 2>&1 || die "certtool failed"
read -r p_acc p_lis p_chr p_chrntp p_sntp p_lism p_sntpm <<<"$($PY -c '
import socket
ss = [socket.socket() for _ in range(3)] + [socket.socket(type=socket.SOCK_DGRAM) for _ in range(2)]
ss += [socket.socket(), socket.socket(type=socket.SOCK_DGRAM)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
ke=(--cert="$tmp/srv.crt" --key="$tmp/srv.key" --nts-keys="$tmp/nts-keys")
bg accept systemd-socket-activate --accept -l "127.0.0.1:$p_acc" "$top/nts-ke-tcp" "${ke[@]}"
bg listen systemd-socket-activate -l "127.0.0.1:$p_lis" "$top/nts-ke-tcp" "${ke[@]}" --idle-timeout=600
bg sntp systemd-socket-activate --datagram -l "127.0.0.1:$p_sntp" "$top/sntp-udp" \
	--nts-keys="$tmp/nts-keys" --rate-limit=0 --idle-timeout=600
sntp_pid=${pids[-1]} # s-s-activate execs the program in place
"$top/nts-ke-tcp" --make-master-key="$tmp/master" 2>/dev/null || die "no master key"
cp "$tmp/master" "$tmp/master.ntp"
bg listen-master systemd-socket-activate -l "127.0.0.1:$p_lism" "$top/nts-ke-tcp" \
	--cert="$tmp/srv.crt" --key="$tmp/srv.key" --nts-master-key="$tmp/master" --idle-timeout=600
bg sntp-master systemd-socket-activate --datagram -l "127.0.0.1:$p_sntpm" "$top/sntp-udp" \
	--nts-master-key="$tmp/master.ntp" --rate-limit=0 --idle-timeout=600
sntpm_pid=${pids[-1]}
mkdir "$tmp/chrony"
cat >"$tmp/chrony.conf" <<CONF
local stratum 10
allow 127.0.0.1
bindaddress 127.0.0.1
port $p_chrntp
ntsport $p_chr
ntsservercert $tmp/srv.crt
ntsserverkey $tmp/srv.key
ntsdumpdir $tmp/chrony
cmdport 0
pidfile $tmp/chronyd.pid
CONF
chr_user=()
[ "$(id -u)" = 0 ] && chr_user=(-u root)
bg chronyd chronyd -d -x "${chr_user[@]}" -f "$tmp/chrony.conf"
chronyd_pid=${pids[-1]}
for p in $p_acc $p_lis $p_chr $p_lism; do
	for i in $(seq 100); do ss -Hlnt "sport = :$p" | grep -q . && break; sleep 0.05; done
done

rate() { # port: exchanges/s of one run (0 when any failed)
	"$bin/keclient" --ca="$tmp/ca.crt" --threads="$threads" --seconds="$secs" 127.0.0.1 "$1" |
		awk '{ print ($4 == 0 ? $8 : 0) }'
}
declare -A best=([accept]=0 [listen]=0 [chronyd]=0)
for r in $(seq "$rounds"); do
	for k in accept listen chronyd; do
		case $k in accept) p=$p_acc ;; listen) p=$p_lis ;; chronyd) p=$p_chr ;; esac
		v=$(rate "$p")
		best[$k]=$(awk -v a="${best[$k]}" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
	done
done

# NTS NTP, 32 outstanding, in turns, best round: a key exchange with
# the server's own KE (sntp-udp's keys are nts-ke-tcp's), then ntsload.
# Its line: verified rps naks lost late bad placeholders-per-request
# starved, then the server's CPU ticks meanwhile.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
nts_run() { # ke-port ntp-port server-pid
	local a b line
	"$bin/keclient" --cookies --ca="$tmp/ca.crt" 127.0.0.1 "$1" >"$tmp/ke.out" || return 1
	a=$(ticks "$3")
	line=$("$bin/ntsload" 127.0.0.1 "$2" 32 "$nts_secs" <"$tmp/ke.out") || return 1
	b=$(ticks "$3")
	echo "$line $((b - a))"
}
for r in $(seq "$nts_rounds"); do
	# The master-key run first in every other round: its figure
	# against the key file's is not one of order.
	[ $((r % 2)) = 0 ] && { nts_run "$p_lism" "$p_sntpm" "$sntpm_pid" >>"$tmp/nts.master" ||
		die "sntp-udp master-key NTS run failed"; }
	nts_run "$p_lis" "$p_sntp" "$sntp_pid" >>"$tmp/nts.sntp" || die "sntp-udp NTS run failed"
	nts_run "$p_chr" "$p_chrntp" "$chronyd_pid" >>"$tmp/nts.chronyd" || die "chronyd NTS run failed"
	[ $((r % 2)) = 1 ] && { nts_run "$p_lism" "$p_sntpm" "$sntpm_pid" >>"$tmp/nts.master" ||
		die "sntp-udp master-key NTS run failed"; }
done

# exec-to-exit: the static floor; nts-ke-tcp by hand (no TLS); and
# nts-ke-tcp given a listening socket (inetd wait), which loads the
# certificate, the key and the key file and exits (--idle-timeout=0).
exec_times=$($PY - "$exec_n" "$bin/oneline" "$top/nts-ke-tcp" "${ke[@]}" <<'PY'
import socket, statistics, subprocess, sys, time
n, floor, prog, args = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
runs = {"static floor": ([floor], subprocess.DEVNULL),
        "nts-ke-tcp by hand": ([prog], subprocess.DEVNULL),
        "nts-ke-tcp, certificate loaded": ([prog] + args + ["--idle-timeout=0"], lst.fileno())}
t = {k: [] for k in runs}
for _ in range(n):
    for k, (argv, stdin) in runs.items():
        a = time.perf_counter()
        r = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t[k].append((time.perf_counter() - a) * 1e6)
        if r.returncode != 0:
            sys.exit(f"{k}: exit {r.returncode}")
for k, v in t.items():
    print(f"{k};{statistics.median(v):.0f}")
PY
) || die "exec-to-exit runs failed"

printf '\n%-58s %12s %8s\n' "NTS-KE (keclient: $threads clients, ${secs}s runs, best of $rounds)" "figure" "ratio"
row() { printf '%-58s %12s %8s\n' "$1" "$2" "$3"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
row "chronyd NTS-KE, key exchanges/s" "${best[chronyd]}/s" ""
row "nts-ke-tcp, s-s-activate --accept, key exchanges/s" "${best[accept]}/s" "$(ratio "${best[accept]}" "${best[chronyd]}")"
row "nts-ke-tcp, s-s-activate listening, key exchanges/s" "${best[listen]}/s" "$(ratio "${best[listen]}" "${best[chronyd]}")"
floor=$(awk -F';' 'NR == 1 { print $2 }' <<<"$exec_times")
hz=$(getconf CLK_TCK)
# best round's rate, and over all rounds: naks, lost, late, bad,
# starved runs, server CPU us per verified reply
nts_sum() {
	sort -n -k2 "$1" | awk -v hz="$hz" '{ best = $2; n += $1; k += $3; l += $4; e += $5; b += $6; s += $8; t += $9 }
		END { printf "%s %d %d %d %d %d %s\n", best, k, l, e, b, s, (n > 0 && t > 0) ? sprintf("%.2f", t * 1e6 / hz / n) : "-" }'
}
read -r ns_rate ns_nak ns_lost ns_late ns_bad ns_starved ns_cpu <<<"$(nts_sum "$tmp/nts.sntp")"
read -r nm_rate nm_nak nm_lost nm_late nm_bad nm_starved nm_cpu <<<"$(nts_sum "$tmp/nts.master")"
read -r nc_rate nc_nak nc_lost nc_late nc_bad nc_starved nc_cpu <<<"$(nts_sum "$tmp/nts.chronyd")"
while IFS=';' read -r name us; do
	row "exec-to-exit median, $name" "${us}us" "$(ratio "$us" "$floor")"
done <<<"$exec_times"

printf '\n%-58s %12s %8s  %s\n' "NTS NTP (ntsload: 32 outstanding, ${nts_secs}s runs, best of $nts_rounds)" "figure" "ratio" "verdict"
nts_row() { # label rate naks lost late bad starved cpu
	printf '%-58s %12s\n' "$1" "$2/s"
	printf '%-58s %12s\n' "  (all rounds: NAKs $3, lost $4 (late $5), bad $6, starved $7)" "${8}us/r"
}
nts_row "chronyd NTS, verified replies/s" "$nc_rate" "$nc_nak" "$nc_lost" "$nc_late" "$nc_bad" "$nc_starved" "$nc_cpu"
nts_row "sntp-udp NTS (s-s-activate), verified replies/s" "$ns_rate" "$ns_nak" "$ns_lost" "$ns_late" "$ns_bad" "$ns_starved" "$ns_cpu"
rt=$(ratio "$ns_rate" "$nc_rate")
printf '%-58s %12s %8s  %s\n' "sntp-udp NTS >= 1.0x chronyd NTS, 32 outstanding" "$ns_rate/s" "$rt" \
	"$(awk -v r="${rt%x}" 'BEGIN { print (r != "-" && r + 0 >= 1.0) ? "ok" : "MISS" }')"
# rounds ran in pairs (sntp-udp, then chronyd; a line: 9 fields, the
# rate second): the median of the pairs'
# ratios shrugs off the load of the machine drifting between rounds
pr=$(paste -d' ' "$tmp/nts.sntp" "$tmp/nts.chronyd" | awk '{ print ($11 > 0 ? $2 / $11 : 0) }' |
	sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2fx", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "-" }')
printf '%-58s %12s %8s\n' "  (same, median of the $nts_rounds paired rounds' ratios)" "" "$pr"
rt=$(awk -v a="$nc_cpu" -v b="$ns_cpu" 'BEGIN { if (a != "-" && b > 0) printf "%.2fx", a / b; else print "-" }')
printf '%-58s %12s %8s\n' "  (same, by server CPU per reply: chronyd / sntp-udp)" "${ns_cpu}us" "$rt"
nts_row "sntp-udp NTS, --nts-master-key, verified replies/s" "$nm_rate" "$nm_nak" "$nm_lost" "$nm_late" "$nm_bad" "$nm_starved" "$nm_cpu"
rt=$(awk -v a="$nm_cpu" -v b="$ns_cpu" 'BEGIN { if (a != "-" && b > 0) printf "%.2fx", a / b; else print "-" }')
printf '%-58s %12s %8s\n' "  (CPU per reply, master key / key file)" "${nm_cpu}us" "$rt"
