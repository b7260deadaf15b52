#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: sntp-udp with default options takes its header from a real
# chronyd, in a network namespace this suite creates (so that chronyd's
# command port can be 127.0.0.1:323 and nothing on the host is seen or
# touched). chronyd A: `local stratum 1`; chronyd B: -x (never touches
# the clock), follows A, command port 127.0.0.1:323, and answers NTP
# itself: its own reply is the header sntp-udp must serve. Neither
# opens a Unix command socket (bindcmdaddress /). Then B stops: within
# 16 s sntp-udp serves the kernel's word; B back unsynchronised: LI 3.

load ../helpers/common
load ../helpers/core-lib

setup() {
	require_root
	netns_lo sockclock-up
	D=$BATS_TEST_TMPDIR
	mkdir -m 700 "$D/state"
	port=12300 pa=11123 pb=11124
}

teardown() {
	netns_teardown
}

start_a() {
	cat >"$D/a.conf" <<-EOF
		local stratum 1
		allow 127.0.0.1
		port $pa
		bindcmdaddress /
		cmdport 0
		pidfile $D/a.pid
	EOF
	nsx chronyd -x -u root -f "$D/a.conf" -L 0 -l "$D/a.log"
}

# B polls A every 16 s after its first burst, so that its reference
# time holds still long enough to be compared.
start_b() {
	cat >"$D/b.conf" <<-EOF
		server 127.0.0.1 port $pa iburst minpoll 4 maxpoll 4
		bindcmdaddress 127.0.0.1
		bindcmdaddress /
		cmdport 323
		allow 127.0.0.1
		port $pb
		pidfile $D/b.pid
	EOF
	nsx chronyd -x -u root -f "$D/b.conf" -L 0 -l "$D/b.log"
}

tracking() {
	nsx chronyc -h 127.0.0.1 -p 323 -n tracking 2>/dev/null
}

# Wait up to 30 s for B's tracking to match an extended regex.
wait_b() {
	local i
	for i in $(seq 60); do
		tracking | grep -Eq "$1" && return 0
		sleep 0.5
	done
	fail "chronyd B never said '$1': $(tracking; cat "$D/b.log")"
}

sntp_activate() {
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram \
		-l "127.0.0.1:$port" "$BIN/sntp-udp" --state-dir="$D/state" \
		--idle-timeout=60 "$@"
	local i
	for i in $(seq 50); do
		nsx ss -Hlnu "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $port"
}

stat_of() {
	nsx "$BIN/sntp-udp" --state-dir="$D/state" --stats | sed -n "s/^$1: //p"
}

ask() {
	nsx $PY "$TOP/tests/helpers/ntp.py" "$1"
}

@test "default options: sntp-udp's header is chronyd B's own; B stopped: the kernel's within 16 s" {
	start_a
	start_b
	wait_b '^Stratum +: 2$'
	sntp_activate
	local i rc=1 out
	# B's reference time moves every 16 s; the view may be 8 s old:
	# compare until both were taken between the same two updates.
	for i in $(seq 30); do
		out=$(nsx $PY "$TOP/tests/helpers/upstream.py" compare "$pb" "$port") && rc=0 || rc=$?
		[ "$rc" = 0 ] && break
		sleep 1
	done
	echo "$out" | sed 's/^/# /' >&3
	[ "$rc" = 0 ] || fail "not B's header: $out"
	run nsx "$BIN/sntp-udp" --state-dir="$D/state" --stats
	echo "$output" | grep upstream | sed 's/^/# /' >&3
	assert_line "upstream-source: chrony 127.0.0.1:323"

	# B stops: the kernel's word (stratum 15 when synchronised, else
	# LI 3) within 16 s, the age at which a view stops being believed.
	host_clock 15
	local t0 t1 r ts last=
	kill "$(cat "$D/b.pid")"
	t0=$(now_s)
	for i in $(seq 120); do
		ts=$(now_s)
		r=$(ask "$port")
		[[ $r == *" leap=$CLOCK_LEAP "* && $r == *" stratum=$CLOCK_STRATUM "* ]] && break
		last=$ts	# asked at ts, still B's header
		sleep 0.25
	done
	t1=$(now_s)
	local took late
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	late=$(awk -v a="$t0" -v b="${last:-$t0}" 'BEGIN { printf "%.1f", b - a }')
	echo "# B stopped: the kernel's header by $took s; B's last asked at $late s: $r" >&3
	[[ $r == *" stratum=$CLOCK_STRATUM "* ]] || fail "no fallback: $r"
	# The view is not believed 16 s after the last answer, which came
	# before the kill: no request sent later than that got B's header
	# (however slow each request is on a loaded machine).
	awk -v t="$late" 'BEGIN { exit !(t <= 16) }' || fail "B's header asked at $late s"
	# Asked through the passed socket, a question is known unanswered
	# when the next one is due (8 s on): the loss may be logged after
	# the fallback; the requests go on until it is.
	for i in $(seq 40); do
		grep -Eq 'upstream: chrony 127.0.0.1:323( \(nor \[::1\]\))? does not answer' "$D/bg.log" && break
		ask "$port" >/dev/null || true
		sleep 0.5
	done
	grep -Eq 'upstream: chrony 127.0.0.1:323( \(nor \[::1\]\))? does not answer' "$D/bg.log" ||
		fail "the loss was not logged: $(cat "$D/bg.log")"
	[ "$(grep -c 'does not answer' "$D/bg.log")" = 1 ] || fail "logged more than once"
}

@test "chronyd B not synchronised (A gone, B restarted): LI 3, stratum 0, refid 0" {
	start_a
	start_b
	wait_b '^Stratum +: 2$'
	sntp_activate
	local i r
	for i in $(seq 60); do
		r=$(ask "$port")
		[[ $r == *" stratum=2 "* ]] && break
		sleep 0.5
	done
	[[ $r == *" stratum=2 "* ]] || fail "never B's stratum: $r"
	local r0
	r0=$(stat_of upstream-refreshes)
	kill "$(cat "$D/a.pid")" "$(cat "$D/b.pid")"
	for i in $(seq 50); do
		[ -e "$D/b.pid" ] || break
		sleep 0.1
	done
	start_b
	wait_b 'Leap status +: Not synchronised'
	local t0 t1
	t0=$(now_s)
	for i in $(seq 80); do
		r=$(ask "$port")
		[[ $r == *" leap=3 "* ]] && break
		sleep 0.25
	done
	t1=$(now_s)
	echo "# B unsynchronised: after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $r" >&3
	[[ $r == *" leap=3 "* && $r == *" stratum=0 "* && $r == *" refid=00000000 "* ]] ||
		fail "not the alarm: $r"
	# From B, not the kernel (unsynchronised too on many hosts): the
	# view was asked again since B's restart, and B answered.
	for i in $(seq 40); do
		[ "$(stat_of upstream-refreshes)" -gt "$r0" ] && break
		sleep 0.5
	done
	run nsx "$BIN/sntp-udp" --state-dir="$D/state" --stats
	echo "$output" | grep upstream | sed 's/^/# /' >&3
	[ "$(stat_of upstream-refreshes)" -gt "$r0" ] || fail "not asked since: $output"
	assert_line "upstream-source: chrony 127.0.0.1:323"
	r=$(ask "$port")
	[[ $r == *" leap=3 "* && $r == *" stratum=0 "* ]] || fail "not the alarm: $r"
	run nsx "$BIN/sntp-udp" --dump </dev/null
	assert_output --partial "upstream: chrony 127.0.0.1:323, not synchronised"
}

# Real clients: ntpdig, which prints the stratum, sees chronyd
# B's (sntp-udp serves the clock B disciplines, so B's stratum, not one
# more); the kernel's word would be 15 or 0. ntpdig asks port 123 only,
# free in this namespace.
@test "ntpdig shows chronyd B's stratum and leap from sntp-udp with default options" {
	start_a
	start_b
	wait_b '^Stratum +: 2$'
	port=123
	sntp_activate
	local i
	for i in $(seq 30); do
		run nsx timeout 20 ntpdig -j -t 3 127.0.0.1
		[[ $output =~ \"stratum\":\ ?2 ]] && break
		sleep 1
	done
	echo "# ntpdig: $output" >&3
	assert_success
	assert_output --regexp '"stratum": ?2[,}]'
	assert_output --regexp '"leap": ?"no-leap"'
}

# Issue 21, item 4: how chronyd is asked follows the socket each
# activation is given. A dual-stack [::] socket carries the question
# itself (to ::ffff:127.0.0.1, and to ::1); a socket bound to a host
# address cannot (chronyd would see that address and refuse), so the
# question goes from a socket of sntp-udp's own, which this namespace
# allows. Both serve B's header; --verbose says which way was taken.
@test "the passed socket asks chronyd when it reaches localhost ([::]), a socket bound to a host address asks from its own" {
	start_a
	start_b
	wait_b '^Stratum +: 2$'
	nsx ip addr add 192.0.2.1/32 dev lo
	mkdir -m 700 "$D/s6" "$D/sh"
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram \
		-l "[::]:$port" "$BIN/sntp-udp" --state-dir="$D/s6" --verbose \
		--idle-timeout=60
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram \
		-l "192.0.2.1:$((port + 1))" "$BIN/sntp-udp" --state-dir="$D/sh" \
		--verbose --idle-timeout=60
	local i r host p
	for p in "$port" "$((port + 1))"; do
		for i in $(seq 50); do
			nsx ss -Hlnu "sport = :$p" | grep -q . && break
			sleep 0.1
		done
	done
	for host in "::1 $port" "192.0.2.1 $((port + 1))"; do
		set -- $host
		for i in $(seq 30); do
			r=$(nsx $PY "$TOP/tests/helpers/ntp.py" --host "$1" "$2") || true
			[[ $r == *" stratum=2 "* ]] && break
			sleep 0.5
		done
		echo "# $1: ${r:0:60}" >&3
		[[ $r == *" leap=0 "* && $r == *" stratum=2 "* && $r == *" refid=7f000001 "* ]] ||
			fail "$1: not B's header: $r"
	done
	grep 'upstream: ' "$D/bg.log" | sed 's/^/# /' >&3
	grep -q 'upstream: chrony 127.0.0.1:323 asked through the passed socket (fd 3, to \[::ffff:127.0.0.1\]:323)' "$D/bg.log" ||
		fail "[::] did not ask through its socket: $(cat "$D/bg.log")"
	grep -q 'upstream: chrony \[::1\]:323 asked through the passed socket (fd 3, to \[::1\]:323)' "$D/bg.log" ||
		fail "[::] did not ask ::1: $(cat "$D/bg.log")"
	grep -q 'upstream: chrony 127.0.0.1:323 asked from a socket of its own' "$D/bg.log" ||
		fail "192.0.2.1 did not ask from its own socket: $(cat "$D/bg.log")"
	nsx "$BIN/sntp-udp" --state-dir="$D/sh" --stats | grep -q '^upstream-source: chrony 127.0.0.1:323$' ||
		fail "192.0.2.1: $(nsx "$BIN/sntp-udp" --state-dir="$D/sh" --stats)"
}
