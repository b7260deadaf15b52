#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The state file (--state-dir): counters read back exactly with --stats
# after several real activations (systemd-socket-activate started again
# for each batch, each process idling out after 1 s); the rate limit
# kept across activations; two processes writing at once; a hostile
# file (wrong size, wrong owner, symlink, FIFO) replaced, never followed;
# a full state filesystem and a file truncated while mapped (SIGBUS)
# served through, without a crash.

load helpers/common
load helpers/core-lib

setup() {
	state_dir_and_port
}

teardown() {
	stop_servers
	no_sanitizer_report
}

# One activation: sntp-udp on $port with OPTIONS, started by the first
# datagram the caller sends; batch_end waits for it to idle out.
batch() {
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir" \
		--idle-timeout=1 "$@"
}
batch_end() {
	local pid
	pid=$(last_pid)
	wait_gone "$pid" 10 || fail "sntp-udp $pid still runs"
}

answered() {
	run ntp "$port" --timeout 2 "$@"
	assert_success
	assert_output --regexp '^len=48 .*stratum=([0-9]|1[0-5]) '
}
# A reply from PROG (sntp-udp or daytime-udp) on $port.
answered_by() {
	if [ "$1" = sntp-udp ]; then
		answered
	else
		run udp_line "$port"
		assert_output --regexp $'\r$'
	fi
}
kod() {
	run ntp "$port" --timeout 2 "$@"
	assert_success
	assert_output --regexp 'stratum=0 .*refid=52415445'
}
silence() {
	run ntp "$port" --timeout 0.3 "$@"
	assert_output "no reply"
}

# The counters of PROGRAM's file in $dir, into $stats.
read_stats() {
	run "$BIN/$1" --state-dir="$dir" --stats
	assert_success
	stats=$output
}

stat_is() {
	grep -qx "$1: $2" <<<"$stats" || fail "want '$1: $2' in:
$stats"
}

@test "sntp-udp --stats: every class counted exactly across four activations; the emptied bucket survives the exit" {
	batch --rate-limit=0
	answered
	answered
	silence --len 40
	silence --version 0
	silence --mode 6
	batch_end
	batch --rate-limit=0
	answered
	answered
	answered
	silence --mode 4
	batch_end
	# One request every 20 s, 2 at once: the third gets a KoD, then silence.
	batch --rate-limit=0.05 --rate-burst=2
	answered
	answered
	kod
	silence
	silence
	batch_end
	# A new process: the source's bucket is still empty (a fresh one
	# would answer 2) and its KoD was under 8 s ago; another source is
	# answered.
	batch --rate-limit=0.05 --rate-burst=2
	silence
	silence
	answered --src-host 127.0.0.2
	batch_end
	read_stats sntp-udp
	stat_is processes-started 4
	stat_is requests-received 17
	stat_is requests-answered 8
	stat_is requests-dropped 4
	stat_is dropped-length 1
	stat_is dropped-version 1
	stat_is dropped-mode 2
	stat_is dropped-source 0
	stat_is dropped-nts-malformed 0
	stat_is dropped-destination 0
	stat_is dropped-not-allowed 0
	stat_is rate-limited 5
	stat_is kiss-o-death-sent 1
	[ "$(stat -c '%a %s' "$dir/sntp-udp.state")" = "600 246784" ]
}

@test "daytime-udp --stats: answers and the loop-risk rule across two activations" {
	for n in 2 3; do
		activate "$port" --datagram -- "$BIN/daytime-udp" --state-dir="$dir" \
			--idle-timeout=1
		for ((i = 0; i < n; i++)); do
			run udp_line "$port"
			assert_output --regexp $'\r$'
		done
		run ntp "$port" --src-port 19 --timeout 0.3
		assert_output "no reply"
		batch_end
	done
	read_stats daytime-udp
	stat_is processes-started 2
	stat_is requests-received 7
	stat_is requests-answered 5
	stat_is dropped-loop-risk 2
}

@test "two sntp-udp processes on two sockets share one file: the counters add up exactly" {
	local p2
	p2=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir" --rate-limit=0
	start_bg systemd-socket-activate --datagram -l "127.0.0.1:$p2" \
		"$BIN/sntp-udp" --state-dir="$dir" --rate-limit=0
	wait_listening "$p2"
	# 2 x 4 clients, each 400 requests one after the other, all at once.
	run $PY - "$port" "$p2" <<'PY'
import socket, struct, sys, threading, time
got = []
def client(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    n = 0
    for i in range(400):
        s.sendto(b"\x23" + b"\0" * 47, ("127.0.0.1", port))
        try:
            s.recv(100); n += 1
        except socket.timeout:
            pass
    got.append(n)
ts = [threading.Thread(target=client, args=(int(p),)) for p in sys.argv[1:] for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(got))
PY
	assert_success
	assert_output 3200
	read_stats sntp-udp
	stat_is processes-started 2
	stat_is requests-received 3200
	stat_is requests-answered 3200
}

# A bad file where the state file goes: one warning, fresh state, the
# request answered, and the file now a 0600 regular one of ours.
replaced() {
	batch --rate-limit=0
	answered
	batch_end
	[ "$(grep -c "sntp-udp.state: $1; replacing it with fresh state" "$BATS_TEST_TMPDIR/bg.log")" = 1 ] ||
		fail "no single warning '$1': $(cat "$BATS_TEST_TMPDIR/bg.log")"
	[ -f "$dir/sntp-udp.state" ] && [ ! -L "$dir/sntp-udp.state" ]
	[ "$(stat -c '%a %u %s' "$dir/sntp-udp.state")" = "600 $(id -u) 246784" ]
	read_stats sntp-udp
	stat_is processes-started 1
	stat_is requests-answered 1
}

@test "a state file of the wrong size or a foreign one is replaced with fresh state" {
	head -c 1000 /dev/zero >"$dir/sntp-udp.state"
	chmod 600 "$dir/sntp-udp.state"
	replaced "wrong size"
	head -c 246784 /dev/urandom >"$dir/sntp-udp.state"
	replaced "not a sockclock state file"
}

@test "a symlink or a FIFO as the state file is replaced, never followed" {
	echo precious >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$dir/sntp-udp.state"
	replaced "a symbolic link"
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	rm "$dir/sntp-udp.state"
	mkfifo -m 600 "$dir/sntp-udp.state"
	replaced "not a regular file"
}

@test "a state file of another owner is replaced" {
	require_root
	batch --rate-limit=0
	answered
	batch_end
	chown nobody "$dir/sntp-udp.state"
	: >"$BATS_TEST_TMPDIR/bg.log"
	replaced "owned by uid $(id -u nobody), not 0"
}

@test "no usable state directory: served as without it, one warning" {
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir/none" \
		--idle-timeout=1
	answered
	answered
	batch_end
	[ "$(grep -c 'state directory .*/none: No such file or directory; serving without state' "$BATS_TEST_TMPDIR/bg.log")" = 1 ]
	run "$BIN/sntp-udp" --state-dir="$dir/none" --stats
	assert_failure
}

# A mount namespace of the test's own (held by $ns_pid, ended in
# teardown by PID) with a SIZE tmpfs on $dir: nothing is mounted on the
# host. in_ns runs a command in it; programs started through in_ns keep
# their PID (nsenter without a PID namespace execs, no fork).
tiny_state_dir() {
	require_root
	start_bg unshare -m --propagation private sleep 600
	ns_pid=$(last_pid)
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$ns_pid/ns/mnt")" != "$(readlink /proc/$$/ns/mnt)" ] && break
		sleep 0.05
	done
	in_ns mount -t tmpfs -o "size=$1,mode=0700" sockclock-test "$dir" ||
		fail "no tmpfs in the namespace of $ns_pid"
}
in_ns() {
	nsenter -t "$ns_pid" -m -- "$@"
}

# PID (a child of this shell: not from a subshell) ends with status 0.
exits_0() {
	wait_gone "$1" 20 || fail "$1 still runs"
	local rc=0
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || fail "exit status $rc: $(cat "$BATS_TEST_TMPDIR/bg.log")"
}

# What PROGRAM logged, without systemd-socket-activate's own lines.
logged() {
	grep -Ev '^(Listening on|Communication attempt|Execing) ' "$BATS_TEST_TMPDIR/bg.log" || true
}

@test "a full state filesystem: each program answers, exits 0 at idle, warns once, leaves no temporary file; stale ones are removed" {
	tiny_state_dir 64k # the image is 246784 bytes
	# Stale: a PID that cannot run (above the kernel's limit), and an
	# hour-old one of a running PID (1). A fresh one of a running
	# process (the namespace's holder) is kept: it may be mid-creation.
	in_ns sh -c "cd '$dir' && umask 077 &&
		: >sntp-udp.state.99999999.tmp &&
		: >daytime-udp.state.1.tmp && touch -d '1 hour ago' daytime-udp.state.1.tmp &&
		: >sntp-udp.state.$ns_pid.tmp"
	local prog pid
	for prog in sntp-udp daytime-udp; do
		: >"$BATS_TEST_TMPDIR/bg.log"
		start_bg nsenter -t "$ns_pid" -m -- systemd-socket-activate --datagram \
			-l "127.0.0.1:$port" "$BIN/$prog" --state-dir="$dir" --idle-timeout=1
		pid=$(last_pid)
		wait_listening "$port"
		answered_by "$prog"
		exits_0 "$pid"
		[ "$(logged)" = "$prog: state file $dir/$prog.state: cannot make it: No space left on device; serving without state" ] ||
			fail "not the one warning: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	done
	run in_ns ls -A "$dir"
	assert_output "sntp-udp.state.$ns_pid.tmp"
}

# PROGRAM serving from $dir has its state file truncated to 0 bytes
# while it serves (by its owner, root here): after one request, then in
# the middle of a pipelined burst of 20 and between requests, then 50
# more one by one. Every request is answered by the same process, which
# warns once and exits 0 at idle; the next process makes fresh state.
truncated_while_served() {
	local prog=$1 pid
	activate "$port" --datagram -- "$BIN/$prog" --state-dir="$dir" \
		--rate-limit=0 --idle-timeout=3
	pid=$(last_pid)
	run $PY - "$port" "$dir/$prog.state" "$prog" <<'PY'
import os, socket, sys
port, path, prog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
req = b"\x23" + b"\0" * 47 if prog == "sntp-udp" else b"x"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
def ask(n, cut=False):
    for _ in range(n):
        s.sendto(req, ("127.0.0.1", port))
    if cut:
        os.truncate(path, 0)
    got = 0
    for _ in range(n):
        try:
            s.recv(100); got += 1
        except socket.timeout:
            break
    return got
got = ask(1)
got += ask(20, cut=True)
os.truncate(path, 0)
for _ in range(50):
    if not ask(1):
        break # dead: no use waiting 3 s for each of the rest
    got += 1
print(got)
PY
	assert_output 71
	alive "$pid" || fail "$prog died: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	exits_0 "$pid"
	[ "$(logged)" = "$prog: state file $dir/$prog.state: truncated while in use; serving on with fresh state kept by this process only" ] ||
		fail "not the one warning: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	# The next process finds the empty file and makes fresh state.
	: >"$BATS_TEST_TMPDIR/bg.log"
	activate "$port" --datagram -- "$BIN/$prog" --state-dir="$dir" --idle-timeout=1
	pid=$(last_pid)
	answered_by "$prog"
	exits_0 "$pid"
	grep -q "$prog.state: wrong size; replacing it with fresh state" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
	read_stats "$prog"
	stat_is processes-started 1
	stat_is requests-received 1
	stat_is requests-answered 1
}

@test "sntp-udp: its state file truncated while it serves: every request answered, one warning, fresh state next time" {
	truncated_while_served sntp-udp
}

@test "daytime-udp: its state file truncated while it serves: every request answered, one warning, fresh state next time" {
	truncated_while_served daytime-udp
}

@test "a SIGBUS that is not the state file's still ends the program by its old action" {
	activate "$port" --datagram -- "$BIN/daytime-udp" --state-dir="$dir" --idle-timeout=20
	local pid rc=0
	pid=$(last_pid)
	run udp_line "$port"
	assert_output --regexp $'\r$'
	kill -BUS "$pid"
	wait_gone "$pid" 20 || fail "daytime-udp survived a SIGBUS"
	wait "$pid" || rc=$?
	if grep -q 'AddressSanitizer: BUS' "$BATS_TEST_TMPDIR/bg.log"; then
		: >"$BATS_TEST_TMPDIR/bg.log" # the asan build: its own report, as wanted
	else
		[ "$rc" = $((128 + 7)) ] || fail "exit status $rc, not SIGBUS's"
	fi
}
