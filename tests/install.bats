#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
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
	assert_output "$(printf '%s\n' ./etc/cron.d/sockclock-nts-rotate \
		./etc/xinetd.d/sockclock-daytime-tcp ./etc/xinetd.d/sockclock-daytime-udp \
		./etc/xinetd.d/sockclock-nts-ke-tcp ./etc/xinetd.d/sockclock-sntp-udp \
		./usr/local/lib/systemd/system/daytime-tcp-accept.socket \
		./usr/local/lib/systemd/system/daytime-tcp-accept@.service \
		./usr/local/lib/systemd/system/daytime-tcp.service \
		./usr/local/lib/systemd/system/daytime-tcp.socket \
		./usr/local/lib/systemd/system/daytime-udp.service \
		./usr/local/lib/systemd/system/daytime-udp.socket \
		./usr/local/lib/systemd/system/nts-ke-tcp-accept.socket \
		./usr/local/lib/systemd/system/nts-ke-tcp-accept@.service \
		./usr/local/lib/systemd/system/nts-ke-tcp.service \
		./usr/local/lib/systemd/system/nts-ke-tcp.socket \
		./usr/local/lib/systemd/system/sntp-udp.service \
		./usr/local/lib/systemd/system/sntp-udp.socket \
		./usr/local/lib/systemd/system/sockclock-metrics.service \
		./usr/local/lib/systemd/system/sockclock-metrics.timer \
		./usr/local/lib/systemd/system/sockclock-nts-rotate.service \
		./usr/local/lib/systemd/system/sockclock-nts-rotate.timer \
		./usr/local/lib/sysusers.d/sockclock.conf \
		./usr/local/lib/tmpfiles.d/sockclock.conf \
		./usr/local/libexec/sockclock/sockclock-metrics \
		./usr/local/sbin/daytime-tcp ./usr/local/sbin/daytime-udp \
		./usr/local/sbin/nts-ke-tcp ./usr/local/sbin/sntp-udp \
		./usr/local/share/man/man7/sockclock.7 \
		./usr/local/share/man/man8/daytime-tcp.8 ./usr/local/share/man/man8/daytime-udp.8 \
		./usr/local/share/man/man8/nts-ke-tcp.8 ./usr/local/share/man/man8/sntp-udp.8)"
	assert_file_executable "$STAGE/usr/local/sbin/sntp-udp"
	run grep -rh '^ExecStart=' "$STAGE/usr/local/lib/systemd/system"
	assert_line 'ExecStart=/usr/local/sbin/daytime-tcp $OPTIONS'
	assert_line 'ExecStart=/usr/local/sbin/sntp-udp $OPTIONS'
	assert_line 'ExecStart=/usr/local/sbin/nts-ke-tcp --cert=%d/nts-ke.crt --key=%d/nts-ke.key $OPTIONS'
	run grep -rh 'server\s*=' "$STAGE/etc/xinetd.d"
	assert_line --regexp 'server\s+= /usr/local/sbin/daytime-udp$'
	run "$STAGE/usr/local/sbin/daytime-tcp" --version
	assert_success
}

@test "PREFIX, SBINDIR, UNITDIR, XINETDDIR and MANDIR are honoured" {
	run make -s -C "$TOP" install DESTDIR="$STAGE" PREFIX=/opt/sc SBINDIR=/opt/sc/bin \
		UNITDIR=/etc/systemd/system XINETDDIR=/etc/xi MANDIR=/opt/sc/man
	assert_success
	assert_file_executable "$STAGE/opt/sc/bin/daytime-udp"
	assert_file_exists "$STAGE/etc/systemd/system/sntp-udp.socket"
	assert_file_exists "$STAGE/etc/xi/sockclock-sntp-udp"
	assert_file_exists "$STAGE/opt/sc/man/man8/sntp-udp.8"
	assert_file_exists "$STAGE/opt/sc/man/man7/sockclock.7"
	run grep -h '^ExecStart=' "$STAGE/etc/systemd/system/sntp-udp.service"
	assert_output 'ExecStart=/opt/sc/bin/sntp-udp $OPTIONS'
	run grep -rl /usr/local/sbin "$STAGE/etc"
	assert_output ""
	# The man pages name the installed paths, and the version (VERSION).
	run grep -l /usr/local "$STAGE"/opt/sc/man/man8/*.8
	assert_output ""
	run grep -h -e /opt/sc/bin/daytime-tcp -e /etc/systemd/system/daytime-tcp.socket "$STAGE/opt/sc/man/man8/daytime-tcp.8"
	assert_output --partial /opt/sc/bin/daytime-tcp
	assert_output --partial /etc/systemd/system/daytime-tcp.socket
	run head -1 "$STAGE/opt/sc/man/man8/sntp-udp.8"
	assert_output --partial "\"sockclock $(cat "$TOP/VERSION")\""
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

@test "an edited xinetd file is never overwritten: ours goes next to it as .new" {
	local x=$STAGE/etc/xinetd.d
	make -s -C "$TOP" install DESTDIR="$STAGE"
	cp "$x/sockclock-sntp-udp" "$BATS_TEST_TMPDIR/ours"
	sed -i 's/^\(\tdisable\t\t= \)yes/\1no/' "$x/sockclock-sntp-udp"
	cp "$x/sockclock-sntp-udp" "$BATS_TEST_TMPDIR/edited"
	# Installed again (an upgrade): the edit stays, ours is .new; an
	# unedited file is replaced in place, with no .new.
	run make -s -C "$TOP" install DESTDIR="$STAGE"
	assert_success
	# One line of it (the rest: the users to create, next test).
	run grep differs <<<"$output"
	assert_output "$x/sockclock-sntp-udp differs from sockclock's: kept; sockclock's is $x/sockclock-sntp-udp.new"
	cmp "$x/sockclock-sntp-udp" "$BATS_TEST_TMPDIR/edited"
	cmp "$x/sockclock-sntp-udp.new" "$BATS_TEST_TMPDIR/ours"
	assert_file_not_exists "$x/sockclock-daytime-udp.new"
	# Uninstall takes ours (.new and the unedited files), not the edit.
	run make -s -C "$TOP" uninstall DESTDIR="$STAGE"
	assert_success
	assert_output "$x/sockclock-sntp-udp was edited: kept"
	run bash -c "cd '$STAGE' && find . -type f | sort"
	assert_output ./etc/xinetd.d/sockclock-sntp-udp
	cmp "$x/sockclock-sntp-udp" "$BATS_TEST_TMPDIR/edited"
}

# The users the units and xinetd files name. Staged
# (DESTDIR) install only says what to create; as root without DESTDIR it
# runs SYSUSERS on the installed file: here systemd-sysusers --root= on
# copies of /etc/passwd and /etc/group, so the host gets no user.
@test "make install: the system users, said when staged, created as root without DESTDIR" {
	run make -s -C "$TOP" install DESTDIR="$STAGE"
	assert_success
	assert_line "  systemd-sysusers /usr/local/lib/sysusers.d/sockclock.conf"
	assert_line "  groupadd --system sockclock-nts-keys"
	assert_line --partial "useradd --system --gid sockclock-nts-keys "
	assert_line --regexp "useradd .*--groups sockclock-nts-keys .* sockclock-sntp\$"
	assert_line --regexp "useradd .* sockclock-daytime\$"
	# Every user the units and xinetd files name is in the installed file
	# (User=, user =; nobody is the system's), and the group.
	local f=$STAGE/usr/local/lib/sysusers.d/sockclock.conf u
	for u in $(sed -n 's/^User=//p' "$STAGE"/usr/local/lib/systemd/system/*.service \
		"$STAGE"/etc/xinetd.d/* | sort -u) \
		$(sed -n 's/^\s*user\s*= *//p' "$STAGE"/etc/xinetd.d/* | grep -vx nobody | sort -u); do
		grep -qE "^u $u " "$f" || fail "$u is not in sysusers.d/sockclock.conf"
	done
	grep -qE '^m sockclock-sntp +sockclock-nts-keys$' "$f" || fail "sockclock-sntp not in sockclock-nts-keys"
	[ "$(id -u)" = 0 ] || skip "the rest needs root"
	local r=$BATS_TEST_TMPDIR/root p=$BATS_TEST_TMPDIR/prefix
	mkdir -p "$r/etc"
	cp -p /etc/passwd /etc/group /etc/shadow /etc/gshadow "$r/etc/"
	run make -s -C "$TOP" install PREFIX="$p" XINETDDIR="$p/xinetd.d" CRONDIR="$p/cron.d" \
		SYSUSERS="systemd-sysusers --root=$r"
	assert_success
	assert_line "systemd-sysusers --root=$r $p/lib/sysusers.d/sockclock.conf"
	refute_line --partial useradd
	run grep -E '^sockclock-(ntske|sntp|daytime):' "$r/etc/passwd"
	assert_equal "${#lines[@]}" 3
	run grep '^sockclock-nts-keys:' "$r/etc/group"
	assert_output --regexp ':sockclock-sntp$'
	run id -u sockclock-ntske
	assert_failure # the host's passwd untouched
	run make -s -C "$TOP" uninstall PREFIX="$p" XINETDDIR="$p/xinetd.d" CRONDIR="$p/cron.d"
	assert_success
	run find "$p" -type f
	assert_output ""
}

# What a user copies: a file of units/ as it stands, after make install
# with the defaults. Installed for real (PREFIX=/usr/local, no DESTDIR)
# on a tmpfs over /usr/local in a private mount namespace, so that the
# host's /usr/local is untouched; verify checks the programs and the man
# pages the units name.
@test "the units in units/, as they stand, pass systemd-analyze verify after make install" {
	local ns=(unshare -m --propagation private)
	[ "$(id -u)" = 0 ] || ns=(unshare -r -m --propagation private)
	run "${ns[@]}" bash -c '
		set -e
		mount -t tmpfs tmpfs /usr/local
		make -s -C "$1" install-files XINETDDIR=/usr/local/xinetd.d CRONDIR=/usr/local/cron.d >/dev/null
		cd "$1/units"
		systemd-analyze verify *.socket *.service *.timer' verify "$TOP"
	assert_success
	assert_output ""
	run ls "$TOP/units"
	assert_line daytime-tcp-accept@.service
	assert_line sntp-udp.socket
}

@test "systemd-analyze security: daytime and NTS-KE services <= 0.3, sntp-udp <= 0.6" {
	make -s -C "$TOP" install DESTDIR="$STAGE"
	local d=$STAGE/usr/local/lib/systemd/system u
	cd "$d"
	for u in daytime-tcp.service daytime-tcp-accept@.service daytime-udp.service \
		nts-ke-tcp.service nts-ke-tcp-accept@.service; do
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
