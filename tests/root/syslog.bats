#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Under inetd/xinetd (standard input is the socket) messages go to syslog
# and never to descriptors 0-2, which are the client's socket (doc/faq.md,
# "Where are the logs?"). Each test runs in a private mount namespace whose /dev holds
# only null and a /dev/log read by socat, so the host's log is untouched;
# the namespace, its mounts and its processes end with the test.

load ../helpers/common

setup() {
	require_root
	O=$BATS_TEST_TMPDIR
}

# in_private_syslog PORT 'commands': run the commands (bash) with a
# private /dev/log collected into $O/syslog; $SERVER is a function that
# starts systemd-socket-activate --inetd on 127.0.0.1:PORT with the
# arguments given, in the background, its exit code in $O/exit.
in_private_syslog() {
	local port=$1 body=$2
	unshare -m bash -e -c '
		O=$1 PORT=$2 BIN=$3
		pids=()
		trap "kill \${pids[*]} 2>/dev/null; wait" EXIT
		mkdir -p "$O/dev"
		touch "$O/dev/null"
		mount --bind /dev/null "$O/dev/null"
		mount --rbind "$O/dev" /dev
		socat -u UNIX-RECV:/dev/log OPEN:"$O/syslog",creat,append &
		pids+=($!)
		for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
		server() {
			{ rc=0; systemd-socket-activate --inetd -l "127.0.0.1:$PORT" "$@" \
				2>"$O/activate.err" || rc=$?; echo $rc >"$O/exit"; } &
			pids+=($!)
			for i in $(seq 50); do ss -Hlntu "sport = :$PORT" | grep -q . && return; sleep 0.1; done
			return 1
		}
		'"$body"'
		sleep 0.3 # let the last message reach socat
	' _ "$O" "$port" "$BIN"
}

# One TCP connection to daytime-tcp ARGS... under inetd: the client's
# bytes in $O/client, the syslog in $O/syslog, the exit code in $O/exit.
tcp_once() {
	local args
	printf -v args '%q ' "$@"
	in_private_syslog "$(free_port tcp)" '
		server "$BIN/daytime-tcp" '"$args"'
		socat -T3 - TCP:127.0.0.1:$PORT </dev/null >"$O/client" || true
		for i in $(seq 30); do [ -s "$O/exit" ] && break; sleep 0.1; done'
}

# The client got no byte: nothing went to descriptors 0-2.
client_got_nothing() {
	[ ! -s "$O/client" ] || fail "client got: $(od -c "$O/client")"
}

@test "inetd: daytime-tcp --verbose logs to syslog (daemon.info) and sends the client the line alone" {
	tcp_once --verbose --idle-timeout=0.5
	# One CTIME line, CR LF, nothing else.
	run od -An -c "$O/client"
	[ "$(wc -c <"$O/client")" = 26 ] || fail "client got: $output"
	assert_output --regexp '\\r +\\n$'
	run cat "$O/syslog"
	assert_output --regexp '^<30>.* daytime-tcp\[[0-9]+\]: daytime sent \(peer 127\.0\.0\.1:[0-9]+\)'
	assert_equal "$(cat "$O/exit")" 0
}

@test "inetd: a bad option goes to syslog (daemon.err), exit 2, and the client gets nothing" {
	tcp_once --bogus
	client_got_nothing
	run cat "$O/syslog"
	assert_output --regexp "<27>.* daytime-tcp\[[0-9]+\]: unknown option '--bogus'"
	assert_output --partial "see daytime-tcp --help"
	assert_equal "$(cat "$O/exit")" 2
}

@test "inetd: --help goes to syslog, never to the client" {
	tcp_once --help
	client_got_nothing
	run cat "$O/syslog"
	assert_output --regexp "daytime-tcp\[[0-9]+\]: daytime-tcp \(sockclock\) [0-9.]+: see daytime-tcp --help"
	assert_equal "$(cat "$O/exit")" 0
}

@test "inetd wait: sntp-udp logs answered and dropped requests to syslog, the client gets 48 bytes" {
	port=$(free_port udp)
	in_private_syslog "$port" '
		server --datagram "$BIN/sntp-udp" --verbose --idle-timeout=2
		/usr/bin/python3 "'"$TOP"'/tests/helpers/ntp.py" "$PORT" >"$O/good" || true
		/usr/bin/python3 "'"$TOP"'/tests/helpers/ntp.py" "$PORT" --mode 6 --timeout 0.5 >"$O/bad" || true
		/usr/bin/python3 "'"$TOP"'/tests/helpers/ntp.py" "$PORT" >"$O/good2" || true
		for i in $(seq 40); do [ -s "$O/exit" ] && break; sleep 0.1; done'
	run cat "$O/good"
	assert_output --regexp '^len=48 .*mode=4'
	run cat "$O/good2"
	assert_output --regexp '^len=48 .*mode=4'
	run cat "$O/bad"
	assert_output "no reply"
	run cat "$O/syslog"
	assert_output --regexp '<30>.* sntp-udp\[[0-9]+\]: NTPv4 mode 3 request answered \(peer 127\.0\.0\.1:[0-9]+\)'
	assert_output --regexp '<30>.* sntp-udp\[[0-9]+\]: dropped: not a client or symmetric-active request \(peer 127\.0\.0\.1:[0-9]+\)'
	assert_equal "$(cat "$O/exit")" 0
}
