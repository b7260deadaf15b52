#!/usr/bin/env bats
# chronyd -Q as the NTS client (RFC 8915) of nts-ke-tcp and sntp-udp
# sharing one key file, both under systemd-socket-activate: the key
# exchange (--accept and listening) hands out cookies that sntp-udp
# opens, and chronyd reports an authenticated offset under 1 ms.

load helpers/common
load helpers/core-lib
load helpers/ntske

setup_file() {
	ntske_setup_file
}

teardown() {
	stop_servers
	no_sanitizer_report
}

serve_pair() { # KE activation args...: sets ke, ntp
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" "$@" -- "$BIN/nts-ke-tcp" $(KE_OPTS) -v
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-keys="$BATS_TEST_TMPDIR/nts-keys" \
		--assume-synchronized --idle-timeout=30 -v
}

@test "chronyd NTS through systemd-socket-activate --accept: authenticated, under 1 ms" {
	serve_pair --accept
	nts_chrony "$ke" "$ntp"
	under_1ms "$offset"
	grep -q 'keys and 8 cookies sent' "$BATS_TEST_TMPDIR/bg.log"
}

@test "chronyd NTS with a listening KE socket: authenticated, under 1 ms" {
	serve_pair
	nts_chrony "$ke" "$ntp"
	under_1ms "$offset"
}

@test "chronyd follows the Port record: the KE names the NTP port" {
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --ntp-server=127.0.0.1 --ntp-port="$ntp"
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-keys="$BATS_TEST_TMPDIR/nts-keys" \
		--assume-synchronized --idle-timeout=30
	# the server line names a port where nothing listens
	nts_chrony "$ke" "$(free_port udp)"
	under_1ms "$offset"
}
