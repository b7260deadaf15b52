#!/usr/bin/env bats
# NTS through the real xinetd: the installed sockclock-nts-ke-tcp and
# sntp-udp files, copied with the ports, the certificate paths and the
# key file changed (and "disable = no"); chronyd -Q as the NTS client.
# Both services run as one user that owns the key file: the shipped
# files name the system user "sockclock"; here both run as nobody, so
# that the test creates no user on the host. sntp-udp's state file goes
# next to the key file, as the shipped file has it.
load helpers/common
load helpers/ntske
load helpers/xinetd-conf

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	# Readable by nobody, unlike the bats temporary directories.
	X=$(mktemp -d /tmp/sockclock-xinetd-nts.XXXXXX)
	chmod 755 "$X"
	make -s -C "$TOP" install PREFIX="$X" XINETDDIR="$X/installed" CRONDIR="$X/cron.d" INSTALL_BIN="$BIN" >&3
	KE_PORT=$(free_port tcp) NTP_PORT=$(free_port udp)
	install -d -o nobody -m 700 "$X/state"
	install -o nobody -m 600 "$BATS_FILE_TMPDIR/srv.key" "$X/nts-ke.key"
	install -m 644 "$BATS_FILE_TMPDIR/srv.crt" "$X/nts-ke.crt"
	mkdir "$X/xinetd.d"
	sed -e "s/^\(\tport\t\t= \).*/\1$KE_PORT/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
		-e 's/^\(\tuser\t\t= \).*/\1nobody/' \
		-e "s|^\(\tserver_args\t= \).*|\1--cert=$X/nts-ke.crt --key=$X/nts-ke.key --nts-keys=$X/state/nts-keys --verbose|" \
		"$X/installed/sockclock-nts-ke-tcp" >"$X/xinetd.d/sockclock-nts-ke-tcp"
	sed -e "s/^\(\tport\t\t= \).*/\1$NTP_PORT/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
		-e 's/^\(\tuser\t\t= \).*/\1nobody/' -e "s|--state-dir=/var/lib/sockclock|--state-dir=$X/state|" \
		-e "s|^\(\tserver_args\t= .*\)|\1 --nts-keys=$X/state/nts-keys --assume-synchronized|" \
		"$X/installed/sockclock-sntp-udp" >"$X/xinetd.d/sockclock-sntp-udp"
	printf 'defaults\n{\n}\nincludedir %s\n' "$X/xinetd.d" >"$X/xinetd.conf"
	export X KE_PORT NTP_PORT
	xinetd_start "$X" "$KE_PORT" "$NTP_PORT"
}

teardown_file() {
	[ -z "${X:-}" ] || xinetd_stop "$X"
}

setup() {
	require_root
}

@test "the installed NTS-KE xinetd file names the program, the certificate, and ships disabled" {
	run grep -E "^\s*(server|server_args|disable|port|user)\s" "$X/installed/sockclock-nts-ke-tcp"
	assert_line --regexp "server\s+= $X/sbin/nts-ke-tcp\$"
	assert_line --regexp "server_args\s+= --cert=/etc/sockclock/nts-ke.crt --key=/etc/sockclock/nts-ke.key\$"
	assert_line --regexp "disable\s+= yes"
	assert_line --regexp "port\s+= 4460"
	assert_line --regexp "user\s+= sockclock"
}

@test "chronyd -Q: NTS through xinetd, authenticated, under 1 ms; the key file is nobody's" {
	nts_chrony "$KE_PORT" "$NTP_PORT"
	under_1ms "$offset"
	run stat -c '%a %U' "$X/state/nts-keys" "$X/state/sntp-udp.state"
	assert_output $'640 nobody\n600 nobody'
	run keclient "$KE_PORT" --keys="$X/state/nts-keys"
	assert_success
	assert_line "cookies opened to the session's keys: 8 of 8"
}
