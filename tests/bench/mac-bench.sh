#!/bin/bash
# SPDX-License-Identifier: ISC
# Symmetric-key NTP: MAC'd replies a second with 32
# outstanding (tests/bench/macload: SHA1 and AES128 keys, every reply's
# MAC checked with Nettle), sntp-udp --keys (systemd-socket-activate
# --datagram, --rate-limit=0) against chronyd -x serving the same key
# file in the same run, in pairs of rounds; and the server's CPU per
# reply (utime + stime ticks over the round).
#   tests/bench/mac-bench.sh BENCHDIR   (BENCHDIR: the built clients)
# Knobs: BENCH_MAC_SECONDS (per run, default 1), BENCH_MAC_ROUNDS
# (default 5).
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$1
secs=${BENCH_MAC_SECONDS:-1}
rounds=${BENCH_MAC_ROUNDS:-5}
PY=/usr/bin/python3

BENCH_NAME=mac-bench
. tests/bench/benchlib.sh

SHA1=0123456789abcdef0123456789abcdef01234567
AES=2b7e151628aed2a6abf7158809cf4f3c
printf '1 SHA1 HEX:%s\n2 AES128 HEX:%s\n' $SHA1 $AES >"$tmp/keys"
chmod 600 "$tmp/keys"
read -r p_sntp p_chr <<<"$($PY -c '
import socket
ss = [socket.socket(type=socket.SOCK_DGRAM) for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')"

systemd-socket-activate --datagram -l "127.0.0.1:$p_sntp" "$top/sntp-udp" \
	--idle-timeout=600 --rate-limit=0 --assume-synchronized --keys="$tmp/keys" \
	>"$tmp/sntp.log" 2>&1 &
sntp_pid=$!
pids+=("$sntp_pid")
cat >"$tmp/chrony.conf" <<EOF
port $p_chr
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 10
keyfile $tmp/keys
cmdport 0
pidfile $tmp/chronyd.pid
EOF
chronyd -x -u root -f "$tmp/chrony.conf" -L 0 -l "$tmp/chronyd.log" || die "chronyd did not start"
for i in $(seq 50); do [ -s "$tmp/chronyd.pid" ] && break; sleep 0.1; done
chronyd_pid=$(cat "$tmp/chronyd.pid")
# The first request starts sntp-udp (exec: the same PID).
"$bin/macload" 127.0.0.1 "$p_sntp" 1 0.2 sha1 1 $SHA1 >/dev/null || die "no sntp-udp"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
run() { # port pid type id key
	local a b line
	a=$(ticks "$2")
	line=$("$bin/macload" 127.0.0.1 "$1" 32 "$secs" "$3" "$4" "$5") || return 1
	b=$(ticks "$2")
	echo "$line $((b - a))"
}
for r in $(seq "$rounds"); do
	for t in "sha1 1 $SHA1" "aes128 2 $AES"; do
		set -- $t
		run "$p_sntp" "$sntp_pid" "$1" "$2" "$3" >>"$tmp/sntp.$1" || die "sntp-udp run"
		run "$p_chr" "$chronyd_pid" "$1" "$2" "$3" >>"$tmp/chronyd.$1" || die "chronyd run"
	done
done

hz=$(getconf CLK_TCK)
# best round's rate; over all rounds: lost, bad, CPU µs per reply.
sum() {
	awk -v hz="$hz" '{ if ($2 > best) best = $2; n += $1; lost += $3; bad += $4; t += $5 }
		END { printf "%d %d %d %.2f\n", best, lost, bad, n ? t * 1e6 / hz / n : 0 }' "$1"
}
printf '\n%-58s %12s %8s  %s\n' "Symmetric keys (macload: 32 outstanding, ${secs}s runs, best of $rounds)" "figure" "ratio" "verdict"
for t in sha1 aes128; do
	read -r cr cl cb cc <<<"$(sum "$tmp/chronyd.$t")"
	read -r sr sl sb sc <<<"$(sum "$tmp/sntp.$t")"
	rt=$(awk -v a="$sr" -v b="$cr" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
	printf '%-58s %12s\n' "chronyd ${t^^}, MAC'd replies/s (lost $cl, bad $cb)" "$cr/s"
	printf '%-58s %12s\n' "  CPU per reply" "${cc}us/r"
	printf '%-58s %12s\n' "sntp-udp ${t^^}, MAC'd replies/s (lost $sl, bad $sb)" "$sr/s"
	printf '%-58s %12s\n' "  CPU per reply" "${sc}us/r"
	printf '%-58s %12s %8s  %s\n' "sntp-udp ${t^^} >= 1.0x chronyd, 32 outstanding" "$sr/s" "$rt" \
		"$(awk -v r="${rt%x}" 'BEGIN { print (r != "-" && r + 0 >= 1.0) ? "ok" : "MISS" }')"
done
