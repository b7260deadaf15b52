#!/usr/bin/env bats
# The state file (--state-dir): counters read back exactly with --stats
# after several real activations (systemd-socket-activate started again
# for each batch, each process idling out after 1 s); the rate limit
# kept across activations; two processes writing at once; a hostile
# file (wrong size, wrong owner, symlink, FIFO) replaced, never followed.

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
	[ "$(stat -c '%a %s' "$dir/sntp-udp.state")" = "600 246592" ]
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
	[ "$(stat -c '%a %u %s' "$dir/sntp-udp.state")" = "600 $(id -u) 246592" ]
	read_stats sntp-udp
	stat_is processes-started 1
	stat_is requests-answered 1
}

@test "a state file of the wrong size or a foreign one is replaced with fresh state" {
	head -c 1000 /dev/zero >"$dir/sntp-udp.state"
	chmod 600 "$dir/sntp-udp.state"
	replaced "wrong size"
	head -c 246592 /dev/urandom >"$dir/sntp-udp.state"
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
