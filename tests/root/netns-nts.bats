#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: the NTS scale-out path in three network namespaces this
# suite creates: the key exchange (nts-ke-tcp) in KE, the NTP server
# (sntp-udp, port 123) in NTP, chronyd in CLI with a veth to each. The
# two servers share one key file; nts-ke-tcp --ntp-server names the NTP
# host, and chronyd, asked only for the KE host, gets authenticated time
# from the other. Teardown kills what runs in the namespaces (by PID)
# and deletes them, even on failure.

load ../helpers/common
load ../helpers/core-lib
load ../helpers/ntske

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	# A certificate for the KE host's address, 198.51.100.2.
	ntske_cert_for 198.51.100.2 ke
}

setup() {
	require_root
	P=sockclock-nts-$$-$BATS_TEST_NUMBER
	for n in cli ke ntp; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
	ip -n "$P-cli" link add c-ke type veth peer name ke netns "$P-ke"
	ip -n "$P-cli" link add c-ntp type veth peer name ntp netns "$P-ntp"
	ip -n "$P-cli" addr add 198.51.100.1/24 dev c-ke
	ip -n "$P-cli" addr add 203.0.113.1/24 dev c-ntp
	ip -n "$P-ke" addr add 198.51.100.2/24 dev ke
	ip -n "$P-ntp" addr add 203.0.113.2/24 dev ntp
	for l in "cli c-ke" "cli c-ntp" "ke ke" "ntp ntp"; do
		set -- $l
		ip -n "$P-$1" link set "$2" up
	done
	ip -n "$P-ke" route add default via 198.51.100.1
	ip -n "$P-ntp" route add default via 203.0.113.1
}

teardown() {
	stop_servers
	netns_del "$P-cli" "$P-ke" "$P-ntp"
	no_sanitizer_report
}

@test "scale-out: KE in one namespace, sntp-udp in another, chronyd follows the Server record" {
	local d=$BATS_FILE_TMPDIR keys=$BATS_TEST_TMPDIR/nts-keys
	start_bg ip netns exec "$P-ke" systemd-socket-activate --accept -l 0.0.0.0:4460 \
		"$BIN/nts-ke-tcp" --cert="$d/ke.crt" --key="$d/srv.key" --nts-keys="$keys" \
		--ntp-server=203.0.113.2 -v
	start_bg ip netns exec "$P-ntp" systemd-socket-activate --datagram -l 0.0.0.0:123 \
		"$BIN/sntp-udp" --nts-keys="$keys" --assume-synchronized --idle-timeout=30 -v
	for i in $(seq 50); do
		ip netns exec "$P-ke" ss -Hlnt 'sport = :4460' | grep -q . &&
			ip netns exec "$P-ntp" ss -Hlnu 'sport = :123' | grep -q . && break
		sleep 0.1
	done
	local c=$BATS_TEST_TMPDIR/cli.conf
	printf '%s\n' 'server 198.51.100.2 nts iburst minpoll -4 maxpoll -4 maxsamples 4' "ntstrustedcerts $d/ca.crt" \
		nosystemcert 'cmdport 0' "pidfile $BATS_TEST_TMPDIR/cli.pid" >"$c"
	run ip netns exec "$P-cli" timeout 40 chronyd -Q -u root -f "$c" -t 20
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
		fail "no authenticated sample: $output $(cat "$BATS_TEST_TMPDIR/bg.log")"
	echo "# chronyd (NTS scale-out, two namespaces): $wrong" >&3
	under_1ms "$(awk '{ print $5 }' <<<"$wrong")"
	# The KE host served the keys, the other host the time.
	grep -q 'keys and 8 cookies sent (peer 198.51.100.1' "$BATS_TEST_TMPDIR/bg.log"
	grep -Eq 'sntp-udp: .*203\.0\.113\.1' "$BATS_TEST_TMPDIR/bg.log" ||
		fail "no request logged by sntp-udp: $(cat "$BATS_TEST_TMPDIR/bg.log")"
}
