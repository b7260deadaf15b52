#!/usr/bin/env bats
# NTS through the installed units in a real systemd (helpers/sys-boot.bash):
# nts-ke-tcp.socket (Accept=yes) and sntp-udp.socket sharing the key
# file in StateDirectory=sockclock as the one dynamic user; chronyd -Q
# inside the namespace as the NTS client.
# LoadCredential= cannot work in this booted systemd: it has no ramfs of
# its own for /run/credentials and its fallback directory is unreadable
# to any service user (seen with a plain User=nobody unit too). So a
# drop-in (the one change to the installed units) empties it and passes
# the certificate from /etc/sockclock directly; on a host, the unit as
# shipped reads them through LoadCredential=.
load helpers/common
load helpers/sys-boot
load helpers/ntske

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	local f=$BATS_FILE_TMPDIR
	sys_boot "make -s -C '$TOP' install DESTDIR=\"\$ROOT\" INSTALL_BIN='$BIN'
		install -d -m 755 \"\$ROOT/etc/sockclock\" \"\$ROOT/etc/sockclock-test\"
		install -m 644 '$f/srv.crt' \"\$ROOT/etc/sockclock/nts-ke.crt\"
		install -m 644 '$f/srv.key' \"\$ROOT/etc/sockclock/nts-ke.key\"
		mkdir -p \"\$ROOT/etc/systemd/system/nts-ke-tcp@.service.d\"
		printf '%s\n' '[Service]' LoadCredential= ExecStart= \\
			'ExecStart=/usr/local/sbin/nts-ke-tcp --cert=/etc/sockclock/nts-ke.crt --key=/etc/sockclock/nts-ke.key \$OPTIONS' \\
			>\"\$ROOT/etc/systemd/system/nts-ke-tcp@.service.d/no-credentials.conf\"
		install -m 644 '$f/ca.crt' \"\$ROOT/etc/sockclock-test/ca.crt\"
		install -m 755 '$f/keclient' \"\$ROOT/usr/local/bin/sockclock-test-keclient\"
		echo 'OPTIONS=--assume-synchronized --verbose' >\"\$ROOT/etc/default/sockclock-sntp-udp\"
		echo 'OPTIONS=--verbose' >\"\$ROOT/etc/default/sockclock-nts-ke-tcp\"
		printf '%s\n' 'server 127.0.0.1 nts iburst maxsamples 4' \
			'ntstrustedcerts /etc/sockclock-test/ca.crt' nosystemcert 'cmdport 0' \
			'pidfile /run/chrony-test.pid' >\"\$ROOT/etc/sockclock-test/chrony.conf\"
		$(asan_dropin)"
	sys systemctl start nts-ke-tcp.socket sntp-udp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

@test "the NTS units pass systemd-analyze verify; 4460 listens dual-stack" {
	local u=/usr/local/lib/systemd/system
	run sys systemd-analyze verify $u/nts-ke-tcp.socket $u/nts-ke-tcp@.service \
		$u/sntp-udp.service
	assert_success
	assert_output ""
	run sys ss -Hlnt
	assert_output --regexp 'LISTEN .*\*:4460 '
}

@test "chronyd -Q: NTS through the installed units, authenticated, under 1 ms" {
	run sys timeout 40 chronyd -Q -u root -f /etc/sockclock-test/chrony.conf -t 20
	[ "$status" = 0 ] || fail "chronyd: $output
$(sys journalctl -q --no-pager -n 30)"
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
		fail "no authenticated sample: $output $(sys journalctl -q --no-pager -n 30)"
	echo "# chronyd (NTS, booted systemd): $wrong" >&3
	under_1ms "$(awk '{ print $5 }' <<<"$wrong")"
	run sys journalctl -q --no-pager -t nts-ke-tcp
	assert_output --partial 'keys and 8 cookies sent'
	# One user for both: the key file is the dynamic user's, mode 0600.
	run sys stat -c '%a %U' /var/lib/private/sockclock/nts-keys
	assert_output '600 sockclock'
}

@test "our own KE client through the installed socket: cookies that open under the key file" {
	run sys sockclock-test-keclient --ca=/etc/sockclock-test/ca.crt \
		--keys=/var/lib/private/sockclock/nts-keys 127.0.0.1 4460
	assert_success
	assert_line 'aead-algorithm (critical): 15 (AEAD_AES_SIV_CMAC_256)'
	assert_line "cookies opened to the session's keys: 8 of 8"
}
