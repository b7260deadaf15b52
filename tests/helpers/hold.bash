# SPDX-License-Identifier: ISC
# One source's burst of held TCP connections (helpers/tcp_hold.py), for
# the listening stream servers' suites; $port is the server's port.

HOLD="$TOP/tests/helpers/tcp_hold.py"

# hold N [ARGS...]: N connections to $port held by tcp_hold.py (from
# 127.0.0.2 unless --src says otherwise); returns once all are
# connected. Its PID is appended to HOLDERS, its output goes to
# $BATS_TEST_TMPDIR/hold.K (K: 0 for the test's first holder, 1 ...).
# HOLD_SETTLE=S: at release, let the connections end first, for at most
# S seconds (tcp_hold.py --settle).
HOLDERS=()
HELD=0
hold() {
	local out="$BATS_TEST_TMPDIR/hold.$((HELD++))" i
	$PY "$HOLD" hold "$port" "$@" ${HOLD_SETTLE:+--settle "$HOLD_SETTLE"} >"$out" &
	HOLDERS+=($!)
	SERVER_PIDS+=($!)
	for i in $(seq 100); do
		grep -q '^connected=' "$out" && break
		sleep 0.1
	done
	grep -q "^connected=$1 failed=0" "$out" || fail "not held: $(cat "$out")"
}

# release: end the holders by PID; each prints what its connections saw.
release() {
	local p
	for p in "${HOLDERS[@]}"; do
		kill -TERM "$p"
		wait "$p" || true
	done
	HOLDERS=()
}

# held K: what holder K's connections saw ("line=.. empty=.. reset=..").
held() {
	tail -n1 "$BATS_TEST_TMPDIR/hold.$1"
}

# settled [SS...]: wait (at most 3 s) until the listening socket on
# $port has no connection left in its accept queue (ss's Recv-Q), so
# that the timed clients start once the server has seen the burst; run
# through SS (e.g. "sys") when given. It never fails: a server that
# leaves the burst queued shows in the clients' times.
settled() {
	local i
	for i in $(seq 30); do
		[ "$("$@" ss -Hltn "sport = :$port" | awk '{ print $2 }')" = 0 ] && return 0
		sleep 0.1
	done
	return 0
}
