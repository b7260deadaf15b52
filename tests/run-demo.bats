#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make run's promise: scripts/run serves all four programs through
# systemd-socket-activate on unprivileged ports (NTS with a throwaway CA
# under build/run), queryable at once with the very commands it prints,
# and stops everything it started when it is stopped.

load helpers/common

CTIME='^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}'$'\r''$'

teardown() {
	stop_servers
}

@test "scripts/run serves daytime over TCP and UDP, SNTP and NTS, each printed command works, and it stops cleanly" {
	# daytime uses its port on TCP and UDP, SNTP another UDP port,
	# NTS-KE a third (TCP).
	dport=$(free_port tcp)
	sport=$(free_port udp)
	kport=$(free_port tcp)
	while [ "$sport" = "$dport" ] || [ "$kport" = "$dport" ] ||
		ss -Hlnu "sport = :$dport" | grep -q .; do
		dport=$(free_port tcp)
		sport=$(free_port udp)
		kport=$(free_port tcp)
	done
	DAYTIME_PORT=$dport SNTP_PORT=$sport NTSKE_PORT=$kport start_bg "$TOP/scripts/run"
	runner=${SERVER_PIDS[-1]}
	wait_listening "$dport"
	wait_listening "$sport"
	wait_listening "$kport"
	local log=$BATS_TEST_TMPDIR/bg.log i
	for i in $(seq 50); do
		grep -q '^Each request is logged below' "$log" && break
		sleep 0.1
	done
	# The commands it prints, as printed: the lines between the two.
	mapfile -t cmds < <(sed -n '/^Query it with/,/^Each request/{/^  /s/^  //p}' "$log")
	printf 'printed: %s\n' "${cmds[@]}" >&3
	local tcp=0 udp=0 sntp=0 nts=0 cmd
	for cmd in "${cmds[@]}"; do
		run timeout 30 bash -c "$cmd" </dev/null
		assert_success
		case $cmd in
		*"socat - TCP:127.0.0.1:$dport")
			assert_output --regexp "$CTIME"; tcp=$((tcp + 1)) ;;
		*"socat - UDP:127.0.0.1:$dport")
			assert_output --regexp "$CTIME"; udp=$((udp + 1)) ;;
		*ntplib*"port=$sport)"*)
			assert_output --regexp '^-?[0-9]+\.[0-9]+(e-?[0-9]+)?$'
			awk -v x="$output" 'BEGIN { exit !(x < 1 && x > -1) }' ||
				fail "ntplib offset $output s"
			sntp=$((sntp + 1)) ;;
		chronyd\ -Q*"nts ntsport $kport"*)
			# chronyd says this of a sample it took, and with nts it
			# takes only authenticated ones.
			assert_output --regexp 'System clock wrong by -?[0-9.e-]+ seconds'
			nts=$((nts + 1)) ;;
		*) fail "a printed command the test does not know: $cmd" ;;
		esac
		echo "ok: $cmd -> ${output##*$'\n'}" >&3
	done
	# On this machine (make check installs socat, python3-ntplib,
	# gnutls-bin and chrony) every service has its command.
	[ "$tcp" = 1 ] && [ "$udp" = 1 ] && [ "$sntp" = 1 ] && [ "$nts" = 1 ] ||
		fail "commands: tcp $tcp udp $udp sntp $sntp nts $nts: ${cmds[*]}"
	# The NTS command went through both programs: a key exchange, then
	# NTS requests that sntp-udp answered (its log, under scripts/run).
	run grep -c 'nts-ke-tcp: keys and 8 cookies sent' "$log"
	assert_output --regexp '^[1-9]'
	run grep -c 'NTS request answered' "$log"
	assert_output --regexp '^[1-9]'
	# Stopping it stops every server it started, and it exits 0.
	kids=$(pgrep -P "$runner" | tr '\n' ' ')
	[ -n "$kids" ] || fail "no servers under scripts/run"
	kill -TERM "$runner"
	local rc=0
	wait "$runner" || rc=$?
	assert_equal "$rc" 0
	run tail -n1 "$log"
	assert_output stopped
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
