#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The Debian package: make deb builds it from the tree, lintian
# finds no error or warning, and in a booted systemd (helpers/sys-boot.bash,
# on an overlay root: the host's dpkg database is untouched) apt-get
# installs it offline, nothing is enabled or listening, the enabled
# sockets answer real clients, and apt-get purge leaves no trace.
# The package holds the normal build, so tests/run runs this suite in
# the normal pass only.
load ../helpers/common
load ../helpers/sys-boot

UNITS="daytime-tcp.socket daytime-udp.socket sntp-udp.socket nts-ke-tcp.socket"
CTIME='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'$'\r''$'

# Everything in the places a package or its programs could write to
# outside /usr (whose files dpkg -L names), less what apt, dpkg, man-db
# and the running systemd change on their own.
trace_list() {
	sys find /etc /var /run /srv /opt /usr/local -xdev \
		-path /var/lib/dpkg -prune -o -path /var/lib/apt -prune -o \
		-path /var/cache -prune -o -path /var/log -prune -o \
		-path /run/systemd -prune -o -path /run/user -prune -o \
		-path /run/log -prune -o -path /run/udev -prune -o \
		-path /etc/ld.so.cache -prune -o -path /var/lib/PackageKit -prune -o \
		-path /var/lib/systemd/linger -prune -o -print |
		grep -v -x -e /run/private -e /var/lib/private \
			-e '/var/tmp/systemd-private-.*-systemd-[a-z]*\.service-.*' | sort
}

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	export VERSION DEB_DIR=$BATS_FILE_TMPDIR/deb DEB
	VERSION=$(cat "$TOP/VERSION")
	# nocheck: make check has run the unit tests already; both cores.
	DEB_BUILD_OPTIONS="nocheck parallel=2" \
		make -s -C "$TOP" deb DEB_DIR="$DEB_DIR" >"$BATS_FILE_TMPDIR/make-deb.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/make-deb.log" >&2; return 1; }
	DEB=sockclock_${VERSION}_$(dpkg --print-architecture).deb
	# A container image's policy-rc.d (exit 101) would stop the maintainer
	# scripts from starting or stopping any unit, and so hide what they
	# do on a real machine: not in the booted root.
	sys_boot "install -m 644 '$DEB_DIR/$DEB' \"\$ROOT/root/\"
		rm -f \"\$ROOT/usr/sbin/policy-rc.d\""
	trace_list >"$BATS_FILE_TMPDIR/before"
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

@test "make deb: one version in the package, debian/changelog, --version, the man pages and the README" {
	assert_file_exists "$DEB_DIR/$DEB"
	[ "$(dpkg-deb -f "$DEB_DIR/$DEB" Version)" = "$VERSION" ] || fail "package: $(dpkg-deb -f "$DEB_DIR/$DEB" Version)"
	run dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version
	assert_output "$VERSION"
	local x=$BATS_TEST_TMPDIR/x p
	dpkg-deb -x "$DEB_DIR/$DEB" "$x"
	for p in daytime-tcp daytime-udp sntp-udp nts-ke-tcp; do
		run "$x/usr/sbin/$p" --version
		assert_output "$p (sockclock) $VERSION"
		run zcat "$x/usr/share/man/man8/$p.8.gz"
		assert_line --index 0 --regexp "^\.TH [-A-Z]+ 8 \"[0-9-]+\" \"sockclock $VERSION\" "
		refute_output --partial /usr/local
	done
	run zcat "$x/usr/share/man/man7/sockclock.7.gz"
	assert_line --index 0 --regexp "^\.TH SOCKCLOCK 7 \"[0-9-]+\" \"sockclock $VERSION\" "
	run grep -c "sockclock_${VERSION}_amd64.deb" "$TOP/README.md"
	refute_output 0
	# The installed paths: the units and xinetd files name /usr/sbin.
	run grep -rh '^ExecStart=' "$x/lib/systemd/system"
	assert_line 'ExecStart=/usr/sbin/sntp-udp $OPTIONS'
	refute_output --partial /usr/local
	run grep -rh '^\s*server\s*=' "$x/etc/xinetd.d"
	assert_line --regexp 'server\s+= /usr/sbin/daytime-udp$'
	refute_output --partial /usr/local
}

@test "lintian: no error and no warning" {
	run lintian --fail-on error,warning "$DEB_DIR"/sockclock_"$VERSION"_*.changes
	echo "$output" | grep -v '^running with root' >&3 || true
	assert_success
	refute_output --regexp '^[EW]: '
}

@test "apt-get installs it offline: the files where Debian puts them, nothing enabled or listening" {
	# No network in the namespace: the dependencies must be there already
	# (apt-get --no-download refuses a .deb given by path). One package new.
	run sys apt-get install -y "/root/$DEB"
	assert_success
	assert_output --partial "0 upgraded, 1 newly installed, 0 to remove"
	run sys dpkg-query -W -f '${Status} ${Version}' sockclock
	assert_output "install ok installed $VERSION"
	sys dpkg -L sockclock >"$BATS_FILE_TMPDIR/files"
	run grep -c -e '^/usr/sbin/' -e '^/lib/systemd/system/' -e '^/etc/xinetd.d/' \
		-e '^/usr/share/man/man[78]/.' -e '^/usr/lib/tmpfiles.d/' -e '^/usr/lib/sysusers.d/' \
		-e '^/etc/cron.d/' -e '^/usr/libexec/sockclock/' "$BATS_FILE_TMPDIR/files"
	assert_output 33 # 4 programs, 16 units, 4 xinetd files, 5 man pages, tmpfiles.d, sysusers.d, the cron.d file, the metrics writer
	# Every user the units and xinetd files name exists
	# (the postinst's systemd-sysusers), and the directories tmpfiles.d
	# makes are theirs.
	local u
	for u in $(sys sed -n -e 's/^User=//p' -e 's/^[[:space:]]*user[[:space:]]*= *//p' \
		$(grep -E '^/lib/systemd/system/.*\.service$|^/etc/xinetd.d/' "$BATS_FILE_TMPDIR/files") | sort -u); do
		sys id "$u" >/dev/null || fail "no user $u"
	done
	run sys id -nG sockclock-sntp
	assert_output --partial sockclock-nts-keys
	run sys stat -c '%n %a %U %G' /run/sockclock/daytime-udp /run/sockclock/sntp-udp /var/lib/sockclock
	assert_output "$(printf '%s\n' '/run/sockclock/daytime-udp 700 sockclock-daytime sockclock-daytime' \
		'/run/sockclock/sntp-udp 700 sockclock-sntp sockclock-sntp' \
		'/var/lib/sockclock 750 sockclock-ntske sockclock-nts-keys')"
	run sys dpkg-query -W -f '${Conffiles}\n' sockclock
	assert_output --regexp '/etc/xinetd.d/sockclock-sntp-udp [0-9a-f]{32}'
	[ "$(grep -c '^ /etc/xinetd.d/sockclock-' <<<"$output")" = 4 ] || fail "conffiles: $output"
	run sys systemd-analyze verify /lib/systemd/system/sntp-udp.service \
		/lib/systemd/system/daytime-tcp.service /lib/systemd/system/daytime-tcp-accept@.service \
		/lib/systemd/system/nts-ke-tcp.socket \
		/lib/systemd/system/nts-ke-tcp.service /lib/systemd/system/nts-ke-tcp-accept@.service
	assert_success
	assert_output ""
	local u
	for u in $UNITS daytime-tcp-accept.socket nts-ke-tcp-accept.socket; do
		run sys systemctl is-enabled $u
		assert_output disabled
		run sys systemctl is-active $u
		assert_output inactive
	done
	run sys ss -Hlntu
	assert_output ""
}

# The scripts of debian/tests/control, run directly (autopkgtest itself
# adds ~20 s; doc/systemd.md, "From the package", for running it).
@test "the autopkgtest scripts pass against the installed package" {
	local t
	for t in $(sed -n 's/^Tests: //p' "$TOP/debian/tests/control"); do
		run sys sh "$TOP/debian/tests/$t"
		assert_success
		assert_line "$t: ok"
	done
}

# Before the per-program users, xinetd refused the shipped sntp-udp file
# ("Unknown user: sockclock") and disabled the service. The package's
# file with only "disable = no", in the real xinetd inside the booted
# root (port 123: before the sockets are enabled).
@test "installed, an enabled xinetd sntp-udp file serves as its user (no Unknown user)" {
	sys sh -c "mkdir /tmp/xi.d && sed 's/^\(\tdisable\t\t= \)yes/\1no/' \
		/etc/xinetd.d/sockclock-sntp-udp >/tmp/xi.d/sockclock-sntp-udp &&
		printf 'defaults\n{\n}\nincludedir /tmp/xi.d\n' >/tmp/xi.conf"
	run sys grep -c '^[[:space:]]*disable[[:space:]]*= no' /tmp/xi.d/sockclock-sntp-udp
	assert_output 1
	sys bash -c 'xinetd -dontfork -filelog /tmp/xi.log -pidfile /tmp/xi.pid -f /tmp/xi.conf \
		>/tmp/xi.out 2>&1 & echo $! >/tmp/xi.bgpid'
	local xpid i c pid= pstatus
	xpid=$(sys cat /tmp/xi.bgpid)
	for i in $(seq 100); do
		sys grep -q 'Started working' /tmp/xi.log 2>/dev/null && break
		sleep 0.1
	done
	local reply
	reply=$(sys $PY "$TOP/tests/helpers/ntp.py" 123 2>&1) || true
	for c in $(sys pgrep -P "$xpid"); do
		[ "$(sys cat /proc/$c/comm)" = sntp-udp ] && pid=$c
	done
	[ -z "$pid" ] || pstatus=$(sys cat /proc/$pid/status)
	# Ours to end, by PID: xinetd and the server it started (idle 10 s,
	# holding port 123), then wait until 123 is free for the sockets.
	sys kill "$xpid" $pid || true
	for i in $(seq 100); do
		[ -z "$(sys ss -Hlnu 'sport = :123')" ] && break
		sleep 0.1
	done
	run sys cat /tmp/xi.log /tmp/xi.out
	echo "$output"
	refute_output --partial 'Unknown user'
	assert_output --partial 'Started working: 1 available service'
	[[ $reply == *mode=4* ]] || fail "no reply: $reply"
	[ -n "$pid" ] || fail "no sntp-udp started by xinetd"
	grep -q "^Uid:	$(sys id -u sockclock-sntp)	" <<<"$pstatus" || fail "not sockclock-sntp: $pstatus"
	grep -q "^Groups:.*\b$(sys getent group sockclock-nts-keys | cut -d: -f3)\b" <<<"$pstatus" ||
		fail "not in sockclock-nts-keys: $pstatus"
	run sys stat -c '%a %U' /run/sockclock/sntp-udp/sntp-udp.state
	assert_output '600 sockclock-sntp'
	sys rm -rf /tmp/xi.d /tmp/xi.conf /tmp/xi.log /tmp/xi.out /tmp/xi.pid /tmp/xi.bgpid
}

@test "enabled, the sockets answer socat, ntpdig and chronyd -Q; nothing failed" {
	# The host's clock may be unsynchronised; the server is told it is.
	sys sh -c "echo 'OPTIONS=--assume-synchronized --stratum=2 --idle-timeout=1' \
		>/etc/default/sockclock-sntp-udp"
	run sys systemctl enable --now $UNITS
	assert_success
	run sys ss -Hlntu
	assert_output --regexp 'tcp +LISTEN .*\*:13 '
	assert_output --regexp 'udp .*\*:13 '
	assert_output --regexp 'udp .*\*:123 '
	assert_output --regexp 'tcp +LISTEN .*\*:4460 '
	run sys socat -T5 - TCP6:[::1]:13
	assert_output --regexp "$CTIME"
	run sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
	assert_output --regexp "$CTIME"
	run sys ntpdig -j -t 3 127.0.0.1
	assert_success
	assert_output --regexp '"stratum": ?2'
	sys sh -c 'mkdir -p /tmp/chrony && printf "server 127.0.0.1 iburst minpoll -4 maxpoll -4 maxsamples 4\npidfile /tmp/chrony/pid\ncmdport 0\n" >/tmp/chrony/conf'
	run sys timeout 20 chronyd -Q -u root -f /tmp/chrony/conf -t 15
	assert_success
	assert_output --regexp 'System clock wrong by -?[0-9.e-]+ seconds'
	echo "# chronyd -Q against the package's sntp-udp: $(grep -o 'System clock wrong.*' <<<"$output")" >&3
	run sys systemctl --failed --no-legend
	assert_output ""
	# The administrator's file goes before the package.
	sys rm /etc/default/sockclock-sntp-udp
}

# Issue 22: daytime-tcp-listen.socket of earlier builds is
# daytime-tcp.socket now. An earlier build's state, made by hand: its
# listening units in /lib/systemd/system, enabled and answering; then the
# files go (as dpkg removes them when it unpacks the new build) and dpkg
# configures this package over it (postinst configure OLD-VERSION).
@test "upgrade: an enabled daytime-tcp-listen.socket of an earlier build becomes an enabled daytime-tcp.socket, answering" {
	[ -s "$BATS_FILE_TMPDIR/files" ] || fail "the install test did not run"
	sys systemctl disable --now daytime-tcp.socket daytime-tcp.service
	sys sh -c 'cd /lib/systemd/system &&
		sed -e "s/^Conflicts=.*/Conflicts=daytime-tcp.socket/" daytime-tcp.socket >daytime-tcp-listen.socket &&
		sed -e "s/^Requires=.*/Requires=daytime-tcp-listen.socket/" daytime-tcp.service >daytime-tcp-listen.service'
	run sys systemctl enable --now daytime-tcp-listen.socket
	assert_success
	run sys socat -T5 - TCP4:127.0.0.1:13
	assert_output --regexp "$CTIME"
	run sys systemctl is-active daytime-tcp-listen.service
	assert_output active
	sys rm /lib/systemd/system/daytime-tcp-listen.socket /lib/systemd/system/daytime-tcp-listen.service
	run sys dpkg -i "/root/$DEB"
	assert_success
	run sys systemctl is-enabled daytime-tcp.socket
	assert_output enabled
	run sys systemctl is-active daytime-tcp.socket daytime-tcp-listen.socket daytime-tcp-listen.service
	assert_output "$(printf '%s\n' active inactive inactive)"
	run sys ls /etc/systemd/system/sockets.target.wants
	refute_output --partial daytime-tcp-listen
	run sys socat -T5 - TCP4:127.0.0.1:13
	assert_output --regexp "$CTIME"
	run sys systemctl --failed --no-legend
	assert_output ""
}

@test "apt-get purge: no file of the package left, no unit, nothing listening" {
	[ -s "$BATS_FILE_TMPDIR/files" ] || fail "the install test did not run"
	run sys apt-get purge -y sockclock
	assert_success
	run sys dpkg-query -W -f '${Status}' sockclock
	refute_output --partial installed
	# Every file of dpkg -L is gone; a directory left is another
	# package's too (/lib/systemd/system, /etc/xinetd.d...).
	local f left=()
	while read -r f; do
		[ "$f" != /. ] || continue
		if sys test -d "$f"; then
			sys dpkg -S "$f" >/dev/null 2>&1 || left+=("$f (directory of no package)")
		elif sys test -e "$f" || sys test -L "$f"; then
			left+=("$f")
		fi
	done <"$BATS_FILE_TMPDIR/files"
	[ ${#left[@]} = 0 ] || fail "left after purge: ${left[*]}"
	run sys systemctl list-unit-files --no-legend 'daytime*' 'sntp*' 'nts-ke*'
	assert_output ""
	run sys systemctl list-units --all --no-legend 'daytime*' 'sntp*' 'nts-ke*'
	assert_output ""
	# Nor anything the maintainer scripts, systemctl enable or the programs
	# wrote: /etc, /var and /run as they were before the install. systemd
	# removes a stopped service's PrivateTmp= in a process of its own:
	# give it a moment.
	local i
	for i in $(seq 50); do
		sys sh -c 'ls -d /var/tmp/systemd-private-*-daytime* /var/tmp/systemd-private-*-sntp* /var/tmp/systemd-private-*-nts-ke*' \
			>/dev/null 2>&1 || break
		sleep 0.1
	done
	run diff "$BATS_FILE_TMPDIR/before" <(trace_list)
	assert_success
	run sys ss -Hlntu
	assert_output ""
	run sys systemctl --failed --no-legend
	assert_output ""
}
