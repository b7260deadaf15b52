#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# NTS through the installed units in a real systemd (helpers/sys-boot.bash):
# nts-ke-tcp.socket as shipped (Accept=no: one nts-ke-tcp.service serves
# every connection until idle) writing the key file in
# StateDirectory=sockclock as the system user sockclock-ntske, and
# sntp-udp.socket reading it as sockclock-sntp through the group
# sockclock-nts-keys (the users of sysusers.d/sockclock.conf, created with
# systemd-sysusers); chronyd -Q inside the namespace as the NTS client.
# nts-ke-tcp.service as shipped: the certificate and key reach it by
# LoadCredential= from /etc/sockclock, the key root-only there; a renewal
# there is served after systemctl try-restart, no exchange lost.
# The tests marked "(needs the group-readable key file)" need
# common/proto/cookiekeys.c to write the file 0640 and to accept a reader in its
# group; without that sntp-udp refuses it.
load ../helpers/common
load ../helpers/sys-boot
load ../helpers/ntske

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	sys_boot "$(ntske_sys_install)
		echo 'OPTIONS=--assume-synchronized --verbose' >\"\$ROOT/etc/default/sockclock-sntp-udp\"
		echo 'OPTIONS=--verbose' >\"\$ROOT/etc/default/sockclock-nts-ke-tcp\"
		printf '%s\n' 'server 127.0.0.1 nts iburst minpoll -4 maxpoll -4 maxsamples 4' \
			'ntstrustedcerts /etc/sockclock-test/ca.crt' nosystemcert 'cmdport 0' \
			'pidfile /run/chrony-test.pid' 'logdir /var/log/sockclock-test' \\
			'log measurements' >\"\$ROOT/etc/sockclock-test/chrony.conf\"
		install -d -m 755 \"\$ROOT/var/log/sockclock-test\"
		$(asan_dropin)"
	sys systemctl start nts-ke-tcp.socket sntp-udp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

@test "the NTS units pass systemd-analyze verify; 4460 listens dual-stack, Accept=no" {
	local u=/usr/local/lib/systemd/system
	run sys systemd-analyze verify $u/nts-ke-tcp.socket $u/nts-ke-tcp.service \
		$u/nts-ke-tcp-accept.socket $u/nts-ke-tcp-accept@.service $u/sntp-udp.service
	assert_success
	assert_output ""
	run sys systemctl show -p Accept --value nts-ke-tcp.socket
	assert_output no
	run sys ss -Hlnt
	assert_output --regexp 'LISTEN .*\*:4460 '
}

@test "chronyd -Q: NTS through the installed units, authenticated, under 1 ms (needs the group-readable key file)" {
	run sys timeout 40 chronyd -Q -u root -f /etc/sockclock-test/chrony.conf -t 20
	# On failure, chronyd's view of each sample too (its measurements log:
	# the tests it failed, the leap, stratum, delay and dispersion).
	[ "$status" = 0 ] || fail "chronyd: $output
$(sys cat /var/log/sockclock-test/measurements.log)
$(sys journalctl -q --no-pager -n 30)"
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
		fail "no authenticated sample: $output $(sys journalctl -q --no-pager -n 30)"
	echo "# chronyd (NTS, booted systemd): $wrong" >&3
	under_1ms "$(awk '{ print $5 }' <<<"$wrong")"
	# Served by the listening service, not a per-connection instance.
	run sys journalctl -q --no-pager -u nts-ke-tcp.service -t nts-ke-tcp
	assert_output --partial 'keys and 8 cookies sent'
	# nts-ke-tcp's user owns the directory and the key file; sntp-udp
	# reads them through the group, and no one else at all.
	run sys stat -c '%a %U %G' /var/lib/sockclock /var/lib/sockclock/nts-keys
	assert_output $'750 sockclock-ntske sockclock-nts-keys\n640 sockclock-ntske sockclock-nts-keys'
}

@test "our own KE client through the installed socket: cookies that open under the key file" {
	run sys sockclock-test-keclient --ca=/etc/sockclock-test/ca.crt \
		--keys=/var/lib/sockclock/nts-keys 127.0.0.1 4460
	assert_success
	assert_line 'aead-algorithm (critical): 15 (AEAD_AES_SIV_CMAC_256)'
	assert_line "cookies opened to the session's keys: 8 of 8"
}

@test "the unit as shipped takes its key by LoadCredential=; the service user cannot read it otherwise" {
	run sys systemctl cat nts-ke-tcp.service
	assert_line 'ExecStart=/usr/local/sbin/nts-ke-tcp --cert=%d/nts-ke.crt --key=%d/nts-ke.key $OPTIONS'
	assert_line 'LoadCredential=nts-ke.key:/etc/sockclock/nts-ke.key'
	refute_output --partial '.service.d/'
	# The same user and credential as the unit, in a unit of its own: the
	# credential reads, the file it came from does not.
	run sys systemd-run --wait --pipe --quiet -p User=sockclock-ntske -p Group=sockclock-nts-keys \
		-p LoadCredential=nts-ke.key:/etc/sockclock/nts-ke.key sh -c '
		id -un
		cmp "$CREDENTIALS_DIRECTORY/nts-ke.key" - && echo credential read
		cat /etc/sockclock/nts-ke.key >/dev/null' <"$BATS_FILE_TMPDIR/srv.key"
	assert_failure
	assert_line sockclock-ntske
	assert_line 'credential read'
	assert_line --partial '/etc/sockclock/nts-ke.key: Permission denied'
}

# While a key exchange runs (a client that connects and
# sends nothing holds a connection of nts-ke-tcp.service up to --io-timeout, 5 s),
# the identity systemd gives sntp-udp.service reads the cookie key file
# but not nts-ke-tcp.service's TLS key under /run/credentials. Before, both
# units ran as the one dynamic user "sockclock", which systemd lets read
# the credentials. (The key file's read needs the group-readable key file.)
@test "sntp-udp's user reads the cookie key file but not the TLS key of a running nts-ke-tcp (needs the group-readable key file)" {
	sys test -s /var/lib/sockclock/nts-keys || sys sockclock-test-keclient \
		--ca=/etc/sockclock-test/ca.crt 127.0.0.1 4460 >/dev/null
	sys bash -c "$PY -c 'import socket, time
s = socket.create_connection((\"127.0.0.1\", 4460))
time.sleep(30)' >/dev/null 2>&1 &
		echo \$! >/tmp/ke-hold.pid"
	local i cred=
	for i in $(seq 100); do
		cred=$(sys sh -c 'ls /run/credentials/nts-ke-tcp*/nts-ke.key 2>/dev/null | head -1')
		[ -n "$cred" ] && break
		sleep 0.1
	done
	[ -n "$cred" ] || { sys sh -c 'kill $(cat /tmp/ke-hold.pid)'; fail "no running nts-ke-tcp with its credential"; }
	run sys_as_unit sntp-udp.service "id
		cat /var/lib/sockclock/nts-keys >/dev/null && echo 'key file read'
		cat '$cred' >/dev/null && echo 'TLS key read'
		exit 0"
	sys sh -c 'kill $(cat /tmp/ke-hold.pid); rm /tmp/ke-hold.pid'
	echo "$cred: $output"
	assert_success
	assert_line 'key file read'
	refute_line 'TLS key read'
	assert_line --regexp "^cat: '?${cred//./\\.}'?: Permission denied\$"
}

# The certificate a handshake on 4460 presents, PEM (inside the boot).
served_cert() {
	sys timeout 10 gnutls-cli --alpn=ntske/1 --x509cafile=/etc/sockclock-test/ca.crt \
		--print-cert -p 4460 127.0.0.1 </dev/null 2>/dev/null |
		sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' | sed -n '1,/END CERTIFICATE/p'
}

# LoadCredential= copies the files when the service starts, so
# a renewal is loaded by a restart (an ACME deploy hook); the socket stays
# with systemd, the old process answers the connections it holds, the
# new one takes the backlog.
@test "a certificate renewal under systemd: new files, systemctl try-restart: no exchange of 4 clients' stream fails, the new certificate from then on" {
	local f=$BATS_FILE_TMPDIR d=$BATS_TEST_TMPDIR i
	{ certtool --generate-privkey --key-type=ecdsa --outfile "$d/new.key" &&
		certtool --generate-certificate --load-privkey "$d/new.key" \
			--load-ca-certificate "$f/ca.crt" --load-ca-privkey "$f/ca.key" \
			--template "$f/srv.tmpl" --outfile "$d/new.crt"; } >/dev/null 2>&1
	[ "$(served_cert)" = "$(openssl x509 -in "$f/srv.crt")" ] || fail "not the first certificate"
	pid1=$(sys systemctl show -p MainPID --value nts-ke-tcp.service)
	sys rm -f /tmp/renew.out
	sys bash -c "sockclock-test-keclient --ca=/etc/sockclock-test/ca.crt --threads=4 --seconds=10 \
		127.0.0.1 4460 >/tmp/renew.out 2>&1 &"
	# The renewal, as a deploy hook does it: both files, then the restart.
	sys sh -c 'cat >/etc/sockclock/nts-ke.key.new && chmod 600 /etc/sockclock/nts-ke.key.new' <"$d/new.key"
	sys sh -c 'cat >/etc/sockclock/nts-ke.crt.new' <"$d/new.crt"
	sys mv -f /etc/sockclock/nts-ke.key.new /etc/sockclock/nts-ke.key
	sys mv -f /etc/sockclock/nts-ke.crt.new /etc/sockclock/nts-ke.crt
	run sys systemctl try-restart nts-ke-tcp.service
	assert_success
	[ "$(served_cert)" = "$(openssl x509 -in "$d/new.crt")" ] || fail "not the renewed certificate"
	pid2=$(sys systemctl show -p MainPID --value nts-ke-tcp.service)
	[ "$pid2" != "$pid1" ] || fail "not restarted: $pid1"
	sys grep -q '^exchanges' /tmp/renew.out && fail "the stream ended before the restart: $(sys cat /tmp/renew.out)"
	# keclient ends after its 10 s and the exchanges in flight (each
	# bounded by the server's --io-timeout): 40 s.
	for i in $(seq 400); do
		sys grep -q '^exchanges' /tmp/renew.out && break
		sleep 0.1
	done
	run sys cat /tmp/renew.out
	echo "# through a restart for the renewal: $output" >&3
	assert_line --regexp '^exchanges [1-9][0-9]* failed 0 '
}

# Last: it leaves a 1 s rotation period in /etc/default.
@test "sockclock-nts-rotate.service (the timer's job) creates the key file, then rotates it when due; the timer is valid and schedules it" {
	local u=/usr/local/lib/systemd/system k=/var/lib/sockclock/nts-keys
	run sys systemd-analyze verify $u/sockclock-nts-rotate.service $u/sockclock-nts-rotate.timer
	assert_success
	run sys systemctl start sockclock-nts-rotate.service
	assert_success
	run sys systemctl show -p Result --value sockclock-nts-rotate.service
	assert_output success
	run sys stat -c '%a %U %G' "$k"
	assert_output '640 sockclock-ntske sockclock-nts-keys'
	id1=$(sys od -An -j16 -N4 -tx1 "$k" | tr -d ' \n')
	# Not due (the default period, a day): unchanged.
	sys systemctl start sockclock-nts-rotate.service
	[ "$(sys od -An -j16 -N4 -tx1 "$k" | tr -d ' \n')" = "$id1" ] || fail "rotated before due"
	# A 1 s period (the file dates in whole seconds: 2.1 s is always due).
	sys sh -c "echo 'OPTIONS=--verbose --nts-rotate=1' >/etc/default/sockclock-nts-ke-tcp"
	sleep 2.1
	sys systemctl start sockclock-nts-rotate.service
	id2=$(sys od -An -j16 -N4 -tx1 "$k" | tr -d ' \n')
	[ "$id2" != "$id1" ] || fail "not rotated when due"
	run sys journalctl -q --no-pager -u sockclock-nts-rotate.service
	assert_output --partial "key file /var/lib/sockclock/nts-keys: current key id"
	run sys systemctl start sockclock-nts-rotate.timer
	assert_success
	run sys systemctl show -p NextElapseUSecRealtime --value sockclock-nts-rotate.timer
	[ -n "$output" ] || fail "the timer has no next run"
}
