# SPDX-License-Identifier: ISC
# Shared by every bats suite: libraries, where the programs are, and
# servers started under a superserver and ended by PID in teardown.
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# The programs under test: the normal build, or build/asan via the runner.
# The top of the tree: two up from this file (suites are in tests/
# and tests/root/).
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${SOCKCLOCK_BIN:-$TOP}
PY=/usr/bin/python3	# Debian's python, which sees python3-ntplib

# A free port on loopback for proto (tcp|udp), chosen by the kernel.
free_port() {
	$PY - "$1" <<'PY'
import socket, sys
t = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, t)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# Start a command in the background, remember its PID for teardown.
# Output goes to $BATS_TEST_TMPDIR/bg.log.
SERVER_PIDS=()
start_bg() {
	"$@" >>"$BATS_TEST_TMPDIR/bg.log" 2>&1 &
	SERVER_PIDS+=($!)
}

# systemd-socket-activate on 127.0.0.1:port; extra args before "--".
#   activate PORT [ACTIVATE-ARGS...] -- PROGRAM [ARGS...]
activate() {
	local port=$1; shift
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	start_bg systemd-socket-activate "${args[@]}" -l "127.0.0.1:$port" "$@"
	wait_listening "$port"
}

# Wait until something listens on port (tcp or udp), at most 5 s.
wait_listening() {
	local i
	for i in $(seq 50); do
		ss -Hlntu "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

stop_servers() {
	local p
	for p in "${SERVER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${SERVER_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	SERVER_PIDS=()
}

# Tests that need root call this first: outside CI they are skipped
# (the runner says so once); in CI a missing root is a failure.
require_root() {
	if [ "$(id -u)" != 0 ]; then
		[ -n "${CI:-}" ] && fail "CI must run as root"
		skip "needs root"
	fi
}

# One SNTP exchange through tests/helpers/ntp.py (see its --help).
ntp() {
	$PY "$TOP/tests/helpers/ntp.py" "$@"
}

# What a start of this build costs now, through the same activation:
# a first request to a fresh systemd-socket-activate --datagram, timed by
# the client's own clock around its send and receive (no server stamp in
# it). Sets $startup (seconds). A bound for what a first request that
# the program could not stamp loses: its receive time is the program's
# start, so its offset is half the time from the request to that start.
cold_start_cost() {
	local p
	p=$(free_port udp)
	activate "$p" --datagram -- "$BIN/sntp-udp" --idle-timeout=1 --assume-synchronized
	startup=$($PY -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
t = time.monotonic()
s.sendto(b"\x23" + bytes(39) + struct.pack("!Q", 1 << 32), ("127.0.0.1", int(sys.argv[1])))
s.recv(512)
print("%.6f" % (time.monotonic() - t))' "$p") || fail "no answer from a cold sntp-udp on port $p"
}

# What a reply must say of this host's clock, from its own adjtimex
# (the tests pass whatever the host's state; clockstate.bats covers
# both on every host): sets CLOCK_LEAP and CLOCK_STRATUM for a server
# run with --stratum=${1:-15}.
host_clock() {
	local sync leap
	read -r sync leap < <($PY "$TOP/tests/helpers/core-net.py" kernel-clock) ||
		fail "adjtimex cannot be read here"
	if [ "$sync" = unsynchronized ]; then
		CLOCK_LEAP=3 CLOCK_STRATUM=0
	else
		CLOCK_STRATUM=${1:-15}
		case $leap in insert) CLOCK_LEAP=1 ;; delete) CLOCK_LEAP=2 ;; *) CLOCK_LEAP=0 ;; esac
	fi
}

# dynamic_build DIR PROGRAM...: link the normal build's own objects
# (build/*.o, the same compiled code as the shipped programs) into
# dynamic programs in DIR, for what a static program cannot be given:
# valgrind's malloc, or an LD_PRELOAD seam (clockstate.bats).
dynamic_build() {
	local dir=$1 prog m mods
	shift
	mods=$(sed -n 's/^COMMON *:= *//p' "$TOP/Makefile")
	for prog in "$@"; do
		local objs=("$TOP/build/$prog.o") libs=(-lnettle -lm -ldl)
		for m in $mods; do objs+=("$TOP/build/common/$m.o"); done
		if [ "$prog" = nts-ke-tcp ]; then
			# dynamic anyway: its TLS rooms and GnuTLS on top.
			objs+=("$TOP/build/common/tls/tls.o" "$TOP/build/common/tls/tlsserve.o")
			libs=(-lgnutls "${libs[@]}")
		fi
		cc -o "$dir/$prog" "${objs[@]}" "${libs[@]}"
	done
}
