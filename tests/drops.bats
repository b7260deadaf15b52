#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Bad input on the datagram programs: every drop rule (doc/protocols.md) gets no
# reply, and a good request right after is answered by the same process
# (the PID that owns the socket does not change). Then what is accepted:
# NTPv1 mode 0, mode 1, requests with extension fields or a MAC.

load helpers/common
load helpers/core-lib

teardown() {
	stop_servers
	no_sanitizer_report
}

# sntp-udp under systemd-socket-activate --datagram, started by a first
# good request; $port, $pid.
start_sntp() {
	port=$(free_port udp)
	# --rate-limit=0: these packets all come from 127.0.0.1; the per-source
	# limit is not what this suite tests.
	activate "$port" --datagram -- "$BIN/sntp-udp" --verbose --idle-timeout=30 \
		--rate-limit=0 "$@"
	pid=$(last_pid)
	good_answered
}

# A good v4 client request is answered, by the process $pid.
good_answered() {
	run ntp "$port"
	assert_success
	assert_output --regexp '^len=48 leap=[0-3] version=4 mode=4 '
	same_process
}

same_process() {
	local owner
	owner=$(socket_owner "$port" udp)
	[ "$owner" = "$pid" ] || fail "socket owned by '$owner', not $pid: $(ss -Hunap "sport = :$port")"
	[ "$(cat "/proc/$pid/comm")" = "${1:-sntp-udp}" ] || fail "pid $pid is $(cat "/proc/$pid/comm")"
}

# dropped REASON [--hex HEX | --version V --mode M --len N]: the packet
# gets no reply while a good request sent right after it from the same
# socket does (a reply to the bad one would come first); the log says
# why, once; the same process still owns the socket.
dropped() {
	local why=$1 before hex
	shift
	if [ "$1" = --hex ]; then hex=$2; else hex=$(ntp_hex "$@"); fi
	before=$(grep -c dropped "$BATS_TEST_TMPDIR/bg.log" || true)
	run net pair "$port" "$hex"
	[ "$output" = "bad dropped, good answered" ] || fail "$*: $output"
	wait_log "dropped: $why" 2
	[ "$(grep -c dropped "$BATS_TEST_TMPDIR/bg.log")" = $((before + 1)) ] ||
		fail "$*: $(tail -3 "$BATS_TEST_TMPDIR/bg.log")"
	grep dropped "$BATS_TEST_TMPDIR/bg.log" | tail -1 | grep -q "dropped: $why" ||
		fail "$*: wrong reason: $(grep dropped "$BATS_TEST_TMPDIR/bg.log" | tail -1)"
	same_process
}

# hex of a 48-byte packet: first byte, then 39 zero bytes, then an
# 8-byte transmit timestamp.
pkt48() {
	printf '%s%s%s' "$1" "$(printf '00%.0s' $(seq 39))" "${2:-eeae0102a1b2c3d4}"
}

@test "drop: short (0, 8, 12, 47 bytes)" {
	start_sntp
	dropped length --len 47
	dropped length --len 12
	# ntpq's readvar (mode 6, opcode 2), 12 bytes as ntpq sends it
	dropped length --hex 160200010000000000000000
	# the classic monlist request (mode 7, request 42), 8 bytes
	dropped length --hex 1700032a00000000
	dropped length --hex ""
	# and one that waits for a reply on its own
	run ntp "$port" --len 47 --timeout 1
	assert_output "no reply"
	good_answered
}

@test "drop: not a multiple of 4 bytes (49, 50, 51, 70)" {
	start_sntp
	for n in 50 49 51 70; do dropped length --len "$n"; done
}

@test "drop: version 0, 5, 6, 7" {
	start_sntp
	for v in 0 5 6 7; do dropped version --version "$v" --mode 3; done
	# 48 bytes of 0xff: version 7 mode 7
	dropped version --hex "$(printf 'ff%.0s' $(seq 48))"
}

@test "drop: mode 0 with version 2, 3, 4 (only NTPv1 had no mode)" {
	start_sntp
	for v in 2 3 4; do dropped "not a client" --version "$v" --mode 0; done
}

@test "drop: replies (modes 2 and 4) and broadcast (mode 5)" {
	start_sntp
	for m in 2 4 5; do
		for v in 4 3; do dropped "not a client" --version "$v" --mode "$m"; done
	done
}

@test "drop: control (mode 6) and private (mode 7) queries of 48 bytes" {
	start_sntp
	# readvar, padded to 48 bytes
	dropped "not a client" --hex "16020001$(printf '00%.0s' $(seq 44))"
	# monlist, padded to 48 bytes as the amplification scanners send it
	dropped "not a client" --hex "1700032a$(printf '00%.0s' $(seq 44))"
	dropped "not a client" --hex "1700032a$(printf '00%.0s' $(seq 68))"
	dropped "not a client" --version 2 --mode 7
	dropped "not a client" --version 4 --mode 6
}

@test "drop rules do not depend on --assume-synchronized" {
	start_sntp --assume-synchronized
	dropped length --len 47
	dropped version --version 0
	dropped "not a client" --mode 4
}

@test "accept: NTPv1 mode 0 from an ordinary port, answered v1 mode 4" {
	start_sntp --assume-synchronized
	run ntp "$port" --hex "$(pkt48 08)"
	assert_success
	assert_output --regexp '^len=48 leap=0 version=1 mode=4 stratum=15 '
	assert_output --partial 'org=eeae0102a1b2c3d4'
	same_process
}

@test "accept: mode 1 (symmetric active) gets mode 2" {
	start_sntp --assume-synchronized --stratum=4
	for v in 4 3 2 1; do
		run ntp "$port" --version "$v" --mode 1
		assert_success
		assert_output --regexp "^len=48 leap=0 version=$v mode=2 stratum=4 "
	done
	same_process
}

@test "accept: 52, 68, 72 and 1024-byte requests (extensions, MAC) get 48 bytes" {
	start_sntp
	for n in 52 68 72 1024; do
		run ntp "$port" --len "$n"
		assert_success
		assert_output --regexp '^len=48 .*version=4 mode=4 '
	done
	# a MAC-like tail does not change the origin copied
	run ntp "$port" --hex "$(pkt48 23 0102030405060708)$(printf 'ab%.0s' $(seq 20))"
	assert_output --regexp '^len=48 .*org=0102030405060708 '
	same_process
}

@test "a burst of bad packets between good ones: the same process answers" {
	start_sntp
	hexes=()
	for args in "--len 47" "--version 0" "--mode 4" "--mode 6" "--mode 7" "--len 50"; do
		hexes+=("$(ntp_hex $args)")
	done
	net burst "$port" 20 "${hexes[@]}"
	good_answered
	for i in $(seq 20); do
		[ "$(grep -c dropped "$BATS_TEST_TMPDIR/bg.log")" -ge 120 ] && break
		sleep 0.1
	done
	[ "$(grep -c dropped "$BATS_TEST_TMPDIR/bg.log")" = 120 ] ||
		fail "$(grep -c dropped "$BATS_TEST_TMPDIR/bg.log") drops logged"
}

# inetd-style (a socket with datagrams queued on standard input, as
# inetd's wait mode hands it over): two clients' datagrams in one batch,
# the first dropped; the reply must go to the second, from its slot.
@test "one batch, the first datagram dropped: the next client gets its reply, the dropped one none" {
	run timeout 20 "$PY" - "$BIN/sntp-udp" <<'PYEOF'
import socket, subprocess, sys
srv = socket.socket(type=socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 0))
a, b = (socket.socket(type=socket.SOCK_DGRAM) for _ in range(2))
for c in (a, b):
    c.connect(srv.getsockname())
    c.settimeout(3)
a.send(bytes([0x23]) + bytes(46))        # 47 bytes: dropped
b.send(bytes([0x23]) + bytes(39) + b"ORIGIN!!")
subprocess.run([sys.argv[1], "--idle-timeout=0", "--rate-limit=0",
                "--upstream=kernel"], stdin=srv.fileno(), check=True, timeout=10)
r = b.recv(100)
print("b", len(r), r[24:32])
try:
    print("a", len(a.recv(100)))
except socket.timeout:
    print("a none")
PYEOF
	assert_success
	assert_line "b 48 b'ORIGIN!!'"
	assert_line "a none"
}

# Build a request's hex like ntp.py would (first byte, length).
ntp_hex() {
	local v=4 m=3 n=48
	while [ $# -gt 0 ]; do
		case $1 in
		--version) v=$2 ;; --mode) m=$2 ;; --len) n=$2 ;;
		esac
		shift 2
	done
	local h
	h=$(printf '%02x' $(((v << 3) | m)))$(printf '00%.0s' $(seq 47))
	if ((n >= 48)); then
		h+=$(printf '00%.0s' $(seq $((n - 48))) | head -c $((2 * (n - 48))))
	else
		h=${h:0:$((2 * n))}
	fi
	echo "$h"
}

@test "daytime-udp ignores the content: any datagram from a high port gets a line" {
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/daytime-udp" --utc --format=iso8601 --idle-timeout=30
	pid=$(last_pid)
	for hex in "" 00 "$(pkt48 23)" "$(pkt48 17)" "$(printf 'ff%.0s' $(seq 1400))" 0d0a; do
		run net udp "$port" --hex "$hex"
		assert_success
		[[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'\r'$ ]] ||
			fail "reply to '${hex:0:20}': $(printf %s "$output" | xxd)"
		same_process daytime-udp
	done
	src=$(free_port udp)
	for p in 1024 2050 "$src"; do
		run net udp "$port" --src-port "$p" --hex 00
		assert_success
		[[ $output == *Z$'\r' ]] || fail "from port $p: $output"
	done
	same_process daytime-udp
}

# Issue 13: the kiss-o'-death's content over the wire (RFC 5905 §7.4):
# LI 3, stratum 0, kiss code RATE, and origin, receive and transmit all
# the request's transmit timestamp (no time of the server's own).
@test "over the rate limit: a RATE kiss-o'-death whose timestamps are the request's own, not spent on an invalid request" {
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --idle-timeout=30 --rate-limit=0.1 --rate-burst=1
	local xmt=eeae0102a1b2c3d4 req
	req=$(printf '23%s%s' "$(printf '00%.0s' $(seq 39))" "$xmt")
	run ntp "$port" --hex "$req"
	assert_output --regexp '^len=48 leap=[0-3] version=4 mode=4 '
	# Over the limit but invalid (mode 7): silence, and the source's
	# kiss-o'-death is not spent on it (the 8 s timer): the next valid
	# request gets it.
	run ntp "$port" --mode 7 --timeout 0.5
	assert_output "no reply"
	run ntp "$port" --hex "$req"
	assert_success
	assert_output --regexp '^len=48 leap=3 version=4 mode=4 stratum=0 '
	assert_output --partial "refid=52415445 "
	assert_output --partial "org=$xmt rec=$xmt xmt=$xmt"
	# At most one a source per 8 s: the next refused request gets nothing.
	run ntp "$port" --hex "$req" --timeout 0.5
	assert_output "no reply"
}
