#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: the well-known ports 123 and 13 inside a network namespace
# this suite creates (loopback only), so that ntpdig (port 123 only),
# chronyd and tshark see a real server there, and clients can bind the
# privileged source ports that the drop rules name. Teardown kills what
# runs in the namespace (by PID) and deletes it, even on failure.

load ../helpers/common
load ../helpers/core-lib

setup() {
	require_root
	netns_lo sockclock-test
}

teardown() {
	netns_teardown
}

# Serve PROGRAM on 0.0.0.0:PORT in the namespace; sets $pid. A first
# request starts it (unless the program is daytime-udp).
ns_activate() {
	local port=$1 i
	shift
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram -l "0.0.0.0:$port" "$@"
	pid=$(last_pid)
	for i in $(seq 50); do
		nsx ss -Hlnu "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $port in $NS"
}

ns_owner() {
	nsx ss -Hanpu "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

nsntp() {
	nsx $PY "$TOP/tests/helpers/ntp.py" "$@"
}

# A datagram from 127.0.0.2:SRC-PORT to 127.0.0.1:PORT (the server is
# bound to 127.0.0.1 only, so that a client on the same port number
# does not receive its own request): the reply's hex, or "no reply".
from_port() {
	local port=$1 sp=$2 hex=$3 t=${4:-2}
	if nsx $PY "$NET" udp "$port" --src-host 127.0.0.2 --src-port "$sp" \
		--hex "$hex" --timeout "$t" >"$BATS_TEST_TMPDIR/reply"; then
		xxd -p -c 1000 "$BATS_TEST_TMPDIR/reply"
	else
		echo "no reply"
	fi
}

# hex of an NTP request: version, mode, and a transmit timestamp.
req_hex() {
	printf '%02x%s%s' $((($1 << 3) | $2)) "$(printf '00%.0s' $(seq 39))" eeae0102a1b2c3d4
}

# A good client request to port 123 is answered by the process $pid.
good_answered_123() {
	run nsntp 123
	assert_success
	assert_output --regexp "^len=48 leap=0 version=4 mode=4 stratum=${STRATUM:-15} "
	[ "$(ns_owner 123)" = "$pid" ] || fail "port 123 owned by $(ns_owner 123), not $pid"
}

sntp_on_123() {
	ns_activate 123 "$BIN/sntp-udp" --assume-synchronized --verbose \
		--idle-timeout=30 --rate-limit=0 "$@"
	good_answered_123
}

# The same on 127.0.0.1:123 only (for clients that bind port 123).
sntp_on_lo_123() {
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram -l 127.0.0.1:123 \
		"$BIN/sntp-udp" --assume-synchronized --verbose --idle-timeout=30 --rate-limit=0
	pid=$(last_pid)
	for i in $(seq 50); do
		nsx ss -Hlnu "sport = :123" | grep -q . && break
		sleep 0.1
	done
	good_answered_123
}

@test "ntpdig gets an answer from sntp-udp on port 123; small offset" {
	sntp_on_123
	run nsx timeout 20 ntpdig -t 3 127.0.0.1
	assert_success
	echo "# ntpdig: $output" >&3
	# 2026-11-23 03:41:45.860936 (+0000) -0.000012 +/- 0.000078 127.0.0.1 s15 no-leap
	[[ $output =~ \ ([-+][0-9.]+)\ \+/-\ ([0-9.]+)\ 127\.0\.0\.1\ s15\ no-leap$ ]] || fail "$output"
	# Under 1 ms, or within ntpdig's own error bound (+/-: half the
	# delay and the dispersion) when a loaded machine delays ntpdig's
	# user-space time stamps past that.
	abs_ok=$(awk -v o="${BASH_REMATCH[1]}" -v e="${BASH_REMATCH[2]}" \
		'BEGIN { if (o < 0) o = -o; print (o < 0.001 || o <= e) }')
	[ "$abs_ok" = 1 ] || fail "offset ${BASH_REMATCH[1]} +/- ${BASH_REMATCH[2]}"
	run nsx timeout 20 ntpdig -j -t 3 127.0.0.1
	assert_success
	echo "# ntpdig -j: $output" >&3
	run $PY -c 'import json, sys; j = json.loads(sys.argv[1]); o = abs(j["offset"]); print(j["stratum"], j["leap"], o < 0.001 or o <= j["precision"])' "$output"
	assert_output "15 no-leap True"
}

@test "source port 123 (server to server) is answered" {
	sntp_on_lo_123
	run from_port 123 123 "$(req_hex 4 3)"
	# LI 0, VN 4, mode 4 (0x24); stratum 15; origin copied
	[[ $output =~ ^240f.{44}eeae0102a1b2c3d4.{32}$ ]] || fail "$output"
	run from_port 123 123 "$(req_hex 3 1)"
	[[ $output =~ ^1a0f ]] || fail "mode 1 from 123: $output"
	grep -q 'answered (peer 127.0.0.2:123)' "$BATS_TEST_TMPDIR/bg.log"
}

@test "NTPv1 mode 0 from port 123 is dropped, from another port answered" {
	sntp_on_lo_123
	run from_port 123 123 "$(req_hex 1 0)" 0.5
	assert_output "no reply"
	wait_log 'dropped: not a client.*peer 127\.0\.0\.2:123\)' 3
	good_answered_123
	run from_port 123 1123 "$(req_hex 1 0)"
	[[ $output =~ ^0c0f ]] || fail "v1 mode 0 from 1123: $output"
	[ "$(ns_owner 123)" = "$pid" ]
}

@test "source port 0 is dropped; a good client is answered after, same process" {
	sntp_on_123
	run nsntp 123 --raw-src-port0 --timeout 0.5
	assert_output "no reply"
	wait_log 'dropped: source is port 0.*\(peer 127\.0\.0\.1:0\)' 3
	good_answered_123
}

@test "daytime-udp drops source ports 0, 7, 13, 19, 37, 1023, 2049; answers 1024+" {
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram -l 127.0.0.1:13 \
		"$BIN/daytime-udp" --verbose --idle-timeout=30 --rate-limit=0 --utc --format=iso8601
	pid=$(last_pid)
	run from_port 13 5000 00
	[ "${#output}" = 44 ] || fail "$output"
	for sp in 7 13 19 37 1023 2049 9 123; do
		run from_port 13 "$sp" 00 0.3
		assert_output "no reply"
		wait_log "dropped: a reply could start a loop \(peer 127\.0\.0\.2:$sp\)" 3
	done
	run nsntp 13 --raw-src-port0 --timeout 0.3
	wait_log 'dropped: a reply could start a loop \(peer 127\.0\.0\.1:0\)' 3
	for sp in 1024 2048 2050 65535; do
		run from_port 13 "$sp" 00
		line=$(xxd -r -p <<<"$output")
		[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'\r'$ ]] || fail "from $sp: $output"
	done
	[ "$(ns_owner 13)" = "$pid" ]
}

@test "chronyd -Q against port 123 in the namespace" {
	sntp_on_123
	d="$BATS_TEST_TMPDIR/chrony"
	mkdir -p "$d"
	cat >"$d/conf" <<-EOF
		server 127.0.0.1 iburst maxsamples 1
		pidfile $d/chronyd.pid
		logdir $d
		log measurements
	EOF
	run nsx timeout 30 chronyd -Q -f "$d/conf" -u root
	assert_success
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") || fail "$output"
	m=$(grep '^[0-9]' "$d/measurements.log" | tail -1)
	echo "# chronyd (netns, port 123): $wrong; $m" >&3
	read -r _ _ _ leapc st t1 t2 t3 _ _ _ off delay _ <<<"$m"
	[ "$t1 $t2 $t3" = "111 111 1111" ] || fail "$m"
	[ "$st" = 15 ] && [ "$leapc" = N ] || fail "$m"
	awk -v o="$(awk '{ print $5 }' <<<"$wrong")" 'BEGIN { if (o < 0) o = -o; exit !(o < 0.001) }' ||
		fail "$wrong"
}

tshark_read() {
	tshark -r "$cap" "$@" 2>/dev/null
}

@test "tshark decodes the replies as well-formed NTP server replies" {
	STRATUM=2 sntp_on_123 --stratum=2 --refid=GPS
	cap="$BATS_TEST_TMPDIR/ntp.pcapng"
	start_bg ip netns exec "$NS" tshark -i lo -f "udp port 123" -a duration:60 -w "$cap"
	tpid=$(last_pid)
	wait_log "Capturing on" 5
	nsntp 123 --version 4 >/dev/null
	nsntp 123 --version 3 >/dev/null
	nsntp 123 --version 2 --mode 1 >/dev/null
	nsx timeout 20 ntpdig -t 3 127.0.0.1 >/dev/null
	# Stop the capture once the exchanges are done (tshark writes its
	# file out on SIGINT).
	sleep 0.5
	kill -INT "$tpid"
	wait_gone "$tpid" 10 || fail "tshark did not stop"
	# 4 requests, 4 replies
	run tshark_read -Y ntp -T fields -e ntp.flags.li -e ntp.flags.vn \
		-e ntp.flags.mode -e ntp.stratum -e ntp.refid -e ntp.org -E separator=,
	assert_success
	echo "# tshark: $(tr '\n' ' ' <<<"$output")" >&3
	# replies: mode 4 for the clients, 2 for the symmetric-active one
	[ "$(grep -c '^0,4,4,2,' <<<"$output")" = 2 ] || fail "$output"
	[ "$(grep -c '^0,3,4,2,' <<<"$output")" = 1 ] || fail "$output"
	[ "$(grep -c '^0,2,2,2,' <<<"$output")" = 1 ] || fail "$output"
	[ "$(grep -c ',[24],2,' <<<"$output")" = 4 ] || fail "$output"
	run tshark_read -V -Y 'ntp.flags.mode == 4'
	assert_success
	assert_output --partial 'Mode: server (4)'
	assert_output --partial 'Version number: NTP Version 4 (4)'
	assert_output --regexp 'Peer Clock Stratum: .*\(2\)'
	assert_output --partial 'Reference ID: '
	refute_output --regexp '[Mm]alformed|Expert Info \(Error'
	run tshark_read -Y '_ws.malformed || _ws.expert.severity == error'
	assert_output ""
	# Every reply leaves with DF set and IP ID 0 (IP_PMTUDISC_PROBE,
	# serve.c), not an ID from the kernel's shared table.
	run tshark_read -Y '!icmp && (ntp.flags.mode == 4 || ntp.flags.mode == 2)' -T fields -e ip.flags.df -e ip.id -E separator=,
	assert_success
	[ "$(grep -c . <<<"$output")" = 4 ] || fail "$output"
	[ "$(grep -Ecv '^(1|True),0x0+$' <<<"$output")" = 0 ] || fail "replies not DF with ID 0: $output"
}
