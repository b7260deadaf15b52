#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sntp-udp --upstream=timesyncd against a stand-in for systemd-timesyncd
# (tests/helpers/timesyncd_fake.py: its bus object, with the property
# types of systemd's timesyncd-bus.c, or one wrong) on a private bus (a
# real dbus-daemon, reached through DBUS_SYSTEM_BUS_ADDRESS, as sd-bus
# reads it): the header from its NTPMessage (stratum + 1, the server's
# address, root delay with the measured delay), kept in the state file;
# a property of the wrong type is ignored and counted as a failure. The
# real timesyncd, in a booted systemd: root/systemd-timesyncd.bats.

load helpers/common
load helpers/core-lib

setup() {
	state_dir_and_port
	D=$BATS_TEST_TMPDIR
	start_bg dbus-daemon --session --address="unix:path=$D/bus" --nofork --nopidfile
	local i
	for i in $(seq 100); do
		[ -S "$D/bus" ] && break
		sleep 0.05
	done
	[ -S "$D/bus" ] || fail "no private bus: $(cat "$D/bg.log")"
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/bus"
}

teardown() {
	stop_fake
	stop_servers
	no_sanitizer_report
}

# The stand-in in MODE [STRATUM], once it owns the name.
start_fake() {
	start_fake_py timesyncd "$TOP/tests/helpers/timesyncd_fake.py" "$DBUS_SYSTEM_BUS_ADDRESS" "$@"
}

serve() {
	activate "$port" --datagram -E DBUS_SYSTEM_BUS_ADDRESS -- "$BIN/sntp-udp" --state-dir="$dir" \
		--idle-timeout=60 --verbose "$@"
}

stat_of() {
	"$BIN/sntp-udp" --state-dir="$dir" --stats | sed -n "s/^$1: //p"
}

@test "timesyncd: the server's stratum + 1, its address as reference ID, its root delay + the measured delay; its loss and return said once" {
	start_fake good 2
	serve --upstream=timesyncd
	local i r
	# The first request may find no view yet: the query runs in a child
	# while the reply goes out (LI 3 then).
	for i in $(seq 40); do
		r=$(ntp "$port")
		[[ $r == *" stratum=3 "* ]] && break
		sleep 0.25
	done
	echo "# $r" >&3
	[[ $r == *" leap=0 "* && $r == *" stratum=3 "* && $r == *" refid=c0000207 "* ]] ||
		fail "not the fake timesyncd's server, one stratum down: $r"
	# 0.25 s + a delay of 16 ms = 0.266 s = 17433/65536 (rounded up);
	# dispersion 0.125 + jitter 0.003 + MINDISP 0.01 = 0.138 s = 9044.
	local rd rs
	rd=$(sed -n 's/.* rootdelay=\([0-9]*\) .*/\1/p' <<<"$r")
	rs=$(sed -n 's/.* rootdisp=\([0-9]*\) .*/\1/p' <<<"$r")
	[ "$rd" -ge 17430 ] && [ "$rd" -le 17436 ] || fail "root delay $rd"
	# The message ages while asked: 15 ppm of a few seconds.
	[ "$rs" -ge 9040 ] && [ "$rs" -le 9060 ] || fail "root dispersion $rs"
	run "$BIN/sntp-udp" --state-dir="$dir" --stats
	echo "$output" | grep upstream | sed 's/^/# /' >&3
	assert_line "upstream-source: timesyncd 192.0.2.7"
	assert_line --regexp '^upstream-timesyncd-refreshes: [1-9]'
	# Shared: a second process, started by hand, reads the same file.
	run "$BIN/sntp-udp" --state-dir="$dir" --dump --upstream=timesyncd </dev/null
	assert_output --partial "upstream: timesyncd 192.0.2.7, synchronised, stratum 3, refid 192.0.2.7"

	# timesyncd's server loses its synchronisation (stratum 15 makes us
	# 16): the alarm condition after the next refresh, within 16 s.
	stop_fake
	start_fake good 15
	for i in $(seq 80); do
		r=$(ntp "$port")
		[[ $r == *" leap=3 "* ]] && break
		sleep 0.25
	done
	[[ $r == *" leap=3 "* && $r == *" stratum=0 "* && $r == *" refid=00000000 "* ]] ||
		fail "not the alarm: $r"

	# timesyncd gone: said once; back: said once, and served again.
	stop_fake
	for i in $(seq 80); do
		ntp "$port" >/dev/null
		grep -q 'upstream: timesyncd does not answer' "$D/bg.log" && break
		sleep 0.25
	done
	start_fake good 2
	for i in $(seq 80); do
		r=$(ntp "$port")
		[[ $r == *" stratum=3 "* ]] && break
		sleep 0.25
	done
	[[ $r == *" stratum=3 "* ]] || fail "not served again: $r"
	grep upstream: "$D/bg.log" | grep -v 'timesyncd: ' | sed 's/^/# /' >&3
	[ "$(grep -c 'upstream: timesyncd does not answer' "$D/bg.log")" = 1 ] ||
		fail "the loss not said once: $(grep upstream: "$D/bg.log")"
	[ "$(grep -c 'upstream: timesyncd answers again' "$D/bg.log")" = 1 ] ||
		fail "the return not said once: $(grep upstream: "$D/bg.log")"
}

# Issue 21, item 6: daytime-udp's nist line takes L and H from the same
# view, kept in its own state file: one process a request here, so the
# answer the first one asked for after its reply (and waited for at its
# exit) is what a later one serves. The host's kernel is unsynchronised
# ("0 2"): "1 0" (a leap second armed, healthy) is timesyncd's.
@test "timesyncd: daytime-udp's nist line takes leap and health from timesyncd's view" {
	start_fake good 2 1
	local i line
	for i in $(seq 20); do
		start_bg systemd-socket-activate --datagram -E DBUS_SYSTEM_BUS_ADDRESS \
			-l "127.0.0.1:$port" "$BIN/daytime-udp" --state-dir="$dir" \
			--idle-timeout=0 --utc --format=nist --upstream=timesyncd
		wait_listening "$port"
		line=$(udp_line "$port")
		wait_gone "$(last_pid)" 10 || fail "daytime-udp did not exit"
		[[ $line =~ ^[0-9]{5}\ [0-9-]{8}\ [0-9:]{8}\ [0-9]{2}\ 1\ 0\  ]] && break
		sleep 0.2
	done
	echo "# after $i activations: $line" >&3
	[[ $line =~ ^[0-9]{5}\ [0-9-]{8}\ [0-9:]{8}\ [0-9]{2}\ 1\ 0\  ]] || fail "not timesyncd's leap: $line"
}

@test "timesyncd: a property of the wrong type is ignored and counted as a failure" {
	local mode i r f
	declare -A why=([ntpmessage-string]="NTPMessage of type s, not (uuuuittayttttbtt)"
		[ntpmessage-short]="NTPMessage of type (uuuuittayttttbt), not (uuuuittayttttbtt)"
		[address-string]="ServerAddress of type s, not (iay)"
		[poll-string]="PollIntervalUSec of type s, not t")
	for mode in ntpmessage-string ntpmessage-short address-string poll-string; do
		# A state file and a server of its own for each.
		dir=$D/state-$mode
		mkdir -m 700 "$dir"
		port=$(free_port udp)
		start_fake "$mode" 2
		serve --upstream=timesyncd
		for i in $(seq 40); do
			r=$(ntp "$port")
			f=$(stat_of upstream-timesyncd-failures)
			[ "${f:-0}" -ge 1 ] && break
			sleep 0.25
		done
		echo "# $mode: $r; failures ${f:-none}" >&3
		[ "${f:-0}" -ge 1 ] || fail "$mode: not counted as a failure"
		[ "$(stat_of upstream-timesyncd-refreshes)" = 0 ] || fail "$mode: believed"
		r=$(ntp "$port")
		[[ $r == *" leap=3 "* && $r == *" stratum=0 "* ]] || fail "$mode: not the alarm: $r"
		run "$BIN/sntp-udp" --state-dir="$dir" --stats
		assert_line "upstream-source: none"
		grep -qF "upstream: timesyncd: ${why[$mode]}" "$D/bg.log" ||
			fail "$mode: not for its type: $(grep upstream "$D/bg.log")"
		stop_fake
	done
}

@test "timesyncd: no bus, or no timesyncd on it: the alarm, and asking never starts timesyncd" {
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/nobody-here"
	run "$BIN/sntp-udp" --upstream=timesyncd --dump --verbose </dev/null
	assert_output --partial "upstream: timesyncd: cannot connect to the system bus"
	assert_output --partial "stratum: 0"
	assert_output --partial "upstream: timesyncd, not answering: not synchronised"
	# A bus that could start timesyncd (bus activation, as the system
	# bus can through systemd): the query says not to.
	mkdir "$D/services"
	cat >"$D/services/org.freedesktop.timesync1.service" <<-EOF
		[D-BUS Service]
		Name=org.freedesktop.timesync1
		Exec=/bin/sh -c 'touch $D/started'
	EOF
	cat >"$D/bus.conf" <<-EOF
		<busconfig>
		  <type>session</type>
		  <listen>unix:path=$D/bus-act</listen>
		  <servicedir>$D/services</servicedir>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow send_destination="*" eavesdrop="true"/>
		    <allow eavesdrop="true"/>
		    <allow own="*"/>
		  </policy>
		</busconfig>
	EOF
	start_bg dbus-daemon --config-file="$D/bus.conf" --nofork --nopidfile
	local i
	for i in $(seq 100); do
		[ -S "$D/bus-act" ] && break
		sleep 0.05
	done
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/bus-act"
	run "$BIN/sntp-udp" --upstream=timesyncd --dump --verbose </dev/null
	assert_output --partial "upstream: timesyncd: org.freedesktop.DBus.Error.NameHasNoOwner"
	assert_output --partial "stratum: 0"
	sleep 0.5
	[ ! -e "$D/started" ] || fail "asking started timesyncd"
}
