#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# NTS through the real xinetd: the installed sockclock-nts-ke-tcp and
# sntp-udp files, copied with the ports, the certificate paths, the key
# file and sntp-udp's state directory changed (and "disable = no");
# chronyd -Q as the NTS client. Each runs as the user its file names
# (sockclock-ntske, sockclock-sntp with groups = yes); make install adds
# the users to a copy of /etc/passwd and /etc/group that xinetd sees in
# a mount namespace of its own (helpers/xinetd-conf.bash), and
# systemd-tmpfiles makes the directories of the installed tmpfiles.d file
# under the test's root: the host gets neither.
# The tests marked "(needs the group-readable key file)" need
# common/proto/cookiekeys.c to write the file 0640 and to accept a reader in its
# group; without that sntp-udp refuses it.
load ../helpers/common
load ../helpers/ntske
load ../helpers/xinetd-conf

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	# Readable by nobody, unlike the bats temporary directories.
	X=$(mktemp -d /tmp/sockclock-xinetd-nts.XXXXXX)
	xinetd_install "$X"
	KE_PORT=$(free_port tcp) NTP_PORT=$(free_port udp) PROBE_PORT=$(free_port tcp)
	# The certificate's key: nts-ke-tcp's user's alone (doc/nts.md).
	install -o "$(xinetd_id "$X" u sockclock-ntske)" -m 400 "$BATS_FILE_TMPDIR/srv.key" "$X/nts-ke.key"
	install -m 644 "$BATS_FILE_TMPDIR/srv.crt" "$X/nts-ke.crt"
	K=$X/root/var/lib/sockclock/nts-keys
	mkdir "$X/xinetd.d"
	sed -e "s/^\(\tport\t\t= \).*/\1$KE_PORT/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
		-e "s|^\(\tserver_args\t= \).*|\1--cert=$X/nts-ke.crt --key=$X/nts-ke.key --nts-keys=$K --verbose|" \
		"$X/installed/sockclock-nts-ke-tcp" >"$X/xinetd.d/sockclock-nts-ke-tcp"
	sed -e "s/^\(\tport\t\t= \).*/\1$NTP_PORT/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
		-e "s|^\(\tserver_args\t= .*\)|\1 --state-dir=$X/root/run/sockclock/sntp-udp --nts-keys=$K --assume-synchronized|" \
		"$X/installed/sockclock-sntp-udp" >"$X/xinetd.d/sockclock-sntp-udp"
	# A probe with sntp-udp's identity as its file gives it (user, groups):
	# what may it read? Over TCP, one shell per connection.
	printf '#!/bin/sh\nexec 2>&1\nid\ncat %s >/dev/null && echo "key file read"\ncat %s >/dev/null && echo "TLS key read"\nexit 0\n' \
		"$K" "$X/nts-ke.key" >"$X/probe"
	chmod 755 "$X/probe"
	local kv=() k v
	for k in user group groups; do
		v=$(sed -n "s/^\t$k\t*= //p" "$X/installed/sockclock-sntp-udp")
		[ -z "$v" ] || kv+=("$k=$v")
	done
	xinetd_service sockclock-probe stream "$PROBE_PORT" "${kv[@]}" server="$X/probe" \
		>"$X/xinetd.d/sockclock-probe"
	printf 'defaults\n{\n}\nincludedir %s\n' "$X/xinetd.d" >"$X/xinetd.conf"
	export X K KE_PORT NTP_PORT PROBE_PORT
	xinetd_start "$X" "$KE_PORT" "$NTP_PORT" "$PROBE_PORT"
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
	assert_line --regexp "user\s+= sockclock-ntske\$"
}

@test "chronyd -Q: NTS through xinetd, authenticated, under 1 ms; the key file nts-ke-tcp's user's, readable by its group (needs the group-readable key file)" {
	nts_chrony "$KE_PORT" "$NTP_PORT"
	under_1ms "$offset"
	local ntske sntp keys
	ntske=$(xinetd_id "$X" u sockclock-ntske) sntp=$(xinetd_id "$X" u sockclock-sntp)
	keys=$(xinetd_id "$X" g sockclock-nts-keys)
	run stat -c '%a %u %g' "${K%/*}" "$K" "$X/root/run/sockclock/sntp-udp/sntp-udp.state"
	assert_output "750 $ntske $keys"$'\n'"640 $ntske $keys"$'\n'"600 $sntp $(xinetd_id "$X" g sockclock-sntp)"
	run keclient "$KE_PORT" --keys="$K"
	assert_success
	assert_line "cookies opened to the session's keys: 8 of 8"
}

# sntp-udp's identity under xinetd (its file's user and
# groups) reads the cookie key file through its group, and not the TLS key.
@test "sntp-udp's xinetd identity reads the cookie key file, not the TLS key (needs the group-readable key file)" {
	[ -s "$K" ] || run keclient "$KE_PORT" --keys="$K"
	run socat -T5 - TCP4:127.0.0.1:$PROBE_PORT
	echo "$output"
	assert_line --regexp "^uid=$(xinetd_id "$X" u sockclock-sntp)\(sockclock-sntp\) .*groups=.*\(sockclock-nts-keys\)"
	assert_line 'key file read'
	refute_line 'TLS key read'
	assert_output --partial "$X/nts-ke.key: Permission denied"
}
