#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# valgrind memcheck over each program in each way it can be started:
# by hand, systemd-socket-activate --accept, --inetd, a listening socket
# and --datagram; plus the error paths. Any memcheck error or leak fails.
#
# valgrind needs the programs linked dynamically (in a static program it
# can neither replace malloc nor tell glibc's start-up apart from ours),
# so this suite links the normal build's own objects (build/*.o, the
# same compiled code as the shipped programs) without -static. It does
# so for the ASan run too: valgrind cannot run a sanitizer build.

load helpers/common

setup_file() {
	dynamic_build "$BATS_FILE_TMPDIR" daytime-tcp daytime-udp sntp-udp nts-ke-tcp
}

teardown() {
	stop_servers
}

VG_ARGS=(--error-exitcode=99 --leak-check=full --track-fds=no)

# vg PROGRAM ARGS...: the command line that runs PROGRAM under memcheck,
# its report in $BATS_TEST_TMPDIR/vg.PID.log (never on standard error:
# under inetd that is the client's socket).
vg() {
	local prog=$1
	shift
	echo valgrind "${VG_ARGS[@]}" --log-file="$BATS_TEST_TMPDIR/vg.%p.log" \
		"$BATS_FILE_TMPDIR/$prog" "$@"
}

# Every report: ran, and not one error (leaks count as errors).
vg_clean() {
	local n=0 f
	for f in "$BATS_TEST_TMPDIR"/vg.*.log; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if ! grep -q "ERROR SUMMARY: 0 errors" "$f"; then
			cat "$f"
			return 1
		fi
	done
	[ "$n" -ge 1 ] || { echo "no valgrind report"; return 1; }
	! grep -q "died with code 99" "$BATS_TEST_TMPDIR/bg.log" 2>/dev/null
}

# Wait (30 s at most, by the clock) for the background servers' programs
# to idle out: each test's idle timeout (5 s) outlasts the gaps between
# its requests on a busy host (0.5 s did not: the second connection found
# the program gone and the socket closed).
wait_servers_exit() {
	local p end=$((SECONDS + 30))
	for p in "${SERVER_PIDS[@]}"; do
		while ((SECONDS < end)); do
			kill -0 "$p" 2>/dev/null || break
			[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] && break
			sleep 0.1
		done
	done
}

tcp_line() {
	$PY - "$1" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
	data = b""
	while True:
	    b = s.recv(4096)
	    if not b:
	        break
	    data += b
	sys.stdout.write(repr(data))
	PY
}

udp_line() {
	$PY - "$1" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(20)
	s.sendto(b"\n", ("127.0.0.1", int(sys.argv[1])))
	sys.stdout.write(repr(s.recv(1024)))
	PY
}

# lines_then_clean tcp|udp PORT N WAIT: N requests to PORT, each answered
# with a line ending in CR LF; then WAIT (settle or wait_servers_exit)
# and a clean memcheck report.
lines_then_clean() {
	local i
	for ((i = 0; i < $3; i++)); do
		run "$1_line" "$2"
		assert_output --regexp "\\\\r\\\\n'$"
	done
	"$4"
	vg_clean
}

# Wait until the program under valgrind has gone, then judge: the
# children of the superserver (systemd-socket-activate --accept forks
# one per connection; matching command lines would find the superserver
# itself, whose arguments name the program, and wait 10 s every time).
settle() {
	local i parent=${SERVER_PIDS[-1]}
	for i in $(seq 100); do
		pgrep -P "$parent" >/dev/null || break
		sleep 0.1
	done
}

@test "valgrind: daytime-tcp by hand" {
	run $(vg daytime-tcp --format=nist)
	assert_success
	assert_output --regexp 'UTC\(sockclock\) \*'
	vg_clean
}

@test "valgrind: daytime-udp by hand" {
	run $(vg daytime-udp --format=iso8601)
	assert_success
	vg_clean
}

@test "valgrind: sntp-udp by hand, request on stdin and --dump" {
	$PY -c 'import sys; sys.stdout.buffer.write(bytes([0x23]) + bytes(47))' >"$BATS_TEST_TMPDIR/req"
	run bash -c "$(vg sntp-udp) <'$BATS_TEST_TMPDIR/req' | wc -c"
	assert_success
	assert_output 48
	run bash -c "$(vg sntp-udp --dump) </dev/null"
	assert_success
	assert_output --partial "mode: 4 (server)"
	vg_clean
}

@test "valgrind: bad option and wrong socket kind (exit 2, exit 1)" {
	run $(vg sntp-udp --stratum=99)
	assert_failure 2
	port=$(free_port tcp)
	activate "$port" -- $(vg sntp-udp)
	# systemd-socket-activate starts the program on the first knock.
	$PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$port"
	# A TCP listening socket for a UDP program: a clear error, exit 1.
	rc=0
	timeout 60 tail --pid="${SERVER_PIDS[0]}" -f /dev/null
	wait "${SERVER_PIDS[0]}" || rc=$?
	SERVER_PIDS=()
	[ "$rc" = 1 ]
	grep -q "expected a UDP" "$BATS_TEST_TMPDIR/bg.log"
	vg_clean
}

# A bad LISTEN_FDS is refused before the log knew
# where it writes; a file where a socket should be is named for what it
# is. Both exit 1 with a clear message and a clean report.
@test "valgrind: a bad LISTEN_FDS and a file passed as a socket (exit 1, named)" {
	run bash -c 'LISTEN_PID=$$ LISTEN_FDS=abc exec '"$(vg sntp-udp)"
	assert_failure 1
	assert_output --partial "LISTEN_FDS is not a number"
	vg_clean
	rm -f "$BATS_TEST_TMPDIR"/vg.*.log
	run bash -c 'exec 3<"$0"; LISTEN_PID=$$ LISTEN_FDS=1 exec '"$(vg daytime-udp)" "$BATS_TEST_FILENAME"
	assert_failure 1
	assert_output --partial "fd 3 is not a socket"
	vg_clean
}

@test "valgrind: daytime-tcp under systemd-socket-activate --accept" {
	port=$(free_port tcp)
	activate "$port" --accept -- $(vg daytime-tcp --verbose)
	lines_then_clean tcp "$port" 1 settle
}

@test "valgrind: daytime-tcp under systemd-socket-activate --inetd" {
	port=$(free_port tcp)
	activate "$port" --inetd --accept -- $(vg daytime-tcp --format=rfc2822)
	lines_then_clean tcp "$port" 1 settle
}

@test "valgrind: daytime-tcp on a listening socket" {
	port=$(free_port tcp)
	activate "$port" -- $(vg daytime-tcp --idle-timeout=5 --verbose)
	lines_then_clean tcp "$port" 2 wait_servers_exit
}

@test "valgrind: daytime-udp under systemd-socket-activate --datagram" {
	port=$(free_port udp)
	activate "$port" --datagram -- $(vg daytime-udp --idle-timeout=5 --verbose)
	lines_then_clean udp "$port" 1 wait_servers_exit
}

@test "valgrind: daytime-udp under systemd-socket-activate --inetd --datagram" {
	port=$(free_port udp)
	activate "$port" --inetd --datagram -- $(vg daytime-udp --idle-timeout=5)
	lines_then_clean udp "$port" 1 wait_servers_exit
}

@test "valgrind: sntp-udp under systemd-socket-activate --datagram" {
	port=$(free_port udp)
	activate "$port" --datagram -- $(vg sntp-udp --idle-timeout=5 --verbose)
	run ntp "$port" --timeout 20
	assert_success
	assert_output --partial "mode=4"
	# Dropped classes go through the same code: a mode 7 and a short one
	# (within the idle timeout: the same process drops both).
	run ntp "$port" --mode 7 --timeout 0.5
	assert_output "no reply"
	run ntp "$port" --len 20 --timeout 0.5
	assert_output "no reply"
	[ "$(grep -c 'dropped' "$BATS_TEST_TMPDIR/bg.log")" = 2 ] ||
		fail "drops: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	wait_servers_exit
	vg_clean
}

@test "valgrind: sntp-udp under systemd-socket-activate --inetd --datagram" {
	port=$(free_port udp)
	activate "$port" --inetd --datagram -- $(vg sntp-udp --idle-timeout=5 --rate-limit=1 --rate-burst=1)
	run ntp "$port" --timeout 20
	assert_success
	assert_output --partial "mode=4"
	# Over the limit: the kiss-o'-death path.
	run ntp "$port" --timeout 5
	assert_output --partial "stratum=0"
	wait_servers_exit
	vg_clean
}

@test "nts-ke-tcp: key exchanges (--accept and listening), a refused client, a bad certificate" {
	load helpers/ntske
	ntske_setup_file
	local port opts
	port=$(free_port tcp)
	opts=(--cert="$BATS_FILE_TMPDIR/srv.crt" --key="$BATS_FILE_TMPDIR/srv.key" --nts-keys="$BATS_TEST_TMPDIR/keys")
	activate "$port" --accept -- $(vg nts-ke-tcp) "${opts[@]}"
	run keclient "$port" --keys="$BATS_TEST_TMPDIR/keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	run keclient "$port" --tls12
	assert_failure
	run keclient "$port" --half-close --request=8001000200008000
	assert_line --partial 'error (critical): 1'
	stop_servers
	activate "$port" -- $(vg nts-ke-tcp) "${opts[@]}" --idle-timeout=5
	run keclient "$port"
	assert_success
	run keclient "$port" --alpn=
	assert_failure
	wait_servers_exit
	stop_servers
	activate "$port" -- $(vg nts-ke-tcp) --cert=/nonexistent "${opts[@]:1}"
	run keclient "$port"
	assert_failure
	wait_servers_exit
	grep -q 'certificate /nonexistent: No such file' "$BATS_TEST_TMPDIR/bg.log"
	$(vg nts-ke-tcp) </dev/null >/dev/null
	vg_clean
}
