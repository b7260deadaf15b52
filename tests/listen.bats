#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A listening daytime-tcp (Accept=no) under systemd-socket-activate
# against one source's burst of silent connections: the limit
# per source (--max-per-source, default 16) and the draining connections
# that give way when the table (64) is full. The flooding source is
# 127.0.0.2 (helpers/tcp_hold.py, ended by PID); the normal client
# 127.0.0.1. Figures go to fd 3.

load helpers/common
load helpers/core-lib
load helpers/hold

# Every held connection here ends (a line or a close) as soon as the
# server has seen it; on release each is given up to 3 s to, so that a
# server still starting (ASan on a busy host: all 5 still open at once)
# is not counted against. 3 s stays under the default --io-timeout (5 s),
# the time after which the server would end any connection anyway: one
# left open by mistake still shows as open.
HOLD_SETTLE=3

teardown() {
	stop_servers
	no_sanitizer_report
}

figure() {
	echo "# $BATS_TEST_DESCRIPTION: $*" >&3
}

# listening [ADDR] -- ARGS...: a listening daytime-tcp on a free $port
# (on 127.0.0.1, or ADDR, e.g. "[::ffff:127.0.0.1]").
listening() {
	local addr=127.0.0.1
	[ "$1" != -- ] && { addr=$1; shift; }
	shift
	port=$(free_port tcp)
	start_bg systemd-socket-activate -l "$addr:$port" "$BIN/daytime-tcp" "$@"
	wait_listening "$port"
}

# twenty_lines: 20 clients from 127.0.0.1 in a row, each a whole line
# within 100 ms (the issue's bound, generous for a loopback exchange).
twenty_lines() {
	run $PY "$HOLD" time "$port" 20 --within 100
	figure "client from 127.0.0.1, ms: $(awk '{ printf "%s ", $2 }' <<<"$output")"
	[ "${#lines[@]}" = 20 ] || fail "stopped at: ${lines[-1]}"
	run awk '$1 != "line" || $2 > 100' <<<"$output"
	assert_output ""
}

@test "300 silent connections from one source: another gets its line within 100 ms, 20 times" {
	listening -- --idle-timeout=5
	hold 300
	settled
	twenty_lines
	release
	figure "the 300: $(held 0)"
	# 16 (the default limit) answered, the rest closed unanswered with a
	# FIN, none reset.
	assert_equal "$(held 0)" "line=16 empty=284 reset=0 open=0 other=0"
}

@test "the 17th connection from one source is closed at once with no line" {
	listening -- --idle-timeout=5
	hold 16
	run $PY "$HOLD" time "$port" 1 --src 127.0.0.2 --timeout 5
	figure "17th: $output"
	assert_output --regexp '^empty [0-9.]+$'
	run $PY "$HOLD" time "$port" 1
	assert_output --regexp '^line '
	release
	assert_equal "$(held 0)" "line=16 empty=0 reset=0 open=0 other=0"
}

@test "--max-per-source=3, and 0 for no limit" {
	listening -- --idle-timeout=5 --max-per-source=3
	hold 5 --send 10
	release
	assert_equal "$(held 0)" "line=3 empty=2 reset=0 open=0 other=0"
	stop_servers
	listening -- --idle-timeout=5 --max-per-source=0
	hold 40
	release
	assert_equal "$(held 1)" "line=40 empty=0 reset=0 open=0 other=0"
}

@test "an IPv4 client of a dual-stack (IPv4-mapped) socket is limited as its IPv4 address" {
	listening "[::ffff:127.0.0.1]" -- --idle-timeout=5 --max-per-source=2
	hold 3
	hold 2 --src 127.0.0.3
	release
	assert_equal "$(held 0)" "line=2 empty=1 reset=0 open=0 other=0"
	assert_equal "$(held 1)" "line=2 empty=0 reset=0 open=0 other=0"
}

@test "a full table of draining connections (5 sources x 16): the oldest give way" {
	listening -- --idle-timeout=5
	local s
	for s in 2 3 4 5 6; do hold 16 --src "127.0.0.$s"; done
	# No settling here: 16 of the 80 wait in the backlog until some of
	# the 64 give way, which is what is timed.
	twenty_lines
	release
	# Every one of the 80 had its line before it gave way.
	for s in 0 1 2 3 4; do
		assert_equal "$(held "$s")" "line=16 empty=0 reset=0 open=0 other=0"
	done
}

@test "with room in the table the polite close stays: a client that writes for 1 s gets its line" {
	listening -- --idle-timeout=5
	# The oldest draining connection writes on; 48 held ones and 20 new
	# clients leave room, so it must not be made to give way.
	$PY "$HOLD" trickle "$port" 1.0 >"$BATS_TEST_TMPDIR/trickle" &
	local t=$!
	SERVER_PIDS+=($t)
	sleep 0.2
	local s
	for s in 2 3 4; do hold 16 --src "127.0.0.$s"; done
	twenty_lines
	wait "$t"
	figure "writing client: $(cat "$BATS_TEST_TMPDIR/trickle")"
	run cat "$BATS_TEST_TMPDIR/trickle"
	assert_output --regexp '^line '
	release
}

@test "one source's fast clients, 8 at a time, are never refused: only held connections count" {
	listening -- --idle-timeout=5
	# Each closes before it connects again; the server may not have seen
	# those closes yet when the next ones arrive.
	run $PY "$TOP/tests/helpers/tcp_storm.py" "$port" --count 2000 --clients 8 --timeout 5
	figure "$(head -n1 <<<"$output")"
	assert_output --partial "complete=2000 "
}
