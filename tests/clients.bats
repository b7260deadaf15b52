#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Real NTP clients against sntp-udp under systemd-socket-activate
# --datagram on a free loopback port: chronyd -Q and python3-ntplib.
# (ntpdig only talks to port 123 and tshark needs root to capture: both
# are in root/netns.bats.) What each client reported goes to the TAP
# output as "# ..." lines.

load helpers/common
load helpers/core-lib

teardown() {
	stop_servers
	no_sanitizer_report
}

# sntp-udp on $port; a first request starts it so that later exchanges
# do not include the start of the process.
serve() {
	local cold=
	[ "$1" = cold ] && { cold=1; shift; }
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --idle-timeout=20 "$@"
	pid=$(last_pid)
	[ -n "$cold" ] && return 0
	ntp "$port" >/dev/null || fail "no answer to the first request"
}

# |x| < bound, both decimal numbers (exponents allowed).
abs_below() {
	awk -v x="$1" -v b="$2" 'BEGIN { if (x < 0) x = -x; exit !(x < b) }'
}

# chronyd -Q against 127.0.0.1:$port, one sample; sets $offset (from
# "System clock wrong by X seconds") and $delay, $tests from its
# measurements log.
chrony_query() {
	local d="$BATS_TEST_TMPDIR/chrony" user
	mkdir -p "$d"
	chmod 755 "$d"
	user=$(id -un)
	cat >"$d/conf" <<-EOF
		server 127.0.0.1 port $port iburst maxsamples 1
		pidfile $d/chronyd.pid
		logdir $d
		log measurements
	EOF
	run timeout 30 chronyd -Q -f "$d/conf" -u "$user"
	assert_success
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
		fail "no offset from chronyd: $output"
	offset=$(awk '{ print $5 }' <<<"$wrong")
	m=$(grep '^[0-9]' "$d/measurements.log" | tail -1)
	[ -n "$m" ] || fail "no measurement: $(cat "$d/measurements.log")"
	# Date Time IP L St 123 567 ABCD LP RP Score Offset Peer-delay ...
	read -r _ _ ip leapc st t1 t2 t3 _ _ _ moffset delay _ <<<"$m"
	tests="$t1 $t2 $t3"
	echo "# chronyd: $wrong; measurement: leap $leapc stratum $st tests $tests offset $moffset delay $delay" >&3
}

@test "chronyd -Q: offset under 1 ms, every NTP test passed, stratum 15" {
	serve --assume-synchronized
	chrony_query
	# chrony's packet tests (RFC 5905 TEST1-3, 5-7, A-D) all passed
	[ "$tests" = "111 111 1111" ] || fail "tests $tests"
	[ "$st" = 15 ] && [ "$leapc" = N ] || fail "stratum $st leap $leapc"
	abs_below "$offset" 0.001 || fail "offset $offset"
	awk -v o="$moffset" -v d="$delay" \
		'BEGIN { if (o < 0) o = -o; exit !(o <= d / 2 + 1e-6) }' ||
		fail "offset $moffset outside delay/2 ($delay)"
}

@test "chronyd -Q against a server it starts (first request): offset bounded" {
	# The first request is queued before the program exists; under
	# systemd-socket-activate there is no kernel timestamp for it, so the
	# receive time is the program's start: bounded, not exact.
	# The bound: with the program's start S as receive time, offset =
	# ((S - T1) - (T4 - T3)) / 2, half the time from the request to the
	# program's start: half a start-up, about 1 ms here, a few under
	# ASan, tens on a loaded host. So the bound is a whole start-up of
	# this build through the same activation, timed twice straight after
	# (the slower; not before: a running sntp-udp turns the host's receive
	# stamps on, and the sample would be stamped): the sample may take
	# twice as long as that; and never under 5 ms, the bound a quiet host
	# always met.
	serve cold --assume-synchronized --stratum=3
	chrony_query
	[ "$st" = 3 ] || fail "stratum $st"
	local first bound
	cold_start_cost
	first=$startup
	cold_start_cost
	bound=$(awk -v a="$first" -v b="$startup" 'BEGIN { m = a > b ? a : b; print (m > 0.005 ? m : 0.005) }')
	echo "# start-up of this build, twice: $first s, $startup s; offset bound $bound s" >&3
	abs_below "$offset" "$bound" || fail "offset $offset, bound $bound"
	# The start lies between the client's send and its receive, as a
	# kernel stamp would: |offset| <= delay/2 holds for it too (a receive
	# time 1 ms early passed the 5 ms bound).
	[ "$tests" = "111 111 1111" ] || fail "tests $tests"
	awk -v o="$moffset" -v d="$delay" \
		'BEGIN { if (o < 0) o = -o; exit !(o <= d / 2 + 1e-6) }' ||
		fail "offset $moffset outside delay/2 ($delay)"
}

@test "python3-ntplib versions 1-4: version echoed, mode 4, stratum 15, leap 0" {
	serve --assume-synchronized
	for v in 1 2 3 4; do
		run net ntplib "$port" "$v"
		assert_success
		echo "# ntplib v$v: $output" >&3
		[[ $output =~ ^version=$v\ mode=4\ stratum=15\ leap=0\ offset=([-0-9.]+)\ delay=([-0-9.]+)$ ]] ||
			fail "$output"
		# Same clock on both ends: a server whose receive and transmit
		# times lie between the client's send and receive gives
		# |offset| <= delay / 2 whatever the load (1 us of rounding).
		# That is the bound: ntplib stamps in Python, so a client
		# descheduled between its receive and its stamp (2.2 ms of 4.8
		# seen on a busy host) widens the delay and the offset with it;
		# a fixed 5 ms on top held only for samples under 10 ms.
		awk -v o="${BASH_REMATCH[1]}" -v d="${BASH_REMATCH[2]}" \
			'BEGIN { if (o < 0) o = -o; exit !(o <= d / 2 + 1e-6) }' ||
			fail "offset outside delay/2: $output"
	done
	[ "$(socket_owner "$port" udp)" = "$pid" ]
}

@test "python3-ntplib sees --stratum, --refid and --root-delay" {
	serve --assume-synchronized --stratum=1 --refid=GPS --root-delay=0.5
	run $PY -c '
import ntplib, sys
r = ntplib.NTPClient().request("127.0.0.1", port=int(sys.argv[1]), version=4, timeout=3)
print(r.stratum, "%08x" % r.ref_id, r.root_delay, r.leap)
' "$port"
	assert_success
	assert_output "1 47505300 0.5 0"	# "GPS\0"
	serve --assume-synchronized --refid=192.0.2.7
	run $PY -c '
import ntplib, sys
r = ntplib.NTPClient().request("127.0.0.1", port=int(sys.argv[1]), version=3, timeout=3)
print(ntplib.ref_id_to_text(r.ref_id, r.stratum))
' "$port"
	assert_output "192.0.2.7"
}

@test "without --assume-synchronized: the kernel's state (LI, stratum)" {
	read -r sync _ < <(net kernel-clock)
	echo "# kernel clock: $sync" >&3
	serve
	run ntp "$port"
	assert_success
	run net ntplib "$port" 4
	assert_success
	echo "# ntplib, no --assume-synchronized: $output" >&3
	if [ "$sync" = unsynchronized ]; then
		assert_output --regexp '^version=4 mode=4 stratum=0 leap=3 '
		run ntp "$port" --version 3
		assert_output --regexp '^len=48 leap=3 version=3 mode=4 stratum=0 '
		assert_output --partial 'rootdelay=65536 rootdisp=65536 refid=00000000 reftime=0000000000000000'
	else
		host_clock
		assert_output --regexp "^version=4 mode=4 stratum=$CLOCK_STRATUM leap=$CLOCK_LEAP "
	fi
}
