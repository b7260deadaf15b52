#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sntp-udp --keys through the installed unit in a real systemd
# (helpers/sys-boot.bash), the way doc/symmetric-keys.md and sntp-udp(8) say: the key
# file /etc/sockclock/ntp.keys root-only (0600), handed to the service
# by LoadCredential= in a drop-in, read as its user sockclock-sntp
# (sysusers.d/sockclock.conf); chronyd -Q inside the namespace with the
# same file as its keyfile.
load ../helpers/common
load ../helpers/sys-boot

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	sys_boot "make -s -C '$TOP' install DESTDIR=\"\$ROOT\" INSTALL_BIN='$BIN'
		systemd-sysusers --root=\"\$ROOT\"
		install -d -m 755 \"\$ROOT/etc/sockclock\" \"\$ROOT/etc/sockclock-test\"
		printf '%s\n' '1 SHA1 HEX:0123456789ABCDEF0123456789ABCDEF01234567' \
			'2 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c' |
			install -m 600 /dev/stdin \"\$ROOT/etc/sockclock/ntp.keys\"
		mkdir -p \"\$ROOT/etc/systemd/system/sntp-udp.service.d\"
		printf '%s\n' '[Service]' 'LoadCredential=ntp.keys:/etc/sockclock/ntp.keys' \
			'ExecStart=' \
			'ExecStart=/usr/local/sbin/sntp-udp --keys=%d/ntp.keys --require-keys \$OPTIONS' \
			>\"\$ROOT/etc/systemd/system/sntp-udp.service.d/keys.conf\"
		echo 'OPTIONS=--assume-synchronized --verbose --idle-timeout=1' \
			>\"\$ROOT/etc/default/sockclock-sntp-udp\"
		for id in 1 2; do
			printf '%s\n' \"server 127.0.0.1 key \$id iburst maxsamples 1\" \
				'keyfile /etc/sockclock/ntp.keys' 'cmdport 0' \
				'pidfile /run/chrony-test.pid' \
				>\"\$ROOT/etc/sockclock-test/chrony-\$id.conf\"
		done
		$(asan_dropin)"
	sys systemctl start sntp-udp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

@test "the drop-in of the docs passes systemd-analyze verify" {
	run sys systemd-analyze verify /usr/local/lib/systemd/system/sntp-udp.service
	assert_success
	assert_output ""
}

@test "chronyd -Q with SHA1 and AES128 keys through the installed unit (key file as a credential): time under 1 ms; plain requests refused" {
	local id
	for id in 1 2; do
		run sys timeout 40 chronyd -Q -u root -t 20 -f /etc/sockclock-test/chrony-$id.conf
		wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
			fail "key $id: no time: $output
$(sys journalctl -q --no-pager -n 30)"
		echo "# key $id: $wrong" >&3
		awk -v x="$(awk '{ print $5 }' <<<"$wrong")" \
			'BEGIN { if (x < 0) x = -x; exit !(x < 0.001) }' || fail "key $id: $wrong"
	done
	run sys journalctl -q --no-pager SYSLOG_IDENTIFIER=sntp-udp
	assert_output --partial "MAC'd request answered"
	refute_output --partial "requests with a MAC get no answer"
	# --require-keys: a plain request gets nothing; wait for the log of
	# its drop (the journal may lag the reply's absence).
	run sys $PY "$TOP/tests/helpers/ntp.py" 123 --timeout 1
	assert_output "no reply"
	local i
	for i in $(seq 50); do
		sys journalctl -q --no-pager SYSLOG_IDENTIFIER=sntp-udp -g 'mac-required' >/dev/null && return 0
		sleep 0.2
	done
	fail "no mac-required drop logged: $(sys journalctl -q --no-pager -n 20)"
}
