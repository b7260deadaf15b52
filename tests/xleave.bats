#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Interleaved mode (RFC 9769 §2) through real sockets: chronyd as a
# client that may not touch the clock (-x), polling every 2 s an
# sntp-udp that idles out after 1 s, so that nearly every request starts
# a new process and the transmit stamps pass through the state file;
# then a scripted client that checks every field of basic and
# interleaved replies (tests/helpers/xleave.py).

load helpers/common
load helpers/core-lib

setup() {
	state_dir_and_port
}

teardown() {
	touch "$BATS_TEST_TMPDIR/stop"
	[ -n "${chrony:-}" ] && kill "$chrony" 2>/dev/null
	[ -n "${chrony:-}" ] && wait "$chrony" 2>/dev/null
	# The activation loop's current superserver (it becomes sntp-udp).
	[ -s "$BATS_TEST_TMPDIR/sa.pid" ] && kill "$(cat "$BATS_TEST_TMPDIR/sa.pid")" 2>/dev/null
	stop_servers
	no_sanitizer_report
}

# systemd-socket-activate once per process, again and again, until the
# test's stop file appears: each activation a fresh socket on $port.
respawn() {
	while [ ! -e "$BATS_TEST_TMPDIR/stop" ]; do
		systemd-socket-activate --datagram -l "127.0.0.1:$port" \
			"$BIN/sntp-udp" --state-dir="$dir" --idle-timeout=1 \
			--assume-synchronized --verbose &
		echo $! >"$BATS_TEST_TMPDIR/sa.pid"
		wait $!
	done
}

@test "chronyd xleave against sntp-udp started per request: interleaved samples across activations" {
	start_bg respawn
	wait_listening "$port"
	local d="$BATS_TEST_TMPDIR/chrony"
	mkdir -m 755 "$d"
	cat >"$d/conf" <<-EOF
		server 127.0.0.1 port $port xleave minpoll 1 maxpoll 1
		logdir $d
		log measurements
		cmdport 0
		pidfile $d/chronyd.pid
	EOF
	chronyd -x -d -u "$(id -un)" -f "$d/conf" >"$d/out" 2>&1 &
	chrony=$!
	# Samples: 2 basic, then interleaved; stop at 4 interleaved (about
	# 12 s), at most 30 s.
	local i n=0
	for i in $(seq 150); do
		n=$(cat "$d/measurements.log" 2>/dev/null |
			grep -Ec '^[0-9].* [0-9]I [A-Z] [A-Z]$') || true
		[ "$n" -ge 4 ] && break
		sleep 0.2
	done
	kill "$chrony"
	wait "$chrony" || true
	chrony=
	grep '^[0-9]' "$d/measurements.log" | sed 's/^/# /' >&3
	[ "$n" -ge 4 ] || fail "$n interleaved samples: $(cat "$d/measurements.log" "$d/out")"
	# The first sample is basic (nothing kept yet).
	grep '^[0-9]' "$d/measurements.log" | head -1 | grep -Eq ' [0-9]B [A-Z] [A-Z]$' ||
		fail "the first sample is not basic"
	# Interleaved replies by a process whose first request it was: the
	# earlier reply's stamp came through the state file.
	local across
	across=$(awk '/Execing/ { first = 1; next }
		      /request answered/ { if (first && /interleaved/) n++; first = 0 }
		      END { print n + 0 }' "$BATS_TEST_TMPDIR/bg.log")
	echo "# interleaved replies that started a process: $across" >&3
	[ "$across" -ge 3 ] || fail "only $across: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	run "$BIN/sntp-udp" --state-dir="$dir" --stats
	assert_success
	echo "$output" | grep -E 'processes|received|interleaved|send-delay' | sed 's/^/# /' >&3
	local got
	got=$(sed -n 's/^interleaved-answered: //p' <<<"$output")
	[ "$got" -ge "$n" ] || fail "interleaved-answered $got, chronyd saw $n"
}

@test "interleaved replies field by field: basic, interleaved once, unknown origin basic" {
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir" \
		--idle-timeout=3
	run $PY "$TOP/tests/helpers/xleave.py" "$port"
	echo "$output" | sed 's/^/# /' >&3
	assert_success
	assert_line --partial "ok 5 "
	stop_servers
	run "$BIN/sntp-udp" --state-dir="$dir" --stats
	assert_line "requests-answered: 5"
	assert_line "interleaved-answered: 1"
	assert_line --regexp '^send-delay-warm-samples: [1-9]'
	assert_line "send-delay-cold-samples: 1"
}
