#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: ntpsec's ntpdig (port 123 only) with -k FILE -a N against
# sntp-udp --keys on port 123 in a network namespace this suite creates
# (loopback only), deleted in teardown even on failure.

load ../helpers/common
load ../helpers/core-lib

setup() {
	require_root
	netns_lo sockclock-test
}

teardown() {
	netns_teardown
}

@test "ntpdig -k FILE -a N: SHA1, AES128CMAC and MD5 keys get time; SHA256 (a long NTPv4 MAC) and a wrong secret get none" {
	local d=$BATS_TEST_TMPDIR i
	# The same keys in ntpsec's spelling and in chrony's.
	printf '1 SHA1 sha1secret\n2 AES128CMAC 0123456789abcdef\n3 MD5 md5secret\n4 SHA256 sha256secret\n5 SHA1 othersecret\n' |
		install -m 600 /dev/stdin "$d/client.keys"
	printf '1 SHA1 sha1secret\n2 AES128 0123456789abcdef\n3 MD5 md5secret\n4 SHA256 sha256secret\n5 SHA1 sha1secret\n' |
		install -m 600 /dev/stdin "$d/server.keys"
	start_bg ip netns exec "$NS" systemd-socket-activate --datagram -l 0.0.0.0:123 \
		"$BIN/sntp-udp" --assume-synchronized --verbose --idle-timeout=30 \
		--keys="$d/server.keys"
	for i in $(seq 50); do
		nsx ss -Hlnu "sport = :123" | grep -q . && break
		sleep 0.1
	done
	local id
	for id in 1 2 3; do
		run nsx timeout 20 ntpdig -t 3 -k "$d/client.keys" -a $id 127.0.0.1
		assert_success
		echo "# ntpdig key $id: $output" >&3
		[[ $output =~ \ ([-+][0-9.]+)\ \+/-\ ([0-9.]+)\ 127\.0\.0\.1\ s15\ no-leap$ ]] ||
			fail "key $id: $output"
		# Under 1 ms, or within ntpdig's own error bound (as in
		# root/netns.bats: a loaded machine delays its time stamps).
		awk -v o="${BASH_REMATCH[1]}" -v e="${BASH_REMATCH[2]}" \
			'BEGIN { if (o < 0) o = -o; exit !(o < 0.001 || o <= e) }' ||
			fail "key $id: offset ${BASH_REMATCH[1]} +/- ${BASH_REMATCH[2]}"
	done
	for id in 4 5; do
		run nsx timeout 20 ntpdig -t 1 -k "$d/client.keys" -a $id 127.0.0.1
		[[ $output != *s15* ]] || fail "key $id got time: $output"
	done
	grep -q 'dropped: mac-malformed' "$BATS_TEST_TMPDIR/bg.log"
	grep -q 'dropped: mac-bad' "$BATS_TEST_TMPDIR/bg.log"
}
