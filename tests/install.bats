#!/usr/bin/env bats
# make install / make uninstall, staged with DESTDIR; the units' hardening
# as systemd-analyze security scores it (no root needed).
load helpers/common

setup() {
	STAGE=$BATS_TEST_TMPDIR/stage
}

teardown() {
	stop_servers
}

@test "make install DESTDIR= puts every file in place, paths substituted" {
	run make -s -C "$TOP" install DESTDIR="$STAGE"
	assert_success
	run bash -c "cd '$STAGE' && find . -type f | sort"
	assert_output "$(printf '%s\n' \
		./etc/xinetd.d/daytime-tcp ./etc/xinetd.d/daytime-udp ./etc/xinetd.d/sntp-udp \
		./usr/local/lib/systemd/system/daytime-tcp-listen.service \
		./usr/local/lib/systemd/system/daytime-tcp-listen.socket \
		./usr/local/lib/systemd/system/daytime-tcp.socket \
		./usr/local/lib/systemd/system/daytime-tcp@.service \
		./usr/local/lib/systemd/system/daytime-udp.service \
		./usr/local/lib/systemd/system/daytime-udp.socket \
		./usr/local/lib/systemd/system/sntp-udp.service \
		./usr/local/lib/systemd/system/sntp-udp.socket \
		./usr/local/lib/tmpfiles.d/sockclock.conf \
		./usr/local/sbin/daytime-tcp ./usr/local/sbin/daytime-udp ./usr/local/sbin/sntp-udp \
		./usr/local/share/man/man8/daytime-tcp.8 ./usr/local/share/man/man8/daytime-udp.8 \
		./usr/local/share/man/man8/sntp-udp.8)"
	assert_file_executable "$STAGE/usr/local/sbin/sntp-udp"
	run grep -rh '^ExecStart=' "$STAGE/usr/local/lib/systemd/system"
	assert_line 'ExecStart=/usr/local/sbin/daytime-tcp $OPTIONS'
	assert_line 'ExecStart=/usr/local/sbin/sntp-udp $OPTIONS'
	run grep -rh 'server\s*=' "$STAGE/etc/xinetd.d"
	assert_line --regexp 'server\s+= /usr/local/sbin/daytime-udp$'
	run grep -rl '@SBINDIR@' "$STAGE"
	assert_output ""
	run "$STAGE/usr/local/sbin/daytime-tcp" --version
	assert_success
}

@test "PREFIX, SBINDIR, UNITDIR, XINETDDIR and MANDIR are honoured" {
	run make -s -C "$TOP" install DESTDIR="$STAGE" PREFIX=/opt/sc SBINDIR=/opt/sc/bin \
		UNITDIR=/etc/systemd/system XINETDDIR=/etc/xi MANDIR=/opt/sc/man
	assert_success
	assert_file_executable "$STAGE/opt/sc/bin/daytime-udp"
	assert_file_exists "$STAGE/etc/systemd/system/sntp-udp.socket"
	assert_file_exists "$STAGE/etc/xi/sntp-udp"
	assert_file_exists "$STAGE/opt/sc/man/man8/sntp-udp.8"
	run grep -h '^ExecStart=' "$STAGE/etc/systemd/system/sntp-udp.service"
	assert_output 'ExecStart=/opt/sc/bin/sntp-udp $OPTIONS'
	run make -s -C "$TOP" uninstall DESTDIR="$STAGE" PREFIX=/opt/sc SBINDIR=/opt/sc/bin \
		UNITDIR=/etc/systemd/system XINETDDIR=/etc/xi MANDIR=/opt/sc/man
	assert_success
	run find "$STAGE" -type f
	assert_output ""
}

@test "make uninstall removes exactly what install put, and nothing else" {
	make -s -C "$TOP" install DESTDIR="$STAGE"
	# A file of the administrator's, next to ours, must stay.
	echo keep >"$STAGE/usr/local/sbin/other"
	echo 'OPTIONS=-v' >"$STAGE/etc/xinetd.d/other"
	run make -s -C "$TOP" uninstall DESTDIR="$STAGE"
	assert_success
	run bash -c "cd '$STAGE' && find . -type f -o -type l | sort"
	assert_output "$(printf '%s\n' ./etc/xinetd.d/other ./usr/local/sbin/other)"
}

@test "systemd-analyze security: daytime services <= 0.3, sntp-udp <= 0.6" {
	make -s -C "$TOP" install DESTDIR="$STAGE"
	local d=$STAGE/usr/local/lib/systemd/system u
	cd "$d"
	for u in daytime-tcp@.service daytime-tcp-listen.service daytime-udp.service; do
		run systemd-analyze security --offline=true --threshold=3 "$u"
		assert_success
		assert_output --regexp "Overall exposure level for .*: 0\.[0-3] "
		echo "$output" | tail -1 >&3
	done
	run systemd-analyze security --offline=true --threshold=6 sntp-udp.service
	assert_success
	assert_output --regexp "Overall exposure level for sntp-udp.service: 0\.[0-6] "
	echo "$output" | tail -1 >&3
}
