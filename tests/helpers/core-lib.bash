# SPDX-License-Identifier: ISC
# Helpers for the core suites (byhand, activate, clients, drops,
# root-netns). Load after helpers/common: `load helpers/core-lib`.

NET="$TOP/tests/helpers/core-net.py"

# core-net.py through Debian's python (see its docstring).
net() {
	$PY "$NET" "$@"
}

# PID of the last process started with start_bg/activate.
last_pid() {
	echo "${SERVER_PIDS[-1]}"
}

# True while PID is alive and not a zombie.
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

# Wait up to SECS (fractions allowed) for PID to end; fails if it lives.
wait_gone() {
	local pid=$1 secs=$2 i n
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 20 + 0.5 }')
	for ((i = 0; i < n; i++)); do
		alive "$pid" || return 0
		sleep 0.05
	done
	! alive "$pid"
}

# Wait up to SECS for an extended regex in $BATS_TEST_TMPDIR/bg.log.
wait_log() {
	local re=$1 secs=${2:-5} i n
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 20 + 0.5 }')
	for ((i = 0; i < n; i++)); do
		grep -Eq -- "$re" "$BATS_TEST_TMPDIR/bg.log" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "not in bg.log within ${secs}s: $re" >&2
	cat "$BATS_TEST_TMPDIR/bg.log" >&2
	return 1
}

# The PID that owns the socket bound to local port (udp|tcp) now.
socket_owner() {
	ss -Hanp"${2:0:1}" "sport = :$1" |
		grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

# The daytime line over TCP / UDP from 127.0.0.1:PORT (CR LF kept).
tcp_line() {
	socat -T5 -u "TCP:127.0.0.1:$1" - </dev/null
}
udp_line() {
	printf 'x' | socat -T2 - "UDP:${2:-127.0.0.1}:$1"
}

# Seconds since the epoch with fractions (monotonic enough here).
now_s() {
	date +%s.%N
}

# A sanitizer report in the log fails the test (the ASan build).
no_sanitizer_report() {
	if grep -Eq 'Sanitizer|runtime error' "$BATS_TEST_TMPDIR/bg.log" 2>/dev/null; then
		cat "$BATS_TEST_TMPDIR/bg.log" >&2
		return 1
	fi
}

# netns_del NS...: end every process in each namespace this test made
# (by PID: TERM, then KILL), then delete it; a missing one is skipped.
# netns_lo PREFIX: a network namespace of this test's own with lo up,
# named in $NS; nsx CMD... runs in it; netns_teardown ends what the test
# started and what runs in the namespace (by PID), then deletes it.
netns_lo() {
	NS=$1-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}
nsx() {
	ip netns exec "$NS" "$@"
}
netns_teardown() {
	stop_servers
	netns_del "${NS:-}"
	no_sanitizer_report
}

netns_del() {
	local ns p
	for ns in "$@"; do
		[ -n "$ns" ] && ip netns list | grep -qw "$ns" || continue
		for p in $(ip netns pids "$ns"); do kill "$p" 2>/dev/null || true; done
		sleep 0.1
		for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null || true; done
		ip netns del "$ns"
	done
}

# A state directory of the test's own ($dir, mode 0700) and a free UDP
# $port, for the suites of the state file.
state_dir_and_port() {
	dir="$BATS_TEST_TMPDIR/state"
	mkdir -m 700 "$dir"
	port=$(free_port udp)
}

# A fake server (a python helper that prints "ready" once it serves) in
# the background: WHAT names it in the failure, SCRIPT ARGS run under
# $PY; $fake is its PID, $BATS_TEST_TMPDIR/fake.log its output. Waits
# for "ready" itself, up to 10 s (the machine may be loaded).
start_fake_py() { # WHAT SCRIPT ARGS...
	local what=$1 log="$BATS_TEST_TMPDIR/fake.log" i
	shift
	$PY "$@" >"$log" 2>&1 &
	fake=$!
	for i in $(seq 200); do
		grep -q ready "$log" && return 0
		sleep 0.05
	done
	fail "the fake $what did not start: $(cat "$log")"
}

# End the fake of start_fake_py (by its PID) and forget it; harmless
# when none runs, so teardown can call it too.
stop_fake() {
	[ -n "${fake:-}" ] || return 0
	kill "$fake" 2>/dev/null
	wait "$fake" 2>/dev/null || true
	fake=
}

# PROGRAM's --stats and --stats=prometheus of state directory DIR, the
# second parsed and compared with the first (tests/helpers/metrics_check.py;
# extra args its, its verdict printed); the plain text in $stats.
stats_agree() { # PROGRAM DIR [metrics_check args...]
	local prog=$1 dir=$2; shift 2
	"$BIN/$prog" --state-dir="$dir" --stats >"$BATS_TEST_TMPDIR/plain" ||
		fail "$prog --stats failed"
	"$BIN/$prog" --state-dir="$dir" --stats=prometheus >"$BATS_TEST_TMPDIR/prom" ||
		fail "$prog --stats=prometheus failed"
	run $PY "$TOP/tests/helpers/metrics_check.py" "$prog" \
		"$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/prom" "$@"
	echo "# $prog: $output" >&3
	assert_success
	assert_output --regexp '^ok [0-9]+ samples$'
	stats=$(cat "$BATS_TEST_TMPDIR/plain")
}

# COMMAND under systemd-socket-activate --datagram on a free UDP $port,
# with the sanitizer settings passed on (it passes only what it is told).
activate_udp() { # COMMAND ARGS...
	local env=() v
	for v in ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v:-}" ] && env+=(-E "$v")
	done
	port=$(free_port udp)
	activate "$port" --datagram "${env[@]}" -- "$@"
}
