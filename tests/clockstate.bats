#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Both clock states on every host, whatever its own clock says (these
# machines' kernels are unsynchronised, a user's usually is): the
# programs read the state with adjtimex(2), and tests/helpers/fakeclock.c
# is an LD_PRELOAD seam over it that the tests alone use. The programs
# are linked dynamically from the normal build's objects for it (a
# static program cannot be preloaded), as valgrind.bats does.

load helpers/common

setup_file() {
	dynamic_build "$BATS_FILE_TMPDIR" daytime-udp sntp-udp
	cc -shared -fPIC -Wall -Wextra -Werror -o "$BATS_FILE_TMPDIR/fakeclock.so" \
		"$TOP/tests/helpers/fakeclock.c" -ldl
}

teardown() {
	stop_servers
}

# fake STATE PROGRAM ARGS...: run the dynamic PROGRAM with the seam.
fake() {
	SOCKCLOCK_FAKE_CLOCK=$1 LD_PRELOAD="$BATS_FILE_TMPDIR/fakeclock.so" \
		"$BATS_FILE_TMPDIR/$2" "${@:3}" </dev/null
}

@test "synchronised: LI 0, the configured stratum, a reference time, the kernel's error as dispersion" {
	run fake sync sntp-udp --dump --stratum=3 --refid=192.0.2.1
	assert_success
	assert_line "leap: 0 (no warning)"
	assert_line --regexp '^stratum: 3'
	assert_line "reference_id: 192.0.2.1"
	assert_line "root_dispersion: 0.002502 s"
	refute_line "reference_time: 0 (not set)"
	run fake sync sntp-udp --dump
	assert_line --regexp '^stratum: 15'
	assert_line "reference_id: 127.127.1.1"
}

@test "stratum 1: the default reference ID is ASCII (LOCL), an address is refused" {
	run fake sync sntp-udp --dump --stratum=1
	assert_success
	assert_line 'reference_id: "LOCL"'
	run fake sync sntp-udp --dump --stratum=1 --refid=GPS
	assert_line 'reference_id: "GPS"'
	run fake sync sntp-udp --stratum=1 --refid=10.1.2.3
	assert_failure 2
	assert_output --partial "at stratum 1, 1 to 4 ASCII characters"
}

@test "a leap second armed: LI 1, and the nist line says so" {
	run fake leap sntp-udp --dump
	assert_line --regexp '^leap: 1 '
	run fake leap daytime-udp --utc --format=nist
	assert_success
	# JJJJJ YR-MO-DA HH:MM:SS TT L H ...: L 1, H 0
	[[ $output =~ ^[0-9]{5}\ [0-9-]{8}\ [0-9:]{8}\ [0-9]{2}\ 1\ 0\  ]] || fail "$output"
}

@test "unsynchronised: LI 3, stratum 0, refid 0, no reference time, 1 s root delay and dispersion" {
	run fake unsync sntp-udp --dump --stratum=3
	assert_success
	assert_line "leap: 3 (clock unsynchronised)"
	assert_line --regexp '^stratum: 0 '
	assert_line "reference_id: 0.0.0.0"
	assert_line "reference_time: 0 (not set)"
	assert_line "root_delay: 1.000000 s"
	assert_line "root_dispersion: 1.000000 s"
	run fake unsync daytime-udp --utc --format=nist
	[[ $output =~ ^[0-9]{5}\ [0-9-]{8}\ [0-9:]{8}\ [0-9]{2}\ 0\ 2\  ]] || fail "$output"
	# --assume-synchronized serves the stratum anyway.
	run fake unsync sntp-udp --dump --stratum=3 --assume-synchronized
	assert_line "leap: 0 (no warning)"
	assert_line --regexp '^stratum: 3'
}

# A refused read is served as unsynchronised, with one warning
# a process, not one for each second of traffic.
@test "adjtimex refused: answered as unsynchronised, warned once a process" {
	port=$(free_port udp)
	activate "$port" --datagram -E SOCKCLOCK_FAKE_CLOCK=fail \
		-E LD_PRELOAD="$BATS_FILE_TMPDIR/fakeclock.so" -- \
		"$BATS_FILE_TMPDIR/sntp-udp" --idle-timeout=30
	local i
	for i in 1 2 3; do
		run ntp "$port"
		assert_output --regexp '^len=48 leap=3 version=4 mode=4 stratum=0 '
		sleep 1.1 # the state is read at most once a second
	done
	[ "$(grep -c 'adjtimex: cannot read' "$BATS_TEST_TMPDIR/bg.log")" = 1 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
}
