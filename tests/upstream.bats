#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sntp-udp --upstream=chrony:127.0.0.1:PORT against a fake chronyd
# command port (tests/helpers/upstream.py fake): its answer is served
# (stratum, reference ID), kept in the state file across activations
# and asked again once an interval; every malformed answer (length,
# version, command, sequence, status, another port, late) is ignored,
# counted as a failure, and the reply says "not synchronised". The
# real chronyd scenario is root/upstream.bats.

load helpers/common
load helpers/core-lib
load helpers/xinetd-conf

setup() {
	state_dir_and_port
	fport=$(free_port udp)
}

teardown() {
	[ -n "${X:-}" ] && xinetd_stop "$X"
	stop_fake
	stop_servers
	no_sanitizer_report
}

# Start the fake in MODE [STRATUM]; its log is $BATS_TEST_TMPDIR/fake.log.
start_fake() {
	start_fake_py chronyd "$TOP/tests/helpers/upstream.py" fake "$fport" "$@"
}

fake_requests() {
	grep -c '^request 104 bytes' "$BATS_TEST_TMPDIR/fake.log" || true
}

# One activation that answers one request and exits: the reply decoded.
once() {
	start_bg systemd-socket-activate --datagram -l "127.0.0.1:$port" \
		"$BIN/sntp-udp" --state-dir="$dir" --idle-timeout=0 \
		--upstream="chrony:127.0.0.1:$fport" "$@"
	local p
	p=$(last_pid)
	wait_listening "$port"
	reply=$(ntp "$port")
	wait_gone "$p" 10 || fail "sntp-udp did not exit"
}

stat_of() {
	"$BIN/sntp-udp" --state-dir="$dir" --stats | sed -n "s/^$1: //p"
}

@test "upstream chrony: the answer is served, shared across activations, asked again after the interval" {
	start_fake good 3
	local t0 t1 i n
	# A query that misses its 1 ms (a slow fake on a loaded machine)
	# is tried again an interval (8 s) later: three intervals at most.
	for i in $(seq 60); do
		once
		[[ $reply == *" stratum=3 "* ]] && break
		sleep 0.5
	done
	echo "# served after $(fake_requests) queries: $reply" >&3
	[[ $reply == *" leap=0 "* && $reply == *" stratum=3 "* &&
		$reply == *" refid=c0000201 "* ]] || fail "not the fake's header: $reply"
	n=$(fake_requests)
	t0=$(now_s)
	once
	t1=$(now_s)
	[[ $reply == *" stratum=3 "* ]] || fail "second activation: $reply"
	# The next process used the file's answer: no query of its own
	# (unless the interval, 8 s, passed meanwhile on a loaded machine).
	local m
	m=$(fake_requests)
	awk -v n="$((m - n))" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		'BEGIN { exit !(n <= int(d / 8) + (d >= 8)) }' ||
		fail "$((m - n)) queries by the next activation"
	[ "$(stat_of upstream-refreshes)" -ge 1 ]
	[ "$(stat_of upstream-source)" = "chrony 127.0.0.1:$fport" ]
	n=$m
	# chronyd now says stratum 4: served within an interval or two.
	stop_fake
	start_fake good 4
	t0=$(now_s)
	for i in $(seq 60); do
		once
		[[ $reply == *" stratum=4 "* ]] && break
		sleep 0.5
	done
	t1=$(now_s)
	echo "# stratum 4 served after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $reply" >&3
	[[ $reply == *" stratum=4 "* ]] || fail "never refreshed: $reply"
}

# A process that serves on keeps the last view parsed while the state
# file's copy is unchanged (upstreamquery.c); a refresh must reach it.
@test "upstream chrony: one warm process follows chronyd from stratum 3 to 4 (its kept view parsed again after a refresh)" {
	start_fake good 3
	start_bg systemd-socket-activate --datagram -l "127.0.0.1:$port" \
		"$BIN/sntp-udp" --state-dir="$dir" --idle-timeout=120 \
		--upstream="chrony:127.0.0.1:$fport"
	local p i t0 t1
	p=$(last_pid)
	wait_listening "$port"
	for i in $(seq 60); do
		reply=$(ntp "$port")
		[[ $reply == *" stratum=3 "* ]] && break
		sleep 0.5
	done
	[[ $reply == *" stratum=3 "* ]] || fail "never the fake's header: $reply"
	stop_fake
	start_fake good 4
	t0=$(now_s)
	for i in $(seq 80); do
		reply=$(ntp "$port")
		[[ $reply == *" stratum=4 "* ]] && break
		sleep 0.5
	done
	t1=$(now_s)
	echo "# stratum 4 served by the same process after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&3
	[[ $reply == *" stratum=4 "* ]] || fail "the warm process kept its old view: $reply"
	kill -0 "$p" 2>/dev/null || fail "not one process: it exited"
	[ "$(stat_of upstream-refreshes)" -ge 2 ]
}

@test "upstream chrony: a malformed, misdirected or late answer is ignored and counted as a failure" {
	local mode
	for mode in short long version command sequence status otherport late good; do
		start_fake "$mode"
		local n f r try
		# The good answer must come within sntp-udp's 1 ms wait: a fake
		# in Python on a busy host can miss it (a failure, and LI 3), so
		# it gets up to 20 fresh tries; a bad one is never believed.
		for try in $(seq 20); do
			rm -f "$dir"/*
			once
			[ "$mode" = good ] && [ "$(stat_of upstream-refreshes)" = 0 ] || break
		done
		n=$(fake_requests) f=$(stat_of upstream-failures) r=$(stat_of upstream-refreshes)
		echo "# $mode: queries $n, failures $f, refreshes $r; ${reply:0:40}" >&3
		[ "$n" -ge 1 ] || fail "$mode: the fake was not asked"
		if [ "$mode" = good ]; then
			[[ $reply == *"leap=0 "* && $reply == *" stratum=3 "* ]] ||
				fail "good: $reply"
			[ "$r" = 1 ] && [ "$f" = 0 ] || fail "good: refreshes $r failures $f"
		else
			# Not believed: chrony named and silent is "not synchronised".
			[[ $reply == *"leap=3 "* && $reply == *" stratum=0 "* ]] ||
				fail "$mode believed: $reply"
			[ "$f" = 1 ] && [ "$r" = 0 ] || fail "$mode: refreshes $r failures $f"
		fi
		stop_fake
	done
}

# The view kept is keyed by its source: after --upstream names another
# address, the old one's answer (believed 16 s) is not served, not even
# once, and the new address is asked at once rather than an interval
# after the old one's question.
@test "upstream chrony: after --upstream names another address, the old source's answer is not believed" {
	start_fake good
	local try other
	for try in $(seq 20); do
		rm -f "$dir"/*
		once
		[[ $reply == *" stratum=3 "* ]] && break
	done
	[[ $reply == *" stratum=3 "* ]] || fail "the fake's answer was never served: $reply"
	local n0=$(fake_requests)
	other=$(free_port udp)
	once --upstream="chrony:127.0.0.1:$other"
	echo "# another address: ${reply:0:40}" >&3
	[[ $reply == *"leap=3 "* && $reply == *" stratum=0 "* ]] ||
		fail "the old source's answer was believed: $reply"
	[ "$(stat_of upstream-failures)" = 1 ] || fail "the new address was not asked at once"
	[ "$(stat_of upstream-source)" = none ] || fail "--stats: $(stat_of upstream-source)"
	once --upstream=kernel --assume-synchronized --stratum=7
	[[ $reply == *" stratum=7 "* ]] || fail "kernel: $reply"
	[ "$(fake_requests)" = "$n0" ] || fail "the old source was asked again"
}

# The nist line's L (leap) and H (health) follow the
# same source as sntp-udp's header. daytime-udp asks chronyd itself and
# keeps the answer in its own state file (no program reads another's).
# This host's kernel is unsynchronised ("0 2"): a leap second
# armed ("1 0") can only be chronyd's.
NIST='^[0-9]{5} [0-9-]{8} [0-9:]{8} [0-9]{2} '

day_once() {
	start_bg systemd-socket-activate --datagram -l "127.0.0.1:$port" \
		"$BIN/daytime-udp" --state-dir="$dir" --idle-timeout=0 --utc \
		--format=nist "$@"
	local p
	p=$(last_pid)
	wait_listening "$port"
	line=$(socat -T5 - "UDP4:127.0.0.1:$port" <<<x)
	wait_gone "$p" 10 || fail "daytime-udp did not exit"
}

@test "upstream chrony: daytime-udp's nist line takes leap and health from chronyd, kept in its own state" {
	start_fake leap
	local i n m t0 t1 line
	for i in $(seq 60); do
		day_once --upstream="chrony:127.0.0.1:$fport"
		[[ $line =~ $NIST'1 0 ' ]] && break
		sleep 0.5
	done
	echo "# chronyd arms a leap second: $line" >&3
	[[ $line =~ $NIST'1 0 ' ]] || fail "not chronyd's leap: $line"
	[ -s "$dir/daytime-udp.state" ] || fail "no state file of its own: $(ls "$dir")"
	n=$(fake_requests)
	t0=$(now_s)
	day_once --upstream="chrony:127.0.0.1:$fport"
	t1=$(now_s)
	[[ $line =~ $NIST'1 0 ' ]] || fail "second activation: $line"
	m=$(fake_requests)
	awk -v n="$((m - n))" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		'BEGIN { exit !(n <= int(d / 8) + (d >= 8)) }' ||
		fail "$((m - n)) queries by the next activation"
	# kernel: chronyd not asked, whatever it says.
	day_once --upstream=kernel
	[ "$(fake_requests)" = "$m" ] || fail "--upstream=kernel asked chronyd"
	[[ ! $line =~ $NIST'1 0 ' ]] || host_leap_armed || fail "kernel: chronyd's leap: $line"
	# chronyd no longer synchronised: L 0, H 2 (no error bound) within
	# the 16 s a view is believed.
	stop_fake
	start_fake unsync
	t0=$(now_s)
	for i in $(seq 60); do
		day_once --upstream="chrony:127.0.0.1:$fport"
		[[ $line =~ $NIST'0 2 ' ]] && break
		sleep 0.5
	done
	t1=$(now_s)
	echo "# not synchronised after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $line" >&3
	[[ $line =~ $NIST'0 2 ' ]] || fail "never unsynchronised: $line"
	# Due within the interval (8 s), believed at most 16 s; 8 more for
	# the activation that shows it on a loaded machine.
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a <= 16 + 8) }' || fail "too late"
}

host_leap_armed() {
	host_clock
	[ "$CLOCK_LEAP" = 1 ]
}

@test "upstream: the options, --dump's line" {
	run "$BIN/sntp-udp" --upstream=chrony:localhost:323
	assert_failure
	assert_output --partial "numeric"
	run "$BIN/sntp-udp" --upstream=ntpd
	assert_failure
	start_fake good 3
	# By hand there is no state file: each run asks once, and a slow
	# fake may miss the 1 ms; a few runs.
	local i
	for i in $(seq 20); do
		run "$BIN/sntp-udp" --dump --upstream="chrony:127.0.0.1:$fport" </dev/null
		[[ $output == *"stratum: 3"* ]] && break
	done
	assert_success
	assert_output --partial "upstream: chrony 127.0.0.1:$fport, synchronised, stratum 3, refid 192.0.2.1, age 0 s"
	assert_output --partial "stratum: 3"
	# --stratum implies the kernel unless --upstream says otherwise.
	run "$BIN/sntp-udp" --dump --stratum=5 </dev/null
	assert_output --partial "upstream: kernel"
	for i in $(seq 20); do
		run "$BIN/sntp-udp" --dump --stratum=5 --upstream="chrony:127.0.0.1:$fport" </dev/null
		[[ $output == *"stratum: 3"* ]] && break
	done
	assert_output --partial "stratum: 3"
}

@test "upstream chrony under xinetd: each process started by a request uses the file's answer" {
	start_fake good 3
	X=$BATS_TEST_TMPDIR/xinetd
	mkdir -p "$X"
	xinetd_service sntp-up dgram "$port" "server=$BIN/sntp-udp" \
		"server_args=--state-dir=$dir --idle-timeout=0 --upstream=chrony:127.0.0.1:$fport" \
		user=root >"$X/xinetd.conf"
	xinetd_start "$X" "$port"
	local i r n m t0 t1
	# A query that misses its 1 ms is tried again 8 s later; under load
	# the fake (python) may miss several.
	for i in $(seq 200); do
		r=$(ntp "$port")
		[[ $r == *" stratum=3 "* ]] && break
		sleep 0.5
	done
	[[ $r == *" stratum=3 "* && $r == *" refid=c0000201 "* ]] || fail "never the fake's: $r"
	n=$(fake_requests)
	t0=$(now_s)
	for i in 1 2 3; do
		r=$(ntp "$port")
		[[ $r == *" stratum=3 "* ]] || fail "request $i: $r"
	done
	t1=$(now_s)
	m=$(fake_requests)
	local procs
	procs=$(stat_of processes-started)
	echo "# xinetd: $procs processes, $m queries of chronyd" >&3
	[ "$procs" -ge 4 ] || fail "only $procs processes: not one per request"
	awk -v n="$((m - n))" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		'BEGIN { exit !(n <= int(d / 8) + (d >= 8)) }' ||
		fail "$((m - n)) queries by three processes"
}
