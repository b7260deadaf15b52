#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: sntp-udp's header from a real systemd-timesyncd, in a booted
# systemd (helpers/sys-boot.bash) with the shipped units. timesyncd (its
# .deb unpacked into the overlay: installing it would remove chrony)
# follows a chronyd in the namespace (-x, never touching the clock,
# `local stratum 2`, serving NTP on 127.0.0.1:123, no command port) and
# has CAP_SYS_TIME taken away by a drop-in: it never sets the clock
# (its clock_adjtime fails, as the test checks). sntp-udp.service, as
# shipped (PrivateUsers=, PrivateNetwork=, AF_UNIX only), asks it over
# the system bus: with default options (auto: no chronyd command port
# here) and with --upstream=timesyncd it serves timesyncd's server's
# stratum + 1 and that server's address as reference ID.

load ../helpers/common
load ../helpers/sys-boot

UNITDIR=/usr/local/lib/systemd/system
PORT=12300	# sntp-udp.socket's, by a drop-in: chronyd has 123

# systemd-timesyncd's .deb, fetched once into a cache (scripts/deps
# fetches it too); its version is the installed systemd's.
timesyncd_deb() {
	local cache=${SOCKCLOCK_DEB_CACHE:-/var/cache/sockclock}
	local v deb
	v=$(dpkg-query -W -f='${Version}' systemd)
	deb=$cache/systemd-timesyncd_${v/:/%3a}_$(dpkg --print-architecture).deb
	if [ ! -s "$deb" ]; then
		mkdir -p "$cache"
		(cd "$cache" && apt-get download -q "systemd-timesyncd=$v") >&2 || return 1
	fi
	echo "$deb"
}

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	local deb
	deb=$(timesyncd_deb) || { echo "no systemd-timesyncd .deb" >&2; return 1; }
	sys_boot "make -s -C '$TOP' install DESTDIR=\"\$ROOT\" INSTALL_BIN='$BIN'
		# /lib is a link to usr/lib (merged /usr): kept as one.
		dpkg-deb --fsys-tarfile '$deb' | tar -x --keep-directory-symlink -C \"\$ROOT\"
		systemd-sysusers --root=\"\$ROOT\"
		echo 'OPTIONS=--verbose --idle-timeout=1' >\"\$ROOT/etc/default/sockclock-sntp-udp\"
		mkdir -p \"\$ROOT/etc/systemd/system/sntp-udp.socket.d\" \\
			\"\$ROOT/etc/systemd/system/systemd-timesyncd.service.d\" \\
			\"\$ROOT/etc/systemd/timesyncd.conf.d\"
		printf '[Socket]\nListenDatagram=\nListenDatagram=127.0.0.1:$PORT\n' \\
			>\"\$ROOT/etc/systemd/system/sntp-udp.socket.d/port.conf\"
		# No CAP_SYS_TIME: it must never set the clock. The empty
		# condition resets its conditions (CAP_SYS_TIME, not in a
		# container), which this namespace would fail.
		printf '[Unit]\nConditionVirtualization=\n[Service]\nCapabilityBoundingSet=\nAmbientCapabilities=\n' \\
			>\"\$ROOT/etc/systemd/system/systemd-timesyncd.service.d/no-clock.conf\"
		printf '[Time]\nNTP=127.0.0.1\nFallbackNTP=\nPollIntervalMinSec=16\nPollIntervalMaxSec=32\n' \\
			>\"\$ROOT/etc/systemd/timesyncd.conf.d/test.conf\"
		$(asan_dropin)"
	sys sh -c "printf 'local stratum 2\nallow 127.0.0.1\nbindcmdaddress /\ncmdport 0\npidfile /run/test-chronyd.pid\n' >/run/test-chronyd.conf"
	sys chronyd -x -u root -f /run/test-chronyd.conf -L 0 -l /run/test-chronyd.log
	sys systemctl start systemd-timesyncd.service sntp-udp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

ask() {
	sys $PY "$TOP/tests/helpers/ntp.py" "$PORT"
}

# Until the reply has stratum 3 (60 s at most: timesyncd's first
# exchange, then sntp-udp's query in its child after the first reply).
wait_stratum3() {
	local i
	for i in $(seq 120); do
		r=$(ask)
		[[ $r == *" stratum=3 "* ]] && return 0
		sleep 0.5
	done
	return 1
}

@test "timesyncd runs without CAP_SYS_TIME, follows chronyd, and cannot set the clock" {
	run sys systemctl is-active systemd-timesyncd.service
	assert_output active
	local pid i
	pid=$(sys systemctl show -P MainPID systemd-timesyncd.service)
	run sys grep CapBnd "/proc/$pid/status"
	echo "# $output" >&3
	# CAP_SYS_TIME is bit 25.
	local bnd=${output##*:}
	(( (16#${bnd//[[:space:]]/} >> 25 & 1) == 0 )) || fail "CAP_SYS_TIME in its bounding set: $output"
	for i in $(seq 120); do
		sys journalctl -u systemd-timesyncd -o cat | grep -q 'clock_adjtime' && break
		sleep 0.5
	done
	run sys journalctl -u systemd-timesyncd -o cat
	echo "$output" | grep -E 'Contacted|clock_adjtime|Initial' | sed 's/^/# /' >&3
	assert_output --partial "Contacted time server 127.0.0.1:123"
	assert_output --partial "Failed to call clock_adjtime(): Operation not permitted"
	run sys busctl get-property org.freedesktop.timesync1 /org/freedesktop/timesync1 \
		org.freedesktop.timesync1.Manager NTPMessage
	echo "# NTPMessage $output" >&3
	assert_output --regexp '^\(uuuuittayttttbtt\) 0 4 4 2 '
}

@test "sntp-udp.service with default options (auto, no chronyd command port): timesyncd's server's stratum + 1 and its address" {
	wait_stratum3 || fail "never timesyncd's stratum + 1: $r; $(sys journalctl -u sntp-udp.service -o cat | tail -20)"
	echo "# $r" >&3
	[[ $r == *" leap=0 "* && $r == *" refid=7f000001 "* ]] || fail "not from timesyncd's server: $r"
	run sys /usr/local/sbin/sntp-udp --stats --state-dir=/run/sockclock/sntp-udp
	echo "$output" | grep upstream | sed 's/^/# /' >&3
	assert_line "upstream-source: timesyncd 127.0.0.1"
	assert_line --regexp '^upstream-timesyncd-refreshes: [1-9]'
}

@test "sntp-udp.service --upstream=timesyncd: the same, from a fresh state file" {
	sys sh -c "echo 'OPTIONS=--verbose --idle-timeout=1 --upstream=timesyncd' >/etc/default/sockclock-sntp-udp"
	sys_wait_inactive sntp-udp.service || fail "sntp-udp.service still running"
	sys rm -f /run/sockclock/sntp-udp/sntp-udp.state
	wait_stratum3 || fail "never timesyncd's stratum + 1: $r"
	echo "# $r" >&3
	[[ $r == *" refid=7f000001 "* ]] || fail "not timesyncd's server: $r"
	run sys journalctl -u sntp-udp.service -o cat
	refute_output --partial "upstream: timesyncd: "
}
