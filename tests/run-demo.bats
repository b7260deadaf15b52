#!/usr/bin/env bats
# make run's promise: scripts/run serves all three programs through
# systemd-socket-activate on unprivileged ports, queryable at once, and
# stops everything it started when it is stopped.

load helpers/common

teardown() {
	stop_servers
}

@test "scripts/run serves daytime over TCP and UDP and SNTP, and stops cleanly" {
	# daytime uses its port on TCP and UDP, SNTP another UDP port.
	dport=$(free_port tcp)
	sport=$(free_port udp)
	while [ "$sport" = "$dport" ] || ss -Hlnu "sport = :$dport" | grep -q .; do
		dport=$(free_port tcp)
		sport=$(free_port udp)
	done
	DAYTIME_PORT=$dport SNTP_PORT=$sport start_bg "$TOP/scripts/run"
	runner=${SERVER_PIDS[-1]}
	wait_listening "$dport"
	wait_listening "$sport"
	run socat -T3 - "TCP:127.0.0.1:$dport" </dev/null
	assert_success
	assert_output --regexp '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}'$'\r''$'
	run bash -c "echo | socat -T3 - UDP:127.0.0.1:$dport"
	assert_output --regexp '^[A-Z][a-z]{2} [A-Z][a-z]{2} '
	run ntp "$sport"
	assert_success
	assert_output --partial "mode=4"
	# The instructions it prints name the ports.
	run cat "$BATS_TEST_TMPDIR/bg.log"
	assert_output --partial "TCP:127.0.0.1:$dport"
	assert_output --partial "port=$sport"
	# Stopping it stops every server it started.
	kids=$(pgrep -P "$runner" | tr '\n' ' ')
	[ -n "$kids" ] || fail "no servers under scripts/run"
	kill -TERM "$runner"
	wait "$runner" || true
	for i in $(seq 30); do
		alive=0
		for k in $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	[ $alive = 0 ] || fail "servers left running: $kids"
	run ss -Hlntu "sport = :$dport"
	assert_output ""
}
